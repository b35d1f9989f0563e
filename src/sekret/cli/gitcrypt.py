"""``sekret git-crypt``: transparent encryption in git, compatible with git-crypt 0.7.

Repositories, key files and blobs are interchangeable with git-crypt's. git runs
sekret's filter once per git command (``filter.<attr>.process``) instead of once per
file; ``clean``/``smudge``/``diff`` stay configured for tools without ``process``.
This module holds the dispatcher and init/unlock/lock/export-key; the filter entry
points git runs are in :mod:`sekret.cli.gitcrypt_filter`, key sharing in
:mod:`sekret.cli.gitcrypt_users`, status and the hook in :mod:`sekret.cli.gitcrypt_status`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import UsageError
from sekret.gitcrypt.errors import DirtyTreeError, GitCryptError, TamperedError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.gitcrypt.keyfile import KeyFile
    from sekret.gitcrypt.repo import Repo

PROG = "sekret git-crypt"

USAGE = f"""
  {PROG} init [-k NAME] [--skip-empty]
  {PROG} unlock [KEYFILE...] | unlock --identity FILE...
  {PROG} lock [-k NAME | -a] [-f]
  {PROG} export-key [-k NAME] [--base64] FILE|-
  {PROG} status [-e | -u] [-f] [FILE...]
  {PROG} add-gpg-user [-k NAME] [-n] [--trusted] USERID...
  {PROG} add-age-user [-k NAME] [-n] RECIPIENT...
  {PROG} rotate-key [-k NAME]
  {PROG} install-hook [--force]   |   pre-commit"""

DESCRIPTION = """\
Files matching a .gitattributes line such as

    secrets/** filter=git-crypt diff=git-crypt

are encrypted when committed and decrypted in the working tree. Repositories set up
with git-crypt 0.7 work with sekret and the other way round; blobs are identical.

commands:
  init          make a key for this repository and set up the filters
  unlock        install a key: a key file (binary or base64, '-' for standard input),
                or with no argument through GPG, or with --identity through age/ssh
  lock          remove the key and put ciphertext back in the working tree
  export-key    write the key file (0600), binary or --base64, for another machine
  status        list encrypted / not encrypted files; -f stages encrypted versions
  add-gpg-user  share the key with a GPG user (.git-crypt/keys/NAME/0/FPR.gpg)
  add-age-user  share the key with an age, ssh-ed25519, ssh-rsa or age1pq1 recipient
  rotate-key    new key version for new commits; old versions stay for history
  install-hook  install a pre-commit hook that refuses plaintext under encrypted paths
  pre-commit    the check the hook runs (also a pre-commit framework hook)"""

EPILOG = f"""\
examples:
  {PROG} init && echo 'secrets/** filter=git-crypt diff=git-crypt' >> .gitattributes
  {PROG} export-key --base64 -        # paste into a password manager
  pbpaste | {PROG} unlock -           # binary or base64, both work
  {PROG} add-age-user age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  {PROG} unlock --identity ~/.ssh/id_ed25519"""

Handler = Callable[[Sequence[str], Environment], int]


def filter_command() -> str:
    """The quoted command prefix written to git config: this Python, ``-P -m sekret``.

    An absolute interpreter path works from any PATH; ``-P`` keeps a ``sekret``
    directory in the repository from being imported instead of the real package.
    """
    exe = sys.executable
    for ch in ("\\", '"', "$", "`"):
        exe = exe.replace(ch, "\\" + ch)
    return f'"{exe}" -P -m sekret git-crypt'


def repo_of(env: Environment) -> Repo:
    """The repository around the working directory."""
    from sekret.gitcrypt.repo import Repo

    return Repo.discover(env.cwd, env.environ)


def key_name_option(p: _ui.Parser) -> None:
    """Add ``-k/--key-name NAME``."""
    p.add_argument("-k", "--key-name", metavar="NAME", help="use the named key NAME")


def checked_name(name: str | None) -> str | None:
    """Validate a -k value (None stays None)."""
    if name is not None:
        from sekret.gitcrypt.keyfile import validate_key_name

        validate_key_name(name)
    return name


def refuse_dirty(repo: Repo, command: str, extra: str = "", *, linked: bool = False) -> None:
    """Refuse to run on a tree with uncommitted changes to tracked files."""
    if repo.is_dirty():
        raise DirtyTreeError(
            f"linked worktree {repo.top!r} is not clean" if linked
            else "working directory not clean",
            hint=f"commit your changes or 'git stash' them before running "
                 f"'{PROG} {command}'{extra}")


def _parser(command: str, usage: str) -> _ui.Parser:
    return _ui.Parser(f"{PROG} {command}", usage, DESCRIPTION)


# ------------------------------------------------------------------------ init/unlock


def cmd_init(argv: Sequence[str], env: Environment) -> int:
    """``init [-k NAME] [--skip-empty]``."""
    p = _parser("init", f"{PROG} init [-k NAME] [--skip-empty]")
    key_name_option(p)
    p.add_argument("--skip-empty", action="store_true",
                   help="leave empty files empty (git-crypt 0.7 cannot read such a key)")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    name = checked_name(args.key_name)
    repo = repo_of(env)
    if repo.find_key(name) is not None:
        raise GitCryptError("this repository has already been initialized with git-crypt"
                            + ("" if name is None else f" (key {name!r})"),
                            hint="use 'unlock' on another clone, or 'init -k NAME' for "
                                 "another key")
    from sekret.gitcrypt.keyfile import generate

    _ui.say(env, "info", "generating key")
    key = generate(name, skip_empty=args.skip_empty)
    repo.save_key(key)
    repo.configure(name, filter_command())
    return 0


def verify_keys(repo: Repo, keys: Sequence[KeyFile]) -> None:
    """Decrypt the staged blobs of each key before installing it (nothing written yet).

    A key that decrypts none of its files is the wrong key; a key that decrypts some
    but not one file means that file was tampered with.
    """
    from sekret.gitcrypt import blob
    from sekret.gitcrypt import repo as repo_mod

    by_attr = {repo_mod.attr_for(k.name): k for k in keys}
    entries = repo.encrypted_entries(k.name for k in keys)
    attrs = repo.attributes(e.path for e in entries)
    results: dict[str, list[tuple[str, bool]]] = {}
    for e, data in zip(entries, repo.blobs([e.oid for e in entries]), strict=True):
        if not blob.is_encrypted(data):
            continue
        attr = attrs[e.path][0]
        try:
            blob.decrypt(by_attr[attr].entries, data)
            ok = True
        except TamperedError:
            ok = False
        results.setdefault(attr, []).append((e.path, ok))
    for attr, checks in results.items():
        bad = [path for path, ok in checks if not ok]
        if not bad:
            continue
        shown = by_attr[attr].display_name
        if len(bad) == len(checks):
            raise TamperedError(f"key {shown!r} does not decrypt the files of this repository",
                                hint="check that this is the right key file for this repository")
        raise TamperedError(f"encrypted file {bad[0]!r} has been tampered with",
                            hint="restore it from a trusted copy, or check its history")


def install_keys(repo: Repo, keys: Sequence[KeyFile], env: Environment) -> int:
    """Verify, write keys and config, then check out the encrypted files; undo on failure.

    Linked worktrees share the config and keys: their encrypted files are checked out
    too, except in a worktree with uncommitted changes (checked before the filters
    change what git sees there), which is left alone with a warning.
    """
    verify_keys(repo, keys)
    command = filter_command()
    previous = {k.name: repo.find_key(k.name) is not None for k in keys}
    others = []
    for tree in repo.other_worktrees():
        if tree.is_dirty():
            _ui.warn(env, f"linked worktree {tree.top!r} is not clean: its files were left "
                          f"encrypted; run '{PROG} unlock' there once it is clean")
        else:
            others.append(tree)
    try:
        for key in keys:
            repo.save_key(key)
            repo.configure(key.name, command)
        paths = [e.path for e in repo.encrypted_entries(k.name for k in keys)]
        repo.checkout(paths)
        for tree in others:
            tree.checkout([e.path for e in tree.encrypted_entries(k.name for k in keys)])
    except BaseException:
        for key in keys:
            if not previous[key.name]:
                repo.remove_key(key.name)
                repo.deconfigure(key.name)
        raise
    return len(paths)


def cmd_unlock(argv: Sequence[str], env: Environment) -> int:
    """``unlock [KEYFILE...]`` / ``unlock --identity FILE``."""
    p = _parser("unlock", f"{PROG} unlock [KEYFILE...] | --identity FILE...")
    p.add_argument("-i", "--identity", action="append", default=[], metavar="FILE",
                   help="unwrap the key with an age or ssh identity file (repeatable)")
    p.add_argument("keyfile", nargs="*", metavar="KEYFILE")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if args.identity and args.keyfile:
        raise UsageError("give key files or --identity, not both")
    repo = repo_of(env)
    refuse_dirty(repo, "unlock")
    from sekret.cli import gitcrypt_users

    if args.keyfile:
        keys = gitcrypt_users.read_key_files(env, args.keyfile)
    elif args.identity:
        keys = gitcrypt_users.unwrap_with_identities(env, repo, args.identity)
    else:
        keys = gitcrypt_users.unwrap_with_gpg(repo)
    names = [k.display_name for k in keys]
    if len(set(names)) != len(names):
        raise UsageError("two key files hold the same key name")
    count = install_keys(repo, keys, env)
    _ui.say(env, "info", f"unlocked {', '.join(names)}: {count} file(s) decrypted")
    return 0


def cmd_lock(argv: Sequence[str], env: Environment) -> int:
    """``lock [-k NAME | -a] [-f]``."""
    p = _parser("lock", f"{PROG} lock [-k NAME | -a] [-f]")
    key_name_option(p)
    p.add_argument("-a", "--all", action="store_true", help="lock every unlocked key")
    p.add_argument("-f", "--force", action="store_true",
                   help="lock a dirty tree, discarding changes to encrypted files")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if args.all and args.key_name is not None:
        raise UsageError("-k and --all options are mutually exclusive")
    name = checked_name(args.key_name)
    repo = repo_of(env)
    trees = [repo, *repo.other_worktrees()]  # they share the keys: lock them all
    if not args.force:
        for tree in trees:
            refuse_dirty(tree, "lock", "; or use --force and lose changes to encrypted files",
                         linked=tree is not repo)
    names = repo.installed_keys() if args.all else [name]
    if not args.all and repo.find_key(name) is None:
        raise GitCryptError("this repository is already locked" +
                            ("" if name is None else f" with key {name!r}"))
    plans = [(tree, [e.path for e in tree.encrypted_entries(names)]) for tree in trees]
    for n in names:
        repo.remove_key(n)
        repo.deconfigure(n)
    for tree, paths in plans:
        tree.checkout(paths)
    return 0


def cmd_export_key(argv: Sequence[str], env: Environment) -> int:
    """``export-key [-k NAME] [--base64] FILE|-``."""
    p = _parser("export-key", f"{PROG} export-key [-k NAME] [--base64] FILE|-")
    key_name_option(p)
    p.add_argument("--base64", action="store_true", help="write base64 text (one line)")
    p.add_argument("file", nargs="?", metavar="FILE")
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    if args.file is None:
        raise UsageError("no filename specified", hint="give a file name, or '-' for stdout")
    from sekret.gitcrypt import keyfile

    key = repo_of(env).load_key(checked_name(args.key_name))
    data = keyfile.to_base64(key) if args.base64 else keyfile.serialize(key)
    if args.file == "-" and env.stdout_isatty and not args.base64:
        _ui.refuse_binary_to_terminal(env)
    with env.output(args.file) as out:
        out.write(data)
    return 0


def _commands() -> dict[str, Handler]:
    from sekret.cli import gitcrypt_filter, gitcrypt_status, gitcrypt_users

    return {
        "init": cmd_init, "unlock": cmd_unlock, "lock": cmd_lock,
        "export-key": cmd_export_key, "clean": gitcrypt_filter.cmd_clean,
        "smudge": gitcrypt_filter.cmd_smudge, "diff": gitcrypt_filter.cmd_diff,
        "filter-process": gitcrypt_filter.cmd_filter_process,
        "status": gitcrypt_status.cmd_status, "pre-commit": gitcrypt_status.cmd_pre_commit,
        "install-hook": gitcrypt_status.cmd_install_hook,
        "add-gpg-user": gitcrypt_users.cmd_add_gpg_user,
        "add-age-user": gitcrypt_users.cmd_add_age_user,
        "rotate-key": gitcrypt_users.cmd_rotate_key,
    }


def run(argv: Sequence[str], env: Environment) -> int:
    """``sekret git-crypt COMMAND …``."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        stream = env.stdout if argv else env.stderr
        stream.write(f"usage:{USAGE}\n\n{DESCRIPTION}\n\n{EPILOG}".encode())
        return 0 if argv else UsageError.exit_code
    commands = _commands()
    if argv[0] not in commands:
        raise UsageError(f"{argv[0]!r} is not a git-crypt command",
                         hint=f"run '{PROG} --help' for the list")
    return commands[argv[0]](argv[1:], env)
