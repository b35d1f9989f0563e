"""The fast YAML scanner against libyaml: whatever the scanner accepts, it reads exactly
as libyaml does (same nodes, same positions, same tree, comments and spans); whatever
libyaml refuses, the scanner refuses too (and hands over, so the error is libyaml's)."""

from __future__ import annotations

import collections
import glob
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sekret.sops import tree as t
from sekret.stores import _yaml_build, _yaml_libyaml, _yaml_nodes, _yaml_scan
from sekret.stores._yaml_nodes import SCALAR, Node
from sekret.stores._yaml_tokens import Logged
from sekret.stores.base import StoreError
from tests.conftest import vendored

NIX_ASSETS = vendored("sops-nix-assets")


def _dump(n: Node) -> object:
    if n.kind == SCALAR:
        return ("S", n.start, n.end, n.value, n.style, n.tag if n.style else None)
    if n.kind == 1:
        return ("M", n.start, n.end, n.flow, [(_dump(k), _dump(v)) for k, v in n.pairs()])
    return ("Q", n.start, n.end, n.flow, [_dump(c) for c in n.children()])


def _tree(node: object) -> object:
    if isinstance(node, t.Leaf):
        return ("leaf", node.value, node.span)
    if isinstance(node, t.Comment):
        return ("comment", node.text, node.span)
    if isinstance(node, t.Mapping):
        return [_item(i) for i in node.items]
    if isinstance(node, t.Sequence):
        return ("seq", [_tree(i) for i in node.items])
    return node


def _item(i: object) -> object:
    if isinstance(i, t.Comment):
        return _tree(i)
    key, value = i  # type: ignore[misc]
    return (key, _tree(value))


def _docs(docs: list[_yaml_build.Doc]) -> object:
    return [
        (
            _tree(d.root),
            d.start,
            d.end,
            d.flow,
            sorted(d.spans),
            d.spans == sorted(set(d.spans)),  # emitting relies on text order, each once
            sorted(d.comments),
            d.sops_span,
            sorted(d.flow_spans),
            d.in_place,
        )
        for d in docs
    ]


def _built(text: str, nodes: Iterable[Node], comments: Iterable[tuple[int, int]],
           libyaml: bool) -> object:
    try:
        return _docs(
            _yaml_build.build(text, nodes, collections.deque(comments), libyaml=libyaml)
        )
    except StoreError as exc:
        return ("error", str(exc), exc.line)


def check_same(text: str) -> bool:
    """Assert the scanner agrees with libyaml on ``text``; False if it handed over."""
    try:
        lib_nodes: list[Node] | None = _yaml_libyaml.compose(text)
    except yaml.YAMLError:
        lib_nodes = None
    try:
        docs, comments = _yaml_scan.scan(text)
        nodes = [_yaml_nodes.materialize(n) for n in docs]
    except _yaml_scan.Unsupported:
        return False
    assert lib_nodes is not None, f"the scanner accepted what libyaml refuses: {text!r}"
    assert [_dump(n) for n in nodes] == [_dump(n) for n in lib_nodes], text
    lib_comments = _yaml_libyaml.candidate_comments(text)
    expected = _built(text, lib_nodes, lib_comments, True)
    assert _built(text, nodes, comments, False) == expected
    # the store's way: the builder drives the lazy scanner (comments arrive as read), and
    # the scanner's own token log places the comments (not libyaml's tokens)
    log: list[Logged] = []
    lazy_docs, lazy_comments = _yaml_scan.scan(text, log)
    try:
        lazy = _docs(
            _yaml_build.build(text, lazy_docs, lazy_comments, libyaml=False, tokens=log)
        )
    except StoreError as exc:
        lazy = ("error", str(exc), exc.line)
    assert lazy == expected, text
    return True


# --- generated documents ----------------------------------------------------------------

WORDS = [
    "a", "key", "k2", "sops", "x_y", "-a", "?b", ":c", "a b", "a#b", "é", "ключ", "http://h:1",
    "1", "0x1F", "010", "1.5", "-2e3", ".inf", "~", "null", "true", "yes", "2024-01-02",
    "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]", "a,b", "[x]", "{y}", "a: b", "#c",
    "x #y", "-", "- x", "?", ":", "[]", "{}", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x",
    "k:", "k:v", "'", '"', "it's", 'say "hi"', "back\\slash", " lead", "trail ", "", "---",
    "...", "a\tb", "<<",
]  # fmt: skip


TAME = [w for w in WORDS if w[:1] not in "-?:#&*!|>%@`[{'\"" and ":" not in w and "\\" not in w
        and "\t" not in w and " #" not in w and w.strip() == w and w not in ("", "---", "...")]


def _scalar(draw: st.DrawFn, tame: bool = False) -> str:
    word = draw(st.sampled_from(TAME if tame else WORDS))
    style = draw(st.sampled_from(["plain", "plain", "plain", "single", "double"]))
    if style == "single":
        return "'" + word.replace("'", "''") + "'"
    if style == "double":
        return '"' + word + '"'
    return word


@st.composite
def documents(draw: st.DrawFn) -> str:
    step = draw(st.sampled_from([2, 4]))
    tame = draw(st.booleans())  # only what the scanner reads: exercise it, not the hand-over
    lines: list[str] = []

    def comment(pad: str) -> None:
        if draw(st.integers(0, 5)) == 0:
            lines.append(pad + "#" + draw(st.sampled_from(["", " c", "x: y", "#"])))
        if draw(st.integers(0, 7)) == 0:
            lines.append(" " * draw(st.integers(0, 6)))

    def trailing() -> str:
        return draw(st.sampled_from(["", "", "", " # t", "  #t", " #"]))

    def block(pad: str, text: str) -> list[str]:
        chomp = draw(st.sampled_from(["", "-", "+"]))
        body = [pad + ln if ln else "" for ln in text.split("\n")]
        return ["|" + chomp + trailing(), *body]

    def value(pad: str, depth: int, head: str) -> None:
        kind = draw(st.integers(0, 9 if depth < 3 else 4))
        if kind <= 4:
            lines.append(head + " " + _scalar(draw, tame) + trailing())
        elif kind == 5:
            lines.append(head + trailing())  # empty value
        elif kind == 6:
            text = draw(st.sampled_from(["one", "one\ntwo", "a\n\nb", "# not a comment", "x\n"]))
            first, *rest = block(pad + " " * step, text)
            lines.append(head + " " + first)
            lines.extend(rest)
        elif kind == 7 and not tame:
            lines.append(head + " " + draw(st.sampled_from(["[]", "{}", "[a]", "{a: 1}"])))
        elif kind == 8:
            lines.append(head + trailing())
            mapping(pad + " " * step, depth + 1)
        else:
            lines.append(head + trailing())
            inner = pad if draw(st.booleans()) and head.rstrip().endswith(":") else pad + " " * step
            sequence(inner, depth + 1)

    def mapping(pad: str, depth: int) -> None:
        for _ in range(draw(st.integers(1, 4))):
            comment(pad)
            value(pad, depth, pad + _scalar(draw, tame) + ":")

    def sequence(pad: str, depth: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            comment(pad)
            if draw(st.integers(0, 3)) == 0 and depth < 3:
                first = len(lines)
                mapping(pad + "  ", depth + 1)
                lines[first] = pad + "- " + lines[first][len(pad) + 2 :]
            else:
                value(pad, depth, pad + "-")

    for d in range(draw(st.integers(1, 2))):
        if d or draw(st.booleans()):
            lines.append("---")
        mapping(" " * draw(st.sampled_from([0, 0, 0, 2])), 0)
        comment("")
    text = "\n".join(lines) + "\n"
    if not tame and draw(st.integers(0, 4)) == 0:  # a random mutation: often invalid YAML
        pos = draw(st.integers(0, len(text) - 1))
        junk = draw(st.sampled_from(["", " ", "\n", ":", "-", "#", "'"]))
        text = text[:pos] + junk + text[pos + 1 :]
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
@example("a: |\n    one\n\n   \nb: 1\n")
@example("- |\n  x\n- y\n-\n- \n-   # c\n  - z\n- a: 1\n  b:\n  - k\n")
@example("x: 1\n---\ny: 2\n# tail\n---\n# lead\nz: 3\n")
@example("k:  \"q\"  # c\nj: 'it''s'\n\"k 2\": v\n'k3'  : w\nurl: http://x:8/a#b\n")
def test_generated_documents_read_as_libyaml_reads_them(text: str) -> None:
    check_same(text)


def test_the_scanner_takes_the_files_sops_writes() -> None:
    """The point of the scanner: real SOPS files (and plain config) never reach libyaml."""
    files = [NIX_ASSETS / "secrets.yaml"]
    files += [Path(p) for p in glob.glob(str(Path(__file__).parent.parent / "**" / "*.yaml"))]
    handled = [f for f in files if check_same(f.read_text())]
    assert NIX_ASSETS / "secrets.yaml" in handled


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2]\n",  # flow
        "a: &x 1\nb: *x\n",  # anchors
        "a: !!str 1\n",  # tags
        "a: >\n  folded\n",  # folded
        "a: \"esc\\n\"\n",  # escapes
        "a: multi\n  line\n",  # continuation
        "a:\tb\n",  # tabs
        "%YAML 1.2\n---\na: 1\n",  # directives
        "a: 1",  # no final newline
        "? a\n: b\n",  # complex key
        "a: b: c\n",  # an error
        "- - x\n",  # compact nested list
    ],
)
def test_outside_the_subset_goes_to_libyaml(text: str) -> None:
    with pytest.raises(_yaml_scan.Unsupported):
        [_yaml_nodes.materialize(n) for n in _yaml_scan.scan(text)[0]]
