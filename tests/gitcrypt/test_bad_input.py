"""Wrong keys, bad key files, tampering, no repository, dirty trees: one clear error each,
and nothing half-done (no key written, no config changed, working tree unchanged)."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.gitcrypt.conftest import Origin
from tests.gitcrypt.helpers import git, run, sekret, tree_files
from tests.gitcrypt.vectors import DEFAULT_KEY


def _clone(o: Origin, tmp_path: Path) -> Path:
    dest = tmp_path / "c"
    git(["clone", "-q", str(o.path), str(dest)], tmp_path, o.env)
    return dest


def _untouched(repo: Path, o: Origin, before: dict[str, bytes]) -> None:
    assert not (repo / ".git/git-crypt").exists() or not any(
        (repo / ".git/git-crypt/keys").iterdir())
    assert b"git-crypt" not in git(["config", "-l"], repo, o.env).stdout
    assert tree_files(repo) == before


def _fails(args: list[str], repo: Path, o: Origin, *, input: bytes | None = None,
           status: int = 1) -> str:
    """Run sekret expecting one ``sekret: error:`` line, then only hint lines."""
    proc = sekret(args, repo, o.env, input=input, check=False)
    assert proc.returncode == status, proc.stderr
    err = proc.stderr.decode()
    lines = err.splitlines()
    assert lines[0].startswith("sekret: error: "), err
    assert all(line.startswith("sekret: hint: ") for line in lines[1:]), err
    assert "Traceback" not in err
    assert o.key.hex()[40:80] not in err and o.key[40:60] not in proc.stderr
    return err


#: (case, key file, what sekret says, what git-crypt 0.7 says about the same file)
BAD_KEYS = [
    ("wrong", DEFAULT_KEY, "does not decrypt the files", "tampered with"),
    ("truncated", DEFAULT_KEY[:100], "truncated", "not a valid git-crypt key file"),
    ("garbage", b"hello, this is not a key\n", "not a git-crypt key file",
     "not a valid git-crypt key file"),
    ("incompatible", DEFAULT_KEY[:12] + struct.pack(">I", 3) + DEFAULT_KEY[16:],
     "format version 3", "incompatible format"),
    ("critical", DEFAULT_KEY[:16] + struct.pack(">II", 7, 0) + DEFAULT_KEY[16:],
     "unknown critical", "incompatible format"),
]


@pytest.mark.parametrize(("name", "data", "expect", "theirs"), BAD_KEYS,
                         ids=[case[0] for case in BAD_KEYS])
def test_bad_key_files(gitcrypt_origin: Origin, tmp_path: Path, name: str, data: bytes,
                       expect: str, theirs: str) -> None:
    repo = _clone(gitcrypt_origin, tmp_path)
    before = tree_files(repo)
    (tmp_path / name).write_bytes(data)
    err = _fails(["unlock", str(tmp_path / name)], repo, gitcrypt_origin)
    assert expect in err and "sekret: hint: " in err
    _untouched(repo, gitcrypt_origin, before)
    # the same file on standard input, in base64 as a password manager would paste it
    err = _fails(["unlock", "-"], repo, gitcrypt_origin, input=base64.b64encode(data))
    assert expect in err
    _untouched(repo, gitcrypt_origin, before)
    # real git-crypt classifies the file the same way (malformed vs incompatible) ...
    gc = require_tool("git-crypt")
    proc = run([gc, "unlock", str(tmp_path / name)], repo, gitcrypt_origin.env, check=False)
    assert proc.returncode == 1 and theirs in proc.stderr.decode()
    if name == "wrong":  # ... but leaves a wrong key installed, where sekret left nothing
        assert (repo / ".git/git-crypt/keys/default").exists()


def test_tampered_blob_is_named(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o = gitcrypt_origin
    blob = bytearray(git(["cat-file", "-p", "HEAD:secrets/b23"], o.path, o.env).stdout)
    blob[-1] ^= 1
    oid = git(["hash-object", "-w", "--stdin"], o.path, o.env,
              input=bytes(blob)).stdout.decode().strip()
    git(["-c", "filter.git-crypt.required=false", "update-index", "--cacheinfo",
         f"100644,{oid},secrets/b23"], o.path, o.env)
    git(["commit", "-qm", "tamper"], o.path, o.env)
    repo = _clone(o, tmp_path)
    before = tree_files(repo)
    (tmp_path / "k").write_bytes(o.key)
    err = _fails(["unlock", str(tmp_path / "k")], repo, o)
    assert "'secrets/b23' has been tampered with" in err
    _untouched(repo, o, before)
    # the filter process itself refuses to check it out (status=error, no plaintext)
    git(["checkout", "-q", "HEAD~1"], repo, o.env)
    sekret(["unlock", str(tmp_path / "k")], repo, o.env)
    bad = git(["checkout", "-q", "main"], repo, o.env, check=False)
    assert bad.returncode != 0 and b"tampered" in bad.stderr


def test_not_a_repository_and_dirty_tree(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o = gitcrypt_origin
    (tmp_path / "k").write_bytes(o.key)
    elsewhere = tmp_path / "nowhere"
    elsewhere.mkdir()
    assert "not a git repository" in _fails(["unlock", str(tmp_path / "k")], elsewhere, o)
    assert "not a git repository" in _fails(["status"], elsewhere, o)
    repo = _clone(o, tmp_path)
    (repo / "README").write_text("edited\n")
    before = tree_files(repo)
    err = _fails(["unlock", str(tmp_path / "k")], repo, o)
    assert "working directory not clean" in err and "git stash" in err
    _untouched(repo, o, before)
    git(["checkout", "README"], repo, o.env)
    sekret(["unlock", str(tmp_path / "k")], repo, o.env)
    (repo / "secrets/one").write_text("edited\n")
    assert "not clean" in _fails(["lock"], repo, o)
    assert (repo / ".git/git-crypt/keys/default").exists()
    sekret(["lock", "-f"], repo, o.env)  # -f discards the edit to the encrypted file
    assert (repo / "secrets/one").read_bytes().startswith(b"\0GITCRYPT\0")
    assert "already locked" in _fails(["lock"], repo, o)
    assert "not unlocked" in _fails(["export-key", "-"], repo, o)
    assert "mutually exclusive" in _fails(["lock", "-a", "-k", "x"], repo, o, status=2)
    assert "not a legal key name" in _fails(["init", "-k", "default"], repo, o)


def test_init_twice_and_missing_files(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o = gitcrypt_origin
    repo = _clone(o, tmp_path)
    (tmp_path / "k").write_bytes(o.key)
    sekret(["unlock", str(tmp_path / "k")], repo, o.env)
    key_file = repo / ".git/git-crypt/keys/default"
    config = git(["config", "-l"], repo, o.env).stdout
    # a second init would make a second key (git-crypt #52/#59): refused, key unchanged
    assert "already been initialized" in _fails(["init"], repo, o)
    assert key_file.read_bytes() == o.key
    assert git(["config", "-l"], repo, o.env).stdout == config
    sekret(["lock"], repo, o.env)
    before = tree_files(repo)
    for args in (["unlock", str(tmp_path / "missing")],
                 ["unlock", "--identity", str(tmp_path / "missing")]):
        err = _fails(args, repo, o)
        assert "missing" in err
        _untouched(repo, o, before)
