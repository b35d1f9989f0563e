"""``sekret agenix`` in-process: agenix's own example (vendored), edits, rekey, clean errors."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from sekret import age
from sekret.age.x25519 import X25519Identity
from tests.cli.helpers import Result, assert_clean_failure, run_cli
from tests.conftest import require_tool, vendored

EXAMPLE = vendored("agenix-example")
PLAIN = {
    "secret1.age": b"hello\n",
    "secret2.age": b"world!\n",
    "armored-secret.age": b"Hello World!\n",
    "-leading-hyphen-filename.age": b"filename started with hyphen\n",
}
#: Which example key can read which file (secret2 and the armored one: user1 only).
SYSTEM1_READS = ("secret1.age", "passwordfile-user1.age", "-leading-hyphen-filename.age")


@pytest.fixture(params=["nix", "builtin"])
def reader(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment for each rules reader: nix-instantiate on PATH, or no nix at all."""
    if request.param == "nix":
        nix = require_tool("nix-instantiate")
        return {"PATH": os.path.dirname(nix)}
    empty = tmp_path / "no-nix"
    empty.mkdir()
    return {"PATH": str(empty)}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of agenix's example directory, with user1 as ~/.ssh/id_ed25519 of HOME."""
    work = tmp_path / "example"
    shutil.copytree(EXAMPLE / "example", work)
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    shutil.copy(EXAMPLE / "example_keys" / "user1", ssh / "id_ed25519")
    return work


def agenix(cwd: Path, *args: str, environ: dict[str, str] | None = None,
           stdin: bytes = b"", tty: bool = False) -> Result:
    env = {"HOME": str(cwd.parent / "home"), **(environ or {})}
    return run_cli(["agenix", *args], cwd, stdin=stdin, environ=env,
                   tty=["stdin"] if tty else [])


def editor(tmp_path: Path, body: str) -> str:
    """An EDITOR program (Python): ``path`` is the file; it logs the path it was given."""
    script = tmp_path / "editor.py"
    log = tmp_path / "editor.log"
    script.write_text(f"#!{sys.executable}\nimport sys\npath = sys.argv[1]\n"
                      f"open({str(log)!r}, 'a').write(path + '\\n')\n{body}\n")
    script.chmod(0o755)
    return str(script)


def edited_paths(tmp_path: Path) -> list[str]:
    return (tmp_path / "editor.log").read_text().split()


def test_shared_example_decrypts_with_default_and_given_keys(
        example: Path, reader: dict[str, str]) -> None:
    for name, plain in PLAIN.items():
        r = agenix(example, "-d", name, environ=reader)
        assert (r.status, r.stdout) == (0, plain), r.err
    r = agenix(example, "-d", "passwordfile-user1.age", environ=reader)
    assert r.status == 0 and r.stdout.startswith(b"$6$")
    system1 = str(EXAMPLE / "example_keys" / "system1")
    for name in SYSTEM1_READS:
        r = agenix(example, "-d", name, "-i", system1, environ={**reader, "HOME": "/nonexistent"})
        assert r.status == 0 and r.stdout, r.err
    r = agenix(example, "--decrypt", "secret2.age", "--identity", system1,
               environ={**reader, "HOME": "/nonexistent"})
    assert_clean_failure(r)
    assert "cannot decrypt 'secret2.age'" in r.err and "ssh-ed25519" in r.err


def test_rules_from_another_directory_and_rules_env(example: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = agenix(elsewhere, "-d", "../example/secret1.age", "--rules", "../example/secrets.nix")
    assert (r.status, r.stdout) == (0, b"hello\n"), r.err
    r = agenix(elsewhere, "-d", str(example / "secret2.age"),
               environ={"RULES": str(example / "secrets.nix")})
    assert (r.status, r.stdout) == (0, b"world!\n"), r.err


def test_default_rules_toml_and_json(example: Path) -> None:
    from sekret.install.agenix_rules import parse_nix

    rules = parse_nix((example / "secrets.nix").read_text(), "secrets.nix")
    (example / "secrets.nix").unlink()
    data = {n: {"publicKeys": list(r.public_keys), "armor": r.armor} for n, r in rules.items()}
    (example / "secrets.json").write_text(json.dumps(data))
    assert agenix(example, "-d", "secret1.age").stdout == b"hello\n"
    toml = "".join(f'["{n}"]\npublicKeys = {json.dumps(list(r.public_keys))}\n'
                   for n, r in rules.items())
    (example / "secrets.toml").write_text(toml)  # secrets.toml comes before secrets.json
    (example / "secrets.json").write_text("{")
    assert agenix(example, "-d", "secret2.age").stdout == b"world!\n"


def test_edit_with_scripted_editor_keeps_armor(example: Path, tmp_path: Path) -> None:
    ed = editor(tmp_path, "open(path, 'ab').write(b'more\\n')")
    for name in ("secret1.age", "armored-secret.age"):
        r = agenix(example, "-e", name, environ={"EDITOR": ed}, tty=True)
        assert r.status == 0, r.err
        assert agenix(example, "-d", name).stdout == PLAIN[name] + b"more\n"
    assert (example / "armored-secret.age").read_bytes().startswith(
        b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert (example / "secret1.age").read_bytes().startswith(b"age-encryption.org/v1\n")
    # the plaintext lived in a private 0700 directory that is gone now
    for path in edited_paths(tmp_path):
        assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))
        assert os.path.basename(path) in ("secret1.age", "armored-secret.age")
    # EDITOR is word-split ("code --wait"), SOPS_EDITOR is not agenix's
    r = agenix(example, "-e", "secret2.age", tty=True,
               environ={"EDITOR": f"{sys.executable} {ed}", "SOPS_EDITOR": "false"})
    assert r.status == 0, r.err
    assert agenix(example, "-d", "secret2.age").stdout == b"world!\nmore\n"


def test_edit_from_stdin_and_new_files(example: Path, tmp_path: Path) -> None:
    r = agenix(example, "-e", "passwordfile-user1.age", stdin=b"secret1234\n")
    assert r.status == 0, r.err
    assert agenix(example, "-d", "passwordfile-user1.age").stdout == b"secret1234\n"
    system1 = str(EXAMPLE / "example_keys" / "system1")
    assert agenix(example, "-d", "passwordfile-user1.age", "-i", system1,
                  environ={"HOME": "/x"}).stdout == b"secret1234\n"
    # a new file named in the rules, in a new directory, from stdin
    rules = example / "secrets.nix"
    rules.write_text(rules.read_text().replace(
        '"secret2.age"', '"new/deep.age".publicKeys = [ user1 ];\n  "secret2.age"'))
    r = agenix(example, "-e", "new/deep.age", stdin=b"fresh")
    assert r.status == 0, r.err
    assert agenix(example, "-d", "new/deep.age").stdout == b"fresh"
    assert stat.S_IMODE((example / "new/deep.age").stat().st_mode) & 0o077 <= 0o044
    # a new file whose editor writes nothing is not created
    (example / "new/deep.age").unlink()
    r = agenix(example, "-e", "new/deep.age", environ={"EDITOR": editor(tmp_path, "")},
               tty=True)
    assert r.status == 0 and "wasn't created" in r.err
    assert not (example / "new/deep.age").exists()


def test_no_change_no_rewrite(example: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in example.glob("*.age")}
    r = agenix(example, "-e", "secret1.age", environ={"EDITOR": editor(tmp_path, "")},
               tty=True)
    assert r.status == 0 and "wasn't changed, skipping re-encryption" in r.err
    r = agenix(example, "-e", "armored-secret.age", stdin=b"Hello World!\n")
    assert r.status == 0 and "wasn't changed" in r.err
    assert {p.name: p.read_bytes() for p in example.glob("*.age")} == before


def test_editor_failure_keeps_file_and_no_plaintext(example: Path, tmp_path: Path) -> None:
    before = (example / "secret1.age").read_bytes()
    ed = editor(tmp_path, "open(path, 'wb').write(b'half-typed s3cr3t')\nsys.exit(3)")
    r = agenix(example, "-e", "secret1.age", environ={"EDITOR": ed}, tty=True)
    assert_clean_failure(r, "s3cr3t")
    assert "status 3" in r.err
    assert (example / "secret1.age").read_bytes() == before
    for path in edited_paths(tmp_path):
        assert not os.path.exists(os.path.dirname(path))
    rescued = list(example.glob("secret1.age.sekret-rescue-*"))
    assert len(rescued) == 1 and b"s3cr3t" not in rescued[0].read_bytes()
    key = (example.parent / "home/.ssh/id_ed25519").read_bytes()
    assert age.decrypt(rescued[0].read_bytes(), [key]) == b"half-typed s3cr3t"
    # an editor that cannot be run
    r = agenix(example, "-e", "secret1.age", environ={"EDITOR": str(tmp_path / "nope")},
               tty=True)
    assert_clean_failure(r)
    assert (example / "secret1.age").read_bytes() == before


def test_rekey_all_or_nothing(example: Path, tmp_path: Path) -> None:
    new = X25519Identity.generate()
    rules = example / "secrets.nix"
    text = rules.read_text().replace("in\n{", f'  new = "{new.recipient()}";\nin\n{{')
    rules.write_text(text.replace("user1\n    system1", "user1\n    system1\n    new")
                     .replace("[ user1 ]", "[ user1 new ]"))
    before = {p.name: p.read_bytes() for p in example.glob("*.age")}
    # system1 alone cannot read secret2 / armored-secret: nothing may change
    system1 = str(EXAMPLE / "example_keys" / "system1")
    r = agenix(example, "-r", "-i", system1, environ={"HOME": "/nonexistent"})
    assert_clean_failure(r)
    assert "2 of 5" in r.err and "no file was changed" in r.err
    assert r.err.count("sekret: warning: cannot decrypt") == 2
    assert {p.name: p.read_bytes() for p in example.glob("*.age")} == before
    # a rule whose file does not exist is skipped
    rules.write_text(rules.read_text().replace('"secret2.age"', '"absent.age".publicKeys = '
                                               '[ new ];\n  "secret2.age"'))
    r = agenix(example, "-r")
    assert r.status == 0, r.err
    assert "absent.age does not exist, skipped" in r.err and "rekeyed 5 files" in r.err
    assert not (example / "absent.age").exists()
    for name in before:
        data = (example / name).read_bytes()
        assert data != before[name]
        assert age.decrypt(data, [new]) == age.decrypt(before[name], [
            (example.parent / "home/.ssh/id_ed25519").read_bytes()])
    assert (example / "armored-secret.age").read_bytes().startswith(b"-----BEGIN AGE")


@pytest.mark.parametrize(("rules", "fragment"), [
    ('{ "secret1.age".publicKeys = [ "ssh-ed25519 AAAA" ]; ', "secrets.nix"),
    ('{ "secret1.age".publicKeys = [ ]; }', "non-empty list"),
    ('{ "secret1.age".publicKeys = [ "age1notakey" ]; }', "'secret1.age'"),
])
def test_bad_rules_clean_error(example: Path, reader: dict[str, str], rules: str,
                               fragment: str) -> None:
    (example / "secrets.nix").write_text(rules)
    r = agenix(example, "-e", "secret1.age", stdin=b"x", environ=reader)
    assert_clean_failure(r)
    assert fragment in r.err
    assert "sekret: hint:" in r.err or "non-empty" in r.err


def test_clean_errors(example: Path) -> None:
    r = agenix(example, "-d", "unknown.age")
    assert_clean_failure(r)
    assert "there is no rule for 'unknown.age' in " in r.err and "sekret: hint:" in r.err
    r = agenix(example / "..", "-d", "secret1.age")
    assert_clean_failure(r)
    assert "cannot read rules file './secrets.nix'" in r.err
    r = agenix(example, "-d", "secret1.age", environ={"HOME": "/nonexistent"})
    assert_clean_failure(r)
    assert "no identity found" in r.err
    r = agenix(example, "-d", "secret1.age", "-i", str(example / "missing-key"))
    assert_clean_failure(r)
    (example / "secret1.age").unlink()
    r = agenix(example, "-d", "secret1.age")
    assert_clean_failure(r)
    assert "cannot read 'secret1.age'" in r.err


@pytest.mark.parametrize("args", [[], ["-r", "-d", "x"], ["-e"], ["-d", "a", "-d", "b"],
                                  ["-r", "-i"], ["-x"], ["-r", "--rules"]])
def test_usage_errors(example: Path, args: list[str]) -> None:
    r = agenix(example, *args)
    assert r.status == 2
    assert_clean_failure(r)


def test_help() -> None:
    r = run_cli(["agenix", "--help"], Path("."))
    assert r.status == 0
    assert "sekret agenix -e FILE" in r.out and "examples:" in r.out
    assert "$ sekret agenix -r" in r.out
