"""``sekret encrypt|decrypt|edit|set|unset|updatekeys|rotate|exec-env|exec-file|…``.

sops's subcommands with sops's flags and exit codes, sops's global flags before them
(``sekret --config F encrypt …``), and the legacy forms (``sekret FILE`` edits,
``sekret -d FILE``, ``-e``, ``-r``, ``--set``), so that ``alias sops=sekret`` keeps
scripts working. The flags are in :mod:`sekret.cli.sops_flags`; the work is in
:mod:`sekret.cli.sops_ops` and the modules beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.cli import _ui
from sekret.cli import sops_flags as flags
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError, UsageError

FORMATS = flags.FORMATS

DESCRIPTIONS = {
    "encrypt": "encrypt a file in the SOPS format (keys from --age/--pgp or .sops.yaml)",
    "decrypt": "decrypt a SOPS file (checks its MAC)",
    "edit": "edit a SOPS file in $SOPS_EDITOR/$EDITOR (a new file starts from a template)",
    "set": 'set one value: sekret set FILE \'["key"]["nested"]\' \'"json value"\'',
    "unset": "remove one value: sekret unset FILE '[\"key\"]'",
    "updatekeys": "re-wrap the data key for the recipients .sops.yaml now names",
    "rotate": "a new data key for every value (--add-age/--rm-age, --add-pgp/--rm-pgp change keys)",
    "exec-env": "run a command with the file's values in its environment",
    "exec-file": "run a command with the decrypted file at {} (a FIFO by default)",
    "filestatus": 'print {"encrypted":true} or {"encrypted":false}',
    "groups add": "add a key group (age, PGP or Vault transit keys) to a SOPS file",
    "groups delete": "delete the key group INDEX (counted from 0) of a SOPS file",
    "publish": "write a SOPS file's values to the Vault/OpenBao KV path of its "
    ".sops.yaml destination_rules entry",
}
USAGES = {
    "set": "sekret set [options] FILE PATH [VALUE]",
    "unset": "sekret unset [options] FILE PATH",
    "exec-env": "sekret exec-env [options] FILE COMMAND",
    "exec-file": "sekret exec-file [options] FILE COMMAND",
    "updatekeys": "sekret updatekeys [options] FILE...",
    "groups add": "sekret groups add --file FILE --age RECIPIENT... [-i] [options]",
    "groups delete": "sekret groups delete --file FILE [-i] [options] INDEX",
    "publish": "sekret publish [-y] [--omit-extensions] [--recursive] FILE|DIR",
}

EPILOG = """\
examples:
  sekret encrypt --age age1… -i secrets.yaml
  sekret decrypt secrets.yaml
  sekret decrypt --extract '["db"]["password"]' secrets.yaml
  sekret edit secrets.yaml
  sekret set secrets.yaml '["db"]["port"]' 5433
  sekret exec-env secrets.env 'echo $DB_PASSWORD'
  sekret --config ops/.sops.yaml encrypt -i secrets.yaml   (sops's global flags work too)
identities: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD,
  ~/.config/sops/age/keys.txt, SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519;
  PGP keys through your gpg (GNUPGHOME, gpg-agent; SOPS_GPG_EXEC names the program)
Vault/OpenBao transit keys: --hc-vault-transit URI (or SOPS_VAULT_URIS), with
  VAULT_TOKEN or ~/.vault-token
key services, as in sops: --keyservice unix:///path or tcp://host:port (repeatable),
  asked after the local keys (--enable-local-keyservice=false: only them); see
  'sekret keyservice --help' for the server
not supported yet (refused): AWS/GCP/HuaweiCloud KMS and Azure Key Vault keys
  (--kms, …, --add-kms, …), S3/GCS publishing
accepted and without effect, as in sops: --disable-version-check, --check-for-updates;
  --aws-profile and --encryption-context (KMS only) warn
flags a command does not use are refused with exit status 1 (sops ignores them)
"""


class ConflictError(SopsError):
    """Conflicting flags (sops exit 8)."""

    exit_code = 8


class SopsUsageError(UsageError):
    """A command line sops would not take (sops exits 1: "flag provided but not defined")."""

    exit_code = 1


def parser(name: str) -> _ui.Parser:
    """The argument parser of one subcommand (``"groups add"`` for the nested ones)."""
    usage = USAGES.get(name, f"sekret {name} [options] [FILE]")
    return flags.parser(f"sekret {name}", usage, DESCRIPTIONS[name], EPILOG, name)


def _legacy_parser() -> _ui.Parser:
    return flags.parser(
        "sekret",
        "sekret [-d | -e | -r | --set 'PATH VALUE'] [options] FILE",
        "The legacy sops form: edit FILE, or decrypt/encrypt/rotate/set it.",
        EPILOG,
        flags.LEGACY,
    )


def _parse(p: _ui.Parser, argv: Sequence[str]) -> Namespace:
    try:
        return p.parse(flags.normalise(argv))
    except UsageError as exc:
        raise SopsUsageError(str(exc), hint=exc.hint) from None


def split_globals(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """sops's global flags before the first argument that is not one, and the rest."""
    valued = flags.valued_option_strings()
    i = 0
    args = flags.normalise(argv)
    while i < len(args):
        arg = args[i]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        name = arg.split("=", 1)[0]
        if name not in flags.BY_STRING and name not in ("-h", "--help", "-v", "--version"):
            break
        i += 2 if name in valued and "=" not in arg else 1
    return args[:i], args[i:]


def run_toplevel(argv: Sequence[str], env: Environment) -> int:
    """``sekret [GLOBAL FLAGS] SUBCOMMAND …`` or the legacy ``sekret [FLAGS] FILE``."""
    from sekret.cli import COMMANDS, SOPS_COMMANDS

    before, rest = split_globals(argv)
    if rest and rest[0] in COMMANDS and before:
        raise SopsUsageError(
            f"{before[0]} is a sops flag: it goes with the sops commands, not 'sekret {rest[0]}'",
            hint=f"run 'sekret {rest[0]} --help' for its options",
        )
    if rest and rest[0] in SOPS_COMMANDS:
        if any(a in ("-v", "--version") for a in before):
            return _version(env)
        return run_subcommand(rest[0], rest[1:], env, before)
    if any(a in ("-v", "--version") for a in before):
        return _version(env)
    return run_legacy(argv, env)


def _version(env: Environment) -> int:
    from sekret import __version__

    env.stdout.write(f"sekret {__version__}\n".encode())
    return 0


def run_subcommand(
    name: str, argv: Sequence[str], env: Environment, before: Sequence[str] = ()
) -> int:
    """Run ``sekret [BEFORE…] NAME ARGS…`` (flags before the name apply as after it)."""
    if name == "completion":
        from sekret.cli import completion

        return completion.run([*argv], env, list(before))
    if name == "groups":
        return _run_groups(argv, env, before)
    p = parser(name)
    args = _parse(p, [*before, *argv])
    if args.help:
        return p.write_help(env)
    flags.check_used(name, args, where="subcommand")
    from sekret.cli import sops_checks

    sops_checks.check(name, args, env)
    from sekret.cli import sops_ops

    return sops_ops.dispatch(name, args, env)


def _run_groups(argv: Sequence[str], env: Environment, before: Sequence[str]) -> int:
    if not argv or argv[0] not in ("add", "delete"):
        if argv and argv[0] in ("-h", "--help", "help"):
            env.stdout.write(_groups_help().encode())
            return 0
        raise SopsUsageError(
            "groups needs a subcommand: add or delete" if not argv
            else f"unknown groups subcommand {argv[0]!r}",
            hint="run 'sekret groups add --help' or 'sekret groups delete --help'",
        )
    name = f"groups {argv[0]}"
    p = parser(name)
    args = _parse(p, [*before, *argv[1:]])
    if args.help:
        return p.write_help(env)
    flags.check_used(name, args, where="subcommand")
    from sekret.cli import sops_checks

    sops_checks.check(name, args, env)
    from sekret.cli import sops_groups, sops_services

    return sops_services.run_with(args.key_services, lambda: sops_groups.run(name, args, env))


def _groups_help() -> str:
    return (
        "usage: sekret groups add|delete [options]\n\n"
        "Change the key groups of a SOPS file (age, PGP and Vault transit keys).\n\n"
        "commands:\n"
        f"  add     {DESCRIPTIONS['groups add']}\n"
        f"  delete  {DESCRIPTIONS['groups delete']}\n"
    )


def run_legacy(argv: Sequence[str], env: Environment) -> int:
    """``sekret [-d|-e|-r|--set …] FILE``: the mode flags of sops's top-level command."""
    p = _legacy_parser()
    args = _parse(p, argv)
    if args.help:
        return p.write_help(env)
    modes = [n for n in ("encrypt", "decrypt", "rotate", "set_value") if flags.BY_STRING[
        flags.LEGACY_MODES[n]].given(args)]  # fmt: skip
    if len(modes) > 1:
        raise ConflictError(
            "more than one of --encrypt, --decrypt, --rotate and --set given",
            hint="sops runs them one after the other and shows only the last; give one",
        )
    mode = {"set_value": "set"}.get(modes[0], modes[0]) if modes else "edit"
    if not args.args:
        from sekret.cli.sops_ops import NoFileSpecified

        raise NoFileSpecified("no file specified", hint="sekret [-d | -e | -r] [options] FILE")
    _check_missing_file(args, env)
    flags.check_used(mode, args, where=flags.LEGACY)
    from sekret.cli import sops_checks

    sops_checks.check(mode, args, env)
    from sekret.cli import sops_ops

    if mode == "set":
        path, value = _split_set(args.set_value)
        args.args = [*args.args[:1], path, value]
        args.value_file = args.value_stdin = args.idempotent = False
    return sops_ops.dispatch(mode, args, env, legacy=True)


def _check_missing_file(args: Namespace, env: Environment) -> None:
    """sops's first check of the legacy form: keys cannot change on a missing file (49)."""
    import os

    from sekret.cli.sops_ops import CannotChangeKeysError

    changes = [f.name for f in flags.FLAGS if f.name.startswith(("--add-", "--rm-"))
               and f.given(args)]  # fmt: skip
    if changes and args.args and not os.path.exists(env.path(str(args.args[0]))):
        raise CannotChangeKeysError(
            f"cannot add or remove keys on non-existent file {args.args[0]!r}",
            hint="name the keys of a new file with --age (or .sops.yaml)",
        )


def _split_set(text: str) -> tuple[str, str]:
    """``--set '["a"]["b"] VALUE'``: split at the first "] " as sops does."""
    from sekret.cli.sops_set import SetFormatError

    path, sep, value = text.partition("] ")
    if not sep:
        raise SetFormatError("invalid --set format", hint="--set '[\"key\"] \"json value\"'")
    return path + "]", value
