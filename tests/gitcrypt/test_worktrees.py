"""Linked worktrees (``git worktree add``): git-crypt 0.7 looks for keys in the
worktree's own git dir and fails there (git-crypt #105); sekret keeps keys in the
common git dir and finds them from every worktree."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import require_tool
from tests.gitcrypt.conftest import FILES, Origin
from tests.gitcrypt.helpers import git, run, sekret, tree_files

MAGIC = b"\0GITCRYPT\0"


def _keys(o: Origin, tmp_path: Path) -> list[str]:
    (tmp_path / "d.key").write_bytes(o.key)
    (tmp_path / "t.key").write_bytes(o.team_key)
    return [str(tmp_path / "d.key"), str(tmp_path / "t.key")]


def test_worktrees(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    gc = require_tool("git-crypt")
    o, env = gitcrypt_origin, gitcrypt_origin.env
    keys = _keys(o, tmp_path)
    # for reference: under git-crypt, adding a worktree fails
    theirs = tmp_path / "theirs"
    git(["clone", "-q", str(o.path), str(theirs)], tmp_path, env)
    run([gc, "unlock", *keys], theirs, env)
    failed = git(["worktree", "add", "-q", str(tmp_path / "theirs-wt")], theirs, env,
                 check=False)
    assert failed.returncode != 0 and b"key file" in failed.stderr
    # sekret: a worktree added after unlocking has plaintext, and commits encrypt
    repo = tmp_path / "ours"
    git(["clone", "-q", str(o.path), str(repo)], tmp_path, env)
    sekret(["unlock", *keys], repo, env)
    wt = tmp_path / "wt"
    git(["worktree", "add", "-q", "-b", "feature", str(wt)], repo, env)
    assert {p: d for p, d in tree_files(wt).items() if p in FILES} == FILES
    (wt / "secrets/one").write_bytes(b"from the worktree\n")
    (wt / "team/x.txt").write_bytes(b"team edit\n")
    git(["commit", "-qam", "edit in worktree"], wt, env)
    for path in ("secrets/one", "team/x.txt"):
        assert git(["cat-file", "-p", f"feature:{path}"], repo, env).stdout.startswith(MAGIC)
    status = sekret(["status", "-e"], wt, env).stdout.decode()
    assert "    encrypted: secrets/one" in status
    assert sekret(["export-key", "-"], wt, env).stdout == o.key
    git(["merge", "-q", "feature"], repo, env)
    assert (repo / "secrets/one").read_bytes() == b"from the worktree\n"
    # a worktree added while locked is unlocked from inside it, and locked again
    locked = tmp_path / "locked"
    git(["clone", "-q", str(o.path), str(locked)], tmp_path, env)
    git(["worktree", "add", "-q", "-b", "other", str(tmp_path / "wt2")], locked, env)
    wt2 = tmp_path / "wt2"
    assert (wt2 / "secrets/one").read_bytes().startswith(MAGIC)
    sekret(["unlock", *keys], wt2, env)
    assert (wt2 / "secrets/b22").read_bytes() == FILES["secrets/b22"]
    assert (locked / ".git/git-crypt/keys/default").read_bytes() == o.key
    assert not (locked / ".git/worktrees/wt2/git-crypt").exists()
    assert git(["status", "--porcelain"], wt2, env).stdout == b""
    sekret(["lock", "-a"], wt2, env)
    assert (wt2 / "secrets/b22").read_bytes().startswith(MAGIC)
    assert not (locked / ".git/git-crypt/keys/default").exists()
    assert b"git-crypt" not in git(["config", "-l"], locked, env).stdout


def test_lock_and_unlock_reach_every_worktree(gitcrypt_origin: Origin, tmp_path: Path
                                              ) -> None:
    o, env = gitcrypt_origin, gitcrypt_origin.env
    keys = _keys(o, tmp_path)
    repo = tmp_path / "main"
    git(["clone", "-q", str(o.path), str(repo)], tmp_path, env)
    sekret(["unlock", *keys], repo, env)
    wt = tmp_path / "wt"
    git(["worktree", "add", "-q", "-b", "feature", str(wt)], repo, env)
    assert (wt / "secrets/one").read_bytes() == FILES["secrets/one"]
    # a dirty linked worktree stops lock before anything changes
    (wt / "team/x.txt").write_bytes(b"work in progress\n")
    err = sekret(["lock", "-a"], repo, env, check=False)
    assert err.returncode == 1
    assert err.stderr.decode().startswith(f"sekret: error: linked worktree {str(wt)!r}")
    assert (repo / ".git/git-crypt/keys/default").exists()
    assert (repo / "secrets/one").read_bytes() == FILES["secrets/one"]
    git(["checkout", "--", "team/x.txt"], wt, env)
    # locking from the main worktree leaves no plaintext in the linked one
    sekret(["lock", "-a"], repo, env)
    for top in (repo, wt):
        for path in FILES:
            if path != "README":
                assert (top / path).read_bytes().startswith(MAGIC), (top, path)
        assert git(["status", "--porcelain"], top, env).stdout == b""
    # unlocking from the linked worktree decrypts the main one too
    sekret(["unlock", *keys], wt, env)
    assert tree_files(repo) == tree_files(o.path)
    assert (wt / "team/x.txt").read_bytes() == FILES["team/x.txt"]
    # a dirty worktree is left as it is at unlock, with a warning
    sekret(["lock", "-a"], repo, env)
    (wt / "README").write_bytes(b"edited\n")
    out = sekret(["unlock", *keys], repo, env)
    assert b"sekret: warning: linked worktree" in out.stderr
    assert (repo / "secrets/one").read_bytes() == FILES["secrets/one"]
    assert (wt / "secrets/one").read_bytes().startswith(MAGIC)
