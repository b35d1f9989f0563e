"""Scratch git repositories with a private HOME: never the user's git config or ~/.gnupg."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def make_env(home: Path) -> dict[str, str]:
    """An environment whose git and gpg see only ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "gnupg").mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GNUPG"))}
    env.update(IDENTITY)
    env.update(HOME=str(home), GNUPGHOME=str(home / "gnupg"), GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL=str(home / "gitconfig"), LC_ALL="C")
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n[advice]\n"
                                    "\tdetachedHead = false\n")
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str], *, input: bytes | None = None,
        check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a command; on an unexpected status fail with its output."""
    proc = subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{argv} exited {proc.returncode}:\n"
                             f"{proc.stdout.decode(errors='replace')}\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


def sekret(args: list[str], cwd: Path, env: dict[str, str], **kw: object
           ) -> subprocess.CompletedProcess[bytes]:
    """``sekret git-crypt ARGS`` as a child process (so git can run our filters)."""
    full = dict(env, PYTHONPATH=str(ROOT / "src"))
    return run([sys.executable, "-m", "sekret", "git-crypt", *args], cwd, full,
               **kw)  # type: ignore[arg-type]


def git(args: list[str], cwd: Path, env: dict[str, str], **kw: object
        ) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS``."""
    return run(["git", *args], cwd, env, **kw)  # type: ignore[arg-type]


def tree_files(top: Path) -> dict[str, bytes]:
    """Every file under ``top`` except .git, path → bytes."""
    out = {}
    for p in sorted(top.rglob("*")):
        rel = p.relative_to(top)
        if rel.parts[0] == ".git" or not p.is_file():
            continue
        out[rel.as_posix()] = p.read_bytes()
    return out
