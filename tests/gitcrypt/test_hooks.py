"""The pre-commit guard: as a git hook installed by ``install-hook``, and as the hook
this repository publishes for the pre-commit framework (``.pre-commit-hooks.yaml``)."""

from __future__ import annotations

import os
import shlex
import sys
import tomllib
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.gitcrypt.helpers import git, run, sekret


def _leaky_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """An initialised repository, locked, with a plaintext file staged under secrets/."""
    repo = tmp_path / "r"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    (repo / ".gitattributes").write_text("secrets/** filter=git-crypt diff=git-crypt\n")
    (repo / "secrets").mkdir()
    (repo / "secrets/ok").write_text("encrypted\n")
    git(["add", "."], repo, env)
    git(["commit", "-qm", "one"], repo, env)
    (tmp_path / "key").write_bytes(sekret(["export-key", "-"], repo, env).stdout)
    sekret(["lock"], repo, env)
    (repo / "secrets/leak").write_text("plaintext\n")
    git(["add", "secrets/leak"], repo, env)
    return repo


def test_published_pre_commit_framework_hook(tmp_path: Path, env: dict[str, str]) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "sekret-git-crypt"]
    # the framework installs this package and runs `entry` from its environment: the
    # console script must exist, and take no file names (it checks the whole index)
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    argv = shlex.split(hook["entry"])
    assert argv[0] in scripts
    console = Path(sys.executable).parent / argv[0]
    if not console.exists():  # not installed as a package: run the same entry point
        argv = [sys.executable, "-m", "sekret", *argv[1:]]
    path_env = dict(env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
                    PYTHONPATH=str(ROOT / "src"))
    repo = _leaky_repo(tmp_path, env)
    refused = run(argv, repo, path_env, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(b"sekret: error: refusing to commit 1 file(s)")
    assert b"'secrets/leak'" in refused.stderr and b"plaintext\n" not in refused.stderr
    git(["rm", "-q", "--cached", "secrets/leak"], repo, env)
    assert run(argv, repo, path_env).returncode == 0


def test_installed_hook_blocks_and_lets_through(tmp_path: Path, env: dict[str, str]) -> None:
    repo = _leaky_repo(tmp_path, env)
    sekret(["install-hook"], repo, env)
    refused = git(["commit", "-qm", "leak"], repo, env, check=False)
    assert refused.returncode != 0 and b"secrets/leak" in refused.stderr
    assert git(["rev-list", "--count", "HEAD"], repo, env).stdout == b"1\n"
    # an existing hook is never replaced silently
    again = sekret(["install-hook"], repo, env, check=False)
    assert again.returncode == 1 and b"already exists" in again.stderr
    sekret(["install-hook", "--force"], repo, env)
    # once unlocked, the same file is staged encrypted and the commit goes through
    git(["rm", "-q", "--cached", "secrets/leak"], repo, env)
    sekret(["unlock", str(tmp_path / "key")], repo, env)
    git(["add", "secrets/leak"], repo, env)
    git(["commit", "-qm", "encrypted now"], repo, env)
    blob = git(["cat-file", "-p", "HEAD:secrets/leak"], repo, env).stdout
    assert blob.startswith(b"\0GITCRYPT\0")
    # the hook follows core.hooksPath
    hooks = tmp_path / "shared-hooks"
    git(["config", "core.hooksPath", str(hooks)], repo, env)
    sekret(["install-hook"], repo, env)
    assert os.access(hooks / "pre-commit", os.X_OK)
