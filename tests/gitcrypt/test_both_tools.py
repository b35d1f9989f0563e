"""sekret and real git-crypt 0.7 on the same repositories, through real git's filters.

Identical blobs are shown by making git re-run each tool's clean filter on every file
(``git add --renormalize``) in a repository the *other* tool committed: a single byte
of difference would stage a change. The git config each tool writes lets the other one
work in the same unlocked repository.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.conftest import require_tool
from tests.gitcrypt.conftest import FILES, Origin, populate
from tests.gitcrypt.helpers import git, run, sekret, tree_files

MAGIC = b"\0GITCRYPT\0"


def _clone(src: Path, dest: Path, env: dict[str, str]) -> Path:
    git(["clone", "-q", str(src), str(dest)], dest.parent, env)
    return dest


def _keys(o: Origin, tmp_path: Path) -> list[str]:
    (tmp_path / "default.key").write_bytes(o.key)
    (tmp_path / "team_a.key").write_bytes(o.team_key)
    return [str(tmp_path / "default.key"), str(tmp_path / "team_a.key")]


def _staged(repo: Path, env: dict[str, str]) -> str:
    return git(["ls-files", "-s"], repo, env).stdout.decode()


def _renormalize_changes_nothing(repo: Path, env: dict[str, str]) -> None:
    before = _staged(repo, env)
    git(["add", "--renormalize", "."], repo, env)
    assert _staged(repo, env) == before
    assert git(["status", "--porcelain"], repo, env).stdout == b""


def test_sekret_cleans_to_gitcrypts_blobs(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o, env = gitcrypt_origin, gitcrypt_origin.env
    clone = _clone(o.path, tmp_path / "c", env)
    sekret(["unlock", *_keys(o, tmp_path)], clone, env)
    assert tree_files(clone) == tree_files(o.path)
    for path in FILES:  # every size: 0, 1, 22, 23 bytes, 300 kB; default and named key
        (clone / path).touch()
    _renormalize_changes_nothing(clone, env)
    # and in a repository of its own: same key, same content, same blob ids
    own = tmp_path / "own"
    own.mkdir()
    git(["init", "-q"], own, env)
    sekret(["unlock", *_keys(o, tmp_path)], own, env)
    populate(own)
    git(["add", "."], own, env)
    assert _staged(own, env) == _staged(o.path, env)
    for path in FILES:
        if path != "README":
            assert git(["cat-file", "-p", f":{path}"], own, env).stdout.startswith(MAGIC)


def test_gitcrypt_cleans_to_sekrets_blobs(tmp_path: Path, env: dict[str, str]) -> None:
    gc = require_tool("git-crypt")
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["init", "-k", "team_a"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "secrets"], repo, env)
    sekret(["export-key", str(tmp_path / "d")], repo, env)
    sekret(["export-key", "-k", "team_a", str(tmp_path / "t")], repo, env)
    clone = _clone(repo, tmp_path / "c", env)
    run([gc, "unlock", str(tmp_path / "d"), str(tmp_path / "t")], clone, env)
    assert b"filter-process" not in git(["config", "-l"], clone, env).stdout
    _renormalize_changes_nothing(clone, env)
    assert _staged(clone, env) == _staged(repo, env)


def _trace_filters(repo: Path, env: dict[str, str], args: list[str]) -> list[str]:
    """The filter commands git starts while running ``git ARGS``."""
    proc = git(args, repo, dict(env, GIT_TRACE="1"))
    commands = re.findall(r"trace: run_command: (.*)", proc.stderr.decode())
    return [c for c in commands if "sekret git-crypt" in c or "git-crypt\"" in c]


def test_config_process_by_default_per_file_too(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["init", "-k", "team_a"], repo, env)
    config = git(["config", "-l"], repo, env).stdout.decode().splitlines()
    prog = f'"{sys.executable}" -P -m sekret git-crypt'
    for attr, opt in (("git-crypt", ""), ("git-crypt-team_a", " --key-name=team_a")):
        for line in (f"filter.{attr}.process={prog} filter-process{opt}",
                     f"filter.{attr}.smudge={prog} smudge{opt}",
                     f"filter.{attr}.clean={prog} clean{opt}",
                     f"filter.{attr}.required=true",
                     f"diff.{attr}.textconv={prog} diff{opt}"):
            assert line in config
    assert not any("cachetextconv" in c for c in config)  # plaintext would land in notes
    populate(repo)
    for i in range(40):
        (repo / f"secrets/many{i}").write_bytes(b"%d" % i)
    # one filter process per git command and key, whatever the number of files
    started = _trace_filters(repo, env, ["add", "."])
    assert len(started) == 2 and all("filter-process" in c for c in started), started
    git(["commit", "-qm", "secrets"], repo, env)
    staged = _staged(repo, env)
    (repo / "secrets/sub").rename(tmp_path / "gone")
    for p in (repo / "secrets").iterdir():
        p.unlink()
    started = _trace_filters(repo, env, ["checkout", "--", "secrets"])  # 48 smudges
    assert 1 <= len(started) <= 2 and all("filter-process" in c for c in started), started
    assert tree_files(repo)["secrets/many7"] == b"7"
    # without `process` git runs the per-file commands: same blobs, same files
    git(["config", "--unset", "filter.git-crypt.process"], repo, env)
    git(["config", "--unset", "filter.git-crypt-team_a.process"], repo, env)
    for path in FILES:
        (repo / path).touch()
    started = _trace_filters(repo, env, ["add", "--renormalize", "."])
    assert len(started) == len(FILES) - 1 + 40 and not any("filter-process" in c
                                                            for c in started)
    assert _staged(repo, env) == staged
    (repo / "secrets/b23").unlink()
    started = _trace_filters(repo, env, ["checkout", "--", "secrets/b23"])
    assert len(started) == 1 and " smudge" in started[0]
    assert (repo / "secrets/b23").read_bytes() == FILES["secrets/b23"]
    (repo / "secrets/b23").write_bytes(b"changed\n")
    diff = git(["diff", "secrets/b23"], repo, env).stdout
    assert b"+changed" in diff  # textconv: a plaintext diff


def test_one_unlocked_repo_shared_by_both_tools(gitcrypt_origin: Origin, tmp_path: Path
                                                ) -> None:
    gc = require_tool("git-crypt")
    o, env = gitcrypt_origin, gitcrypt_origin.env
    keys = _keys(o, tmp_path)
    # unlocked by git-crypt: sekret exports the same key, commits, reports and locks
    a = _clone(o.path, tmp_path / "a", env)
    run([gc, "unlock", *keys], a, env)
    assert sekret(["export-key", "-"], a, env).stdout == o.key
    assert sekret(["export-key", "-k", "team_a", "-"], a, env).stdout == o.team_key
    (a / "secrets/one").write_bytes(b"edited under git-crypt's filters\n")
    git(["commit", "-qam", "edit"], a, env)
    assert git(["cat-file", "-p", "HEAD:secrets/one"], a, env).stdout.startswith(MAGIC)
    status = sekret(["status", "-e"], a, env).stdout.decode()
    assert "    encrypted: team/x.txt" in status and "README" not in status
    sekret(["lock", "-a"], a, env)
    assert b"git-crypt" not in git(["config", "-l"], a, env).stdout
    assert (a / "team/x.txt").read_bytes().startswith(MAGIC)
    assert not (a / ".git/git-crypt/keys/default").exists()
    run([gc, "unlock", *keys], a, env)  # and git-crypt takes over again
    assert (a / "secrets/one").read_bytes() == b"edited under git-crypt's filters\n"
    # unlocked by sekret: git-crypt exports the same key and reports the same files
    b = _clone(o.path, tmp_path / "b", env)
    sekret(["unlock", *keys], b, env)
    assert run([gc, "export-key", "-"], b, env).stdout == o.key
    assert run([gc, "export-key", "-k", "team_a", "-"], b, env).stdout == o.team_key
    theirs = run([gc, "status", "-e"], b, env).stdout.decode()
    ours = sekret(["status", "-e"], b, env).stdout.decode()
    assert sorted(theirs.split()) == sorted(ours.split())
    # git-crypt unlock on top keeps sekret's filter process, which makes the same blobs
    run([gc, "unlock", *keys], b, env)
    assert b"filter-process" in git(["config", "-l"], b, env).stdout
    _renormalize_changes_nothing(b, env)
