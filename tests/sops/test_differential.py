"""Differential property tests: sekret and the real sops 3.11 on generated documents.

Each generated plaintext is encrypted by both tools (same age key, same rules) and every
encrypted file is decrypted by both tools. Then:

(a) the four decryptions hold the same data;
(b) the same key paths are encrypted (with the same ``type:``) and the same stay in clear,
    with the default rules and with a rule variant (suffix, regex, comment regexes);
(c) the same comments are encrypted, and after the round trip every comment sits before
    the same key (compared as data: comment text -> the entry it precedes);
(d) no input gives a file either tool cannot read: a file sekret writes is read by
    sops, and a refusal is one clean ``sekret: error:`` line.

sops is the oracle for what a YAML text means, in three ways:

- a text sops printed is taken apart as it stands (``as_written``), never re-read by
  sops: go-yaml does not read every foot comment back where its emitter put it;
- the text sekret prints from its own file keeps the user's layout (indentation, quoting,
  inline comments, blank lines), so it goes through sops's own round trip with the same
  rules (``round_trip``): that applies to it exactly what sops applied to the input;
- the data of a text sekret printed from sops's file, and the comments of sekret's
  encrypted file, are sops's reading of them: sops re-emits the text with nothing
  encrypted (``canonical``: an ``--encrypted-regex`` no key matches).

Comments are compared as (document, column, the entry path they precede, text); a
``#ENC[…]`` that sops's *own* round trip could not decrypt matches any one comment
(``comments_match``), a ``#ENC[…]`` a reader left in a file the other tool wrote does not.

The pinned inputs (``@example``) are the known-bad inputs of the bug report and minimal
inputs the generated search found; they run in their own test (explicit phase only, every
failing one reported) so the generated search runs even while they fail. Each generated
test stops at its first failure and shrinks it (``report_multiple_bugs=False``), so a
failing run stays short; there is no example database, so every run searches afresh.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st

from tests.sops.conftest import Key, Result, clean_env, sekret, sops

#: Refusals the README lists as deliberate differences, where sops changes the user's
#: data instead: an integer beyond int64 (sops stores it as a float64, losing digits).
#: And an object with a key twice converted to YAML, which cannot hold it (sops writes a
#: YAML file it cannot read back).
DELIBERATE_REFUSALS = re.compile(
    r"cannot encrypt an integer outside the 64-bit range|appears twice in one object"
)

# --------------------------------------------------------------------------------------
# The workspace: one age key, a thread pool of two (the machine has two cores).
# --------------------------------------------------------------------------------------

#: A key regex no key matches: sops then encrypts nothing and only re-emits the text.
NEVER = "^\\x00never$"
#: What the top-level ``sops:`` key of an encrypted file is renamed to before
#: canonicalisation (sops refuses to encrypt a file that has a ``sops`` key).
META_KEY = "zz_sops_metadata"
ENC_RE = re.compile(
    r"^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,"
    r"tag:[A-Za-z0-9+/=]+,type:(\w+)\]$"
)


class Workspace:
    """Where the processes run: a key, a private HOME, a pool of two workers, and the
    cache of sops's readings (a plain class: hypothesis prints it as ``ws``)."""

    def __init__(self, root: Path, key: Key, env: dict[str, str]) -> None:
        self.root, self.key, self.env = root, key, env
        # threads chain the steps of a case; the semaphore keeps two processes running
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.slots = threading.Semaphore(2)
        self.cache: dict[tuple[bytes, int], Canon] = {}
        self.counter = 0

    def run(self, tool: str, args: list[str], cwd: Path) -> Result:
        """Run ``sekret`` or ``sops`` with this workspace's key, two processes at most."""
        with self.slots:
            return (sekret if tool == "sekret" else sops)(args, cwd, self.env)

    def __repr__(self) -> str:
        return "ws"

    def case_dir(self) -> Path:
        self.counter += 1
        path = self.root / f"case{self.counter}"
        path.mkdir()
        return path


def make_workspace(root: Path) -> Workspace:
    from sekret.age import X25519Identity

    ident = X25519Identity.generate()
    keyfile = root / "keys.txt"
    keyfile.write_text(f"{ident.to_string()}\n")
    keyfile.chmod(0o600)
    key = Key(ident.to_string(), str(ident.recipient()), keyfile)
    (root / ".cfg").mkdir()
    env = clean_env(key, HOME=str(root), XDG_CONFIG_HOME=str(root / ".cfg"))
    return Workspace(root, key, env)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    w = make_workspace(tmp_path_factory.mktemp("differential"))
    yield w
    w.pool.shutdown()


# --------------------------------------------------------------------------------------
# The oracle: sops's reading of a YAML text, as data.
# --------------------------------------------------------------------------------------


class NoMergeLoader(yaml.SafeLoader):
    """PyYAML's safe loader without ``<<`` merging: sops (go-yaml's node API) keeps
    ``<<`` as a key holding a copy of the anchored mapping, and prints it back as
    ``!!merge <<:``; both spellings are read here as the key ``<<``."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        return None


NoMergeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag.rsplit(":", 1)[1] not in ("merge", "value")]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
NoMergeLoader.add_constructor("tag:yaml.org,2002:merge", lambda _loader, _node: "<<")


def plain_data(value: Any) -> Any:
    """Data comparable with ``==``: NaN and timestamps made into tagged strings."""
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, (dt.datetime, dt.date)):
        return f"<time {value.isoformat()}>"
    if isinstance(value, bytes):
        return f"<bytes {value!r}>"
    if isinstance(value, dict):
        return [(plain_data(k), plain_data(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    return value


_NAMES = itertools.count()  # canonicalisation file names (next() is thread-safe)
_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


@dataclass
class Canon:
    """A YAML text taken apart (see ``canonical``, ``as_written``, ``round_trip``)."""

    text: str | None  # the text taken apart; None when it could not be read
    error: str = ""
    docs: list[Any] = field(default_factory=list)
    #: (path, what): what is "ENC:<type>" for an encrypted value, else the value as
    #: go-yaml wrote it (style character + text), "{}"/"[]" for empty collections.
    leaves: list[tuple[tuple[Any, ...], str]] = field(default_factory=list)
    #: (document, column, the entry path the comment precedes or "<end>", text); an
    #: encrypted comment's text is "ENC"; a list item ``ENC[…,type:comment]`` (how sops
    #: stores an encrypted comment inside a list) counts as a comment, not an item.
    comments: list[tuple[int, int, Any, str]] = field(default_factory=list)


def _strip_sops_block(text: str) -> str:
    """Drop the ``sops:`` metadata that canonicalisation itself appended."""
    out: list[str] = []
    skip = False
    for line in text.split("\n"):
        if line == "sops:":
            skip = True
            continue
        if skip and (line.startswith(" ") or line == ""):
            continue
        skip = False
        out.append(line)
    return "\n".join(out)


def canonical(ws: Workspace, data: bytes, *, encrypted: bool = False, indent: int = 4) -> Canon:
    """sops's reading of ``data``, re-emitted with ``indent`` (cached by content)."""
    if encrypted:
        data = re.sub(rb"(?m)^sops:", META_KEY.encode() + b":", data)
    if (data, indent) in ws.cache:
        return ws.cache[data, indent]
    folder = ws.root / f"canon{indent}"
    if not folder.is_dir():  # sops takes the indentation from .sops.yaml's stores:
        folder.mkdir(exist_ok=True)
        (folder / ".sops.yaml").write_text(f"stores:\n  yaml:\n    indent: {indent}\n")
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        result = Canon(text="")
    else:
        name = f"c{next(_NAMES)}.yaml"
        path = folder / name
        path.write_bytes(data)
        res = ws.run(
            "sops", ["encrypt", "--age", ws.key.recipient, "--encrypted-regex", NEVER, name], folder
        )
        path.unlink()
        if res.status != 0:
            result = Canon(text=None, error=res.err.strip())
        else:
            try:
                result = take_apart(_strip_sops_block(res.out.decode()))
            except yaml.YAMLError as exc:  # PyYAML cannot read what go-yaml wrote
                result = Canon(text=None, error=f"PyYAML: {exc}")
    ws.cache[data, indent] = result
    return result


def as_written(data: bytes, *, encrypted: bool = False) -> Canon:
    """A text taken apart as it stands, without sops re-reading it: for text sops itself
    emitted (go-yaml does not always read a foot comment back where its emitter put it,
    e.g. before a key one level up with no blank line between, so re-reading sops's own
    output can move a comment that sops placed right)."""
    if encrypted:
        data = re.sub(rb"(?m)^sops:", META_KEY.encode() + b":", data)
    try:
        return take_apart(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return Canon(text=None, error=f"not YAML: {exc}")


def take_apart(text: str) -> Canon:
    """The data, values and comment anchors of a YAML text (as PyYAML's events see it;
    the texts given here are go-yaml's, or sekret's encrypted file for its values)."""
    docs = [plain_data(d) for d in yaml.load_all(text, Loader=NoMergeLoader)]
    lines = _BREAKS.split(text)
    occupied: set[int] = set()
    entries: list[tuple[int, int, int, tuple[Any, ...]]] = []  # (line, col, doc, path)
    comment_items: list[tuple[int, int, int]] = []  # (line, col, doc)
    leaves: list[tuple[tuple[Any, ...], str]] = []
    doc_spans: list[tuple[int, int]] = []
    # frame: [kind, path, expecting_key_or_index, current_key, count, flow, start]
    stack: list[list[Any]] = []
    doc = -1

    def node_path() -> tuple[Any, ...] | None:
        """The path of the node that starts now, or None for a mapping key."""
        if not stack:
            return ()
        top = stack[-1]
        if top[0] == "map":
            return None if top[2] else (*top[1], top[3])
        if top[0] == "seq":
            return (*top[1], top[2])
        return ("<complex key>",)

    def done_value() -> None:
        if stack and stack[-1][0] == "map":
            stack[-1][2] = True
        elif stack and stack[-1][0] == "seq":
            stack[-1][2] += 1

    for ev in yaml.parse(text, Loader=NoMergeLoader):
        if isinstance(ev, yaml.DocumentStartEvent):
            doc += 1
            doc_spans.append((ev.start_mark.line, ev.start_mark.line))
            continue
        if isinstance(ev, yaml.DocumentEndEvent):
            doc_spans[-1] = (doc_spans[-1][0], ev.end_mark.line)
            continue
        if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            if frame[4] == 0 and frame[0] in ("map", "seq"):
                leaves.append((frame[1], "{}" if frame[0] == "map" else "[]"))
            done_value()
            continue
        if not isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            continue
        line, col = ev.start_mark.line, ev.start_mark.column
        if isinstance(ev, yaml.ScalarEvent):
            end = ev.end_mark.line + (1 if ev.end_mark.column > 0 else 0)
            occupied.update(range(line + 1, end))
        path = node_path()
        if stack and stack[-1][0] not in ("map", "seq"):  # inside a complex key
            if isinstance(ev, yaml.CollectionStartEvent):
                stack.append(["key", (), 0, None, 1, False, line])
            continue
        if path is None:  # a mapping key
            top = stack[-1]
            top[4] += 1
            if isinstance(ev, yaml.ScalarEvent):
                top[3] = ev.value
                top[2] = False
                entries.append((line, col, doc, (*top[1], ev.value)))
            else:
                top[3] = "<complex key>"
                top[2] = False
                entries.append((line, col, doc, (*top[1], "<complex key>")))
                if isinstance(ev, yaml.CollectionStartEvent):
                    stack.append(["key", (), 0, None, 1, False, line])
            continue
        if stack and stack[-1][0] == "seq":
            if isinstance(ev, yaml.ScalarEvent):
                m = ENC_RE.match(ev.value)
                if m and m.group(1) == "comment":
                    comment_items.append((line, col - 2, doc))  # the "- " column
                    continue
            stack[-1][4] += 1
            entries.append((line, col, doc, path))
        if isinstance(ev, yaml.ScalarEvent):
            m = ENC_RE.match(ev.value)
            style = ev.style or "plain"
            leaves.append((path, f"ENC:{m.group(1)}" if m else f"{style}:{ev.value}"))
            done_value()
        elif isinstance(ev, yaml.AliasEvent):
            leaves.append((path, f"alias:{ev.anchor}"))
            done_value()
        elif isinstance(ev, yaml.MappingStartEvent):
            stack.append(["map", path, True, None, 0, ev.flow_style, line])
        elif isinstance(ev, yaml.SequenceStartEvent):
            stack.append(["seq", path, 0, None, 0, ev.flow_style, line])

    def doc_of(line: int) -> int:
        for i, (_, last) in enumerate(doc_spans):
            if line <= last:
                return i
        return max(len(doc_spans) - 1, 0)

    found: list[tuple[int, int, str]] = []  # (line, col, text)
    for n, raw in enumerate(lines):
        stripped = raw.lstrip(" ")
        if n not in occupied and stripped.startswith("#"):
            body = stripped[1:]
            found.append((n, len(raw) - len(stripped), "ENC" if ENC_RE.match(body) else body))
    for line, col, _doc in comment_items:
        found.append((line, col, "ENC"))
    found.sort()
    ordered = sorted(entries)
    comments: list[tuple[int, int, Any, str]] = []
    for line, col, body in found:
        d = doc_of(line)
        nxt: Any = "<end>"
        for eline, _col, edoc, epath in ordered:
            if eline > line:
                if edoc == d:
                    nxt = tuple(epath)
                break
        comments.append((d, col, nxt, body))
    leaves = [(p, w) for p, w in leaves if not (p and p[0] == META_KEY)]
    return Canon(text=text, docs=docs, leaves=leaves, comments=comments)


# --------------------------------------------------------------------------------------
# One differential run.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A plaintext and how both tools are asked to encrypt it."""

    text: bytes
    fmt: str = "yaml"  # the input type (from the file extension)
    output: str | None = None  # --output-type for encrypt (decrypt follows the new file)
    flags: tuple[str, ...] = ()  # rule options on the command line
    config: tuple[tuple[str, str], ...] = ()  # creation-rule entries, in .sops.yaml


def _short(data: bytes | str, limit: int = 600) -> str:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "…")


def assert_clean_refusal(res: Result) -> None:
    """(d) a refusal is one ``sekret: error:`` line (hints allowed), no traceback, no
    internal error, nothing on stdout."""
    lines = res.err.strip("\n").split("\n")
    errors = [line for line in lines if line.startswith("sekret: error:")]
    others = [line for line in lines if not line.startswith(("sekret: error:", "sekret: hint:"))]
    assert res.out == b"" and len(errors) == 1 and not others, f"unclean refusal: {res.err!r}"
    assert "internal error" not in errors[0] and "Traceback" not in res.err, (
        f"sekret crashed: {res.err!r}"
    )


def _json_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        if not value:
            return [(path, "{}")]
        return [x for k, v in value.items() for x in _json_leaves(v, (*path, k))]
    if isinstance(value, list):
        if not value:
            return [(path, "[]")]
        return [x for i, v in enumerate(value) for x in _json_leaves(v, (*path, i))]
    if isinstance(value, str) and (m := ENC_RE.match(value)):
        return [(path, f"ENC:{m.group(1)}")]
    return [(path, f"clear:{json.dumps(value)}")]


def differential(ws: Workspace, case: Case) -> None:
    """Run both tools on ``case`` and assert (a)-(d)."""
    d = ws.case_dir()
    try:
        _differential(ws, case, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _differential(ws: Workspace, case: Case, d: Path) -> None:
    plain = f"plain.{case.fmt}"
    (d / plain).write_bytes(case.text)
    args = ["encrypt", *case.flags]
    if case.config:
        rule = {"age": ws.key.recipient, **dict(case.config)}
        (d / ".sops.yaml").write_text(yaml.safe_dump({"creation_rules": [rule]}))
    else:
        args += ["--age", ws.key.recipient]
    if case.output:
        args += ["--output-type", case.output]
    out_fmt = case.output or case.fmt
    f_sek, f_sops = f"sek.enc.{out_fmt}", f"sops.enc.{out_fmt}"

    def made_by(maker: str) -> tuple[Result, dict[str, Result], Canon | None]:
        """One tool's encryption, both decryptions of its file, and (for sekret's file)
        sops's round trip of what sekret decrypts it to; each step starts as soon as
        what it needs exists."""
        res = ws.run(maker, [*args, plain], d)
        if res.status != 0:
            return res, {}, None
        name = f_sek if maker == "sekret" else f_sops
        (d / name).write_bytes(res.out)
        jobs = {r: ws.pool.submit(ws.run, r, ["decrypt", name], d) for r in ("sekret", "sops")}
        rt = None
        if maker == "sekret" and out_fmt == "yaml" and jobs["sekret"].result().status == 0:
            rt = round_trip(ws, d, args, jobs["sekret"].result().out)
        return res, {r: j.result() for r, j in jobs.items()}, rt

    chains: dict[str, Future[tuple[Result, dict[str, Result], Canon | None]]] = {
        m: ws.pool.submit(made_by, m) for m in ("sekret", "sops")
    }
    done = {m: c.result() for m, c in chains.items()}
    enc = {m: r[0] for m, r in done.items()}
    if enc["sekret"].status != 0:
        assert_clean_refusal(enc["sekret"])
        if DELIBERATE_REFUSALS.search(enc["sekret"].err):
            return  # a README "deliberate difference": sops would change the value
        # (d) sekret must not refuse what sops encrypts into a file sops can read (sops
        # sometimes writes a file it cannot read back)
        readable = enc["sops"].status == 0 and done["sops"][1]["sops"].status == 0
        assert not readable, f"sekret refused what sops encrypts: {enc['sekret'].err.strip()!r}"
        return
    files = {m: f_sek if m == "sekret" else f_sops for m in enc if enc[m].status == 0}
    if "sops" in files and done["sops"][1]["sops"].status != 0:
        # sops wrote a file it cannot read back itself (e.g. `a: -0.0` left in the clear:
        # its MAC hashes "-0" but the file says `-0`, an integer). That is sops's bug; the
        # file is genuinely inconsistent, so sekret must refuse it too, cleanly.
        own = done["sops"][1]["sops"]
        assert_clean_refusal(done["sops"][1]["sekret"])
        assert "MAC" not in own.err or "MAC" in done["sops"][1]["sekret"].err, own.err
        del files["sops"]
    dec = {(m, r): res for m in files for r, res in done[m][1].items()}
    if out_fmt == "yaml" and "sops" in files and _sops_made_items_of_empty_comments(case, dec):
        return  # the README's deliberate difference "empty-list-comment"
    # (d) every file either tool wrote is read by both
    for (maker, reader), res in dec.items():
        assert res.status == 0, (
            f"{reader} cannot decrypt the file {maker} wrote: {res.err.strip()!r}\n"
            f"file: {_short(enc[maker].out)}"
        )
    ref_key = ("sops", "sops") if "sops" in files else ("sekret", "sops")
    ref = dec[ref_key]

    if out_fmt == "json":
        want = json.loads(ref.out, object_pairs_hook=list)  # sops keeps a repeated key
        for k, res in dec.items():
            # (a) the same data
            assert json.loads(res.out, object_pairs_hook=list) == want, (
                f"(a) {k[1]} decrypting {k[0]}'s file: {_short(res.out)} != {_short(ref.out)}"
            )
        if "sops" in files:
            ours = _json_leaves(json.loads(enc["sekret"].out))
            theirs = _json_leaves(json.loads(enc["sops"].out))
            ours = [x for x in ours if x[0][:1] != ("sops",)]
            theirs = [x for x in theirs if x[0][:1] != ("sops",)]
            # (b) the same values encrypted, with the same type
            assert ours == theirs, f"(b) encrypted leaves differ: sekret {ours} sops {theirs}"
        return

    if out_fmt != "yaml":
        for k, res in dec.items():
            assert res.out == ref.out, f"{k}: {_short(res.out)} != {_short(ref.out)}"
        return

    # How sops reads each decryption (data, and the entry each comment precedes). A text
    # sops printed is taken as written: re-reading it could move a foot comment (go-yaml
    # does not read every foot comment back where its emitter put it). The text sekret
    # printed from its own file keeps the user's layout (inline comments, indentation,
    # blank lines), so it goes through sops's own round trip with the same rules, which
    # applies to it exactly what sops applied to the input.
    kk = ("sekret", "sekret")
    data_jobs = {
        k: ws.pool.submit(canonical, ws, r.out)
        for k, r in dec.items()
        if k != kk and k[1] == "sekret" and r.out != ref.out
    }
    reading = {k: as_written(r.out) for k, r in dec.items() if k != kk}
    rt = done["sekret"][2]
    assert rt is not None
    reading[kk] = rt
    data = {k: data_jobs[k].result() if k in data_jobs else c for k, c in reading.items()}
    want = reading[ref_key]
    for k, res in dec.items():
        who = f"{k[1]} decrypting {k[0]}'s file"
        if want.text is None:  # PyYAML cannot read what sops printed: compare bytes
            assert res.out == ref.out, f"(a) {who}: {_short(res.out)} != {_short(ref.out)}"
            continue
        got = data[k]
        # (a) sops reads every decryption as the same data
        assert got.text is not None, (
            f"(a) sops cannot read the YAML {who} printed: {got.error!r}\n"
            f"printed: {_short(res.out)}\nsops decrypt: {_short(ref.out)}"
        )
        through_sops = k in data_jobs or k == kk  # (read by sops's own round trip)
        norm = _empty_docs_as_maps if through_sops else list
        assert norm(got.docs) == norm(want.docs), (
            f"(a) {who}: data {got.docs!r}\n  != sops's {want.docs!r}\n"
            f"printed: {_short(res.out)}\nsops decrypt: {_short(ref.out)}"
        )
        # (c) every comment before the same entry
        ours_c, theirs_c = reading[k].comments, want.comments
        if not comments_match(ours_c, theirs_c, ours_wild=k == kk) and k != kk:
            # sops's printer moves a comment in some layouts (a list's head comment and
            # its first item's, a comment opening a list in a list: go-yaml writes one
            # node's head comment where another's is read back): as sops reads each text,
            # the comments must then be where sops puts them reading the plaintext
            # (sops's own file was read after its printer moved them)
            if k[1] == "sekret":
                ours_c = data[k].comments
            else:
                theirs_c = canonical(ws, case.text).comments
        assert comments_match(ours_c, theirs_c, ours_wild=k == kk), (
            f"(c) {who}: comments {ours_c!r}\n  != sops's {theirs_c!r}\n"
            f"printed: {_short(res.out)}\nsops decrypt: {_short(ref.out)}"
        )
    if "sops" in files:
        ours, theirs = leaf_kinds(ws, enc["sekret"].out), leaf_kinds(ws, enc["sops"].out)
        # (b) the same values encrypted (same type) and the same left in clear
        assert ours == theirs, (
            f"(b) encrypted/clear values differ:\n  sekret {ours!r}\n  sops   {theirs!r}\n"
            f"sekret's file: {_short(enc['sekret'].out)}"
        )
        # (b) the same comments left in clear (every other comment is encrypted)
        ours_cc = clear_comments(ws, enc["sekret"].out)
        theirs_cc = clear_comments(ws, enc["sops"].out)
        assert ours_cc == theirs_cc, (
            f"(b) comments in clear differ: sekret {ours_cc!r} sops {theirs_cc!r}\n"
            f"sekret's file: {_short(enc['sekret'].out)}"
        )


def _empty_docs_as_maps(docs: list[Any]) -> list[Any]:
    """Documents with a null one read as an empty mapping: sops prints a document ``{}``
    but its own round trip of that text gives an empty document (null), so through sops
    the two are one."""
    return [[] if d is None else d for d in docs]


EMPTY_COMMENT_LINE = re.compile(rb"(?m)^[ \t]*#[ \t]*\r?$")


def _sops_made_items_of_empty_comments(case: Case, dec: dict[tuple[str, str], Result]) -> bool:
    """Whether the only difference of sops's data from sekret's is ``""`` items where the
    plaintext has empty comment lines: sops stores a comment in a list as an item, and an
    empty one as the item ``""`` (README, "empty-list-comment")."""
    if not EMPTY_COMMENT_LINE.search(case.text):
        return False
    ours = as_written(dec[("sekret", "sekret")].out)
    theirs = as_written(dec[("sops", "sops")].out)
    if ours.text is None or theirs.text is None or ours.docs == theirs.docs:
        return False
    return _without_empty_items(ours.docs) == _without_empty_items(theirs.docs)


def _without_empty_items(x: Any) -> Any:
    """Data with every ``""`` list item left out (mappings are lists of pairs here)."""
    if isinstance(x, list):
        return [_without_empty_items(i) for i in x if i != ""]
    if isinstance(x, tuple):
        return tuple(_without_empty_items(i) for i in x)
    return x


def round_trip(ws: Workspace, d: Path, args: list[str], data: bytes) -> Canon:
    """sops's own round trip of a plaintext (encrypt with ``args``, then decrypt), taken
    apart: how sops reads a text in the user's layout, quirks included."""
    name = f"rt{next(_NAMES)}.yaml"
    (d / name).write_bytes(data)
    res = ws.run("sops", [*args, name], d)
    if res.status != 0:
        return Canon(text=None, error=res.err.strip())
    (d / f"enc.{name}").write_bytes(res.out)
    res = ws.run("sops", ["decrypt", f"enc.{name}"], d)
    if res.status == 51:
        # a MAC mismatch in a file sops has just written is sops's own bug (a -0.0 left in
        # the clear is hashed "-0", read back as the integer 0): how sops reads the text
        # is still what it decrypts, past the MAC
        res = ws.run("sops", ["decrypt", "--ignore-mac", f"enc.{name}"], d)
    if res.status != 0:
        return Canon(text=None, error=res.err.strip())
    return as_written(res.out)


def comments_match(
    ours: list[Any], theirs: list[Any], *, ours_wild: bool = False, theirs_wild: bool = True
) -> bool:
    """Whether two comment lists agree. In a text from sops's own round trip (``*_wild``)
    a comment sops could not decrypt matches any one comment, wherever it is: sops's
    re-emission can put a comment under another key, whose path is another AAD, and
    sops then warns and prints ``#ENC[…]``. Elsewhere ``#ENC[…]`` is a comment the reader
    could not decrypt, which must match exactly."""
    wild_ours = sum(c[3] == "ENC" for c in ours) if ours_wild else 0
    wild_theirs = sum(c[3] == "ENC" for c in theirs) if theirs_wild else 0
    if not wild_ours and not wild_theirs:
        return ours == theirs
    left = Counter(c for c in ours if not (ours_wild and c[3] == "ENC"))
    right = Counter(c for c in theirs if not (theirs_wild and c[3] == "ENC"))
    return (
        len(ours) == len(theirs)
        and (left - right).total() <= wild_theirs
        and (right - left).total() <= wild_ours
    )


def leaf_kinds(ws: Workspace, data: bytes) -> list[tuple[tuple[Any, ...], str]]:
    """(path, "ENC:<type>" | "clear" | "{}" | "[]") of every value of an encrypted YAML
    file, read as written, or as sops reads it where PyYAML cannot scan the text (a tab
    after a colon); sops's ``- ENC[…,type:comment]`` list items are comments."""
    c = as_written(data, encrypted=True)
    if c.text is None:
        c = canonical(ws, data, encrypted=True)
    assert c.text is not None, f"an encrypted file sops cannot read: {c.error}"
    return [(p, w if w.startswith("ENC:") or w in ("{}", "[]") else "clear") for p, w in c.leaves]


def clear_comments(ws: Workspace, data: bytes) -> list[str]:
    """The comments an encrypted YAML file left in clear, sorted (every other comment is
    an ``ENC[…]``): read from the text, or as sops reads it where PyYAML cannot scan it."""
    found = comment_texts(data)
    if found is None:
        c = canonical(ws, data, encrypted=True)
        assert c.text is not None, f"an encrypted file sops cannot read: {c.error}"
        found = [x[3] for x in c.comments]
    return sorted(t for t in found if t != "ENC" and not ENC_RE.match(t.strip()))


_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*")


def comment_texts(data: bytes) -> list[str] | None:
    """Every comment of a YAML text, on its own line or after a value: the text outside
    PyYAML's tokens from a ``#`` that starts the line or follows a blank. None when
    PyYAML cannot scan the text."""
    try:
        text = data.decode("utf-8")
        tokens = list(yaml.scan(text, Loader=NoMergeLoader))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None
    lines = _BREAKS.split(text)
    covered: list[list[tuple[int, int]]] = [[] for _ in lines]

    def cover(line: int, start: int, end: int) -> None:
        if 0 <= line < len(lines):
            covered[line].append((start, end))

    for tok in tokens:
        sm, em = tok.start_mark, tok.end_mark
        if isinstance(tok, yaml.ScalarToken) and tok.style in ("|", ">"):
            head = _BLOCK_HEADER.match(lines[sm.line], sm.column)
            cover(sm.line, sm.column, head.end() if head else sm.column + 1)
            first = sm.line + 1  # the header line's comment is not in the token
        else:
            first = sm.line
            cover(sm.line, sm.column, em.column if em.line == sm.line else 1 << 30)
        for n in range(max(first, sm.line + 1), em.line):
            cover(n, 0, 1 << 30)
        if em.line > sm.line:
            cover(em.line, 0, em.column)
    found = []
    for n, line in enumerate(lines):
        for col, ch in enumerate(line):
            if ch != "#" or any(a <= col < b for a, b in covered[n]):
                continue
            if col == 0 or line[col - 1] in " \t":
                found.append(line[col + 1 :])
                break
    return found


# --------------------------------------------------------------------------------------
# Generated YAML documents.
# --------------------------------------------------------------------------------------

PLAIN_KEYS = ["a", "b", "c", "s", "pw", "key", "x_u", "pw_u", "ключ", "é", "k y", "k-1", "😀"]
QUOTED_KEYS = [
    '"a: b"',
    "'#x'",
    '""',
    '"true"',
    '"null"',
    '"1"',
    "'- y'",
    '"@at"',
    '"k\\"q"',
    '"tab\\tkey"',
    "'it''s'",
    "? q",
]
#: Keys go-yaml reads as an int, bool, null or time: sops refuses them ("non-string key").
NON_STRING_KEYS = ["1", "true", "null", "~", "2001-12-14"]
PLAIN_VALUES = [
    "x",
    "hello world",
    "0",
    "-1",
    "42",
    "123456789012345678901234567890",
    "9223372036854775807",
    "-9223372036854775809",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "1.5",
    "-0.0",
    "1e3",
    "6.02e+23",
    ".inf",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    "true",
    "false",
    "True",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "null",
    "~",
    "Null",
    "2001-12-14t21:59:43.10-05:00",
    "2002-12-14",
    "2001-12-14 21:59:43.10 -5",
    "2024-01-02T10:00:00Z",
    "12:30:00",
    "1:20",
    "a#b",
    "x:y",
    "é",
    "日本語",
    "😀 𝄞",
    "a b  c",
    "-x",
    "<<",
    "=",
    "x\ty",
    "trailing\t",
    "%x",
    "a'b",
    'a"b',
]
SINGLE_VALUES = [
    "''",
    "'it''s'",
    "' lead'",
    "'# no comment'",
    "'x: y'",
    "'😀'",
    "'a\tb'",
    "'true'",
    "'1'",
    "'two  spaces'",
    "'a\\nb'",
]
FLOW_VALUES = [
    "[]",
    "{}",
    "[1, x]",
    "{a: 1, b: [2]}",
    "[{}]",
    "[[]]",
    "[a, b, ]",
    "[null, ~]",
    "{a: }",
    "[\"q\", 'r']",
    "{x: {y: z}}",
]
COMMENTS = [
    " c",
    "",
    " keep",
    " keep this",
    " sops:enc",
    "#",
    " ünï 😀",
    "\ttab",
    " trailing ",
    " a: b",
    " - x",
    " --- ",
    "!",
]
ESCAPES = {
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}

texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(["\0", "\t", "\n", "\x1b", "\x7f", "\x85", "\ufeff", "😀", "𝄞", "é"]),
    max_size=8,
)


@st.composite
def double_quoted(draw: st.DrawFn) -> str:
    """Any text, in double quotes with every escape form YAML has."""
    out = []
    for ch in draw(texts):
        form = draw(st.integers(0, 3))  # 0: as is where it can be, else a named escape
        if form == 0 and ch.isprintable() and ch not in '"\\\ufeff':
            out.append(ch)
        elif form <= 1 and ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif form <= 2 and ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


@dataclass
class Ctx:
    """What the document renderer has decided so far."""

    step: int  # indentation step
    indentless: bool  # "key:\n- item" sequences
    anchors: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    n: int = 0


def _comment(draw: st.DrawFn) -> str:
    return "#" + draw(st.sampled_from(COMMENTS))


def _inline(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) < 4:  # rare features at the high end: shrinking drops them
        return ""
    return draw(st.sampled_from([" ", "  ", "\t"])) + _comment(draw)


def _head(draw: st.DrawFn, indent: int) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
        col = draw(st.sampled_from([indent, indent, 0]))
        lines.append(" " * col + _comment(draw))
    if draw(st.integers(0, 5)) == 5:
        lines.append("")
    return lines


def _block_scalar(draw: st.DrawFn, indent: int, ctx: Ctx) -> tuple[str, list[str]]:
    content_indent = indent + ctx.step
    header = draw(st.sampled_from("|>")) + draw(st.sampled_from(["", "-", "+"]))
    if draw(st.integers(0, 3)) == 3:
        header += str(ctx.step)
    lines = draw(
        st.lists(
            st.sampled_from(
                [
                    "x",
                    "line two",
                    "  more indented",
                    "# not a comment",
                    "",
                    "a: b",
                    "tab\there",
                    "😀",
                    "trailing ",
                    "- y",
                ]
            ),
            min_size=1,
            max_size=4,
        )
    )
    if not (("|" in header and header[1:].isdigit()) or any(c.isdigit() for c in header)):
        while lines and lines[0].startswith(" "):  # a leading indented line needs the digit
            lines.pop(0)
    body = [(" " * content_indent + ln) if ln else "" for ln in lines]
    body += [""] * draw(st.integers(0, 2))  # blank lines after the scalar
    return " " + header + _inline(draw), body


def _scalar(draw: st.DrawFn, ctx: Ctx) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 5:
        token = draw(st.sampled_from(PLAIN_VALUES))
    elif kind < 6:
        token = draw(st.sampled_from(SINGLE_VALUES))
    elif kind < 8:
        token = draw(double_quoted())
    elif kind < 9:
        token = draw(st.sampled_from(FLOW_VALUES))
    else:
        token = draw(st.sampled_from(["", "null", "~", '""']))
    if token and draw(st.integers(0, 9)) == 9:
        ctx.n += 1
        ctx.anchors.append((f"s{ctx.n}", "scalar"))
        token = f"&s{ctx.n} {token}"
    return token


def _value(
    draw: st.DrawFn, indent: int, depth: int, ctx: Ctx, *, in_seq: bool
) -> tuple[str, list[str]]:
    """What follows ``key:`` or ``-`` on its line, and the lines after it."""
    kind = draw(st.integers(0, 11)) if depth < 3 else draw(st.integers(0, 5))
    if kind <= 3:  # a scalar on the line
        token = _scalar(draw, ctx)
        sep = draw(st.sampled_from([" ", " ", " ", "\t"])) if token else ""
        return sep + token + _inline(draw), []
    if kind == 4 and ctx.anchors:
        name, _ = draw(st.sampled_from(ctx.anchors))
        return f" *{name}" + _inline(draw), []
    if kind == 5:
        return _block_scalar(draw, indent, ctx)
    anchor = ""
    if draw(st.integers(0, 5)) == 5:
        ctx.n += 1
        anchor = f" &m{ctx.n}"
    on_line = anchor + _inline(draw)
    if kind <= 8:
        lines = _mapping(draw, indent + ctx.step, depth + 1, ctx)
    else:
        child = indent if (ctx.indentless and not in_seq) else indent + ctx.step
        lines = _sequence(draw, child, depth + 1, ctx)
    if anchor:  # an alias may follow the anchored node, not be inside it
        ctx.anchors.append((anchor[2:], "map" if kind <= 8 else "seq"))
    return on_line, lines


def _mapping(draw: st.DrawFn, indent: int, depth: int, ctx: Ctx) -> list[str]:
    one_key = st.integers(0, 19).flatmap(
        lambda n: st.sampled_from(
            PLAIN_KEYS if n < 15 else QUOTED_KEYS if n < 19 else NON_STRING_KEYS
        )
    )
    keys = draw(st.lists(one_key, min_size=1, max_size=4, unique=True))
    lines: list[str] = []
    pad = " " * indent
    for key in keys:
        lines += _head(draw, indent)
        maps = [name for name, kind in ctx.anchors if kind == "map"]
        if maps and draw(st.integers(0, 6)) == 6:
            lines.append(f"{pad}<<: *{draw(st.sampled_from(maps))}" + _inline(draw))
        if key.startswith("? "):
            lines.append(f"{pad}{key}")
            key = ""
        on_line, after = _value(draw, indent, depth, ctx, in_seq=False)
        lines.append(f"{pad}{key}:{on_line}")
        lines += after
    lines += _foot(draw, indent)
    return lines


def _foot(draw: st.DrawFn, indent: int) -> list[str]:
    if draw(st.integers(0, 3)) < 3:
        return []
    blank = [""] if draw(st.booleans()) else []
    return [*blank, " " * draw(st.sampled_from([indent, 0])) + _comment(draw)]


def _sequence(draw: st.DrawFn, indent: int, depth: int, ctx: Ctx) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(draw(st.integers(1, 3))):
        lines += _head(draw, indent)
        kind = draw(st.integers(0, 9))
        if kind == 7:  # a null item: "-", "- ", "- # c"
            lines.append(pad + "-" + draw(st.sampled_from(["", " ", " #c", " # keep"])))
        elif kind == 8 and depth < 3:  # compact nested mapping "- k: v"
            sub = _mapping(draw, indent + 2, depth + 1, ctx)
            first = next(
                i for i, ln in enumerate(sub) if ln.strip() and not ln.strip().startswith("#")
            )
            lines += [ln for ln in sub[:first] if ln.strip()]
            lines.append(pad + "- " + sub[first][indent + 2 :])
            lines += sub[first + 1 :]
        elif kind == 9 and depth < 3:  # compact nested sequence "- - x"
            sub = _sequence(draw, indent + 2, depth + 1, ctx)
            first = next(
                i for i, ln in enumerate(sub) if ln.strip() and not ln.strip().startswith("#")
            )
            lines += [ln for ln in sub[:first] if ln.strip()]
            lines.append(pad + "- " + sub[first][indent + 2 :])
            lines += sub[first + 1 :]
        else:
            on_line, after = _value(draw, indent, depth, ctx, in_seq=True)
            lines.append(pad + "-" + on_line)
            lines += after
    lines += _foot(draw, indent)
    return lines


@st.composite
def yaml_texts(draw: st.DrawFn) -> bytes:
    """A YAML stream of 1-3 documents, with the odd things go-yaml and sekret meet."""
    out: list[str] = []
    if draw(st.integers(0, 4)) == 4:
        out.append(_comment(draw))
    docs = draw(st.integers(1, 3)) if draw(st.integers(0, 2)) == 2 else 1
    for i in range(docs):
        ctx = Ctx(step=draw(st.sampled_from([2, 4, 4, 3])), indentless=draw(st.booleans()))
        if i or draw(st.integers(0, 3)) == 3:
            out.append("---" + draw(st.sampled_from(["", "", " # doc"])))
        shape = draw(st.integers(0, 12))
        if shape == 11:
            pass  # an empty document
        elif shape == 12:
            out.append("{}")
        else:
            out += _mapping(draw, 0, 0, ctx)
        if draw(st.integers(0, 6)) == 6:
            out.append("...")
    if draw(st.integers(0, 4)) == 4:
        out.append(_comment(draw))
    text = "\n".join(out) + draw(st.sampled_from(["\n", "\n", "\n", "", "\n\n"]))
    if draw(st.integers(0, 8)) == 8:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 8)) == 8:
        text = "\ufeff" + text
    return text.encode()


@st.composite
def yaml_cases(draw: st.DrawFn, variants: bool) -> Case:
    text = draw(yaml_texts())
    if not variants:
        return Case(text)
    flags: tuple[str, ...] = ()
    config: tuple[tuple[str, str], ...] = ()
    v = draw(st.integers(0, 4))
    if v == 0:
        flags = ("--unencrypted-suffix", "_u")
    elif v == 1:
        flags = ("--encrypted-regex", "^(s|pw|key)")
    elif v == 2:
        flags = ("--unencrypted-regex", "^(a|pw)")
    elif v == 3:
        config = (("unencrypted_comment_regex", "keep"),)
    else:
        config = (("encrypted_comment_regex", "sops:enc"),)
    return Case(text, flags=flags, config=config)


# --------------------------------------------------------------------------------------
# Generated JSON documents.
# --------------------------------------------------------------------------------------

JSON_NUMBERS = [
    "0",
    "-0",
    "1",
    "-1",
    "1.0",
    "1.5",
    "-0.0",
    "1e3",
    "1E-7",
    "6.02e+23",
    "123456789012345678901234567890",
    "9007199254740993",
    "0.1",
    "1e400",
]
JSON_STRINGS = [
    '""',
    '"x"',
    '"\\/"',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud83d\\ude00"',
    '"\\uD834\\uDD1E"',
    '"\\b\\f\\n\\r\\t"',
    '"ENC"',
    '"\\"q\\""',
    '"\\\\"',
    '"😀 é"',
    '"\\u00e9"',
    '"<>&"',
    '"line\\nbreak"',
]


@st.composite
def json_values(draw: st.DrawFn, depth: int = 0) -> Any:
    """A JSON value as a token tree: ("obj", [(key, v)]), ("arr", [v]) or a token."""
    kind = draw(st.integers(0, 9)) if depth < 3 else draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(JSON_NUMBERS))
    if kind == 1:
        return draw(st.sampled_from(["true", "false", "null"]))
    if kind == 2:
        return draw(st.sampled_from(JSON_STRINGS))
    if kind <= 5:
        return json.dumps(draw(texts), ensure_ascii=draw(st.booleans()))
    if kind <= 7:
        keys = draw(
            st.lists(
                st.sampled_from(
                    [
                        '"a"',
                        '"b"',
                        '"s"',
                        '"pw"',
                        '"x_u"',
                        '""',
                        '"a\\\\b"',
                        '"q\\"k"',
                        '"é"',
                        '"\\u00e9"',
                        '"😀"',
                        '"sops_"',
                    ]
                ),
                max_size=4,
            )
        )  # duplicates allowed: sops keeps every one
        return ("obj", [(k, draw(json_values(depth + 1))) for k in keys])
    return ("arr", draw(st.lists(json_values(depth + 1), max_size=3)))


def render_json(value: Any, indent: str | None, level: int = 0) -> str:
    if isinstance(value, str):
        return value
    kind, items = value
    o, c = "{}" if kind == "obj" else "[]"
    if not items:
        return o + c
    if kind == "obj":
        parts = [f"{k}: {render_json(v, indent, level + 1)}" for k, v in items]
    else:
        parts = [render_json(v, indent, level + 1) for v in items]
    if indent is None:
        return o + ", ".join(parts) + c
    inner = "\n" + indent * (level + 1)
    return o + inner + ("," + inner).join(parts) + "\n" + indent * level + c


@st.composite
def json_cases(draw: st.DrawFn) -> Case:
    top = draw(st.integers(0, 15))
    if top == 15:
        text = draw(st.sampled_from(["[{}]", "42", "", "null", "[]", "{} {}", "{"]))
    else:
        keys = draw(
            st.lists(st.sampled_from(['"a"', '"b"', '"s"', '"pw_u"', '"é"', '""']), max_size=4)
        )
        obj = ("obj", [(k, draw(json_values(1))) for k in keys])
        text = render_json(obj, draw(st.sampled_from([None, "\t", "  ", "    "])))
        text += draw(st.sampled_from(["\n", "", "\r\n", "  \n"]))
    output = draw(st.sampled_from([None, None, "yaml"]))
    flags = draw(st.sampled_from([(), (), ("--encrypted-regex", "^(s|pw)")]))
    return Case(text.encode(), fmt="json", output=output, flags=flags)


# --------------------------------------------------------------------------------------
# The tests.
# --------------------------------------------------------------------------------------

COMMON = {
    "deadline": None,
    "database": None,  # no example database: every run is the same search, CI included
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    # one failure per test, shrunk: a failing run stays short (each try is ~6 processes)
    "report_multiple_bugs": False,
}
KEEP = (("unencrypted_comment_regex", "keep"),)


@settings(
    phases=[Phase.explicit],
    verbosity=Verbosity.verbose,  # every failing example reported, not one per assert line
    **{**COMMON, "report_multiple_bugs": True},
)
@given(case=yaml_cases(variants=True))
@example(case=Case(b"a:\nb: 1\n"))  # sekret wrote "a:null"
@example(case=Case("\ufeffa: 1\n".encode()))  # a UTF-8 BOM
@example(case=Case(b"a: 1\n...\n"))  # the document end marker
@example(case=Case(b"a:\n- \n- x\n"))  # a list item with no value ("-null")
@example(case=Case(b"l:\n-\n-\n"))  # a list of nulls, "-" alone
@example(case=Case(b"a: |+\n  x\n\nb: 1\n"))  # keep chomping gained a newline
@example(case=Case(b"a: 1 # keep\nb: 2\n", config=KEEP))  # whose is the inline comment
@example(case=Case(b"{}\n"))
@example(case=Case(b"---\n"))
@example(case=Case(b'a: "a\\0b"\n'))  # NUL, escaped in double quotes
@example(case=Case(b"[{}]", fmt="json", output="yaml"))  # both refuse a top-level array
@example(case=Case(b'{"a": [{}]}', fmt="json", output="yaml"))  # [{}] converted to YAML
# minimal inputs the generated search found (see the report of the tests' first runs)
@example(case=Case(b"l:\n  - x\n  - y # iy\n"))  # an item's line comment: its AAD
@example(case=Case(b"u: [[]] # s\n"))  # a flow sequence's line comment goes inside it
@example(case=Case(b"a:\n  b: 1\n  # foot\nc: 2\n"))  # a mapping's foot comment: its AAD
@example(case=Case(b"e: # c\nf: 1\n"))  # a null value's line comment belongs before e
@example(case=Case("\ufeff# c\nk: 1\n".encode()))  # the first comment after a BOM
@example(case=Case(b"l:\n    # head\n    - k: v # inl\n      k2: v2\n"))  # two comments
@example(case=Case(b"y:\n-\n#b\n - y\n"))  # sops's "- - ENC[…,type:comment]"
@example(case=Case(b"q:\n- ''\n#x\n"))  # sops's trailing comment item of a list
@example(case=Case(b'u: "\\u0081"\n'))  # a C1 control character
@example(case=Case(b'{"a": 0}', fmt="json", output="yaml", flags=("--encrypted-regex", "^s")))
@example(case=Case(b'{"a": [{"b": null}]}', fmt="json", output="yaml"))  # a null in a list
@example(case=Case(b'{"a": 1e400}', fmt="json"))  # beyond float64: no tool reads the file
@example(case=Case(b"a: -0.0\n", flags=("--encrypted-regex", "^s")))  # sops: MAC "-0", file -0
@example(case=Case(b"a:\n  # c\n  a: x\nb: -0.0\n", flags=("--encrypted-regex", "^s")))
@example(case=Case(b"a:\t-0.0\n", flags=("--encrypted-regex", "^s")))
@example(case=Case(b"a:\n  #\n  - x\n"))  # README: empty-list-comment
@example(case=Case(b"a: x\n---\n---\na: <<\n", flags=("--unencrypted-suffix", "_u")))
def test_pinned_inputs(ws: Workspace, case: Case) -> None:
    differential(ws, case)


@settings(max_examples=25, **COMMON)
@given(case=yaml_cases(variants=False))
def test_yaml_default_rules(ws: Workspace, case: Case) -> None:
    differential(ws, case)


@settings(max_examples=15, **COMMON)
@given(case=yaml_cases(variants=True))
def test_yaml_rule_variants(ws: Workspace, case: Case) -> None:
    differential(ws, case)


@settings(max_examples=15, **COMMON)
@given(case=json_cases())
def test_json_documents(ws: Workspace, case: Case) -> None:
    differential(ws, case)
