"""Sharing the key: GPG users (both ways with real git-crypt), age and ssh users, rotation."""

from __future__ import annotations

import base64
from pathlib import Path

from sekret.age import X25519Identity
from sekret.gitcrypt import keyfile
from tests.conftest import require_tool
from tests.gitcrypt.conftest import FILES, Origin, populate
from tests.gitcrypt.helpers import git, make_env, run, sekret, tree_files


def _gpg_key(env: dict[str, str], uid: str) -> str:
    gpg = require_tool("gpg")
    run([gpg, "--batch", "--passphrase", "", "--quick-gen-key", uid, "future-default",
         "default", "never"], Path(env["HOME"]), env)
    out = run([gpg, "--batch", "--with-colons", "--fingerprint", "--list-keys", uid],
              Path(env["HOME"]), env).stdout.decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def _clone(src: Path, dest: Path, env: dict[str, str]) -> Path:
    git(["clone", "-q", str(src), str(dest)], dest.parent, env)
    return dest


def test_gpg_users_both_ways(gitcrypt_origin: Origin, tmp_path: Path) -> None:
    gc = require_tool("git-crypt")
    o, env = gitcrypt_origin, gitcrypt_origin.env
    fpr = _gpg_key(env, "Alice <alice@example.invalid>")
    # git-crypt adds the GPG user, sekret unlocks through gpg (both keys)
    run([gc, "add-gpg-user", "--trusted", "alice@example.invalid"], o.path, env)
    run([gc, "add-gpg-user", "-k", "team_a", "--trusted", "alice@example.invalid"],
        o.path, env)
    assert (o.path / f".git-crypt/keys/default/0/{fpr}.gpg").exists()
    c1 = _clone(o.path, tmp_path / "c1", env)
    sekret(["unlock"], c1, env)
    assert tree_files(c1) == tree_files(o.path)
    # sekret adds the GPG user, git-crypt unlocks through gpg
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["init", "-k", "team_a"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "secrets"], repo, env)
    sekret(["add-gpg-user", "--trusted", fpr], repo, env)
    sekret(["add-gpg-user", "-k", "team_a", "--trusted", fpr], repo, env)
    assert b"GPG user" in git(["log", "-1", "--format=%B"], repo, env).stdout
    assert (repo / ".git-crypt/.gitattributes").read_text().count("!filter") == 1
    c2 = _clone(repo, tmp_path / "c2", env)
    run([gc, "unlock"], c2, env)
    assert tree_files(c2) == tree_files(repo)
    missing = sekret(["add-gpg-user", "nobody@example.invalid"], repo, env, check=False)
    assert missing.returncode == 1 and b"not found in your GPG keyring" in missing.stderr
    # no matching secret key: a clear error
    other = make_env(tmp_path / "home2")
    c3 = _clone(repo, tmp_path / "c3", other)
    err = sekret(["unlock"], c3, other, check=False)
    assert err.returncode == 1 and b"no GPG secret key" in err.stderr


def test_age_and_ssh_users(tmp_path: Path, env: dict[str, str]) -> None:
    ssh_keygen = require_tool("ssh-keygen")
    ident = X25519Identity.generate()
    (tmp_path / "age.txt").write_text(ident.to_string() + "\n")
    run([ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "id")], tmp_path, env)
    ssh_pub = (tmp_path / "id.pub").read_text().strip()
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    sekret(["init", "-k", "team_a"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "secrets"], repo, env)
    sekret(["add-age-user", str(ident.recipient())], repo, env)
    sekret(["add-age-user", "-k", "team_a", ssh_pub], repo, env)
    for who, keys in (("age.txt", {"default"}), ("id", {"team_a"})):
        clone = _clone(repo, tmp_path / f"c-{who}", env)
        sekret(["unlock", "--identity", str(tmp_path / who)], clone, env)
        got = tree_files(clone)
        for path, data in FILES.items():
            unlocked = ("team_a" if path.startswith("team/") else "default") in keys
            assert (got[path] == data) == unlocked or path == "README", path
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(X25519Identity.generate().to_string() + "\n")
    clone = _clone(repo, tmp_path / "c-x", env)
    err = sekret(["unlock", "--identity", str(stranger)], clone, env, check=False)
    assert err.returncode == 1 and b"none of the identities" in err.stderr
    bad = sekret(["add-age-user", "age1notarecipient"], repo, env, check=False)
    assert bad.returncode != 0 and b"Traceback" not in bad.stderr


def test_rotate_key(tmp_path: Path, env: dict[str, str]) -> None:
    ident = X25519Identity.generate()
    (tmp_path / "age.txt").write_text(ident.to_string() + "\n")
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, env)
    sekret(["init"], repo, env)
    populate(repo)
    git(["add", "."], repo, env)
    git(["commit", "-qm", "v0"], repo, env)
    old_blob = git(["rev-parse", "HEAD:secrets/one"], repo, env).stdout
    old_key = sekret(["export-key", "--base64", "-"], repo, env).stdout
    sekret(["add-age-user", str(ident.recipient())], repo, env)
    sekret(["rotate-key"], repo, env)
    git(["commit", "-qm", "rotate"], repo, env)
    key = keyfile.parse((repo / ".git/git-crypt/keys/default").read_bytes())
    assert [e.version for e in key.entries] == [1, 0] and key.multi_version
    assert git(["rev-parse", "HEAD:secrets/one"], repo, env).stdout != old_blob
    assert git(["status", "--porcelain"], repo, env).stdout == b""
    # the age user gets the rotated key (both versions): history and new commits readable
    clone = _clone(repo, tmp_path / "c", env)
    sekret(["unlock", "--identity", str(tmp_path / "age.txt")], clone, env)
    assert (clone / "secrets/one").read_bytes() == FILES["secrets/one"]
    git(["checkout", "-q", "HEAD~2"], clone, env)
    assert (clone / "secrets/sub/token.json").read_bytes() == FILES["secrets/sub/token.json"]
    # a key exported before the rotation cannot read the new commits (documented limit)
    stale = _clone(repo, tmp_path / "stale", env)
    err = sekret(["unlock", "-"], stale, env, input=base64.b64decode(old_key), check=False)
    assert err.returncode == 1 and b"does not decrypt" in err.stderr
    # git-crypt 0.7 refuses the rotated key loudly instead of misreading it
    gc = require_tool("git-crypt")
    (tmp_path / "new.key").write_bytes(keyfile.serialize(key))
    refused = run([gc, "unlock", str(tmp_path / "new.key")], stale, env, check=False)
    assert refused.returncode != 0 and b"incompatible" in refused.stderr.lower()


def test_rsa_and_post_quantum_users_beside_a_gpg_user(tmp_path: Path) -> None:
    gc = require_tool("git-crypt")
    ssh_keygen = require_tool("ssh-keygen")
    from sekret.age.pq import HybridIdentity

    owner = make_env(tmp_path / "owner")
    fpr = _gpg_key(owner, "Bob <bob@example.invalid>")
    run([ssh_keygen, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(tmp_path / "rsa")],
        tmp_path, owner)
    pq = HybridIdentity.generate()
    (tmp_path / "pq.txt").write_text(pq.to_string() + "\n")
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, owner)
    sekret(["init"], repo, owner)
    sekret(["init", "-k", "team_a"], repo, owner)
    populate(repo)
    git(["add", "."], repo, owner)
    git(["commit", "-qm", "secrets"], repo, owner)
    sekret(["add-age-user", (tmp_path / "rsa.pub").read_text().strip(), str(pq.recipient())],
           repo, owner)
    sekret(["add-age-user", "-k", "team_a", str(pq.recipient())], repo, owner)
    sekret(["add-gpg-user", "--trusted", fpr], repo, owner)
    assert sekret(["status", "-u"], repo, owner).stdout.count(b".git-crypt/") == 0
    # collaborators with no GPG at all: a fresh HOME each, only their own key file
    for who, unlocked in (("rsa", {"secrets"}), ("pq.txt", {"secrets", "team"})):
        env = make_env(tmp_path / f"home-{who}")
        clone = _clone(repo, tmp_path / f"c-{who}", env)
        sekret(["unlock", "--identity", str(tmp_path / who)], clone, env)
        got = tree_files(clone)
        for path, data in FILES.items():
            if path.split("/")[0] in unlocked:
                assert got[path] == data, (who, path)
            elif path != "README":
                assert got[path].startswith(b"\0GITCRYPT\0"), (who, path)
    # real git-crypt unlocks the same repository through GPG; the age files do not disturb it
    clone = _clone(repo, tmp_path / "c-gpg", owner)
    run([gc, "unlock"], clone, owner)
    assert (clone / "secrets/sub/token.json").read_bytes() == FILES["secrets/sub/token.json"]
    assert git(["status", "--porcelain"], clone, owner).stdout == b""


def test_rotate_key_revokes_a_removed_user_and_rewraps_gpg(tmp_path: Path) -> None:
    owner = make_env(tmp_path / "owner")
    fpr = _gpg_key(owner, "Carol <carol@example.invalid>")
    keep, drop = X25519Identity.generate(), X25519Identity.generate()
    for name, ident in (("keep.txt", keep), ("drop.txt", drop)):
        (tmp_path / name).write_text(ident.to_string() + "\n")
    repo = tmp_path / "s"
    repo.mkdir()
    git(["init", "-q"], repo, owner)
    sekret(["init"], repo, owner)
    populate(repo)
    git(["add", "."], repo, owner)
    git(["commit", "-qm", "v0"], repo, owner)
    sekret(["add-age-user", str(keep.recipient())], repo, owner)
    sekret(["add-age-user", str(drop.recipient())], repo, owner)
    sekret(["add-gpg-user", "--trusted", fpr], repo, owner)
    dropped = sorted((repo / ".git-crypt/keys/default/0").glob("age-*"))
    dropped = [p for p in dropped if str(drop.recipient()) in
               (p.with_suffix(".recipient")).read_text()]
    assert len(dropped) == 2  # its .age and .recipient files
    git(["rm", "-q", *(str(p.relative_to(repo)) for p in dropped)], repo, owner)
    git(["commit", "-qm", "remove a collaborator"], repo, owner)
    (repo / "secrets/one").write_bytes(b"after the revocation\n")
    git(["commit", "-qam", "new secret"], repo, owner)
    help_text = sekret(["rotate-key", "--help"], repo, owner).stdout
    assert b"revoke" in help_text and b"limits" in help_text
    sekret(["rotate-key"], repo, owner)
    git(["commit", "-qm", "rotate"], repo, owner)
    # the kept age user and the GPG user (through gpg, re-wrapped) read the new commits
    for args, env in ((["--identity", str(tmp_path / "keep.txt")], make_env(tmp_path / "h1")),
                      ([], owner)):
        clone = _clone(repo, tmp_path / f"c{len(args)}", env)
        sekret(["unlock", *args], clone, env)
        assert (clone / "secrets/one").read_bytes() == b"after the revocation\n"
    # the removed user: nothing for them at HEAD, and the key they could unwrap from the
    # old commit does not decrypt what was committed after the rotation
    env = make_env(tmp_path / "h2")
    clone = _clone(repo, tmp_path / "c-drop", env)
    err = sekret(["unlock", "--identity", str(tmp_path / "drop.txt")], clone, env, check=False)
    assert err.returncode == 1 and b"none of the identities" in err.stderr
    git(["checkout", "-q", "HEAD~3"], clone, env)  # before the removal
    sekret(["unlock", "--identity", str(tmp_path / "drop.txt")], clone, env)
    for rev, readable in (("HEAD", True), ("main~1", True), ("main", False)):
        blob = git(["cat-file", "-p", f"{rev}:secrets/one"], clone, env).stdout
        out = sekret(["smudge"], clone, env, input=blob, check=False)
        assert (out.returncode == 0) == readable, rev
    assert b"tampered" in out.stderr and b"after the revocation" not in out.stdout
