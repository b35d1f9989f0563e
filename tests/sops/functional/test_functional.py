"""sops's functional tests (v3.11.0), as the data in ``cases.toml``, run four ways.

Each case runs in its own directory in every tool order:

``sops``          every step by the real sops: proves the cases and this harness right;
``sekret``        every step by sekret;
``sekret>sops``   steps that write encrypted data by sekret, steps that only read it by sops;
``sops>sekret``   the reverse.

Inputs copied from sops's ``functional-tests/res`` live in ``tests/data/sops-functional``.
Every case runs twice: with age keys standing in for the PGP keys upstream uses (see the
head of ``cases.toml``), and with upstream's own PGP keys (``tests/data/sops-pgp``) in a
temporary GnuPG home, ``--age`` and ``age:`` read as ``--pgp`` and ``pgp:``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import vendored
from tests.sops.conftest import Key, clean_env, sops_path
from tests.sops.gpg_home import FP, FP2, make_home

HERE = Path(__file__).resolve().parent
CASES = tomllib.loads((HERE / "cases.toml").read_text())
RES = vendored("sops-functional")
TIMEOUT = 60

ORDERS = {  # order -> (tool for writer steps, tool for reader steps)
    "sops": ("sops", "sops"),
    "sekret": ("sekret", "sekret"),
    "sekret>sops": ("sekret", "sops"),
    "sops>sekret": ("sops", "sekret"),
}

_WRITERS = {"encrypt", "-e", "--encrypt", "set", "--set", "unset", "rotate", "-r", "--rotate",
            "updatekeys", "edit"}  # fmt: skip
_READERS = {"decrypt", "-d", "--decrypt", "exec-env", "exec-file", "filestatus", "--extract"}


def role_of(step: dict[str, Any]) -> str:
    """A step's role: given, or from the first argument naming an action."""
    if "role" in step:
        return str(step["role"])
    for arg in step["run"]:
        if arg in _WRITERS:
            return "writer"
        if arg in _READERS:
            return "reader"
    raise ValueError(f"cannot tell the role of {step['run']!r}: give role = ...")


def tool_argv(tool: str) -> list[str]:
    if tool == "sops":
        return [sops_path()]
    return [str(Path(sys.executable).parent / "sekret")]


@dataclass
class Ran:
    tool: str
    argv: list[str]
    status: int
    out: bytes
    err: str

    def describe(self) -> str:
        out = self.out.decode(errors="replace")
        return (
            f"{self.tool} {self.argv!r} -> exit {self.status}\n"
            f"--- stdout ---\n{out[:1500]}\n--- stderr ---\n{self.err[:1500]}"
        )


#: upstream's keys: FBC7B9E2 and D7229043 with their secret keys, B611A2F9 public only
PGP_KEYS = [FP, FP2, "B611A2F9F11D0FF82568805119F9B5DAEA91FF86"]


def _fill(text: str, recipients: list[str]) -> str:
    for i, r in enumerate(recipients):
        text = text.replace(f"{{age{i}}}", r)
    return text


def _as_pgp(text: str) -> str:
    """A case's age keys as upstream's PGP keys: flags, config fields and key paths."""
    return {"--age": "--pgp", "age": "pgp"}.get(text, text.replace("age:", "pgp:"))


@pytest.fixture(scope="module")
def pgp_homes() -> Any:
    """GnuPG homes by the secret keys they hold: "0-1" (both), "1" (D7229043 only)."""
    both, only1 = make_home(), make_home()
    homes = {"0-1": next(both), "1": next(only1)}
    from sekret.pgp import gpg

    gpg.run(["--batch", "--yes", "--delete-secret-keys", FP], b"", gnupg_home=str(homes["1"]))
    yield homes
    for gen in (both, only1):
        gen.close()


def _parse(fmt: str, data: bytes) -> Any:
    if fmt == "json":
        return json.loads(data)
    if fmt == "yaml":
        return yaml.safe_load(data)
    raise ValueError(f"unknown format {fmt!r}")


_MISSING = object()


def _at(doc: Any, path: list[Any]) -> Any:
    for p in path:
        if isinstance(p, int):
            if not isinstance(doc, list) or not -len(doc) <= p < len(doc):
                return _MISSING
        elif not isinstance(doc, dict) or p not in doc:
            return _MISSING
        doc = doc[p]
    return doc


def check(chk: dict[str, Any], data: bytes, before: bytes | None, what: str) -> list[str]:
    """The ways ``data`` (stdout or a file) fails the check; empty when it passes."""
    bad: list[str] = []
    text = data.decode(errors="replace")
    if "equals" in chk and text != chk["equals"]:
        bad.append(f"{what}: expected exactly {chk['equals']!r}, got {text!r}")
    bad += [f"{what}: lacks {s!r}" for s in chk.get("contains", []) if s not in text]
    bad += [f"{what}: must not contain {s!r}" for s in chk.get("excludes", []) if s in text]
    if "startswith" in chk and not text.startswith(chk["startswith"]):
        bad.append(f"{what}: does not start with {chk['startswith']!r}: {text[:80]!r}")
    if "endswith" in chk and not text.endswith(chk["endswith"]):
        bad.append(f"{what}: does not end with {chk['endswith']!r}: {text[-80:]!r}")
    if chk.get("nonempty") and not data:
        bad.append(f"{what}: is empty")
    if chk.get("unchanged") and data != before:
        bad.append(f"{what}: changed, expected the same bytes\nwas: {before!r}\nnow: {data!r}")
    if chk.get("changed") and data == before:
        bad.append(f"{what}: unchanged, expected it rewritten")
    if "format" not in chk:
        return bad
    try:
        doc = _parse(chk["format"], data)
    except Exception as e:  # reported as a failure
        return [*bad, f"{what}: not {chk['format']}: {e}: {text[:300]!r}"]
    if "data" in chk and doc != chk["data"]:
        bad.append(f"{what}: expected data {chk['data']!r}, got {doc!r}")
    bad += [
        f"{what}: lacks the key path {p!r}" for p in chk.get("has", []) if _at(doc, p) is _MISSING
    ]
    bad += [
        f"{what}: has the key path {p!r}, expected it gone"
        for p in chk.get("lacks", [])
        if _at(doc, p) is not _MISSING
    ]
    for path in chk.get("encrypted", []):
        v = _at(doc, path)
        if not (isinstance(v, str) and v.startswith("ENC[")):
            bad.append(f"{what}: {path!r} is not encrypted: {v!r}")
    for item in chk.get("values", []):
        v = _at(doc, item["path"])
        if v != item["equals"]:
            bad.append(f"{what}: {item['path']!r} is {v!r}, expected {item['equals']!r}")
    for item in chk.get("lengths", []):
        v = _at(doc, item["path"])
        n = len(v) if isinstance(v, (list, dict)) else None
        if n != item["equals"]:
            bad.append(f"{what}: {item['path']!r} has length {n}, expected {item['equals']}")
    return bad


def _write_identities(home: Path, keys: list[Key], which: list[int]) -> Path:
    path = home / ("keys-" + "-".join(map(str, which)) + ".txt")
    if not path.exists():
        path.write_text("".join(f"{keys[i].identity}\n" for i in which))
        path.chmod(0o600)
    return path


def rewrite(target: Path, pattern: str, repl: list[str], where: str) -> None:
    """The harness's own edit: the regex's matches, in order, replaced by ``repl``'s items."""
    text = target.read_text()
    found = list(re.finditer(pattern, text, flags=re.MULTILINE))
    assert len(found) == len(repl), f"{where}: rewrite matched {len(found)}, not {len(repl)} times"
    for m, new in zip(reversed(found), reversed(repl), strict=True):
        text = text[: m.start()] + new + text[m.end() :]
    target.write_text(text)


def run_case(
    case: dict[str, Any], order: str, tmp: Path, keys: list[Key],
    pgp_homes: dict[str, Path] | None = None,
) -> None:
    """Run one case; with ``pgp_homes`` on upstream's PGP keys instead of age keys."""
    writer, reader = ORDERS[order]
    recipients = [k.recipient for k in keys] if pgp_homes is None else PGP_KEYS
    work, home = tmp / "work", tmp / "home"
    work.mkdir()
    home.mkdir()
    sops_yaml = case.get("sops_yaml", CASES["config"]["sops_yaml"])
    if sops_yaml:
        text = _fill(sops_yaml, recipients)
        (work / ".sops.yaml").write_text(text if pgp_homes is None else _as_pgp(text))
    for name, content in case.get("files", {}).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(content.encode())
    for name, source in case.get("vendored", {}).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes((RES / source).read_bytes())

    for n, step in enumerate(case["step"], 1):
        where = f"[{case['id']} / {order}] step {n}"
        if "rewrite" in step:
            rewrite(work / step["rewrite"], step["pattern"], step["repl"], where)
            continue

        tool = writer if role_of(step) == "writer" else reader
        argv = [_fill(a, recipients) for a in step["run"]]
        which = step.get("identities", case.get("identities", [0, 1]))
        if pgp_homes is None:
            idents = _write_identities(home, keys, which)
            env = clean_env(None, SOPS_AGE_KEY_FILE=str(idents), HOME=str(home))
        else:
            argv = [_as_pgp(a) if a == "--age" else a for a in argv]
            gnupg = pgp_homes["-".join(map(str, which))]
            env = clean_env(None, GNUPGHOME=str(gnupg), HOME=str(home))
        env.pop("XDG_CONFIG_HOME", None)
        stdin = step.get("stdin", "").encode()
        if "stdin_file" in step:
            stdin = (work / step["stdin_file"]).read_bytes()
        checks = step.get("check", [])
        before = {c["file"]: _read(work / c["file"]) for c in checks if "file" in c}
        proc = subprocess.run(
            [*tool_argv(tool), *argv],
            cwd=work, env=env, input=stdin, capture_output=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        ran = Ran(tool, argv, proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))
        want = step.get("status", 0)
        assert ran.status == want, f"{where}: exit {ran.status}, expected {want}\n{ran.describe()}"
        if "stderr_contains" in step:
            assert step["stderr_contains"] in ran.err, (
                f"{where}: stderr lacks {step['stderr_contains']!r}\n{ran.describe()}"
            )
        problems: list[str] = []
        for chk in checks:
            if pgp_homes is not None and "has" in chk:
                chk = {**chk, "has": [[_as_pgp(x) if x == "age" else x for x in p]
                                      for p in chk["has"]]}  # fmt: skip
            if "file" in chk:
                data = _read(work / chk["file"])
                problems += check(chk, data, before[chk["file"]], f"file {chk['file']}")
            else:
                problems += check(chk, ran.out, None, "stdout")
        assert not problems, f"{where}:\n" + "\n".join(problems) + "\n" + ran.describe()
        if "stdout_to" in step:
            (work / step["stdout_to"]).write_bytes(ran.out)


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("case", CASES["case"], ids=[c["id"] for c in CASES["case"]])
def test_functional(case: dict[str, Any], order: str, tmp_path: Path, keys: list[Key]) -> None:
    run_case(case, order, tmp_path, keys)


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("case", CASES["case"], ids=[c["id"] for c in CASES["case"]])
def test_functional_pgp(
    case: dict[str, Any], order: str, tmp_path: Path, keys: list[Key],
    pgp_homes: dict[str, Path],
) -> None:
    """The same case on upstream's own PGP keys, as lib.rs runs it."""
    run_case(case, order, tmp_path, keys, pgp_homes)


def test_every_upstream_test_is_ported_or_listed_unported() -> None:
    ported = [t for c in CASES["case"] for t in c["upstream"]]
    unported = [u["test"] for u in CASES["unported"]]
    assert all(u.get("reason") for u in CASES["unported"])
    names = ported + unported
    assert len(names) == len(set(names)), "an upstream test is named twice"
    assert len(names) == CASES["config"]["upstream_total"]
    ids = [c["id"] for c in CASES["case"]]
    assert len(ids) == len(set(ids))


_CASE_KEYS = {"id", "upstream", "files", "vendored", "sops_yaml", "identities", "step"}
_STEP_KEYS = {"run", "role", "identities", "stdin", "stdin_file", "stdout_to", "status",
              "stderr_contains", "added", "check", "rewrite", "pattern", "repl"}  # fmt: skip
_CHECK_KEYS = {"file", "added", "format", "equals", "contains", "excludes", "startswith",
               "endswith", "nonempty", "unchanged", "changed", "data", "has", "lacks",
               "encrypted", "values", "lengths"}  # fmt: skip


def test_every_step_has_a_role_and_every_vendored_input_exists() -> None:
    """Also: no misspelt key in cases.toml goes unnoticed (it would check nothing)."""
    for case in CASES["case"]:
        assert set(case) <= _CASE_KEYS, case["id"]
        for step in case["step"]:
            assert set(step) <= _STEP_KEYS, (case["id"], step)
            assert ("run" in step) != ("rewrite" in step), (case["id"], step)
            for chk in step.get("check", []):
                assert set(chk) <= _CHECK_KEYS, (case["id"], chk)
            if "run" in step:
                assert role_of(step) in ("writer", "reader")
        for source in case.get("vendored", {}).values():
            assert (RES / source).is_file(), source


def test_the_checks_fail_what_they_must() -> None:
    doc = b'{"a": "ENC[AES256_GCM,data:x]", "b": "plain", "c": [1]}'
    assert check({"format": "json", "encrypted": [["a"]], "has": [["c", 0]]}, doc, None, "x") == []
    failing: list[dict[str, Any]] = [
        {"format": "json", "encrypted": [["b"]]},
        {"format": "json", "has": [["c", 1]]},
        {"format": "json", "lacks": [["a"]]},
        {"format": "json", "values": [{"path": ["b"], "equals": "other"}]},
        {"format": "json", "lengths": [{"path": ["c"], "equals": 2}]},
        {"format": "json", "data": {"a": 1}},
        {"format": "yaml", "data": {}},
        {"equals": "x"},
        {"contains": ["nope"]},
        {"excludes": ["plain"]},
        {"startswith": "["},
        {"endswith": "]"},
        {"unchanged": True},
    ]
    for chk in failing:
        assert check(chk, doc, b"before", "x"), chk
    assert check({"changed": True}, doc, doc, "x")
    assert check({"nonempty": True}, b"", None, "x")
