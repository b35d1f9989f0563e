"""sekret's sops CLI against the real sops 3.11, one command line at a time.

Each case runs the same command line with sops and with sekret, each in its own copy of
the same directory (the encrypted files in it were made by sops), and compares the exit
status, standard output (byte for byte, or as parsed data where the bytes are random)
and the files afterwards (decrypted by sops, with their recipients). Where sekret
differs on purpose, the test says so and checks what sekret does instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from sekret.age import X25519Identity
from tests.sops.conftest import Result, sops_path

RICH_YAML = """\
# top
a:
  b: 1
  # inner comment
  c:
    - x
    - k: v
      k2:
        - 1
        - deep: z
    - - n1
      - n2
  m: |
    line1
    line2
  e: {}
  f: []
list:
- p: q
  r: s
d: hi
"""
PLAIN = {
    "p.yaml": RICH_YAML,
    "p.json": '{"a": {"b": 1, "c": ["x", "y"], "e": {}}, "d": "hi", "n": [1.5, true]}',
    "p.env": "# comment\nUSER=admin\nPASSWORD=hunter2\n",
    "p.bin": "raw bytes\n",
    "flat.yaml": 'S: str\nI: 42\nF: 1.5\nB: true\nT: 2024-01-02T03:04:05Z\nE: ""\nML: "a\\nb"\n',
    "null.yaml": "A: a\nN: null\n",
    "eq.json": '{"K=V": "x", "A": "b"}',
    "nul.json": '{"Z": "a\\u0000b"}',
    "t.yaml": "A: 1\nB_unencrypted: two\n",
    "set.yaml": "a:\n  b: 1\n  c:\n    - x\n    - y\nd: hi\n",
}


@dataclass
class World:
    """The keys and the directory every case starts from."""

    root: Path
    base: Path
    recipients: list[str]
    key_files: list[Path]

    def env(self, keys: tuple[int, ...] = (0, 1), **extra: str) -> dict[str, str]:
        """A clean environment with the age identities ``keys``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "EDITOR"))}
        env["SOPS_DISABLE_VERSION_CHECK"] = "1"
        env["HOME"] = str(self.root / "home")
        keyfile = self.root / ("keys-" + "-".join(map(str, keys)) + ".txt")
        keyfile.write_text("".join(self.key_files[k].read_text() for k in keys))
        env["SOPS_AGE_KEY_FILE"] = str(keyfile)
        env.update(extra)
        return env


def _sops(args: list[str], cwd: Path, env: Mapping[str, str], stdin: bytes = b"") -> Result:
    proc = subprocess.run(
        [sops_path(), *args], cwd=cwd, env=dict(env), input=stdin, capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


def _sekret(args: list[str], cwd: Path, env: Mapping[str, str], stdin: bytes = b"") -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "sekret", *args], cwd=cwd, env=dict(env), input=stdin,
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("parity")
    (root / "home").mkdir()
    keys = []
    for i in range(3):
        ident = X25519Identity.generate()
        path = root / f"k{i}.txt"
        path.write_text(ident.to_string() + "\n")
        keys.append((str(ident.recipient()), path))
    w = World(root, root / "base", [r for r, _ in keys], [p for _, p in keys])
    base = w.base
    (base / "cfg").mkdir(parents=True)
    for name, text in PLAIN.items():
        (base / name).write_text(text)
    env = w.env()
    k0, k1 = w.recipients[0], w.recipients[1]
    for name in PLAIN:
        enc = _sops(["encrypt", "--age", k0, name], base, env)
        assert enc.status == 0, enc.err
        (base / ("e" + name)).write_bytes(enc.out)
    tampered = (base / "et.yaml").read_text().replace("B_unencrypted: two", "B_unencrypted: 3")
    (base / "et.yaml").write_text(tampered)
    (base / "cfg" / "rules.yaml").write_text(f"creation_rules:\n  - age: {k1}\n")
    (base / "cfg" / "two.yaml").write_text(
        f"creation_rules:\n  - key_groups:\n    - age: [{k0}]\n    - age: [{k1}]\n"
    )
    (base / "cfg" / "nokeys.yaml").write_text("creation_rules:\n  - key_groups: []\n")
    enc = _sops(["--config", "cfg/two.yaml", "encrypt", "set.yaml"], base, env)
    assert enc.status == 0, enc.err
    (base / "etwo.yaml").write_bytes(enc.out)
    (base / "uk").mkdir()
    (base / "uk" / ".sops.yaml").write_text(f"creation_rules:\n  - age: {k0},{k1}\n")
    shutil.copy(base / "eset.yaml", base / "uk" / "a.yaml")
    shutil.copy(base / "eset.yaml", base / "uk" / "b.yaml")
    (base / "value.json").write_text('{"from": "file"}')
    (base / "bad.json").write_text("not json")
    (base / "bad.yaml").write_text("a: [1\n")
    (base / "empty.yaml").write_text("")
    return w


@dataclass
class Case:
    """One command line for both tools."""

    args: list[str]
    status: int
    out: str = "exact"  # exact | yaml | json | encrypted:<ext> | lines | none
    files: tuple[str, ...] = ()  # compared afterwards
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)
    keys: tuple[int, ...] = (0, 1)
    cwd: str = "."
    err: str = ""  # in both tools' standard error (case-insensitive)
    child: bool = False  # the status is the command's (exec-*): no error line


def _fill(args: list[str], w: World) -> list[str]:
    out = []
    for a in args:
        for i, r in enumerate(w.recipients):
            a = a.replace(f"{{k{i}}}", r)
        out.append(a)
    return out


def _view(path: Path, w: World) -> object:
    """A file as data: absent, decrypted by sops (data and recipients), or its bytes."""
    if not path.exists():
        return "absent"
    dec = _sops(["decrypt", path.name], path.parent, w.env((0, 1, 2)))
    if dec.status != 0:
        return ("raw", path.read_bytes())
    meta = _meta(path.read_bytes(), path.suffix)
    return ("encrypted", _data(dec.out, path.suffix), meta)


def _meta(raw: bytes, suffix: str) -> object:
    """Who can decrypt, and the Shamir threshold."""
    if suffix == ".json":
        sops_block = json.loads(raw)["sops"]
    elif suffix == ".yaml":
        sops_block = yaml.safe_load(raw)["sops"]
    else:
        return None
    groups = sops_block.get("key_groups") or [sops_block]
    return (
        [sorted(k["recipient"] for k in (g.get("age") or [])) for g in groups],
        sops_block.get("shamir_threshold"),
    )


def _data(out: bytes, suffix: str) -> object:
    if suffix in (".yaml", ".yml"):
        return list(yaml.safe_load_all(out))
    if suffix == ".json":
        return json.loads(out)
    return out


def _output(mode: str, out: bytes, w: World, where: Path) -> object:
    if mode == "exact":
        return out
    if mode == "yaml":
        return list(yaml.safe_load_all(out))
    if mode == "json":
        return json.loads(out)
    if mode == "lines":
        return sorted(out.splitlines())
    if mode.startswith("encrypted:"):
        target = where / ("stdout" + mode.split(":", 1)[1])
        target.write_bytes(out)
        return _view(target, w)
    return None


def run_both(case: Case, w: World, tmp: Path) -> tuple[Result, Result, Path, Path]:
    """The case in a copy of the base directory for each tool (both run at the same
    time); both results and directories."""
    procs = []
    dirs = []
    for name, argv0 in (("sops", [sops_path()]), ("sekret", [sys.executable, "-m", "sekret"])):
        d = tmp / name
        shutil.copytree(w.base, d)
        procs.append(subprocess.Popen(
            [*argv0, *_fill(case.args, w)], cwd=d / case.cwd, env=w.env(case.keys, **case.env),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))  # fmt: skip
        dirs.append(d)
    results = []
    for proc in procs:
        out, err = proc.communicate(case.stdin, timeout=120)
        results.append(Result(proc.returncode, out, err.decode(errors="replace")))
    return results[0], results[1], dirs[0], dirs[1]


def check(case: Case, w: World, tmp: Path) -> tuple[Result, Result]:
    """Run the case with both tools and compare everything it names."""
    theirs, ours, d_theirs, d_ours = run_both(case, w, tmp)
    what = f"{case.args}\n--- sops ---\n{theirs.err}\n--- sekret ---\n{ours.err}"
    assert theirs.status == case.status, "sops: " + what
    assert ours.status == case.status, "sekret: " + what
    if "Traceback" in ours.err or "internal error" in ours.err:
        pytest.fail("sekret: " + what)
    got = _output(case.out, ours.out, w, d_ours)
    assert got == _output(case.out, theirs.out, w, d_theirs), what
    for name in case.files:
        assert _view(d_ours / case.cwd / name, w) == _view(d_theirs / case.cwd / name, w), name
    if case.err:
        assert case.err.lower() in theirs.err.lower(), "sops: " + what
        assert case.err.lower() in ours.err.lower(), "sekret: " + what
    if ours.status and not case.child:
        assert any(line.startswith("sekret: error: ") for line in ours.err.splitlines()), what
    return theirs, ours


def cases(*items: tuple[str, Case]) -> list[object]:
    """pytest parameters with readable ids."""
    return [pytest.param(case, id=name) for name, case in items]


def _mask(out: bytes) -> str:
    """An encrypted file without its random parts: ciphertexts, age blocks, the time."""
    text = out.decode()
    text = re.sub(r"ENC\[AES256_GCM,[^\]]*\]", "ENC[…]", text)
    text = re.sub(r"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----",
                  "AGE", text, flags=re.S)  # fmt: skip
    return re.sub(r'(lastmodified"?: "?)[0-9TZ:-]+', r"\1T", text)


# 1. sops's global flags before the subcommand (sops honours only --config there; the
#    others it accepts are no-ops for these commands, or give the same result).
GLOBALS = cases(
    ("config-before-encrypt", Case(["--config", "cfg/rules.yaml", "encrypt", "p.yaml"], 0,
                                   "encrypted:.yaml")),
    ("config-legacy-encrypt", Case(["--config", "cfg/rules.yaml", "-e", "p.json"], 0,
                                   "encrypted:.json")),
    ("config-missing", Case(["--config", "nope.yaml", "encrypt", "p.yaml"], 1)),
    ("verbose-before-decrypt", Case(["--verbose", "decrypt", "ep.yaml"], 0)),
    ("verbose-legacy", Case(["--verbose", "-d", "ep.yaml"], 0)),
    ("disable-version-check", Case(["--disable-version-check", "decrypt", "ep.json"], 0)),
    ("check-for-updates", Case(["--check-for-updates", "decrypt", "ep.env"], 0)),
    ("enable-local-keyservice", Case(["--enable-local-keyservice", "decrypt", "ep.yaml"], 0)),
    ("enable-local-keyservice=true", Case(["decrypt", "--enable-local-keyservice=true",
                                           "ep.bin"], 0)),
    ("decryption-order-before", Case(["--decryption-order", "age", "decrypt", "ep.yaml"], 0)),
    ("indent-4-before-decrypt", Case(["--indent", "4", "decrypt", "ep.yaml"], 0)),
    ("go-single-dash-flags", Case(["-d", "-output-type", "json", "ep.yaml"], 0)),
    ("legacy-input-output-type", Case(["-d", "--input-type", "yaml", "--output-type", "json",
                                       "ep.yaml"], 0)),
    ("unknown-flag", Case(["decrypt", "--bogus", "ep.yaml"], 1, "none")),  # sops: usage on stdout
    ("unknown-global-flag", Case(["--bogus", "decrypt", "ep.yaml"], 1, "none")),
    ("empty-key-group", Case(["--config", "cfg/nokeys.yaml", "encrypt", "p.yaml"], 1,
                             err="Could not generate data key: [empty key group provided]")),
)


@pytest.mark.parametrize("case", GLOBALS)
def test_global_flags(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_global_flags_in_both_positions(world: World, tmp_path: Path) -> None:
    """sops takes --config, --verbose and --indent only before the subcommand; sekret
    takes them on either side, with the same effect."""
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    env = world.env()
    before = _sekret(["--config", "cfg/rules.yaml", "encrypt", "p.yaml"], d, env)
    after = _sekret(["encrypt", "--config", "cfg/rules.yaml", "p.yaml"], d, env)
    sops_after = _sops(["encrypt", "--config", "cfg/rules.yaml", "p.yaml"], d, env)
    assert sops_after.status == 1 and "flag provided but not defined" in sops_after.err
    assert before.status == after.status == 0
    assert _mask(before.out) == _mask(after.out)
    assert _meta(after.out, ".yaml") == ([[world.recipients[1]]], None)
    verbose = _sekret(["decrypt", "--verbose", "ep.yaml"], d, env)
    assert verbose.status == 0 and "sekret: info: data key recovered" in verbose.err
    # --indent before a subcommand: sops ignores it there (its subcommands look the flag
    # up in their own flag set only); sekret applies it, as sops does in the legacy form.
    for fmt in ("yaml", "json"):
        ours = _sekret(["--indent", "2", "decrypt", f"ep.{fmt}"], d, env)
        legacy = _sops(["--indent", "2", "-d", f"ep.{fmt}"], d, env)
        ignored = _sops(["--indent", "2", "decrypt", f"ep.{fmt}"], d, env)
        assert ours.status == legacy.status == 0
        assert ours.out == legacy.out != ignored.out
        assert _sekret(["decrypt", "--indent", "2", f"ep.{fmt}"], d, env).out == ours.out


def test_global_flags_sops_ignores_are_applied_or_refused(world: World, tmp_path: Path) -> None:
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    env = world.env()
    # sops checks the MAC anyway (51); sekret applies --ignore-mac as given
    assert _sops(["--ignore-mac", "decrypt", "et.yaml"], d, env).status == 51
    r = _sekret(["--ignore-mac", "decrypt", "et.yaml"], d, env)
    assert r.status == 0 and yaml.safe_load(r.out) == {"A": 1, "B_unencrypted": 3}
    # flags a command does not read: sops ignores them, sekret refuses them (exit 1)
    k0 = world.recipients[0]
    for args, command in (
        (["--extract", '["a"]', "encrypt", "--age", k0, "p.yaml"], "encrypt"),
        (["-d", "decrypt", "ep.yaml"], "decrypt"),
        (["-s", "decrypt", "ep.yaml"], "decrypt"),
        (["--unencrypted-suffix", "_x", "decrypt", "ep.yaml"], "decrypt"),
        (["--set", '["a"] 1', "rotate", "ep.yaml"], "rotate"),
    ):
        assert _sops(args, d, env).status == 0, args
        r = _sekret(args, d, env)
        assert r.status == 1, (args, r.err)
        assert r.err.splitlines()[0].endswith(f"has no effect on 'sekret {command}'"), r.err


# 4. --indent: sops's layout for YAML (go-yaml's, 1 and >9 become 2, 0 is the default
#    4) and JSON (N spaces, 0 none, -1 a TAB), decrypting and encrypting.
INDENT = cases(
    *((f"decrypt-yaml-{n}", Case(["--indent", str(n), "-d", "ep.yaml"], 0))
      for n in (0, 1, 2, 3, 5, 8, 9, 10)),
    *((f"decrypt-json-{n}", Case(["--indent", str(n), "-d", "ep.json"], 0))
      for n in (0, 2, 3, -1)),
    ("decrypt-binary-envelope", Case(["--indent", "2", "-d", "ep.bin"], 0)),
    ("yaml-negative", Case(["--indent", "-1", "-d", "ep.yaml"], 4)),
    ("json-below-minus-1", Case(["--indent", "-2", "-d", "ep.json"], 4)),
    ("extract-mapping-yaml", Case(["--indent", "2", "-d", "--extract", '["a"]', "ep.yaml"], 0)),
    ("extract-list-yaml", Case(["--indent", "2", "-d", "--extract", '["list"]', "ep.yaml"], 0)),
    ("extract-list-json", Case(["--indent", "3", "-d", "--extract", '["n"]', "ep.json"], 0)),
    ("yaml-to-json", Case(["--indent", "2", "-d", "--output-type", "json", "ep.yaml"], 0)),
    ("json-to-yaml", Case(["--indent", "3", "-d", "--output-type", "yaml", "ep.json"], 0)),
    ("encrypt-yaml-negative", Case(["--indent", "-1", "-e", "--age", "{k0}", "p.yaml"], 4)),
)  # fmt: skip


@pytest.mark.parametrize("case", INDENT)
def test_indent(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


@pytest.mark.parametrize("n", [2, 3, 4, 7])
@pytest.mark.parametrize("name", ["p.yaml", "p.json", "p.bin"])
def test_indent_of_encrypted_files(n: int, name: str, world: World, tmp_path: Path) -> None:
    """The whole file, sops block included, is laid out like sops's (ciphertexts aside)."""
    case = Case(["--indent", str(n), "-e", "--age", "{k0}", name], 0, "none")
    theirs, ours = check(case, world, tmp_path)
    assert _mask(ours.out) == _mask(theirs.out)


# 2. groups add|delete (age keys; the others are refused: see the test below)
GROUPS = cases(
    ("add-stdout", Case(["groups", "add", "--file", "eset.yaml", "--age", "{k1}"], 0,
                        "encrypted:.yaml", files=("eset.yaml",))),
    ("add-in-place", Case(["groups", "add", "-i", "--file", "eset.yaml", "--age", "{k1}"], 0,
                          files=("eset.yaml",))),
    ("add-two-recipients-threshold", Case(
        ["groups", "add", "-f", "ep.json", "--age", "{k1},{k2}",
         "--shamir-secret-sharing-threshold", "2"], 0, "encrypted:.json")),
    ("add-positional", Case(["groups", "add", "--file", "eset.yaml", "--age", "{k1}", "x"], 1)),
    ("add-no-file", Case(["groups", "add", "--age", "{k1}"], 2)),
    ("add-missing-file", Case(["groups", "add", "--file", "nope.yaml", "--age", "{k1}"], 2)),
    ("add-no-key", Case(["groups", "add", "--file", "eset.yaml", "--age", "{k1}"], 1,
                        keys=(2,))),
    ("delete-stdout", Case(["groups", "delete", "--file", "etwo.yaml",
                            "--shamir-secret-sharing-threshold", "1", "1"], 0, "encrypted:.yaml")),
    ("delete-in-place", Case(["groups", "delete", "-i", "--file", "etwo.yaml",
                              "--shamir-secret-sharing-threshold", "1", "0"], 0,
                             files=("etwo.yaml",))),
    ("delete-threshold", Case(["groups", "delete", "--file", "etwo.yaml",
                               "--shamir-secret-sharing-threshold", "2", "1"], 1)),
    ("delete-no-index", Case(["groups", "delete", "--file", "etwo.yaml"], 1)),
    ("delete-bad-index", Case(["groups", "delete", "--file", "etwo.yaml", "x"], 1)),
    ("delete-two-indices", Case(["groups", "delete", "--file", "etwo.yaml", "0", "1"], 1)),
)  # fmt: skip


@pytest.mark.parametrize("case", GROUPS)
def test_groups(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_groups_refuse_what_sops_would_get_wrong(world: World, tmp_path: Path) -> None:
    """sops adds a group for keys it cannot use (a PGP fingerprint it has no key for),
    an empty group, or skips a bad recipient, all with status 0: files nobody can
    decrypt once the threshold needs that group. sekret refuses, and writes nothing."""
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    env = world.env()
    before = (d / "eset.yaml").read_bytes()
    k1 = world.recipients[1]
    for extra in (["--pgp", "ABCDEF"], ["--kms", "arn:aws:kms:eu-west-1:1:key/x"], [],
                  ["--age", "bogus"], ["--age", k1, "--shamir-secret-sharing-threshold", "1"]):
        args = ["groups", "add", "-i", "--file", "eset.yaml", *extra]
        r = _sekret(args, d, env)
        assert r.status == 1 and r.err.startswith("sekret: error: "), (extra, r.err)
        assert (d / "eset.yaml").read_bytes() == before
    r = _sekret(["groups", "delete", "--file", "etwo.yaml", "5"], d, env)
    assert r.status == 1 and "no key group 5" in r.err  # sops: a Go panic, exit 2
    assert _sops(["groups", "delete", "--file", "etwo.yaml", "5"], d, env).status == 2


def test_exec_file_fifo_nobody_reads(world: World, tmp_path: Path) -> None:
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    for command, status in (("echo never reads it", 0), ("exit 3", 3)):
        r = _sekret(["exec-file", "ep.yaml", command], d, world.env())
        assert r.status == status, r.err


# 3. completion: sops prints its help without a shell, and fails on an unknown one
COMPLETION = cases(
    ("no-shell", Case(["completion"], 0, "none")),
    ("unknown-shell", Case(["completion", "tcsh"], 3)),
)


@pytest.mark.parametrize("case", COMPLETION)
def test_completion(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


# 6. exec-env / exec-file
EXEC = cases(
    ("env-pristine", Case(["exec-env", "--pristine", "eflat.yaml",
                           "env | grep -v -e ^PWD= -e ^SHLVL= -e ^_="], 0, "lines")),
    ("env-inherits", Case(["exec-env", "eflat.yaml", 'echo "$S $HOME"'], 0)),
    ("env-status", Case(["exec-env", "eflat.yaml", "exit 7"], 7, child=True)),
    ("env-one-argument", Case(["exec-env", "eflat.yaml"], 1)),
    ("env-three-arguments", Case(["exec-env", "eflat.yaml", "true", "x"], 1)),
    ("env-missing-file", Case(["exec-env", "nope.yaml", "true"], 2)),
    ("env-complex-value", Case(["exec-env", "ep.yaml", "true"], 1)),
    ("env-equals-in-key", Case(["exec-env", "eeq.json", "true"], 1)),
    ("env-nul-in-value", Case(["exec-env", "enul.json", "true"], 1)),
    ("env-same-process", Case(["exec-env", "--same-process", "eflat.yaml", 'echo "$I"; exit 5'],
                              5, child=True)),
    ("env-same-process-background", Case(["exec-env", "--same-process", "--background",
                                          "eflat.yaml", "true"], 8)),
    ("env-background", Case(["exec-env", "--background", "eflat.yaml", "echo hi"], 0)),
    ("env-mac-checked", Case(["exec-env", "et.yaml", "true"], 51)),
    ("env-dotenv", Case(["exec-env", "ep.env", 'echo "$USER:$PASSWORD"'], 0)),
    ("env-decryption-order", Case(["exec-env", "--decryption-order", "age,age", "eflat.yaml",
                                   "true"], 112)),
    ("env-unknown-user", Case(["exec-env", "--user", "no-such-user-x", "eflat.yaml", "true"], 1)),
    ("file-fifo", Case(["exec-file", "eflat.yaml", "cat {}"], 0)),
    ("file-no-fifo", Case(["exec-file", "--no-fifo", "ep.yaml", "cat {}; test -f {}"], 0)),
    ("file-name", Case(["exec-file", "--no-fifo", "--filename", "x.txt", "ep.env",
                        "basename {}; cat {}"], 0)),
    ("file-fifo-name", Case(["exec-file", "--filename", "y.yaml", "ep.env",
                             "basename {}; test -p {}; cat {}"], 0)),
    ("file-output-type", Case(["exec-file", "--output-type", "json", "ep.yaml", "cat {}"], 0)),
    ("file-input-type", Case(["exec-file", "--input-type", "json", "--output-type", "json",
                              "ep.bin", "cat {}"], 0)),
    # with a FIFO nobody reads, sops's writer may fail once its directory is gone (exit
    # 1, at random): the status and the unread FIFO are compared with --no-fifo only
    ("file-status", Case(["exec-file", "--no-fifo", "ep.yaml", "exit 3"], 3, child=True)),
    ("file-one-argument", Case(["exec-file", "ep.yaml"], 1)),
    ("file-missing", Case(["exec-file", "nope.yaml", "true"], 2)),
)  # fmt: skip


@pytest.mark.parametrize("case", EXEC)
def test_exec(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_exec_env_leaves_nulls_out(world: World, tmp_path: Path) -> None:
    """The MAC does not cover null values: anyone could have put one in the file. sops
    sets KEY=<nil>; sekret leaves the variable out and says so."""
    theirs, ours, _, _ = run_both(Case(["exec-env", "--pristine", "enull.yaml", "env"], 0),
                                  world, tmp_path)  # fmt: skip
    assert theirs.status == ours.status == 0
    assert b"N=<nil>" in theirs.out
    assert b"N=" not in ours.out and b"A=a" in ours.out
    assert "sekret: warning: 'N' is null: left out of the environment" in ours.err


def _wait(path: Path, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_bytes().endswith(b"\n"):
        assert time.monotonic() < deadline, f"{path} never came"
        time.sleep(0.05)
    return path.read_bytes()


def test_exec_background(world: World, tmp_path: Path) -> None:
    """--background returns at once with status 0, the command runs on (its output goes
    to /dev/null), and exec-file's decrypted file is removed once the command is done
    (sops removes it at once, so its command may not find it)."""
    theirs, ours, d_theirs, d_ours = run_both(
        Case(["exec-env", "--background", "eflat.yaml", 'sleep 0.3; echo "$S" > out.txt'], 0),
        world, tmp_path,
    )  # fmt: skip
    assert theirs.status == ours.status == 0 and theirs.out == ours.out == b""
    assert _wait(d_ours / "out.txt") == _wait(d_theirs / "out.txt") == b"str\n"
    d = tmp_path / "file"
    shutil.copytree(world.base, d)
    r = _sekret(["exec-file", "--background", "--no-fifo", "ep.env",
                 "sleep 0.3; cat {} > copy.env; echo {} > where.txt"], d, world.env())  # fmt: skip
    assert r.status == 0 and r.out == b""
    where = _wait(d / "where.txt").decode().strip()
    assert (d / "copy.env").read_text() == PLAIN["p.env"]
    deadline = time.monotonic() + 10
    while Path(where).parent.exists():
        assert time.monotonic() < deadline, "the decrypted file was left behind"
        time.sleep(0.05)


def test_exec_user(world: World, tmp_path: Path) -> None:
    """--user: root drops to the user (uid, its group and supplementary groups); anyone
    else is refused, unless the user is already who they are."""
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    os.chmod(d, 0o755)
    env = world.env()
    if os.geteuid() == 0:
        case = Case(["exec-env", "--user", "nobody", "eflat.yaml", 'id -u; echo "$S"'], 0)
        _, ours = check(case, world, tmp_path / "both")
        assert ours.out.splitlines()[1] == b"str"
        groups = _sekret(["exec-env", "--user", "nobody", "eflat.yaml", "id -G"], d, env)
        import grp
        import pwd

        nobody = pwd.getpwnam("nobody")
        wanted = set(os.getgrouplist("nobody", nobody.pw_gid))
        assert set(map(int, groups.out.split())) == wanted  # not root's groups (sops keeps them)
        assert 0 not in wanted or grp.getgrgid(0).gr_name in {"root", "wheel"}
        # as a user who is not root: refused (run sekret as nobody)
        refused = subprocess.run(
            [sys.executable, "-m", "sekret", "exec-env", "--user", "root", "eflat.yaml", "true"],
            cwd=d, env={**env, "SOPS_AGE_KEY": world.key_files[0].read_text()},
            capture_output=True, text=True, user=nobody.pw_uid, group=nobody.pw_gid,
            extra_groups=[], check=False,
        )  # fmt: skip
    else:
        me = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        same = _sekret(["exec-env", "--user", me, "eflat.yaml", 'echo "$S"'], d, env)
        assert same.status == 0 and same.out == b"str\n"
        refused = subprocess.run(
            [sys.executable, "-m", "sekret", "exec-env", "--user", "root", "eflat.yaml", "true"],
            cwd=d, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.startswith(  # before anything is decrypted
        "sekret: error: --user root: only root can run a command as another user"
    ), refused.stderr


def test_exec_file_name_must_stay_in_its_directory(world: World, tmp_path: Path) -> None:
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    r = _sekret(["exec-file", "--no-fifo", "--filename", "../escape.txt", "ep.env", "true"],
                d, world.env())  # fmt: skip
    assert r.status == 1 and "give a plain file name" in r.err


# 7. --decryption-order and SOPS_DECRYPTION_ORDER
ORDER = cases(
    ("known-types", Case(["decrypt", "--decryption-order", "pgp,age,kms", "ep.yaml"], 0)),
    ("duplicate", Case(["decrypt", "--decryption-order", "age,age", "ep.yaml"], 112,
                       err="decryption key type: age")),
    ("duplicate-empty", Case(["decrypt", "--decryption-order", ",", "ep.yaml"], 112)),
    ("variable-duplicate", Case(["decrypt", "ep.yaml"], 112,
                                env={"SOPS_DECRYPTION_ORDER": "age,age"})),
    ("variable-ignored-by-encrypt", Case(["encrypt", "--age", "{k0}", "p.yaml"], 0, "none",
                                         env={"SOPS_DECRYPTION_ORDER": "age,age"})),
    ("legacy", Case(["-d", "--decryption-order", "age,age", "ep.yaml"], 112)),
    ("edit", Case(["edit", "--decryption-order", "age,age", "ep.yaml"], 112)),
    ("rotate", Case(["rotate", "--decryption-order", "pgp,pgp", "ep.yaml"], 112)),
    ("set", Case(["set", "--decryption-order", "age,age", "eset.yaml", '["d"]', "1"], 112)),
)  # fmt: skip


@pytest.mark.parametrize("case", ORDER)
def test_decryption_order(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_decryption_order_unknown_type_is_refused(world: World, tmp_path: Path) -> None:
    """sops ignores a type it does not know (a typo like AGE); sekret refuses it."""
    theirs, ours, _, _ = run_both(Case(["decrypt", "--decryption-order", "AGE", "ep.yaml"], 0),
                                  world, tmp_path)  # fmt: skip
    assert theirs.status == 0
    assert ours.status == 1 and "unknown decryption key type 'AGE'" in ours.err


# 8. set and unset: paths, JSON values, flags and statuses as sops
SET = cases(
    ("string", Case(["set", "eset.yaml", '["d"]', '"new"'], 0, files=("eset.yaml",))),
    ("number-is-float", Case(["set", "eset.yaml", '["d"]', "5"], 0, files=("eset.yaml",))),
    ("big-number", Case(["set", "eset.yaml", '["d"]', "12345678901234567890"], 0,
                        files=("eset.yaml",))),
    ("null", Case(["set", "eset.yaml", '["d"]', "null"], 0, files=("eset.yaml",))),
    ("object", Case(["set", "eset.yaml", '["d"]', '{"x": [1, "a", {"y": true}]}'], 0,
                    files=("eset.yaml",))),
    ("new-path", Case(["set", "eset.yaml", '["new"]["deep"][0]', "true"], 0,
                      files=("eset.yaml",))),
    ("append-index", Case(["set", "eset.yaml", '["a"]["c"][5]', '"app"'], 0,
                          files=("eset.yaml",))),
    ("replace-scalar-by-map", Case(["set", "eset.yaml", '["d"]["x"]', "1"], 0,
                                   files=("eset.yaml",))),
    ("index-on-map", Case(["set", "eset.yaml", "[0]", "1"], 0, files=("eset.yaml",))),
    ("single-quotes", Case(["set", "eset.yaml", "['a']['b']", '"q"'], 0, files=("eset.yaml",))),
    ("json-file", Case(["set", "ep.json", '["a"]["b"]', '"j"'], 0, files=("ep.json",))),
    ("dotenv-file", Case(["set", "ep.env", '["USER"]', '"root"'], 0, files=("ep.env",))),
    ("value-file", Case(["set", "--value-file", "eset.yaml", '["d"]', "value.json"], 0,
                        files=("eset.yaml",))),
    ("value-file-not-json", Case(["set", "--value-file", "eset.yaml", '["d"]', "bad.json"], 7,
                                 files=("eset.yaml",))),
    ("value-file-missing", Case(["set", "--value-file", "eset.yaml", '["d"]', "nope.json"], 1)),
    ("value-stdin", Case(["set", "--value-stdin", "eset.yaml", '["d"]'], 0, stdin=b'"in"\n',
                         files=("eset.yaml",))),
    ("value-stdin-three-args", Case(["set", "--value-stdin", "eset.yaml", '["d"]', "1"], 100)),
    ("value-file-and-stdin", Case(["set", "--value-file", "--value-stdin", "eset.yaml",
                                   '["d"]'], 1)),
    ("two-args", Case(["set", "eset.yaml", '["d"]'], 100)),
    ("no-args", Case(["set"], 100)),
    ("bad-path", Case(["set", "eset.yaml", '["d"', '"x"'], 7, files=("eset.yaml",))),
    ("bare-key", Case(["set", "eset.yaml", "d", '"x"'], 7)),
    ("not-json", Case(["set", "eset.yaml", '["d"]', "nojson"], 7)),
    ("empty-value", Case(["set", "eset.yaml", '["d"]', ""], 7)),
    ("trailing-data", Case(["set", "eset.yaml", '["d"]', '"a" "b"'], 7)),
    ("nan", Case(["set", "eset.yaml", '["d"]', "NaN"], 7)),
    ("out-of-range", Case(["set", "eset.yaml", '["d"]', "1e400"], 7)),
    ("array", Case(["set", "eset.yaml", '["d"]', "[1, 2]"], 7)),
    ("lone-surrogate", Case(["set", "eset.yaml", '["d"]', '"\\ud800"'], 0, files=("eset.yaml",))),
    ("missing-file", Case(["set", "nope.yaml", '["d"]', "1"], 2)),
    ("not-sops", Case(["set", "set.yaml", '["d"]', "1"], 1)),
    ("unparsable", Case(["set", "bad.yaml", '["d"]', "1"], 1)),
    ("wrong-key", Case(["set", "eset.yaml", '["d"]', "1"], 128, keys=(2,))),
    ("idempotent-same", Case(["set", "--idempotent", "eset.yaml", '["d"]', '"hi"'], 0,
                             files=("eset.yaml",))),
    ("idempotent-int-vs-float", Case(["set", "--idempotent", "eset.yaml", '["a"]["b"]', "1"], 0,
                                     files=("eset.yaml",))),
    ("legacy-set", Case(["--set", '["d"] {"k": "v"}', "eset.yaml"], 0, files=("eset.yaml",))),
    ("legacy-set-bad", Case(["--set", "nospace", "eset.yaml"], 7)),
    ("legacy-set-not-json", Case(["--set", '["d"] nojson', "eset.yaml"], 7)),
)  # fmt: skip

UNSET = cases(
    ("key", Case(["unset", "eset.yaml", '["d"]'], 0, files=("eset.yaml",))),
    ("index", Case(["unset", "eset.yaml", '["a"]["c"][1]'], 0, files=("eset.yaml",))),
    ("missing-key", Case(["unset", "eset.yaml", '["zz"]'], 1, files=("eset.yaml",))),
    ("missing-key-idempotent", Case(["unset", "--idempotent", "eset.yaml", '["zz"]'], 0,
                                    files=("eset.yaml",))),
    ("index-out-of-bounds", Case(["unset", "eset.yaml", '["a"]["c"][5]'], 1)),
    ("index-idempotent", Case(["unset", "--idempotent", "eset.yaml", '["a"]["c"][5]'], 0,
                              files=("eset.yaml",))),
    ("through-a-string", Case(["unset", "eset.yaml", '["d"]["x"]'], 1)),
    ("through-a-string-idempotent", Case(["unset", "--idempotent", "eset.yaml", '["d"]["x"]'],
                                         1)),
    ("deep-missing-idempotent", Case(["unset", "--idempotent", "eset.yaml", '["zz"]["y"]'], 0,
                                     files=("eset.yaml",))),
    ("index-on-map", Case(["unset", "eset.yaml", "[0]"], 1)),
    ("bad-path", Case(["unset", "eset.yaml", "bad"], 7)),
    ("no-path", Case(["unset", "eset.yaml"], 100)),
    ("three-args", Case(["unset", "eset.yaml", '["d"]', "x"], 100)),
    ("missing-file", Case(["unset", "nope.yaml", '["d"]'], 2)),
)  # fmt: skip


@pytest.mark.parametrize("case", SET)
def test_set(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


@pytest.mark.parametrize("case", UNSET)
def test_unset(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_set_refuses_what_sops_writes_wrong(world: World, tmp_path: Path) -> None:
    """A value with a key twice: sops writes it twice; a string key on a list: sops
    stops with a Go panic (exit 2). sekret refuses both, and writes nothing."""
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    env = world.env()
    before = (d / "eset.yaml").read_bytes()
    r = _sekret(["set", "eset.yaml", '["d"]', '{"a": 1, "a": 2}'], d, env)
    assert r.status == 7 and "an object has a key twice" in r.err
    assert _sops(["set", "eset.yaml", '["a"]["c"]["k"]', "1"], d, env).status == 2
    r = _sekret(["set", "eset.yaml", '["a"]["c"]["k"]', "1"], d, env)
    assert r.status == 1 and r.err.startswith("sekret: error: cannot set 'k' in a list")
    assert (d / "eset.yaml").read_bytes() == before


# 9. the remaining statuses sops gives: standard input, filestatus, updatekeys,
#    rotate, extra arguments and conflicting flags
MISC = cases(
    ("stdin-binary-default", Case(["decrypt"], 0, stdin=b"@ep.bin")),
    ("stdin-yaml-without-type", Case(["decrypt"], 1, stdin=b"@ep.yaml")),
    ("stdin-json-binary-out", Case(["decrypt"], 4, stdin=b"@ep.json")),
    ("stdin-input-type-only", Case(["decrypt", "--input-type", "yaml"], 4, stdin=b"@ep.yaml")),
    ("stdin-both-types", Case(["decrypt", "--input-type", "yaml", "--output-type", "yaml"], 0,
                              stdin=b"@ep.yaml")),
    ("stdin-filename-override", Case(["decrypt", "--filename-override", "x.yaml"], 0,
                                     stdin=b"@ep.yaml")),
    ("stdin-in-place", Case(["decrypt", "-i"], 8, stdin=b"@ep.yaml")),
    ("stdin-encrypt-no-override", Case(["encrypt", "--age", "{k0}"], 8, stdin=b"@p.yaml")),
    ("stdin-encrypt-in-place", Case(["encrypt", "-i", "--age", "{k0}"], 8, stdin=b"@p.yaml")),
    ("filestatus-encrypted", Case(["filestatus", "ep.yaml"], 0)),
    ("filestatus-plain", Case(["filestatus", "p.yaml"], 0)),
    ("filestatus-plain-json", Case(["filestatus", "p.json"], 0)),
    ("filestatus-empty-yaml", Case(["filestatus", "empty.yaml"], 0)),
    ("filestatus-missing", Case(["filestatus", "nope.yaml"], 1)),
    ("filestatus-unparsable", Case(["filestatus", "bad.yaml"], 1)),
    ("filestatus-binary-not-json", Case(["filestatus", "p.bin"], 1)),
    ("filestatus-no-file", Case(["filestatus"], 100)),
    ("filestatus-input-type", Case(["filestatus", "--input-type", "yaml", "ep.yaml"], 0)),
    ("rotate-missing", Case(["rotate", "nope.yaml"], 2)),
    ("rotate-missing-add-age", Case(["rotate", "--add-age", "{k1}", "nope.yaml"], 49)),
    ("rotate-no-file", Case(["rotate"], 100)),
    ("legacy-rotate-missing", Case(["-r", "nope.yaml"], 100)),
    ("legacy-add-age-missing", Case(["--add-age", "{k1}", "nope.yaml"], 49)),
    ("legacy-decrypt-missing", Case(["-d", "nope.yaml"], 100)),
    ("legacy-no-file", Case(["-d"], 100)),
    ("decrypt-missing", Case(["decrypt", "nope.yaml"], 100)),
    ("decrypt-unparsable", Case(["decrypt", "bad.yaml"], 1)),
    ("decrypt-empty-yaml", Case(["decrypt", "empty.yaml"], 1)),
    ("decrypt-two-files", Case(["decrypt", "ep.yaml", "ep.json"], 0)),
    ("legacy-two-files", Case(["-d", "ep.env", "ep.json"], 0)),
    ("encrypt-two-files", Case(["encrypt", "--age", "{k0}", "p.yaml", "p.json"], 0,
                               "encrypted:.yaml")),
    ("decrypt-in-place-and-output", Case(["decrypt", "-i", "--output", "o.yaml", "ep.yaml"], 8)),
    ("encrypt-in-place-and-output", Case(["encrypt", "-i", "--output", "o.yaml", "--age",
                                          "{k0}", "p.yaml"], 8)),
    ("rotate-in-place-and-output", Case(["rotate", "-i", "--output", "o.yaml", "ep.yaml"], 8)),
    ("legacy-in-place-and-output", Case(["-d", "-i", "--output", "o.yaml", "ep.yaml"], 8)),
    ("decrypt-in-place", Case(["decrypt", "-i", "ep.yaml"], 0, files=("ep.yaml",))),
    ("decrypt-output", Case(["decrypt", "--output", "o.yaml", "ep.yaml"], 0, files=("o.yaml",))),
    ("extract-bad-path", Case(["decrypt", "--extract", "[bad", "ep.yaml"], 91)),
    ("extract-empty-path", Case(["decrypt", "--extract", "", "ep.yaml"], 0)),
    ("two-crypt-rules", Case(["encrypt", "--age", "{k0}", "--encrypted-regex", "a",
                              "--unencrypted-suffix", "b", "p.yaml"], 8)),
    ("mac-mismatch", Case(["decrypt", "et.yaml"], 51)),
    ("ignore-mac", Case(["decrypt", "--ignore-mac", "et.yaml"], 0)),
    ("wrong-key", Case(["decrypt", "ep.yaml"], 128, keys=(2,))),
)  # fmt: skip


@pytest.mark.parametrize("case", MISC)
def test_statuses(case: Case, world: World, tmp_path: Path) -> None:
    if case.stdin.startswith(b"@"):
        case.stdin = (world.base / case.stdin[1:].decode()).read_bytes()
    check(case, world, tmp_path)


UPDATEKEYS = cases(
    ("answer-n", Case(["updatekeys", "a.yaml"], 0, stdin=b"n\n", cwd="uk", files=("a.yaml",))),
    ("answer-y", Case(["updatekeys", "a.yaml"], 0, stdin=b"y\n", cwd="uk", files=("a.yaml",))),
    ("asked-again", Case(["updatekeys", "a.yaml"], 0, stdin=b"yes\nmaybe\nn\n", cwd="uk",
                         files=("a.yaml",))),
    ("no-answer", Case(["updatekeys", "a.yaml"], 1, cwd="uk", files=("a.yaml",))),
    ("yes-flag", Case(["updatekeys", "-y", "a.yaml"], 0, cwd="uk", files=("a.yaml",))),
    ("two-files-n", Case(["updatekeys", "a.yaml", "b.yaml"], 0, stdin=b"n\nn\n", cwd="uk",
                         files=("a.yaml", "b.yaml"))),
    ("missing-file", Case(["updatekeys", "-y", "nope.yaml"], 1, cwd="uk")),
    ("missing-and-good", Case(["updatekeys", "-y", "nope.yaml", "a.yaml"], 1, cwd="uk",
                              files=("a.yaml",))),
    ("no-file", Case(["updatekeys"], 100, cwd="uk")),
    ("wrong-key", Case(["updatekeys", "-y", "a.yaml"], 128, cwd="uk", keys=(2,))),
)  # fmt: skip


@pytest.mark.parametrize("case", UPDATEKEYS)
def test_updatekeys(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_updatekeys_when_up_to_date(world: World, tmp_path: Path) -> None:
    case = Case(["updatekeys", "-y", "a.yaml"], 0, cwd="uk", files=("a.yaml",))
    _, _, d_theirs, d_ours = run_both(case, world, tmp_path)
    again = [_sops(["updatekeys", "a.yaml"], d_theirs / "uk", world.env()),
             _sekret(["updatekeys", "a.yaml"], d_ours / "uk", world.env())]  # fmt: skip
    assert [r.status for r in again] == [0, 0] and again[0].out == again[1].out == b""
    assert "already up to date" in again[0].err and "already up to date" in again[1].err


# 10. flags sekret cannot honour are refused (status 1, sops's status for a flag it
#     does not take); those without effect in sops too are accepted
REFUSED = cases(
    ("decrypt-pgp", Case(["decrypt", "--pgp", "ABCDEF", "ep.yaml"], 1, "none")),
    ("decrypt-age", Case(["decrypt", "--age", "{k0}", "ep.yaml"], 1, "none")),
    ("encrypt-pgp", Case(["encrypt", "--pgp", "ABCDEF", "p.yaml"], 1)),
    ("rotate-add-pgp", Case(["rotate", "--add-pgp", "ABCDEF", "ep.yaml"], 1)),
    ("encryption-context-invalid", Case(["encrypt", "--age", "{k0}", "--encryption-context",
                                         "bad", "p.yaml"], 6)),
    ("encryption-context-valid", Case(["encrypt", "--age", "{k0}", "--encryption-context",
                                       "a:b", "p.yaml"], 0, "encrypted:.yaml")),
    ("aws-profile", Case(["encrypt", "--age", "{k0}", "--aws-profile", "x", "p.yaml"], 0,
                         "encrypted:.yaml")),
    ("set-threshold-no-effect", Case(["set", "--shamir-secret-sharing-threshold", "3",
                                      "eset.yaml", '["d"]', "2"], 0, files=("eset.yaml",))),
    ("updatekeys-output", Case(["updatekeys", "--output", "x", "a.yaml"], 1, "none", cwd="uk")),
)  # fmt: skip


@pytest.mark.parametrize("case", REFUSED)
def test_refused_and_accepted_flags(case: Case, world: World, tmp_path: Path) -> None:
    check(case, world, tmp_path)


def test_flags_sekret_cannot_honour_are_never_ignored(world: World, tmp_path: Path) -> None:
    """Where sops would use a key type sekret does not have, sekret refuses; a key
    service is really asked (a local key service switched off is off)."""
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    env = world.env()
    for args, message, extra in (
        (["decrypt", "--enable-local-keyservice=false", "ep.yaml"], "failed to get the data "
         "key", {}),
        (["decrypt", "ep.yaml"], "failed to get the data key",
         {"SOPS_ENABLE_LOCAL_KEYSERVICE": "false"}),
        (["decrypt", "ep.yaml"], "invalid key service URI", {"SOPS_KEYSERVICE": "udp://x:1"}),
        (["encrypt", "--age", world.recipients[0], "p.yaml"], "SOPS_KMS_ARN is set",
         {"SOPS_KMS_ARN": "arn:aws:kms:us-east-1:0:key/x"}),
        (["filestatus", "--keyservice", "tcp://127.0.0.1:1", "ep.yaml"], "has no effect", {}),
    ):
        r = _sekret(args, d, {**env, **extra})
        assert r.status in (1, 128) and message in r.err.splitlines()[0], (args, r.err)
        assert "no key service to ask" in r.err or "failed to get" not in message
    for args, extra in (
        (["decrypt", "--keyservice", "tcp://127.0.0.1:1", "ep.yaml"], {}),
        (["decrypt", "ep.yaml"], {"SOPS_KEYSERVICE": "tcp://127.0.0.1:1"}),
        (["decrypt", "--enable-local-keyservice=true", "ep.yaml"], {}),
    ):
        r = _sekret(args, d, {**env, **extra})
        assert r.status == 0 and r.err == "", (args, r.err)


# 5. edit -s / --show-master-keys
EDITOR = """\
import os, sys
path = sys.argv[1]
text = open(path).read()
open(os.environ["EDIT_CAPTURE"], "w").write(text)
olds = os.environ.get("EDIT_FROM", "").split("\\0")
for old, new in zip(olds, os.environ.get("EDIT_TO", "").split("\\0")):
    if old:
        text = text.replace(old, new)
open(path, "w").write(text)
"""


def _editor_env(
    w: World, tmp: Path, keys: tuple[int, ...] = (0, 1), **edits: str
) -> dict[str, str]:
    script = tmp / "editor.py"
    script.write_text(EDITOR)
    return w.env(keys, EDITOR=f"{sys.executable} {script}", EDIT_CAPTURE=str(tmp / "seen"),
                 **edits)  # fmt: skip


def test_edit_shows_the_master_keys_as_sops(world: World, tmp_path: Path) -> None:
    """What -s puts in the editor: the decrypted document with the sops block."""
    seen = []
    for tool in (_sops, _sekret):
        d = tmp_path / tool.__name__
        shutil.copytree(world.base, d)
        for args in (["edit", "-s", "eset.yaml"], ["-s", "eset.yaml"]):
            r = tool(args, d, _editor_env(world, d))
            assert r.status == 200, r.err  # nothing changed
            seen.append(yaml.safe_load((d / "seen").read_text()))
        r = tool(["edit", "--show-master-keys", "ep.json"], d, _editor_env(world, d))
        assert r.status == 200, r.err
        seen.append(json.loads((d / "seen").read_text()))
    theirs, ours = seen[:3], seen[3:]
    assert ours == theirs
    assert ours[0]["d"] == "hi" and ours[0]["sops"]["age"][0]["recipient"] == world.recipients[0]


def test_edit_show_master_keys_writes_what_was_edited(world: World, tmp_path: Path) -> None:
    """sops 3.11 drops every edit made with -s (it re-encrypts the file as it was);
    sekret writes the values and the metadata as edited, as sops means to."""
    k0, k1 = world.recipients[0], world.recipients[1]
    edits = {"EDIT_FROM": "d: hi", "EDIT_TO": "d: changed"}
    for tool in (_sops, _sekret):
        d = tmp_path / tool.__name__
        shutil.copytree(world.base, d)
        r = tool(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **edits))
        assert r.status == 0, r.err
        dec = _sops(["decrypt", "eset.yaml"], d, world.env())
        assert yaml.safe_load(dec.out)["d"] == ("hi" if tool is _sops else "changed")
    d = tmp_path / "keys"
    shutil.copytree(world.base, d)
    # add an age recipient to the group: sekret wraps the data key for it
    new_key = f"- recipient: {k1}\n          enc: x\n        - recipient: {k0}"
    grow = {"EDIT_FROM": f"- recipient: {k0}", "EDIT_TO": new_key}
    r = _sekret(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **grow))
    assert r.status == 0, r.err
    assert _meta((d / "eset.yaml").read_bytes(), ".yaml") == ([sorted([k0, k1])], None)
    only_k1 = _sops(["decrypt", "eset.yaml"], d, world.env((1,)))
    assert only_k1.status == 0 and yaml.safe_load(only_k1.out)["d"] == "hi"
    # remove it again: the file is for k0 only, k1 cannot open it any more
    shrink = {"EDIT_FROM": f"- recipient: {k1}", "EDIT_TO": "- recipient: REMOVED"}
    r = _sekret(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **shrink))
    assert r.status == 1 and "invalid age recipient" in r.err  # a made-up recipient: refused
    drop = (d / "seen").read_text()
    start = drop.index(f"- recipient: {k1}")
    end = drop.index(f"- recipient: {k0}")
    cut = {"EDIT_FROM": drop[start:end], "EDIT_TO": ""}
    r = _sekret(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **cut))
    assert r.status == 0, r.err
    assert _meta((d / "eset.yaml").read_bytes(), ".yaml") == ([[k0]], None)
    assert _sops(["decrypt", "eset.yaml"], d, world.env((1,))).status == 128
    assert _sops(["decrypt", "eset.yaml"], d, world.env((0,))).status == 0


def test_edit_show_master_keys_refusals(world: World, tmp_path: Path) -> None:
    d = tmp_path / "d"
    shutil.copytree(world.base, d)
    before = (d / "eset.yaml").read_bytes()
    for edits, status, message in (
        ({"EDIT_FROM": "sops:", "EDIT_TO": "other:"}, 1, "the sops metadata is missing"),
        ({"EDIT_FROM": "version: 3.11.0", "EDIT_TO": "version: banana"}, 202,
         "failed to compare the document version"),
    ):  # no terminal: nothing to return to; the edit is kept encrypted beside the file
        r = _sekret(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **edits))
        assert r.status == status and message in r.err, r.err
        assert (d / "eset.yaml").read_bytes() == before
    r = _sekret(["edit", "-s", "new.yaml", "--age", world.recipients[0]], d, _editor_env(world, d))
    assert r.status == 1 and "--show-master-keys needs an existing file" in r.err
    banana = {"EDIT_FROM": "version: 3.11.0", "EDIT_TO": "version: banana"}
    bad = _sops(["edit", "-s", "eset.yaml"], d, _editor_env(world, d, **banana))
    assert bad.status == 202
