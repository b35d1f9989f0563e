"""Two git-crypt 0.7 problems sekret must not copy, shown next to the real tool.

* Non-encrypted input of 1 to 22 bytes comes out of git-crypt's smudge and textconv as
  nothing (spec §2.6): a small file committed in the clear is checked out empty and
  diffs of it are empty. sekret passes such input through whole.
* An empty file encrypts to a 22-byte blob, and git reports every such file as changed
  in ``git diff`` (spec §5, git-crypt #53). That is inherent to git-crypt's blobs, so
  the compatible default keeps it; ``init --skip-empty`` (spec §1.4, AGWA's PR #210
  field) ends it, and git-crypt 0.7 refuses such a key loudly.
"""

from __future__ import annotations

from pathlib import Path

from sekret.gitcrypt import blob, filters, keyfile
from tests.conftest import require_tool
from tests.gitcrypt.helpers import git, run, sekret

SMALL = {"s/one": b"a", "s/b22": b"b" * 22, "s/c23": b"c" * 23}


def _plaintext_committed_repo(tmp_path: Path, env: dict[str, str], gc: str) -> Path:
    """git-crypt repo whose small files were committed before .gitattributes covered them."""
    repo = tmp_path / "origin"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    run([gc, "init"], repo, env)
    (repo / "s").mkdir()
    for path, data in SMALL.items():
        (repo / path).write_bytes(data)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "before the attributes"], repo, env)
    (repo / ".gitattributes").write_text("s/** filter=git-crypt diff=git-crypt\n")
    git(["add", ".gitattributes"], repo, env)
    git(["commit", "-qm", "attributes"], repo, env)
    (tmp_path / "key").write_bytes(run([gc, "export-key", "-"], repo, env).stdout)
    return repo


def test_short_plaintext_passes_through_whole(tmp_path: Path, env: dict[str, str]) -> None:
    gc = require_tool("git-crypt")
    origin = _plaintext_committed_repo(tmp_path, env, gc)
    key = str(tmp_path / "key")
    # git-crypt 0.7: the 1- and 22-byte files come out empty (the bug, for reference)
    theirs = tmp_path / "theirs"
    git(["clone", "-q", str(origin), str(theirs)], tmp_path, env)
    run([gc, "unlock", key], theirs, env)
    assert {p: (theirs / p).read_bytes() for p in SMALL} == {
        "s/one": b"", "s/b22": b"", "s/c23": b"c" * 23}
    assert run([gc, "smudge"], theirs, env, input=b"b" * 22).stdout == b""
    # sekret: every file whole, in the working tree and in diffs, with a warning
    ours = tmp_path / "ours"
    git(["clone", "-q", str(origin), str(ours)], tmp_path, env)
    sekret(["unlock", key], ours, env)
    assert {p: (ours / p).read_bytes() for p in SMALL} == SMALL
    log = git(["log", "-p", "--format=", "--", "s"], ours, env).stdout
    for data in SMALL.values():
        assert b"+" + data in log
    smudged = sekret(["smudge"], ours, env, input=b"b" * 22)
    assert smudged.stdout == b"b" * 22 and b"not encrypted" in smudged.stderr
    (tmp_path / "plain").write_bytes(b"a")
    assert sekret(["diff", str(tmp_path / "plain")], ours, env).stdout == b"a"
    # status names them; status -f stages encrypted versions
    st = sekret(["status"], ours, env, check=False)
    assert st.returncode == 1
    for path in SMALL:
        assert f"    encrypted: {path} *** WARNING" in st.stdout.decode()
    sekret(["status", "-f"], ours, env)
    for path in SMALL:
        staged = git(["cat-file", "-p", f":{path}"], ours, env).stdout
        assert staged.startswith(blob.MAGIC) and len(staged) == len(SMALL[path]) + 22


def _diff_exit(repo: Path, env: dict[str, str]) -> int:
    return git(["diff", "--exit-code", "--quiet"], repo, env, check=False).returncode


def test_empty_file_phantom_change(tmp_path: Path, env: dict[str, str]) -> None:
    gc = require_tool("git-crypt")
    repos = {}
    for tool in ("git-crypt", "sekret", "skip-empty"):
        repo = repos[tool] = tmp_path / tool
        repo.mkdir()
        git(["init", "-q"], repo, env)
        if tool == "git-crypt":
            run([gc, "init"], repo, env)
        else:
            sekret(["init", *(["--skip-empty"] if tool == "skip-empty" else [])], repo, env)
        (repo / ".gitattributes").write_text("s/** filter=git-crypt diff=git-crypt\n")
        (repo / "s").mkdir()
        (repo / "s/empty").write_bytes(b"")
        (repo / "s/full").write_bytes(b"not empty\n")
        git(["add", "."], repo, env)
        git(["commit", "-qm", "one"], repo, env)
        assert git(["status", "--porcelain"], repo, env).stdout == b""
    # compatible keys (both tools): a 22-byte blob, and git diff sees a change
    for tool in ("git-crypt", "sekret"):
        assert git(["cat-file", "-s", "HEAD:s/empty"], repos[tool], env).stdout == b"22\n"
        assert _diff_exit(repos[tool], env) == 1, tool
    # --skip-empty: the empty file stays an empty blob and nothing shows as changed
    skip = repos["skip-empty"]
    assert git(["cat-file", "-s", "HEAD:s/empty"], skip, env).stdout == b"0\n"
    assert _diff_exit(skip, env) == 0
    (skip / "s/empty").touch()
    assert _diff_exit(skip, env) == 0
    assert sekret(["status"], skip, env).returncode == 0
    assert sekret(["pre-commit"], skip, env).returncode == 0
    # other files get the very blobs a compatible key with the same entry makes
    key = keyfile.parse((skip / ".git/git-crypt/keys/default").read_bytes())
    assert key.skip_empty
    plain = keyfile.KeyFile(None, key.entries)
    assert git(["cat-file", "-p", "HEAD:s/full"], skip, env).stdout == filters.clean(
        plain, b"not empty\n")
    # git-crypt 0.7 refuses the key as incompatible and installs nothing
    exported = tmp_path / "skip.key"
    sekret(["export-key", str(exported)], skip, env)
    clone = tmp_path / "clone"
    git(["clone", "-q", str(skip), str(clone)], tmp_path, env)
    refused = run([gc, "unlock", str(exported)], clone, env, check=False)
    assert refused.returncode != 0 and b"incompatible" in refused.stderr
    assert not (clone / ".git/git-crypt/keys/default").exists()
    sekret(["unlock", str(exported)], clone, env)
    assert (clone / "s/empty").read_bytes() == b""
    assert (clone / "s/full").read_bytes() == b"not empty\n"
    assert _diff_exit(clone, env) == 0
