"""Repositories shared with real git-crypt 0.7, both ways, through real git."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.conftest import require_tool
from tests.gitcrypt.conftest import FILES, Origin, populate
from tests.gitcrypt.helpers import git, run, sekret, tree_files


def _clone(origin: Path, dest: Path, env: dict[str, str]) -> Path:
    git(["clone", "-q", str(origin), str(dest)], dest.parent, env)
    return dest


def test_gitcrypt_repo_unlocked_by_sekret(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o, env = gitcrypt_origin, gitcrypt_origin.env
    (tmp_path / "k").write_bytes(o.key)
    (tmp_path / "t.b64").write_bytes(base64.b64encode(o.team_key) + b"\n")
    clone = _clone(o.path, tmp_path / "c1", env)
    assert (clone / "secrets/one").read_bytes().startswith(b"\0GITCRYPT\0")
    sekret(["unlock", str(tmp_path / "k"), str(tmp_path / "t.b64")], clone, env)
    assert tree_files(clone) == tree_files(o.path)
    assert git(["status", "--porcelain"], clone, env).stdout == b""
    # a base64 key pasted on standard input
    clone2 = _clone(o.path, tmp_path / "c2", env)
    sekret(["unlock", "-"], clone2, env, input=base64.b64encode(o.key))
    assert (clone2 / "secrets/b23").read_bytes() == FILES["secrets/b23"]
    assert (clone2 / "team/x.txt").read_bytes().startswith(b"\0GITCRYPT\0")
    # sekret's commits read back by git-crypt, and identical blobs for the same content
    (clone / "secrets/one").write_bytes(b"changed by sekret\n")
    (clone / "team/x.txt").write_bytes(FILES["team/x.txt"])
    git(["commit", "-qam", "edit"], clone, env)
    # team/x.txt was rewritten (same bytes) and cleaned again: git-crypt's blob, no change
    changed = git(["diff", "--name-only", "HEAD~1", "HEAD"], clone, env).stdout
    assert changed == b"secrets/one\n"
    git(["pull", "-q", "--no-rebase", str(clone), "HEAD"], o.path, env)
    assert (o.path / "secrets/one").read_bytes() == b"changed by sekret\n"
    assert git(["status", "--porcelain"], o.path, env).stdout == b""
    # real git-crypt locks a repo sekret unlocked (its lock removes our process key too)
    run([require_tool("git-crypt"), "lock", "-a"], clone, env)
    assert b"filter.git-crypt" not in git(["config", "-l"], clone, env).stdout
    assert (clone / "secrets/one").read_bytes().startswith(b"\0GITCRYPT\0")


def test_sekret_repo_unlocked_by_gitcrypt(tmp_path: Path, env: dict[str, str]) -> None:
    gc = require_tool("git-crypt")
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["init", "-k", "team_a"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "secrets"], repo, env)
    assert git(["cat-file", "-p", "HEAD:secrets/one"], repo, env).stdout[:10] == b"\0GITCRYPT\0"
    sekret(["export-key", str(tmp_path / "k")], repo, env)
    sekret(["export-key", "-k", "team_a", "--base64", str(tmp_path / "t")], repo, env)
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    team = base64.b64decode((tmp_path / "t").read_bytes())
    (tmp_path / "t.bin").write_bytes(team)
    clone = _clone(repo, tmp_path / "c", env)
    run([gc, "unlock", str(tmp_path / "k"), str(tmp_path / "t.bin")], clone, env)
    assert tree_files(clone) == tree_files(repo)
    # git-crypt re-encrypts to the very same blobs
    for path in FILES:
        (clone / path).touch()
    assert git(["status", "--porcelain"], clone, env).stdout == b""
    # sekret and git-crypt use the same key file inside .git
    assert (clone / ".git/git-crypt/keys/default").read_bytes() == (tmp_path / "k").read_bytes()


def test_lock_unlock_round_trip_and_diff(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    o, env = gitcrypt_origin, gitcrypt_origin.env
    repo = _clone(o.path, tmp_path / "c", env)
    locked = tree_files(repo)
    (tmp_path / "k").write_bytes(o.key)
    (tmp_path / "t").write_bytes(o.team_key)
    sekret(["unlock", str(tmp_path / "k"), str(tmp_path / "t")], repo, env)
    plain = tree_files(repo)
    assert plain == tree_files(o.path)
    # textconv: git diff shows plaintext, also for small files
    (repo / "secrets/one").write_bytes(b"2")
    diff = git(["diff", "secrets/one"], repo, env).stdout
    assert b"-1" in diff and b"+2" in diff
    git(["checkout", "--", "secrets/one"], repo, env)
    sekret(["lock", "-k", "team_a"], repo, env)
    assert (repo / "team/x.txt").read_bytes() == locked["team/x.txt"]
    assert (repo / "secrets/one").read_bytes() == b"1"
    out = sekret(["lock", "-k", "team_a"], repo, env, check=False)
    assert out.returncode == 1 and b"already locked" in out.stderr
    sekret(["lock", "-a"], repo, env)
    assert tree_files(repo) == locked
    assert not (repo / ".git/git-crypt/keys/default").exists()
    assert git(["status", "--porcelain"], repo, env).stdout == b""
    sekret(["unlock", str(tmp_path / "k"), str(tmp_path / "t")], repo, env)
    assert tree_files(repo) == plain
    # linked worktree: keys in the common git dir are found
    git(["worktree", "add", "-q", str(tmp_path / "wt")], repo, env)
    assert (tmp_path / "wt/secrets/big.bin").read_bytes() == FILES["secrets/big.bin"]


def test_status_fix_and_pre_commit(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["install-hook"], repo, env)
    key = sekret(["export-key", "-"], repo, env).stdout
    (repo / ".gitattributes").write_text("secrets/** filter=git-crypt diff=git-crypt\n"
                                         "nodiff/* filter=git-crypt\n")
    (repo / "secrets").mkdir()
    (repo / "secrets/a").write_text("a\n")
    (repo / "plain").write_text("p\n")
    git(["add", "."], repo, env)
    git(["commit", "-qm", "one"], repo, env)
    sekret(["lock"], repo, env)
    # committed in the clear while locked: the hook refuses, status warns, -f fixes
    (repo / "secrets/leak").write_text("oops\n")
    git(["add", "secrets/leak"], repo, env)
    refused = git(["commit", "-qm", "leak"], repo, env, check=False)
    assert refused.returncode != 0 and b"secrets/leak" in refused.stderr
    st = sekret(["status"], repo, env, check=False)
    assert st.returncode == 1
    lines = st.stdout.decode().splitlines()
    assert "not encrypted: plain" in lines
    assert "    encrypted: secrets/a" in lines
    assert any(x.startswith("    encrypted: secrets/leak *** WARNING") for x in lines)
    assert b"not encrypted:" not in sekret(["status", "-e"], repo, env, check=False).stdout
    fix = sekret(["status", "-f"], repo, env, check=False)
    assert fix.returncode == 1 and b"locked" in fix.stderr
    dirty = sekret(["unlock", "-"], repo, env, input=key, check=False)
    assert dirty.returncode == 1 and b"not clean" in dirty.stderr
    git(["reset", "-q", "secrets/leak"], repo, env)
    sekret(["unlock", "-"], repo, env, input=key)
    git(["add", "secrets/leak"], repo, env)
    git(["commit", "-qm", "now encrypted"], repo, env)
    assert sekret(["status", "-u"], repo, env).stdout == (b"not encrypted: .gitattributes\n"
                                                          b"not encrypted: plain\n")


def test_status_diff_warning(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    (repo / ".gitattributes").write_text("*.key filter=git-crypt\n")
    (repo / "a.key").write_text("k\n")
    git(["add", "."], repo, env)
    git(["commit", "-qm", "one"], repo, env)
    st = sekret(["status", "-e"], repo, env, check=False)
    assert st.returncode == 1 and b"diff=git-crypt is not set" in st.stdout
    # status -f after a plaintext commit made with the filter bypassed
    oid = git(["hash-object", "-w", "--no-filters", "a.key"], repo, env).stdout.decode().strip()
    git(["update-index", "--cacheinfo", f"100644,{oid},a.key"], repo, env)
    git(["commit", "-qm", "leak"], repo, env)
    assert sekret(["pre-commit"], repo, env, check=False).returncode == 1
    assert b"not encrypted ***" in sekret(["status"], repo, env, check=False).stdout
    fixed = sekret(["status", "-f"], repo, env)
    assert b"a.key: staged encrypted version" in fixed.stdout
    assert sekret(["pre-commit"], repo, env).returncode == 0


def test_per_file_plumbing_and_skip_empty(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init", "--skip-empty"], repo, env)
    (repo / ".gitattributes").write_text("s/** filter=git-crypt diff=git-crypt\n")
    (repo / "s").mkdir()
    (repo / "s/empty").write_bytes(b"")
    (repo / "s/a").write_bytes(b"abc")
    git(["add", "."], repo, env)
    git(["commit", "-qm", "one"], repo, env)
    # an empty file stays an empty blob: no "Bin 22 -> 0 bytes" phantom change
    assert git(["cat-file", "-s", "HEAD:s/empty"], repo, env).stdout == b"0\n"
    (repo / "s/empty").touch()
    assert git(["diff", "--exit-code", "--stat"], repo, env).returncode == 0
    # the per-file entry points git-crypt-style tools use
    blob = sekret(["clean"], repo, env, input=b"abc").stdout
    assert blob == git(["cat-file", "-p", "HEAD:s/a"], repo, env).stdout
    assert sekret(["smudge"], repo, env, input=blob).stdout == b"abc"
    plain = sekret(["smudge"], repo, env, input=b"tiny")
    assert plain.stdout == b"tiny" and b"not encrypted" in plain.stderr
    (tmp_path / "blob").write_bytes(blob)
    assert sekret(["diff", str(tmp_path / "blob")], repo, env).stdout == b"abc"
    assert sekret(["diff", str(repo / "s/a")], repo, env).stdout == b"abc"
