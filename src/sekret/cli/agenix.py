"""``sekret agenix -e FILE | -r | -d FILE [-i IDENTITY]… [--rules FILE]``: agenix's CLI.

The flags and messages are agenix's; the rules come from ``secrets.nix`` (through
``nix-instantiate`` when nix is installed, else sekret's reader of the simple shape),
``secrets.toml`` or ``secrets.json``. The work is in :mod:`sekret.cli.agenix_ops`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sekret import age
from sekret.cli import _ui
from sekret.cli import agenix_ops as ops
from sekret.cli._env import Environment
from sekret.errors import SekretError, UsageError

HELP = """\
usage: sekret agenix -e FILE [-i IDENTITY]... [--rules FILE]
       sekret agenix -r [-i IDENTITY]... [--rules FILE]
       sekret agenix -d FILE [-i IDENTITY]... [--rules FILE]

Edit, rekey and decrypt agenix's .age secrets, as agenix does (files, rules and keys
are interchangeable with agenix and ragenix).

options:
  -e, --edit FILE       edit FILE with $EDITOR (a new FILE is created); when standard
                        input is not a terminal, FILE's new content is read from it
  -r, --rekey           re-encrypt every file of the rules to its current publicKeys
  -d, --decrypt FILE    decrypt FILE to standard output
  -i, --identity PATH   an identity (SSH private key or age key file) to decrypt with;
                        repeatable, tried before ~/.ssh/id_ed25519 and ~/.ssh/id_rsa
  --rules FILE          the rules file (default $RULES, else ./secrets.nix, then
                        ./secrets.toml and ./secrets.json)
  -v, --verbose         say which rules reader and identities are used
  -h, --help            show this help

Rules map a file name, relative to the rules file's directory, to its recipients and
whether it is written armored:
  secrets.nix    { "db.age".publicKeys = [ alice host ]; "x.age" = { publicKeys =
                 [ alice ]; armor = true; }; }  evaluated by nix-instantiate --eval
                 --strict --json when nix is installed; without nix, string literals,
                 lists, attribute sets, let … in, variables, var.attr and ++ are read
                 and anything else is refused
  secrets.toml   ["db.age"] publicKeys = ["ssh-ed25519 AAAA…", "age1…"] armor = false
  secrets.json   {"db.age": {"publicKeys": ["age1…"], "armor": true}}
Recipients are what age -r takes: age1…, age1pq1…, ssh-ed25519 …, ssh-rsa …, plugins.

Safety:
  - the plaintext is edited only in a private 0700 directory on tmpfs (/dev/shm or
    $XDG_RUNTIME_DIR when there is one), removed afterwards; a standard-input edit, a
    decrypt and a rekey never write plaintext to disk
  - an unchanged edit leaves FILE byte for byte as it was ("wasn't changed")
  - FILE is replaced atomically; a failed editor leaves it whole (a changed text is
    kept encrypted for the same recipients beside it, as FILE.sekret-rescue-TIME)
  - -r decrypts every file before it writes any: when one cannot be decrypted,
    each failure is reported and no file is changed (agenix stops at the first
    failure with the earlier files already rekeyed); missing files are skipped

Differences from agenix: identities from -i are tried first and the default SSH keys
after them (a broken default key is skipped with a warning); a missing FILE for -d is
an error; FILE is the file its rule names, relative to the rules file's directory,
whether FILE is given as that name or as a path to it, so --rules works from any
directory (agenix #149, #316; agenix reads and writes FILE in the current directory).

examples:
  $ sekret agenix -e secret1.age
  $ echo 'hunter2' | sekret agenix -e passwordfile-user1.age
  $ EDITOR='code --wait' sekret agenix -e secrets/db.age --rules secrets/secrets.nix
  $ sekret agenix -d secret1.age -i ~/.ssh/id_ed25519
  $ sekret agenix -r -i /etc/ssh/ssh_host_ed25519_key
"""

_VALUED = {"-e": "edit", "--edit": "edit", "-d": "decrypt", "--decrypt": "decrypt",
           "-i": "identity", "--identity": "identity", "--rules": "rules"}
_MISSING = {"edit": "no FILE specified", "decrypt": "no FILE specified",
            "identity": "no PRIVATE_KEY specified", "rules": "no rules FILE specified"}


def _parse(argv: Sequence[str]) -> dict[str, list[str]]:
    """agenix's loop: a flag's value is the next argument, even one starting with '-'."""
    opts: dict[str, list[str]] = {"edit": [], "decrypt": [], "identity": [], "rules": [],
                                  "rekey": [], "verbose": [], "help": []}
    args = list(argv)
    while args:
        arg = args.pop(0)
        flag, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if flag in _VALUED:
            kind = _VALUED[flag]
            if not eq:
                if not args:
                    raise UsageError(_MISSING[kind], hint="run 'sekret agenix --help' for usage")
                value = args.pop(0)
            opts[kind].append(value)
        elif arg in ("-r", "--rekey"):
            opts["rekey"].append("")
        elif arg in ("-v", "--verbose"):
            opts["verbose"].append("")
        elif arg in ("-h", "--help"):
            opts["help"].append("")
        else:
            raise UsageError(f"unknown argument {arg!r}",
                             hint="run 'sekret agenix --help' for usage")
    return opts


def run(argv: Sequence[str], env: Environment) -> int:
    """Entry point of ``sekret agenix``."""
    opts = _parse(argv)
    if opts["help"]:
        env.stdout.write(HELP.encode())
        return 0
    actions = [k for k in ("edit", "rekey", "decrypt") if opts[k]]
    if len(actions) != 1 or len(opts[actions[0]]) != 1:
        raise UsageError("give exactly one of -e FILE, -r and -d FILE",
                         hint="run 'sekret agenix --help' for usage")
    if len(opts["rules"]) > 1:
        raise UsageError("--rules given more than once")
    verbose = bool(opts["verbose"])
    given = opts["rules"][0] if opts["rules"] else None
    name, rules_dir, rules = ops.load_rules(env, given, verbose=verbose)
    ctx = ops.Context(env, rules, name, rules_dir, opts["identity"], verbose)
    if actions == ["rekey"]:
        return rekey(ctx)
    file = opts[actions[0]][0]
    return decrypt(ctx, file) if actions == ["decrypt"] else edit(ctx, file)


def decrypt(ctx: ops.Context, file: str) -> int:
    """``-d FILE``: the plaintext on standard output, written only once all of it verified."""
    _key, _rule, path = ctx.rule_for(file)
    plain = ops.decrypt(ctx, file, path)
    ctx.env.stdout.write(plain.expose())
    ctx.env.stdout.flush()
    return 0


def edit(ctx: ops.Context, file: str) -> int:
    """``-e FILE``: decrypt, edit (or read stdin), re-encrypt only when changed."""
    from sekret.files import editor

    env = ctx.env
    _key, rule, path = ctx.rule_for(file)
    recips = ops.recipients(ctx, file, rule)
    if os.path.isdir(path):
        raise SekretError(f"{file!r} is a directory", hint="give the .age file's name")
    exists = os.path.exists(path)
    old = ops.decrypt(ctx, file, path).expose() if exists else None
    if not env.stdin_isatty:
        new = env.stdin.read()  # agenix: `cp /dev/stdin`, here without a temporary file
    else:
        environ = {k: v for k, v in env.environ.items() if k != "SOPS_EDITOR"}
        try:
            new = editor.edit(old or b"", os.path.basename(path), environ,
                              parse=lambda text: text, ask_retry=None,
                              rescue=ops.rescuer(path, recips, rule.armor))
        except editor.NotModified:
            if not exists:
                _ui.warn(env, f"{file} wasn't created")
                return 0
            new = old or b""
        except editor.EditorError as exc:
            raise SekretError(str(exc), hint=exc.hint) from None
    if exists and new == old:
        _ui.warn(env, f"{file} wasn't changed, skipping re-encryption")
        return 0
    ops.write(path, age.encrypt(new, recips, armor=rule.armor))
    return 0


def rekey(ctx: ops.Context) -> int:
    """``-r``: every file of the rules re-encrypted to its rule, all decrypted first."""
    env = ctx.env
    ready: list[tuple[str, str, bytes]] = []
    failures = 0
    names = sorted(ctx.rules)
    for name in names:
        path = ctx.target(os.path.join(ctx.rules_dir, name))
        if not os.path.isfile(path):
            _ui.warn(env, f"{name} does not exist, skipped")
            continue
        ctx.info(f"rekeying {name}...")
        try:
            rule = ctx.rules[name]
            recips = ops.recipients(ctx, name, rule)
            plain = ops.decrypt(ctx, name, path)
            ready.append((name, path, age.encrypt(plain.expose(), recips, armor=rule.armor)))
        except SekretError as exc:
            failures += 1
            _ui.warn(env, str(exc))
    if failures:
        raise SekretError(
            f"cannot rekey: {failures} of {failures + len(ready)} files could not be "
            "re-encrypted (see the warnings above); no file was changed",
            hint="give the key those files are encrypted to with -i/--identity, or fix "
            "their rules, and run it again")
    for _name, path, data in ready:
        ops.write(path, data)
    ctx.info(f"rekeyed {len(ready)} file{'' if len(ready) == 1 else 's'}")
    return 0
