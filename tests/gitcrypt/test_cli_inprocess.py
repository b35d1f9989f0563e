"""``sekret git-crypt`` run in-process: help, usage errors, and property round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sekret.gitcrypt import blob, keyfile
from tests.cli.helpers import assert_clean_failure, run_cli
from tests.gitcrypt.helpers import git, make_env

SUBCOMMANDS = ["init", "unlock", "lock", "export-key", "status", "add-gpg-user",
               "add-age-user", "rotate-key", "install-hook", "pre-commit"]


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = run_cli(["git-crypt", "--help"], tmp_path)
    assert out.status == 0
    for name in SUBCOMMANDS:
        assert f"  {name}" in out.out
    assert "git-crypt" in run_cli(["--help"], tmp_path).out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help(tmp_path: Path, name: str) -> None:
    out = run_cli(["git-crypt", name, "--help"], tmp_path)
    assert out.status == 0 and "usage" in out.out.lower()


@pytest.mark.parametrize(("args", "expect"), [
    (["git-crypt", "frobnicate"], "is not a git-crypt command"),
    (["git-crypt", "export-key"], "no filename specified"),
    (["git-crypt", "status", "-e", "-u"], "mutually exclusive"),
    (["git-crypt", "status", "-f", "-e"], "cannot be used with -f"),
    (["git-crypt", "add-gpg-user"], "no GPG user ID"),
    (["git-crypt", "init", "-k", "bad name"], "invalid key name"),
    (["git-crypt", "status"], "not a git repository"),
])
def test_usage_errors(tmp_path: Path, args: list[str], expect: str) -> None:
    env = make_env(tmp_path / "home")
    out = run_cli(args, tmp_path, environ=env)
    assert_clean_failure(out)
    assert expect in out.err


def test_export_key_refuses_binary_to_terminal(tmp_path: Path) -> None:
    env = make_env(tmp_path / "home")
    git(["init", "-q", str(tmp_path / "r")], tmp_path, env)
    assert run_cli(["git-crypt", "init"], tmp_path / "r", environ=env).status == 0
    out = run_cli(["git-crypt", "export-key", "-"], tmp_path / "r", environ=env, tty=["stdout"])
    assert_clean_failure(out)
    b64 = run_cli(["git-crypt", "export-key", "--base64", "-"], tmp_path / "r", environ=env,
                  tty=["stdout"])
    assert b64.status == 0 and len(keyfile.parse_any(b64.stdout).latest.aes_key) == 32


names = st.none() | st.text("abcXYZ019_-", min_size=1, max_size=128).filter(
    lambda s: s != "default")


@settings(max_examples=60, deadline=None)
@given(name=names, skip=st.booleans(), rotations=st.integers(0, 3),
       seed=st.binary(min_size=96, max_size=96), data=st.binary(max_size=300))
def test_key_and_blob_round_trips(name: str | None, skip: bool, rotations: int, seed: bytes,
                                  data: bytes) -> None:
    stream = iter(seed * 8)
    key = keyfile.generate(name, skip_empty=skip,
                           rng=lambda n: bytes(next(stream) for _ in range(n)))
    for _ in range(rotations):
        key = keyfile.rotate(key)
    raw = keyfile.serialize(key)
    assert keyfile.parse(raw) == key
    assert keyfile.serialize(keyfile.parse_any(keyfile.to_base64(key))) == raw
    assert blob.decrypt(key.entries, blob.encrypt(key.latest, data)) == data
