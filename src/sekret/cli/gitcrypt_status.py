"""``sekret git-crypt status``, the pre-commit check and its hook installer.

Status lists every file as encrypted (its ``filter`` attribute names a git-crypt key)
or not, and warns about files that match an encrypting pattern but whose staged blob
is plaintext: the "committed while locked" accident. It needs one ``ls-files``, one
``check-attr --stdin`` and one ``cat-file --batch``, whatever the number of files.
An empty staged blob is not reported: it leaks nothing (and ``--skip-empty`` keys
make them on purpose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.cli.gitcrypt import PROG, filter_command, repo_of
from sekret.errors import UsageError
from sekret.gitcrypt.errors import NotEncryptedError, NotUnlockedError
from sekret.gitcrypt.repo import Repo, name_for

HOOK = """#!/bin/sh
# installed by '{prog} install-hook': refuse commits that would put plaintext
# under a path .gitattributes marks for encryption
exec {command} pre-commit
"""


@dataclass(frozen=True)
class FileStatus:
    """One file as status sees it."""

    path: str
    encrypted: bool  # the filter attribute names a git-crypt key
    attr: str
    diff_ok: bool  # the diff attribute matches the filter attribute
    tracked: bool
    plaintext_staged: bool  # tracked, encrypted by attribute, but the blob is not


def scan(repo: Repo, paths: Sequence[str] = (), *, untracked: bool = True) -> list[FileStatus]:
    """Status of every staged (and untracked) regular file under ``paths``."""
    from sekret.gitcrypt import blob

    entries = repo.index(paths)
    others = repo.untracked(paths) if untracked else []
    attrs = repo.attributes([*(e.path for e in entries), *others])
    marked = [e for e in entries if name_for(attrs[e.path][0]) is not False]
    bad = {e.path for e, data in zip(marked, repo.blobs([e.oid for e in marked]), strict=True)
           if data and not blob.is_encrypted(data)}
    out = []
    for path, tracked in [*((e.path, True) for e in entries), *((p, False) for p in others)]:
        filt, diff = attrs[path]
        enc = name_for(filt) is not False
        out.append(FileStatus(path, enc, filt, diff == filt, tracked, path in bad))
    return sorted(out, key=lambda f: f.path)


def cmd_status(argv: Sequence[str], env: Environment) -> int:
    """``status [-e | -u] [-f] [FILE...]``."""
    p = _ui.Parser(f"{PROG} status", f"{PROG} status [-e | -u] [-f] [FILE...]",
                   __doc__ or "")
    p.add_argument("-e", action="store_true", help="show encrypted files only")
    p.add_argument("-u", action="store_true", help="show files that are not encrypted only")
    p.add_argument("-f", "--fix", action="store_true",
                   help="stage encrypted versions of files committed in plaintext")
    p.add_argument("files", nargs="*", metavar="FILE")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if args.e and args.u:
        raise UsageError("-e and -u options are mutually exclusive")
    if args.fix and (args.e or args.u):
        raise UsageError("-e and -u options cannot be used with -f")
    repo = repo_of(env)
    files = scan(repo, args.files)
    if args.fix:
        return _fix(env, repo, [f for f in files if f.plaintext_staged])
    state = repo.state_dir.removeprefix(repo.top + "/") + "/"
    lines, warn_diff, warn_plain = [], False, False
    for f in files:
        if (args.e and not f.encrypted) or (args.u and f.encrypted):
            continue
        if not f.encrypted and f.path.startswith(state):
            continue  # git-crypt's own key-sharing files
        line = f"    encrypted: {f.path}" if f.encrypted else f"not encrypted: {f.path}"
        if f.encrypted and not f.tracked:
            line += " (not committed yet)"
        if f.encrypted and not f.diff_ok:
            line += f" *** WARNING: diff={f.attr} is not set ***"
            warn_diff = True
        if f.plaintext_staged:
            line += " *** WARNING: the staged version is not encrypted ***"
            warn_plain = True
        lines.append(line + "\n")
    env.stdout.write("".join(lines).encode())
    env.stdout.flush()
    if warn_plain:
        _ui.warn(env, "some files are committed or staged in plaintext although "
                      ".gitattributes marks them for encryption")
        _ui.say(env, "hint", f"unlock, then run '{PROG} status -f' to stage encrypted "
                             "versions; the plaintext stays in earlier commits")
    if warn_diff:
        _ui.say(env, "hint", "set diff=ATTR next to filter=ATTR so 'git diff' shows plaintext")
    return 1 if warn_plain or warn_diff else 0


def _fix(env: Environment, repo: Repo, files: list[FileStatus]) -> int:
    for f in files:
        name = name_for(f.attr)
        if repo.find_key(name if isinstance(name, str) else None) is None:
            raise NotUnlockedError(f"cannot stage an encrypted version of {f.path!r}: "
                                   "the repository is locked",
                                   hint=f"run '{PROG} unlock' first")
    paths = [f.path for f in files]
    repo.touch(paths)
    repo.add(paths)
    still = [f.path for f in scan(repo, paths, untracked=False) if f.plaintext_staged]
    if still:
        raise NotEncryptedError(f"{still[0]!r} is still not encrypted after staging")
    for path in paths:
        env.stdout.write(f"{path}: staged encrypted version\n".encode())
    env.stdout.write(f"staged {len(paths)} encrypted file(s)\n".encode())
    if paths:
        _ui.warn(env, "earlier commits still hold the plaintext versions")
    return 0


def cmd_pre_commit(argv: Sequence[str], env: Environment) -> int:
    """``pre-commit``: fail if a staged blob under an encrypting pattern is plaintext."""
    if argv and argv[0] in ("-h", "--help"):
        env.stdout.write(f"usage: {PROG} pre-commit\n\n{cmd_pre_commit.__doc__}\n".encode())
        return 0
    bad = [f.path for f in scan(repo_of(env), untracked=False) if f.plaintext_staged]
    if bad:
        shown = ", ".join(repr(p) for p in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise NotEncryptedError(
            f"refusing to commit {len(bad)} file(s) in plaintext that "
            f".gitattributes marks for encryption: {shown}",
            hint=f"run '{PROG} unlock', then '{PROG} status -f'; or 'git rm --cached' them")
    return 0


def cmd_install_hook(argv: Sequence[str], env: Environment) -> int:
    """``install-hook [--force]``: write ``.git/hooks/pre-commit``."""
    p = _ui.Parser(f"{PROG} install-hook", f"{PROG} install-hook [--force]",
                   "install a pre-commit hook that runs the pre-commit check")
    p.add_argument("--force", action="store_true", help="replace an existing hook")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    text = HOOK.format(prog=PROG, command=filter_command())
    path = repo_of(env).install_hook("pre-commit", text, force=args.force)
    _ui.say(env, "info", f"installed {path}")
    return 0
