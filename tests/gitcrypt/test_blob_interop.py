"""Blobs made by real git-crypt 0.7 equal sekret's for the same key and content."""

from __future__ import annotations

import os
from pathlib import Path

from sekret.gitcrypt import blob, filters, keyfile
from tests.conftest import require_tool
from tests.gitcrypt.helpers import git, make_env, run

SIZES = {"s/empty": 0, "s/one": 1, "s/b22": 22, "s/b23": 23, "s/big.bin": 9_000_000}


def test_identical_blobs_default_and_named_key(tmp_path: Path) -> None:
    gc = require_tool("git-crypt")
    env = make_env(tmp_path / "home")
    repo = tmp_path / "r"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    run([gc, "init"], repo, env)
    run([gc, "init", "-k", "team_a"], repo, env)
    (repo / ".gitattributes").write_text("s/** filter=git-crypt diff=git-crypt\n"
                                         "t/** filter=git-crypt-team_a diff=git-crypt-team_a\n")
    (repo / "s").mkdir()
    (repo / "t").mkdir()
    contents = {}
    for path, size in SIZES.items():
        contents[path] = os.urandom(size) if size > 100 else bytes(range(size))
    contents["t/x.txt"] = b"team a secret\n"
    for path, data in contents.items():
        (repo / path).write_bytes(data)
    git(["add", "."], repo, env)
    default = keyfile.parse((repo / ".git/git-crypt/keys/default").read_bytes())
    team = keyfile.parse((repo / ".git/git-crypt/keys/team_a").read_bytes())
    assert team.name == "team_a"
    exported = run([gc, "export-key", "-k", "team_a", "-"], repo, env).stdout
    assert exported == keyfile.serialize(team)
    for path, data in contents.items():
        theirs = git(["cat-file", "-p", f":{path}"], repo, env).stdout
        key = team if path.startswith("t/") else default
        assert filters.clean(key, data) == theirs, path
        assert filters.smudge(key, theirs).data == data
    # the other way: git-crypt decrypts what sekret encrypted
    for data in (b"", b"z", bytes(23), os.urandom(70_000)):
        ours = blob.encrypt(default.latest, data)
        assert run([gc, "smudge"], repo, env, input=ours).stdout == data
