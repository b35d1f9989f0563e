"""``sekret git-crypt`` key sharing: key files, GPG users, age users, key rotation.

In-repo layout (git-crypt's, under ``.git-crypt/``)::

    .gitattributes                    never filter the state files
    keys/{default|NAME}/0/FPR.gpg     the key file encrypted to a GPG key (git-crypt's)
    keys/{default|NAME}/0/age-ID.age  the key file encrypted with age (sekret only)
    keys/{default|NAME}/0/age-ID.recipient   that recipient, so rotate-key can re-wrap

git-crypt's ``unlock`` opens only ``FPR.gpg`` files, so the age files do not disturb it.

``rotate-key`` limits: a rotated key carries all versions plus a critical header field,
so git-crypt 0.7 refuses it loudly (it would decrypt with version 0 only); anyone who
had the old key can still read history and every file until it is re-encrypted; key
files exported before the rotation cannot read new commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.cli.gitcrypt import (
    PROG,
    checked_name,
    key_name_option,
    refuse_dirty,
    repo_of,
)
from sekret.errors import SekretError, UsageError
from sekret.gitcrypt.errors import GitCryptError, KeyFileMalformed, NotUnlockedError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.gitcrypt.keyfile import KeyFile
    from sekret.gitcrypt.repo import Repo

STATE_ATTRIBUTES = (
    b"# sekret / git-crypt key sharing state: these files must never be filtered\n"
    b"* !filter !diff\n"
    b"*.gpg binary\n"
)


ROTATE_HELP = """\
make a new version of the key and encrypt with it from now on: every encrypted file
is re-encrypted (staged, not committed), every GPG and age user under
.git-crypt/keys/NAME/0/ gets the new key file, and the older versions stay in the key
so history stays readable.

to revoke a collaborator: 'git rm' their files under .git-crypt/keys/NAME/0/ and
commit, then run rotate-key and commit.

limits:
  - whoever had the key before can still read every commit made before the rotation
    (that would need rewriting history)
  - a rotated key holds several versions behind a critical field: git-crypt 0.7
    refuses it as incompatible, so after a rotation every collaborator needs sekret
  - key files exported before the rotation cannot read new commits: export again"""


def read_key_files(env: Environment, names: Sequence[str]) -> list[KeyFile]:
    """Parse key files given on the command line (binary or base64; ``-`` is stdin)."""
    from sekret.gitcrypt import keyfile

    if names.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    keys = []
    for name in names:
        data = env.read_file(name, what="read key file", limit=1 << 20)
        try:
            keys.append(keyfile.parse_any(data))
        except GitCryptError as exc:
            exc.message = f"{name!r}: {exc.message}"
            if isinstance(exc, KeyFileMalformed) and exc.hint is None:
                exc.hint = "the file is damaged or cut short: export the key again"
            raise
    return keys


def _key_dirs(repo: Repo) -> list[tuple[str, str | None]]:
    """(directory under keys/, key name) for every valid key directory in the repo."""
    from sekret.gitcrypt.keyfile import validate_key_name

    found: dict[str, str | None] = {}
    for rel in repo.list_state("keys"):
        d = rel.split("/", 1)[0]
        if d == "default":
            found[d] = None
            continue
        try:
            validate_key_name(d)
        except GitCryptError:
            continue
        found[d] = d
    return sorted(found.items())


def _check_unwrapped(key: KeyFile, name: str | None, what: str) -> KeyFile:
    if key.name != name or key.entry(0) is None:
        raise KeyFileMalformed(f"{what} does not hold the expected key")
    return key


def unwrap_with_gpg(repo: Repo) -> list[KeyFile]:
    """Every key the user's GPG secret keys can decrypt, as git-crypt's ``unlock``."""
    from sekret.gitcrypt.keyfile import parse

    fingerprints = repo.gpg_secret_fingerprints()
    keys: list[KeyFile] = []
    failure: SekretError | None = None
    for d, name in _key_dirs(repo):
        for fpr in fingerprints:
            rel = f"keys/{d}/0/{fpr}.gpg"
            try:
                repo.read_state(rel)
            except OSError:
                continue
            try:
                path = f"{repo.state_dir}/{rel}"
                key = parse(repo.gpg(["-q", "--batch", "-d", path]))
                keys.append(_check_unwrapped(key, name, rel))
                break
            except GitCryptError as exc:
                failure = exc
    if not keys:
        if failure is not None:
            raise failure
        raise NotUnlockedError(
            "no GPG secret key available to unlock this repository",
            hint="give the key file as an argument, or --identity for age/ssh keys")
    return keys


def unwrap_with_identities(env: Environment, repo: Repo,
                           paths: Sequence[str]) -> list[KeyFile]:
    """Every key an age or ssh identity file can unwrap from ``.git-crypt/keys``."""
    from sekret import age
    from sekret.errors import AgeError
    from sekret.gitcrypt.keyfile import parse

    identities: list[age.Identity] = []
    for p in paths:
        data = env.read_file(p, what="read identity file", limit=1 << 20)
        identities += age.parse_identity_file(data, name=p, ask_passphrase=env.read_secret)
    keys: list[KeyFile] = []
    for d, name in _key_dirs(repo):
        for rel in repo.list_state(f"keys/{d}"):
            if not rel.endswith(".age"):
                continue
            try:
                payload = age.decrypt(repo.read_state(f"keys/{d}/{rel}"), identities)
            except AgeError:
                continue
            keys.append(_check_unwrapped(parse(payload), name, f"keys/{d}/{rel}"))
            break
    if not keys:
        raise NotUnlockedError(
            "none of the identities can unlock this repository",
            hint=f"ask a collaborator to run '{PROG} add-age-user' with your public key")
    return keys


def _share_prep(repo: Repo) -> list[str]:
    """Create ``.git-crypt/.gitattributes`` if missing; return new files (relative)."""
    try:
        repo.read_state(".gitattributes")
        return []
    except OSError:
        return [repo.write_state(".gitattributes", STATE_ATTRIBUTES)]


def _payload(key: KeyFile) -> bytes:
    from sekret.gitcrypt.keyfile import serialize

    # git-crypt wraps the latest version only; a rotated key needs every version.
    return serialize(key if key.multi_version else key.only_latest())


def _finish(repo: Repo, env: Environment, paths: list[str], message: str,
            no_commit: bool) -> None:
    repo.add(paths)
    if not no_commit:
        repo.commit(paths, message)
    _ui.say(env, "info", message.splitlines()[0] + ("" if not no_commit else " (staged)"))


def _share_parser(command: str, what: str) -> _ui.Parser:
    p = _ui.Parser(f"{PROG} {command}", f"{PROG} {command} [-k NAME] [-n] {what}...",
                   f"share the unlocked key with each {what}")
    key_name_option(p)
    p.add_argument("-n", "--no-commit", action="store_true", help="stage, do not commit")
    return p


def cmd_add_gpg_user(argv: Sequence[str], env: Environment) -> int:
    """``add-gpg-user [-k NAME] [-n] [--trusted] USERID...``."""
    p = _share_parser("add-gpg-user", "USERID")
    p.add_argument("--trusted", action="store_true", help="trust the keys without checking")
    p.add_argument("users", nargs="*", metavar="USERID")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if not args.users:
        raise UsageError("no GPG user ID specified")
    repo = repo_of(env)
    key = repo.load_key(checked_name(args.key_name))
    found = []
    for user in args.users:
        matches = repo.gpg_public_keys(user)
        if not matches:
            raise GitCryptError(f"public key for {user!r} not found in your GPG keyring")
        if len(matches) > 1:
            raise GitCryptError(f"more than one public key matches {user!r}",
                                hint="give the full fingerprint")
        trusted = args.trusted or (len(user) == 42 and user.lower().startswith("0x"))
        found.append((*matches[0], trusted))
    blobs = []  # encrypt everything before writing anything
    for fpr, uid, trusted in found:
        rel = f"keys/{key.display_name}/0/{fpr}.gpg"  # sekret unlocks from 0/ only
        try:
            repo.read_state(rel)
            continue
        except OSError:
            pass
        flags = ["--trust-model", "always"] if trusted else []
        data = repo.gpg(["--batch", *flags, "-o", "-", "-r", "0x" + fpr, "-e"],
                        input=_payload(key))
        blobs.append((rel, data, f"\t{fpr} {uid}"))
    if not blobs:
        _ui.say(env, "info", "every user already has the key")
        return 0
    paths = _share_prep(repo) + [repo.write_state(rel, data) for rel, data, _ in blobs]
    message = (f"git-crypt: share key {key.display_name} with {len(blobs)} GPG user(s)\n\n"
               + "\n".join(line for _, _, line in blobs) + "\n")
    _finish(repo, env, paths, message, args.no_commit)
    return 0


def _age_id(recipient: str) -> str:
    return hashlib.sha256(recipient.strip().encode()).hexdigest()[:16]


def cmd_add_age_user(argv: Sequence[str], env: Environment) -> int:
    """``add-age-user [-k NAME] [-n] RECIPIENT...``."""
    p = _share_parser("add-age-user", "RECIPIENT")
    p.add_argument("recipients", nargs="*", metavar="RECIPIENT")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if not args.recipients:
        raise UsageError("no recipient specified",
                         hint="give an age1…, age1pq1…, ssh-ed25519 or ssh-rsa public key")
    from sekret import age

    repo = repo_of(env)
    key = repo.load_key(checked_name(args.key_name))
    wrapped = []
    for text in args.recipients:
        recipient = age.parse_recipient(text.strip())
        base = f"keys/{key.display_name}/0/age-{_age_id(text)}"
        wrapped.append((base, text.strip(), age.encrypt(_payload(key), [recipient])))
    paths = _share_prep(repo)
    for base, text, data in wrapped:
        paths.append(repo.write_state(base + ".age", data))
        paths.append(repo.write_state(base + ".recipient", text.encode() + b"\n"))
    message = (f"git-crypt: share key {key.display_name} with {len(wrapped)} age user(s)\n\n"
               + "\n".join(f"\t{t[:60]}" for _, t, _ in wrapped) + "\n")
    _finish(repo, env, paths, message, args.no_commit)
    return 0


def cmd_rotate_key(argv: Sequence[str], env: Environment) -> int:
    """``rotate-key [-k NAME]``: a new key version; re-encrypt and re-wrap; stage all."""
    p = _ui.Parser(f"{PROG} rotate-key", f"{PROG} rotate-key [-k NAME]", ROTATE_HELP)
    key_name_option(p)
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    from sekret import age
    from sekret.gitcrypt import keyfile

    repo = repo_of(env)
    name = checked_name(args.key_name)
    old = repo.load_key(name)
    refuse_dirty(repo, "rotate-key")
    new = keyfile.rotate(old)
    payload = keyfile.serialize(new)
    prefix = f"keys/{new.display_name}/"
    rewrapped = []  # everything is wrapped in memory before anything is written
    for rel in repo.list_state(f"keys/{new.display_name}"):
        if rel.endswith(".gpg"):
            fpr = rel.rsplit("/", 1)[-1].removesuffix(".gpg")
            data = repo.gpg(["--batch", "--trust-model", "always", "-o", "-",
                             "-r", "0x" + fpr, "-e"], input=payload)
            rewrapped.append((prefix + rel, data))
        elif rel.endswith(".recipient"):
            text = repo.read_state(prefix + rel).decode().strip()
            data = age.encrypt(payload, [age.parse_recipient(text)])
            rewrapped.append((prefix + rel.removesuffix(".recipient") + ".age", data))
    repo.save_key(new)
    try:
        files = [e.path for e in repo.encrypted_entries([name])]
        repo.add(files, renormalize=True)
    except BaseException:
        repo.save_key(old)
        raise
    paths = [repo.write_state(rel, data) for rel, data in rewrapped]
    repo.add(paths)
    _ui.say(env, "info", f"key {new.display_name!r} is now at version {new.latest.version}: "
            f"{len(files)} file(s) re-encrypted, {len(paths)} wrapped key(s) updated (staged)")
    _ui.say(env, "hint", "commit now; export the key again for machines that use key files")
    return 0
