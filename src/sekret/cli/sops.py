"""``sekret encrypt|decrypt|edit|set|unset|updatekeys|rotate|exec-env|exec-file|filestatus``.

sops's subcommands with sops's flags and exit codes, and the legacy forms
(``sekret FILE`` edits, ``sekret -d FILE``, ``-e``, ``-r``, ``--set``, ``-i``), so that
``alias sops=sekret`` keeps scripts working. Argument parsing lives here; the work is
in :mod:`sekret.cli.sops_ops`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.cli import _ui
from sekret.cli._args import SUPPRESS, Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError, UsageError

SUBCOMMANDS = (
    "encrypt",
    "decrypt",
    "edit",
    "set",
    "unset",
    "updatekeys",
    "rotate",
    "exec-env",
    "exec-file",
    "filestatus",
)
FORMATS = ("yaml", "json", "dotenv", "ini", "binary")
_UNSUPPORTED_KEYS = (
    "pgp",
    "kms",
    "gcp-kms",
    "azure-kv",
    "hc-vault-transit",
    "hckms",
    "aws-profile",
    "encryption-context",
)

DESCRIPTIONS = {
    "encrypt": "encrypt a file in the SOPS format (recipients from --age or .sops.yaml)",
    "decrypt": "decrypt a SOPS file (checks its MAC)",
    "edit": "edit a SOPS file in $SOPS_EDITOR/$EDITOR (a new file starts from a template)",
    "set": 'set one value: sekret set FILE \'["key"]["nested"]\' \'"json value"\'',
    "unset": "remove one value: sekret unset FILE '[\"key\"]'",
    "updatekeys": "re-wrap the data key for the recipients .sops.yaml now names",
    "rotate": "a new data key for every value (--add-age/--rm-age change recipients)",
    "exec-env": "run a command with the file's values in its environment",
    "exec-file": "run a command with the decrypted file at {} (a FIFO by default)",
    "filestatus": 'print {"encrypted":true} or {"encrypted":false}',
}

EPILOG = """\
examples:
  sekret encrypt --age age1… -i secrets.yaml
  sekret decrypt secrets.yaml
  sekret decrypt --extract '["db"]["password"]' secrets.yaml
  sekret edit secrets.yaml
  sekret set secrets.yaml '["db"]["port"]' 5433
  sekret exec-env secrets.env 'echo $DB_PASSWORD'
identities: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD,
  ~/.config/sops/age/keys.txt, SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519
"""


class ConflictError(SopsError):
    """Conflicting flags (sops exit 8)."""

    exit_code = 8


def _common(p: _ui.Parser) -> None:
    a = p.add_argument
    a("--input-type", choices=FORMATS, help="the input format (default: from the extension)")
    a("--output-type", choices=FORMATS, help="the output format (default: from the extension)")
    a("--config", help="the .sops.yaml to use (default: looked up from the working directory)")
    a("--filename-override", help="the file name used for format and rule matching")
    a("--ignore-mac", action="store_true", help="do not check the MAC")
    a("--indent", type=int, help=SUPPRESS)
    a("--verbose", action="store_true", help=SUPPRESS)
    a("--disable-version-check", action="store_true", help=SUPPRESS)
    a("--check-for-updates", action="store_true", help=SUPPRESS)
    a("--enable-local-keyservice", nargs="?", const="true", help=SUPPRESS)
    a("--keyservice", action="append", default=[], help=SUPPRESS)
    a("--decryption-order", help=SUPPRESS)
    for name in _UNSUPPORTED_KEYS:
        a(f"--{name}", action="append", default=[], help=SUPPRESS)
        a(f"--add-{name}", action="append", default=[], help=SUPPRESS)
        a(f"--rm-{name}", action="append", default=[], help=SUPPRESS)


def _keys(p: _ui.Parser) -> None:
    a = p.add_argument
    a("-a", "--age", action="append", default=[], help="age recipients (comma-separated)")
    a("--shamir-secret-sharing-threshold", type=int, help="how many key groups decrypt")
    for rule in (
        "unencrypted-suffix",
        "encrypted-suffix",
        "unencrypted-regex",
        "encrypted-regex",
        "unencrypted-comment-regex",
        "encrypted-comment-regex",
    ):
        a(f"--{rule}", help=f"the {rule.replace('-', '_')} rule for a new file")
    a("--mac-only-encrypted", action="store_true", help="MAC only the encrypted values")


def _output(p: _ui.Parser) -> None:
    p.add_argument("-i", "--in-place", action="store_true", help="write the result over FILE")
    p.add_argument("--output", help="write the result to this file (0600)")


def parser(name: str) -> _ui.Parser:
    """The argument parser of one subcommand."""
    usage = {
        "set": "sekret set [options] FILE PATH [VALUE]",
        "unset": "sekret unset [options] FILE PATH",
        "exec-env": "sekret exec-env [options] FILE COMMAND",
        "exec-file": "sekret exec-file [options] FILE COMMAND",
        "updatekeys": "sekret updatekeys [options] FILE...",
    }.get(name, f"sekret {name} [options] [FILE]")
    p = _ui.Parser(f"sekret {name}", usage, DESCRIPTIONS[name], EPILOG)
    _common(p)
    a = p.add_argument
    if name in ("encrypt", "edit", "rotate"):
        _keys(p)
    if name in ("encrypt", "decrypt", "rotate"):
        _output(p)
    if name == "decrypt":
        a("--extract", help='print one value, e.g. \'["db"]["password"]\'')
    if name == "edit":
        a("-s", "--show-master-keys", action="store_true", help=SUPPRESS)
    if name == "rotate":
        a("--add-age", action="append", default=[], help="age recipients to add")
        a("--rm-age", action="append", default=[], help="age recipients to remove")
    if name == "set":
        a("--value-file", action="store_true", help="the third argument is a file to read")
        a("--value-stdin", action="store_true", help="read the value from standard input")
    if name in ("set", "unset"):
        a("--idempotent", action="store_true", help="do not write when nothing changes")
    if name == "updatekeys":
        a("-y", "--yes", action="store_true", help="do not ask for confirmation")
        a("--shamir-secret-sharing-threshold", type=int, help="the new Shamir threshold")
    if name in ("exec-env", "exec-file"):
        a("--user", help=SUPPRESS)
        a("--background", action="store_true", help=SUPPRESS)
    if name == "exec-env":
        a("--pristine", action="store_true", help="only the decrypted variables")
        a("--same-process", action="store_true", help="exec the command in this process")
    if name == "exec-file":
        a("--no-fifo", action="store_true", help="a regular 0600 file instead of a FIFO")
        a("--filename", help="the decrypted file's name")
    a("args", nargs="*", help=SUPPRESS)
    return p


def _check_unsupported(args: Namespace) -> None:
    for name in _UNSUPPORTED_KEYS:
        attr = name.replace("-", "_")
        for prefix in ("", "add_", "rm_"):
            if getattr(args, prefix + attr, None):
                if name in ("aws-profile", "encryption-context"):
                    continue
                raise UsageError(
                    f"--{prefix.replace('_', '-')}{name} keys are not supported by sekret",
                    hint="sekret wraps data keys with age only; existing "
                    f"{name} entries in files are kept untouched",
                )


def run_subcommand(name: str, argv: Sequence[str], env: Environment) -> int:
    """Run ``sekret NAME ARGS…``."""
    p = parser(name)
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    _check_unsupported(args)
    from sekret.cli import sops_ops

    return sops_ops.dispatch(name, args, env)


def _legacy_parser() -> _ui.Parser:
    p = _ui.Parser(
        "sekret",
        "sekret [-d | -e | -r | --set 'PATH VALUE'] [options] FILE",
        "The legacy sops form: edit FILE, or decrypt/encrypt/rotate/set it.",
        EPILOG,
    )
    _common(p)
    _keys(p)
    _output(p)
    a = p.add_argument
    a("-d", "--decrypt", action="store_true", help="decrypt")
    a("-e", "--encrypt", action="store_true", help="encrypt")
    a("-r", "--rotate", action="store_true", help="rotate the data key")
    a("--set", dest="set_value", help='set one value: \'["a"]["b"] "json"\'')
    a("--extract", help="print one value")
    a("-s", "--show-master-keys", action="store_true", help=SUPPRESS)
    a("--add-age", action="append", default=[], help="age recipients to add (with -r)")
    a("--rm-age", action="append", default=[], help="age recipients to remove (with -r)")
    a("args", nargs="*", help=SUPPRESS)
    return p


def run_legacy(argv: Sequence[str], env: Environment) -> int:
    """``sekret [-d|-e|-r|--set …] FILE``: the mode flags of sops's top-level command."""
    p = _legacy_parser()
    args = p.parse(argv)
    if args.help:
        return p.write_help(env)
    _check_unsupported(args)
    from sekret.cli import sops_ops

    if args.set_value is not None:
        path, _, value = args.set_value.strip().partition(" ")
        args.args = [*args.args[:1], path, value.strip()]
        args.value_file = args.value_stdin = args.idempotent = False
        return sops_ops.dispatch("set", args, env)
    mode = "edit"
    for flag, name in (
        (args.encrypt, "encrypt"),
        (args.decrypt, "decrypt"),
        (args.rotate, "rotate"),
    ):
        if flag:
            mode = name
    if mode == "edit":
        if args.in_place or args.output:
            pass  # edit always writes in place
        return sops_ops.dispatch("edit", args, env)
    return sops_ops.dispatch(mode, args, env)
