"""Which mapping or list each YAML comment belongs to, and before which entry: exactly
go-yaml's reading (and so sops's), as the comments' AAD and the comment rules need.

- go-yaml's own expectations (its ``node_test.go`` comment cases, vendored as data in
  ``tests/data/go-yaml-comments``): the comment fields of every node of each case, and
  for the documents sops can hold, those comments in sops's tree order;
- the real sops on generated documents (comments at every column, trailing ones, blank
  lines, nested mappings and lists, several documents): sops reads sekret's encrypted
  file, in place and written whole, as the tree it reads from the plaintext (every
  comment decrypts), sekret reads sops's file as sops does, sekret's whole rendering is
  sops's own text wherever sops's text reads back as it was, and with
  ``unencrypted_comment_regex`` / ``encrypted_comment_regex`` both tools leave the same
  values and comments in the clear.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sekret.files import document
from sekret.sops import tree as t
from sekret.sops.metadata import AgeKey, KeyGroup
from sekret.stores._yaml_comment_tree import ALIAS_NODE, DOCUMENT, MAPPING, SEQUENCE, Shadow
from sekret.stores._yaml_comments import shadow_documents
from sekret.stores._yaml_tokens import from_libyaml
from sekret.stores.base import StoreError
from sekret.stores.yaml import YamlStore, parse
from tests.conftest import vendored
from tests.stores.conftest import Identity, run_sops, sops_binary

GO_YAML = vendored("go-yaml-comments")
NODE_CASES: list[dict[str, Any]] = json.loads(
    (GO_YAML / "node_test_comments.json").read_text(encoding="utf-8")
)
_KINDS = {"document": DOCUMENT, "mapping": MAPPING, "sequence": SEQUENCE, "alias": ALIAS_NODE}


# --- go-yaml's node_test.go ------------------------------------------------------------


def _fields(node: Shadow) -> tuple[str, str, str]:
    return node.head, node.line, node.foot


def _check_node(got: Shadow, want: dict[str, Any], where: str) -> None:
    kind = _KINDS.get(want["kind"], -1)
    if kind >= 0:
        assert got.kind == kind, f"{where}: a {want['kind']} expected"
    want_fields = (want.get("head", ""), want.get("line", ""), want.get("foot", ""))
    assert _fields(got) == want_fields, f"{where}: comments (head, line, foot)"
    if want["kind"] in ("document", "mapping", "sequence") and not got.opaque:
        content = want.get("content", [])
        assert len(got.content) == len(content), f"{where}: {len(content)} nodes expected"
        for i, (g, w) in enumerate(zip(got.content, content, strict=True)):
            _check_node(g, w, f"{where}/{i}")


@pytest.mark.parametrize("case", NODE_CASES, ids=[f"node_test[{c['index']}]" for c in NODE_CASES])
def test_go_yaml_node_comments(case: dict[str, Any]) -> None:
    """Every node's head, line and foot comment, as node_test.go expects them."""
    text = case["yaml"]
    docs = shadow_documents(text, from_libyaml(text))
    assert len(docs) == 1
    _check_node(docs[0], case["node"], "document")


def _sops_order(node: dict[str, Any], handled: bool = False) -> list[Any]:
    """sops's tree of a mapping (or a document), from go-yaml's nodes (its YAML store's
    ``appendYamlNodeToTreeBranch``): comments as ``#text``, entries as (key, value)."""
    out: list[Any] = []

    def add(comment: str | None) -> None:
        out.extend("#" + line[1:] for line in (comment or "").split("\n") if line)

    if not handled:
        add(node.get("head"))
        add(node.get("line"))
    if node["kind"] == "document":
        for child in node.get("content", []):
            out.extend(_sops_order(child))
    elif node["kind"] == "mapping":
        content = node.get("content", [])
        for key, value in zip(content[::2], content[1::2], strict=True):
            add(key.get("head"))
            add(key.get("line"))
            scalar = value["kind"] in ("scalar", "alias")
            if scalar:
                add(value.get("head"))
                add(value.get("line"))
            out.append((key["value"], _sops_value(value, scalar)))
            if scalar:
                add(value.get("foot"))
            add(key.get("foot"))
    elif node["kind"] == "scalar":
        return out  # an empty document: its foot is not listed
    if not handled:
        add(node.get("foot"))
    return out


def _sops_value(node: dict[str, Any], handled: bool) -> Any:
    if node["kind"] == "mapping":
        return _sops_order(node, handled)
    if node["kind"] != "sequence":
        return "value"
    out: list[Any] = []
    if not handled:
        out.extend("#" + c[1:] for c in (node.get("head") or "").split("\n") if c)
    for item in node.get("content", []):
        for field in ("head", "line"):
            out.extend("#" + c[1:] for c in (item.get(field) or "").split("\n") if c)
        out.append(_sops_value(item, True))
        out.extend("#" + c[1:] for c in (item.get("foot") or "").split("\n") if c)
    return ["list", *out]


def _sekret_order(node: object) -> Any:
    if isinstance(node, t.Mapping):
        return [
            "#" + i.text if isinstance(i, t.Comment) else (str(i[0]), _sekret_order(i[1]))
            for i in node.items
        ]
    if isinstance(node, t.Sequence):
        items = ["#" + i.text if isinstance(i, t.Comment) else _sekret_order(i) for i in node.items]
        return ["list", *items]
    return "value"


SOPS_CASES = [
    c for c in NODE_CASES if c["node"]["content"] and c["node"]["content"][0]["kind"] == "mapping"
]


@pytest.mark.parametrize("case", SOPS_CASES, ids=[f"node_test[{c['index']}]" for c in SOPS_CASES])
def test_go_yaml_cases_in_sops_order(case: dict[str, Any]) -> None:
    """The documents sops can hold: sekret's tree lists each comment where sops does."""
    docs = parse(case["yaml"])
    assert len(docs) == 1
    assert _sekret_order(docs[0].root) == _sops_order(case["node"])


def test_every_kind_of_comment_in_sops_order() -> None:
    """The comments of one document in many places, where sops lists each (checked with
    go-yaml v3.0.4): line comments go before their entry, a foot comment after it, a
    comment on a key that opens a block before the key, a comment after the last entry
    of a nested block into the innermost mapping that is still open (even after a blank
    line, two levels down), a block scalar's header comment before its key."""
    text = (
        "# head of the document\n\n# head of a\na: 1 # line of a\n# foot of a\n\n"
        "b: # line of b\n    # head of c\n    c:\n        - x # line of x\n        # foot\n"
        "    e: # opens y\n      - y: 2\n\n    # closes b\n\nd: |  # header\n"
        "    # not a comment\n# closes the document\n"
    )
    assert _sekret_order(parse(text)[0].root) == [
        "# head of the document",
        "# head of a",
        "# line of a",
        ("a", "value"),
        "# foot of a",
        "# line of b",
        (
            "b",
            [
                "# head of c",
                ("c", ["list", "# line of x", "value", "# foot"]),
                "# opens y",
                ("e", ["list", [("y", "value"), "# closes b"]]),
            ],
        ),
        "# header",
        ("d", "value"),
        "# closes the document",
    ]


# --- the real sops on generated documents ----------------------------------------------

_WORDS = ["a", "b", "key", "v", "x", "hello world", "é"]


@st.composite
def documents(draw: st.DrawFn, markers: tuple[str, ...] = ("c",)) -> str:
    """One block YAML document with comments at any column, trailing comments on keys,
    values and dashes, blank lines, nested mappings and lists (indented or not), compact
    ``- key: v`` and ``- - x`` items, quoted, literal, empty and flow-empty values."""
    lines: list[str] = []
    seen = [0]

    def word() -> str:
        seen[0] += 1
        return draw(st.sampled_from(_WORDS)) + str(seen[0])

    def comment() -> str:
        return f"# {draw(st.sampled_from(markers))}{draw(st.integers(0, 99))}"

    def trail() -> str:
        return draw(st.sampled_from(["", "", "", " " + comment(), "  " + comment()]))

    def scalar() -> str:
        kind = draw(st.sampled_from(["plain"] * 4 + ["single", "double", "int", "word"]))
        if kind == "single":
            return f"'{word()}'"
        if kind == "double":
            return f'"{word()}"'
        if kind == "int":
            return str(draw(st.integers(0, 999)))
        if kind == "word":
            return draw(st.sampled_from(["true", "null", "~", "[]", "{}"]))
        return word()

    def value() -> str:
        text = scalar()
        # (no comment after an empty flow collection: sops then writes "k: {" and "}" at
        # the key's column, which sekret refuses as under-indented YAML)
        return text if text in ("[]", "{}") else text + trail()

    def junk(indent: int) -> None:
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.integers(0, 2)) == 0:
                lines.append("")
            else:
                col = max(0, indent + draw(st.integers(-4, 4)))
                lines.append(" " * col + comment())

    def mapping(indent: int, depth: int, first: str | None = None) -> None:
        for i in range(draw(st.integers(1, 3))):
            if i or first is None:
                junk(indent)
            head = first if i == 0 and first is not None else " " * indent
            entry(f"{head}{word()}:", indent, depth)

    def entry(head: str, indent: int, depth: int) -> None:
        kind = draw(st.sampled_from(["scalar"] * 3 + ["map", "seq", "empty", "literal"]))
        if depth > 2 or kind == "scalar":
            lines.append(f"{head} {value()}")
        elif kind == "empty":
            lines.append(head + trail())
        elif kind == "literal":
            lines.append(f"{head} |{trail()}")
            lines.append(" " * (indent + 2) + "text # not a comment")
        elif kind == "map":
            lines.append(head + trail())
            step = draw(st.sampled_from([2, 4]))
            junk(indent + step)
            mapping(indent + step, depth + 1)
        else:
            lines.append(head + trail())
            step = draw(st.sampled_from([0, 2, 4]))
            junk(indent + step)
            sequence(indent + step, depth + 1)

    def sequence(indent: int, depth: int) -> None:
        for i in range(draw(st.integers(1, 3))):
            if i:
                junk(indent)
            dash = " " * indent + "-"
            kind = draw(st.sampled_from(["scalar"] * 3 + ["map", "open map", "seq", "compact"]))
            if depth > 2 or kind == "scalar":
                lines.append(f"{dash} {value()}")
            elif kind == "map":
                mapping(indent + 2, depth + 1, first=dash + " ")
            elif kind == "open map":
                lines.append(dash + trail())
                junk(indent + 2)
                mapping(indent + 2, depth + 1)
            elif kind == "compact":
                lines.append(f"{dash} - {value()}")
            else:
                lines.append(dash + trail())
                junk(indent + 2)
                sequence(indent + 2, depth + 1)

    junk(0)
    mapping(0, 0)
    junk(0)
    return "\n".join(lines) + "\n"


def _files(draw_docs: list[str]) -> str:
    return "---\n".join(draw_docs)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sops_binary()  # skips (fails in CI) without the real sops
    yield tmp_path_factory.mktemp("comments")


def _options(key: Identity, rule: tuple[str, str] | None = None) -> document.EncryptOptions:
    groups = [KeyGroup(age=[AgeKey(key.recipient)])]
    return document.EncryptOptions(key_groups=groups, crypt_rule=rule)


_COUNT = iter(range(1 << 30))


def _sops(workdir: Path, key: Identity, args: list[str], data: bytes) -> bytes:
    name = f"f{next(_COUNT)}.yaml"
    (workdir / name).write_bytes(data)
    res = run_sops([*args, name], workdir, key)
    assert res.status == 0, f"sops {args[0]} failed: {res.err}\n{data.decode()}"
    return res.out


_ENC_COMMENT = re.compile(r"#ENC\[[^\]]*\]")


def _norm(text: bytes) -> str:
    """A decrypted text with the ciphertext of comments sops could not decrypt elided."""
    return _ENC_COMMENT.sub("#ENC[…]", text.decode())


def _placement(text: bytes) -> Any:
    """Where the comments of a plaintext are (sekret's reading, checked with go-yaml's
    expectations above), without the values."""
    return [_sekret_order(d.root) for d in parse(text.decode())]


def _comment_count(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.lstrip().startswith("#"))


POOL = ThreadPoolExecutor(4)
#: more examples, searched afresh, with SEKRET_COMMENT_EXAMPLES=N (local runs)
_EXAMPLES = int(os.environ.get("SEKRET_COMMENT_EXAMPLES", "0"))
DIFFERENTIAL = settings(
    max_examples=_EXAMPLES or 60,
    derandomize=not _EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@DIFFERENTIAL
@given(docs=st.lists(documents(), min_size=1, max_size=3))
def test_placement_against_sops(workdir: Path, age_key: Identity, docs: list[str]) -> None:
    """sops and sekret place every comment alike: each reads the other's file with every
    comment decrypted, and sekret's whole rendering is read by sops as the tree it reads
    from the plaintext (byte for byte sops's own text where that text reads back)."""
    plain = _files(docs).encode()
    try:
        parse(plain.decode())
    except StoreError:
        return  # (sekret refuses a few layouts go-yaml reads, e.g. under-indented text)
    key = age_key
    sops_enc = POOL.submit(_sops, workdir, key, ["encrypt", "--age", key.recipient], plain)
    in_place = document.encrypt(plain, YamlStore(), _options(key))
    whole = document.encrypt(plain, YamlStore(), _options(key), output=YamlStore())
    store = YamlStore()
    plain_docs = store.load_plain(plain)
    store.forget_source()  # written whole, as sekret writes a document whose shape changed
    rendered = document.emit_plain(plain_docs, store)
    decrypt = ["decrypt", "--input-type", "yaml", "--output-type", "yaml"]
    jobs = {
        "in place": POOL.submit(_sops, workdir, key, decrypt, in_place),
        "whole": POOL.submit(_sops, workdir, key, decrypt, whole),
    }
    theirs = sops_enc.result()
    jobs["sops"] = POOL.submit(_sops, workdir, key, decrypt, theirs)
    got = {name: job.result() for name, job in jobs.items()}
    # sops reads sekret's file as sekret does: every comment decrypts (same AAD), in place
    # and written whole, and both read as one tree (sops prints them alike)
    assert b"#ENC[" not in got["in place"], got["in place"].decode()
    assert got["whole"] == got["in place"], "sops reads sekret's whole rendering otherwise"
    # where sops's text reads back as the plaintext does (the comments where they were:
    # sops's printer moves some), sekret writes sops's text
    if _placement(got["sops"]) == _placement(plain):
        assert rendered.decode() == got["sops"].decode()
    # sekret reads sops's file as sops does: a comment sops cannot decrypt (its own
    # rendering moved it under another key) sekret cannot either, and no other
    opened = document.open_(theirs, YamlStore(), key.identities)
    mine = document.emit_plain(opened.docs, opened.store).decode()
    sops_text = _norm(got["sops"])
    lost = _comment_count(mine) - _comment_count(sops_text)  # sops's printer drops a few
    assert 0 <= mine.count("#ENC[") - sops_text.count("#ENC[") <= max(lost, 0), (mine, sops_text)


_COMMENT_RE = re.compile(r"(?:^|[ \t])#(.*)$")
_RULES = [("unencrypted_comment_regex", "clear"), ("encrypted_comment_regex", "secret")]


def _decisions(text: bytes) -> tuple[list[Any], list[str], int]:
    """(value paths with ENC or their clear value, clear comments, all comments) of an
    encrypted YAML file; sops's ``- ENC[…,type:comment]`` list items are comments."""
    body = text.decode()  # (the sops blocks hold no "#")
    values: list[Any] = []
    comment_items = 0

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        nonlocal comment_items
        if isinstance(node, dict):
            for k, v in node.items():
                if path or k != "sops":
                    walk(v, (*path, k))
        elif isinstance(node, list):
            real = [x for x in node if not (isinstance(x, str) and "type:comment]" in x)]
            comment_items += len(node) - len(real)
            for i, x in enumerate(real):
                walk(x, (*path, i))
        else:
            enc = isinstance(node, str) and node.startswith("ENC[")
            values.append((path, "ENC" if enc else repr(node)))

    for doc in yaml.safe_load_all(body):
        walk(doc, ())
    found = [m.group(1) for line in body.split("\n") if (m := _COMMENT_RE.search(line))]
    clear = sorted(c for c in found if not c.startswith("ENC["))
    return values, clear, len(found) + comment_items


def _ruled(workdir: Path, key: Identity, rule: tuple[str, str]) -> Path:
    """A folder whose .sops.yaml encrypts for ``key`` with ``rule`` (sops takes the
    comment rules from its configuration only)."""
    folder = workdir / rule[0]
    if not folder.is_dir():
        folder.mkdir()
        rules = {"creation_rules": [{"age": key.recipient, rule[0]: rule[1]}]}
        (folder / ".sops.yaml").write_text(yaml.safe_dump(rules))
    return folder


@DIFFERENTIAL
@given(docs=st.lists(documents(markers=("c", "clear", "secret")), min_size=1, max_size=3))
def test_comment_rules_against_sops(workdir: Path, age_key: Identity, docs: list[str]) -> None:
    """With a comment rule, a comment decides whether the values after it in its mapping
    or list (and below) are encrypted: sekret leaves exactly sops's values in clear,
    and no comment in clear that sops encrypts."""
    plain = _files(docs).encode()
    try:
        parse(plain.decode())
    except StoreError:
        return
    jobs = {rule: POOL.submit(_sops, _ruled(workdir, age_key, rule), age_key, ["encrypt"], plain)
            for rule in _RULES}  # fmt: skip
    for rule in _RULES:
        mine = document.encrypt(plain, YamlStore(), _options(age_key, rule))
        ours_values, ours_clear, ours_all = _decisions(mine)
        theirs_values, theirs_clear, theirs_all = _decisions(jobs[rule].result())
        assert ours_values == theirs_values, f"{rule}: values left in clear differ"
        # sops's printer drops a comment now and then (never sekret): only those may differ
        lost = ours_all - theirs_all
        extra = sorted((Counter(ours_clear) - Counter(theirs_clear)).elements())
        assert not (Counter(theirs_clear) - Counter(ours_clear)), f"{rule}: sekret encrypts more"
        assert lost >= 0 and len(extra) <= lost, f"{rule}: comments left in clear: {extra}"
