"""Fixtures: a private HOME per test, and a repository encrypted by real git-crypt."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.gitcrypt.helpers import git, make_env, run

FILES = {
    "secrets/empty": b"",
    "secrets/one": b"1",
    "secrets/b22": bytes(range(22)),
    "secrets/b23": bytes(range(23)),
    "secrets/sub/token.json": b'{"token": "ghp_example"}\n',
    "secrets/big.bin": os.urandom(300_000),
    "team/x.txt": b"team a secret\n",
    "README": b"public\n",
}
ATTRS = ("secrets/** filter=git-crypt diff=git-crypt\n"
         "team/** filter=git-crypt-team_a diff=git-crypt-team_a\n")


@dataclass
class Origin:
    """A committed repository and its exported keys."""

    path: Path
    env: dict[str, str]
    key: bytes
    team_key: bytes


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path / "home")


def populate(repo: Path) -> None:
    (repo / ".gitattributes").write_text(ATTRS)
    for path, data in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)


@pytest.fixture
def gitcrypt_origin(tmp_path: Path, env: dict[str, str]) -> Origin:
    """A repository set up and committed with real git-crypt (default + team_a keys)."""
    gc = require_tool("git-crypt")
    repo = tmp_path / "origin"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    run([gc, "init"], repo, env)
    run([gc, "init", "-k", "team_a"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "secrets"], repo, env)
    key = run([gc, "export-key", "-"], repo, env).stdout
    team = run([gc, "export-key", "-k", "team_a", "-"], repo, env).stdout
    return Origin(repo, env, key, team)
