"""The documents of sops's store tests (sops_store_cases.toml), through sekret and sops.

Each case is encrypted once by each tool (same age key, same rules) and each file is
decrypted by both tools; the three tests then look at one direction each, so a failure
names the direction:

- ``test_sekret_encrypts``: sekret's file is read by sops and by sekret, both to the data
  sops reads from its own file, and ``sekret decrypt`` matches ``sops decrypt`` of that
  same file (bytes or data, as the case says and why);
- ``test_sops_encrypts``: sops's file is read by sekret, matching ``sops decrypt`` (bytes
  or data), and sops's round trip is the one the Go test expects (``sops_out``);
- ``test_same_decisions``: the same values encrypted (same ``type:``), the same left in
  clear (``clear`` when the case names them), the same comments encrypted, each before
  the same key, as sops reads the two files.

A case sops refuses must be refused by sekret with one clean ``sekret: error:`` line; a
file without metadata must be refused by both decrypts. YAML "data" comparisons use the
oracle of ``tests/sops/test_differential.py``: a text sops printed is taken as written,
the text sekret printed from its own file goes through sops's own round trip, and a
comment sops could not decrypt in its own round trip (``#ENC[…]``) matches any comment.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sops.conftest import Result
from tests.sops.test_differential import (
    Workspace,
    _json_leaves,
    as_written,
    assert_clean_refusal,
    canonical,
    clear_comments,
    comments_match,
    leaf_kinds,
    make_workspace,
    round_trip,
)

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).with_name("sops_store_cases.toml")).read_text(encoding="utf-8")
)["case"]
IDS = [c["id"] for c in CASES]
assert len(set(IDS)) == len(IDS), "case ids are unique"
MODES = {"bytes", "data"}
EXTENSIONS = {"dotenv": "env", "yaml": "yaml", "json": "json", "ini": "ini"}
for _c in CASES:
    assert {_c["sops_file"], _c["sekret_file"]} <= MODES and _c["why"].strip(), _c["id"]


@dataclass
class Outcome:
    """Both encryptions of a case and every decryption of them."""

    case: dict[str, Any]
    enc: dict[str, Result]  # tool -> encrypt result
    dec: dict[tuple[str, str], Result]  # (maker, reader) -> decrypt result
    ws: Workspace
    folder: Path  # where the case ran (its .sops.yaml, if any)
    args: list[str]  # the encrypt command both tools ran, without the file

    @property
    def indent(self) -> int:
        return int(self.case.get("stores", {}).get("yaml", {}).get("indent", 4))

    @property
    def fmt(self) -> str:
        return str(self.case.get("output") or self.case["format"])


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    w = make_workspace(tmp_path_factory.mktemp("store-cases"))
    yield w
    w.pool.shutdown()


_OUTCOMES: dict[str, Outcome] = {}


def outcome(ws: Workspace, case: dict[str, Any]) -> Outcome:
    """Run a case once (both encryptions, four decryptions), two processes at a time."""
    if case["id"] in _OUTCOMES:
        return _OUTCOMES[case["id"]]
    d = ws.case_dir()
    ext = EXTENSIONS.get(case["format"], case["format"])
    (d / f"plain.{ext}").write_bytes(case["input"].encode("utf-8"))
    args = ["encrypt"]
    if case.get("rule") or case.get("stores"):
        cfg: dict[str, Any] = {
            "creation_rules": [{"age": ws.key.recipient, **case.get("rule", {})}]
        }
        if case.get("stores"):
            cfg["stores"] = case["stores"]
        (d / ".sops.yaml").write_text(yaml.safe_dump(cfg))
    else:
        args += ["--age", ws.key.recipient]
    if case.get("output"):
        args += ["--output-type", case["output"]]
    out_ext = EXTENSIONS.get(case.get("output") or "", ext)
    if case.get("plain_decrypt"):
        jobs = {
            t: ws.pool.submit(ws.run, t, ["decrypt", f"plain.{ext}"], d) for t in ("sekret", "sops")
        }
        res = Outcome(case, {t: j.result() for t, j in jobs.items()}, {}, ws, d, args)
        _OUTCOMES[case["id"]] = res
        return res
    jobs = {t: ws.pool.submit(ws.run, t, [*args, f"plain.{ext}"], d) for t in ("sekret", "sops")}
    enc = {t: j.result() for t, j in jobs.items()}
    files = {}
    for tool, r in enc.items():
        if r.status == 0:
            files[tool] = f"{tool}.enc.{out_ext}"
            (d / files[tool]).write_bytes(r.out)
    dec_jobs = {
        (maker, reader): ws.pool.submit(ws.run, reader, ["decrypt", name], d)
        for maker, name in files.items()
        for reader in ("sops", "sekret")
    }
    res = Outcome(case, enc, {k: j.result() for k, j in dec_jobs.items()}, ws, d, args)
    _OUTCOMES[case["id"]] = res
    return res


# ---------------------------------------------------------------------------------------
# Reading outputs as data, per format.
# ---------------------------------------------------------------------------------------


def _dotenv(text: bytes) -> tuple[list[Any], list[Any], list[str]]:
    """(pairs, leaves, comments) of a dotenv text, the way sops's line-based store reads it."""
    pairs, leaves, comments = [], [], []
    for line in text.decode("utf-8").split("\n"):
        if not line.strip():
            continue
        if line.startswith("#"):
            body = line[1:]
            comments.append("ENC" if body.startswith("ENC[") else body)
            continue
        key, _, value = line.partition("=")
        if key.startswith("sops_"):
            continue
        pairs.append((key, value))
        leaves.append(_json_leaves(value, (key,))[0])
    return pairs, leaves, comments


def _ini(text: bytes) -> tuple[list[Any], list[Any], list[str]]:
    """(entries, leaves, comments) of an INI text as sops writes it."""
    entries, leaves, comments = [], [], []
    section = "DEFAULT"
    for raw in text.decode("utf-8").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith((";", "#")):
            body = line[1:].strip()
            comments.append(f"[{section}] " + ("ENC" if body.startswith("ENC[") else body))
        elif line.startswith("["):
            section = line.strip("[]")
        elif section != "sops":
            key, _, value = line.partition("=")
            entries.append((section, key.strip(), value.strip()))
            leaves.append(_json_leaves(value.strip(), (section, key.strip()))[0])
    return entries, leaves, comments


def _json_pairs(text: bytes) -> Any:
    return json.loads(text, object_pairs_hook=list)


def data_of(o: Outcome, text: bytes, *, reader: str, user_layout: bool = False) -> Any:
    """The data and comments of a decrypted output. For YAML, a text sops printed is
    taken as written; the text sekret printed from its own file (the user's layout) goes
    through sops's own round trip; the data of a text sekret printed from sops's file is
    sops's reading of it (sekret may render a scalar its own way)."""
    fmt = o.fmt
    if fmt == "yaml":
        if user_layout:
            c = round_trip(o.ws, o.folder, o.args, text)
            return ("unreadable by sops", c.error) if c.text is None else (c.docs, c.comments)
        written = as_written(text)
        data = canonical(o.ws, text, indent=o.indent) if reader == "sekret" else written
        if data.text is None or written.text is None:
            return ("unreadable", data.error or written.error)
        return data.docs, written.comments
    if fmt == "json":
        return _json_pairs(text), []
    if fmt == "dotenv":
        pairs, _, comments = _dotenv(text)
        return pairs, comments
    entries, _, comments = _ini(text)
    return entries, comments


def plain_reading(o: Outcome) -> Any:
    """(data, comments) of the plaintext as sops reads it, printed by sops."""
    c = canonical(o.ws, o.case["input"].encode("utf-8"), indent=o.indent)
    return ("unreadable", c.error) if c.text is None else (c.docs, c.comments)


def _same(ours: Any, theirs: Any, *, ours_wild: bool, theirs_wild: bool) -> bool:
    if ours[0] == "unreadable by sops" or theirs[0] == "unreadable":
        return False
    return bool(
        ours[0] == theirs[0]
        and comments_match(ours[1], theirs[1], ours_wild=ours_wild, theirs_wild=theirs_wild)
    )


def decisions_of(o: Outcome, maker: str) -> tuple[list[Any], list[Any]]:
    """(value kinds, comments left in clear) of the file ``maker`` wrote."""
    text = o.enc[maker].out
    fmt = o.fmt
    if fmt == "yaml":
        return leaf_kinds(o.ws, text), clear_comments(o.ws, text)
    if fmt == "json":
        leaves = _json_leaves(json.loads(text))
        return [x for x in leaves if x[0][:1] != ("sops",)], []
    _, leaves, comments = (_dotenv if fmt == "dotenv" else _ini)(text)
    return leaves, comments


def in_clear(o: Outcome, maker: str) -> list[list[Any]]:
    """The paths of the values ``maker`` left in clear (nulls and empty strings aside)."""
    if o.fmt != "yaml":
        leaves = decisions_of(o, maker)[0]
        return sorted(list(p) for p, w in leaves if w.startswith("clear:") and w != 'clear:""')
    c = as_written(o.enc[maker].out, encrypted=True)
    if c.text is None:  # PyYAML cannot scan it: as sops reads it
        c = canonical(o.ws, o.enc[maker].out, encrypted=True, indent=o.indent)
    blank = {"plain:", "plain:null", "plain:~", "plain:Null", "':", '":', "{}", "[]"}
    return sorted(list(p) for p, w in c.leaves if not w.startswith("ENC:") and w not in blank)


def _show(data: bytes) -> str:
    return repr(data.decode("utf-8", "replace"))


def _compare(o: Outcome, maker: str, mode: str) -> None:
    """``sekret decrypt`` against ``sops decrypt`` of the file ``maker`` wrote."""
    ours, theirs = o.dec[(maker, "sekret")], o.dec[(maker, "sops")]
    assert theirs.status == 0, f"sops cannot decrypt the file {maker} wrote: {theirs.err}"
    assert ours.status == 0, f"sekret cannot decrypt the file {maker} wrote: {ours.err}"
    message = (
        f"{maker}'s file: sekret decrypt printed {_show(ours.out)}\n"
        f"        sops decrypt printed   {_show(theirs.out)}"
    )
    if mode == "bytes":
        assert ours.out == theirs.out, message
    else:
        # sops's own round trip may leave a comment as #ENC[…]: on our side when the text
        # went through it (sekret's own file), on sops's side when the file is sops's
        mine = data_of(o, ours.out, reader="sekret", user_layout=maker == "sekret")
        theirs_data = data_of(o, theirs.out, reader="sops")
        mine_rt = maker == "sekret"
        if mine_rt and not _same(mine, theirs_data, ours_wild=True, theirs_wild=False):
            # sops's round trip moves a comment in some layouts (its printer writes a
            # list's head comment and its first item's where one is read back): sops must
            # then read sekret's file as it reads the plaintext itself
            mine, mine_rt = plain_reading(o), False
        assert _same(mine, theirs_data, ours_wild=mine_rt, theirs_wild=not mine_rt), message


# ---------------------------------------------------------------------------------------
# The tests.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sekret_encrypts(ws: Workspace, case: dict[str, Any]) -> None:
    o = outcome(ws, case)
    if case.get("plain_decrypt"):
        assert o.enc["sops"].status != 0, "sops decrypted a file without metadata"
        assert_clean_refusal(o.enc["sekret"])
        return
    if case.get("refused"):
        assert o.enc["sops"].status != 0, f"sops now encrypts this: {_show(o.enc['sops'].out)}"
        assert_clean_refusal(o.enc["sekret"])
        return
    assert o.enc["sekret"].status == 0, f"sekret refused: {o.enc['sekret'].err}"
    _compare(o, "sekret", case["sekret_file"])
    # sops reads sekret's file as the data (and comments) it reads from its own
    assert o.enc["sops"].status == 0, o.enc["sops"].err
    want = data_of(o, o.dec[("sops", "sops")].out, reader="sops")
    got = data_of(o, o.dec[("sekret", "sops")].out, reader="sops")
    if o.fmt == "yaml" and not _same(got, want, ours_wild=False, theirs_wild=True):
        want = plain_reading(o)  # (sops's own file was read after its printer moved some)
    assert _same(got, want, ours_wild=False, theirs_wild=True), (
        f"sops reads sekret's file as {_show(o.dec[('sekret', 'sops')].out)}\n"
        f"          and its own as  {_show(o.dec[('sops', 'sops')].out)}"
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sops_encrypts(ws: Workspace, case: dict[str, Any]) -> None:
    o = outcome(ws, case)
    if case.get("plain_decrypt") or case.get("refused"):
        assert o.enc["sops"].status != 0
        return
    assert o.enc["sops"].status == 0, f"sops refused: {o.enc['sops'].err}"
    if "sops_out" in case:  # the oracle is what the Go test says it is
        printed = o.dec[("sops", "sops")].out
        assert printed == case["sops_out"].encode(), f"sops now prints {_show(printed)}"
    _compare(o, "sops", case["sops_file"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_same_decisions(ws: Workspace, case: dict[str, Any]) -> None:
    o = outcome(ws, case)
    if case.get("plain_decrypt") or case.get("refused"):
        assert o.enc["sops"].status != 0 and o.enc["sekret"].status != 0
        return
    assert o.enc["sekret"].status == 0 and o.enc["sops"].status == 0
    if "clear" in case:  # what sops decides, written down: both tools must agree with it
        for who in ("sops", "sekret"):
            got = in_clear(o, who)
            assert got == sorted(case["clear"]), f"{who} left in clear {got}, not {case['clear']}"
    ours_leaves, ours_comments = decisions_of(o, "sekret")
    theirs_leaves, theirs_comments = decisions_of(o, "sops")
    assert ours_leaves == theirs_leaves, (
        f"encrypted/clear values differ:\n  sekret {ours_leaves}\n  sops   {theirs_leaves}"
    )
    assert ours_comments == theirs_comments, (
        f"comments left in clear differ:\n  sekret {ours_comments}\n  sops   {theirs_comments}"
    )
