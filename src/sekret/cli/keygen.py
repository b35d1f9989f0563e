"""``sekret age-keygen``: make age key pairs, a drop-in for age 1.3's ``age-keygen``.

This command's job is to print key material: a secret key goes to standard output or
to a new 0600 file, and nowhere else; an existing file is never overwritten. Flags
follow Go's rules, as age-keygen's do (:mod:`sekret.cli._goflags`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sekret.cli import _paths, _ui
from sekret.cli._env import Environment
from sekret.cli._goflags import FlagSet, RuleError
from sekret.errors import KeyFormatError

SYNOPSIS = """\
Usage:
    sekret age-keygen [-pq] [-o OUTPUT]
    sekret age-keygen -y [-o OUTPUT] [INPUT]
"""

HELP = SYNOPSIS + """
Options:
    -pq                   Make a post-quantum hybrid key pair (ML-KEM-768 + X25519).
    -o, --output OUTPUT   Write to the new file OUTPUT (never overwritten).
    -y                    Turn an identity file into a recipients file.
    --version             Print the version.

Generate a new age key pair (X25519, or post-quantum hybrid with -pq) and write it to
standard output or to OUTPUT, in age-keygen's format. OUTPUT is created with mode 0600
and never overwritten. The public key is also printed to standard error when the key
goes to a file or a pipe.

With -y, read an identity file from INPUT (default: standard input) and write its
recipients, one per line, with no comments.

Flags are parsed as age-keygen parses them (Go's rules): -pq and --pq alike, -o F or
-o=F.

examples:
    $ sekret age-keygen
    # created: 2021-01-02T15:30:45+01:00
    # public key: age1lvyvwawkr0mcnnnncaghunadrqkmuf9e6507x9y920xxpp866cnql7dp2z
    AGE-SECRET-KEY-1N9JEPW6DWJ0ZQUDX63F5A03GX8QUW7PXDE39N8UYF82VZ9PC8UFS3M7XA9

    $ sekret age-keygen -o key.txt
    Public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p

    $ sekret age-keygen -y key.txt
    age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p

    $ sekret age-keygen -pq -o pq-key.txt     # an age1pq1... recipient (age >= 1.3)
"""


def _flags() -> FlagSet:
    f = FlagSet(SYNOPSIS + "Run 'sekret age-keygen -h' for the options.\n")
    f.bool("version", "version")
    f.bool("pq", "pq")
    f.bool("y", "y")
    f.string("output", "o", "output")
    return f


def created_stamp(now: datetime.datetime | None = None) -> str:
    """RFC 3339 in local time, seconds precision, ``Z`` for UTC (as Go prints it)."""
    stamp = (now or datetime.datetime.now().astimezone()).replace(microsecond=0).isoformat()
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


def run_keygen(argv: Sequence[str], env: Environment) -> int:
    """``sekret age-keygen …``."""
    args = _flags().parse(argv)
    if args.help:
        env.stderr.write(HELP.encode())
        return 0
    if args.version:
        from sekret import __version__

        env.stdout.write(f"sekret age-keygen {__version__}\n".encode())
        return 0
    if args.args and not args.y:
        raise RuleError("INPUT is only accepted with -y",
                        hint="age-keygen writes a new key; use -y to convert a key file")
    if len(args.args) > 1:
        raise RuleError("too many INPUT arguments", hint="give one identity file")
    output = args.output or None
    if args.y:
        if args.pq:
            raise RuleError("-pq can't be used with -y", hint="-y reads the key type")
        source = args.args[0] if args.args else "-"
        _paths.check_output(env, output, [source], error=RuleError,
                            hint="OUTPUT is a new file: name one that does not exist")
        _convert_identities(env, source, output)
        return 0

    from sekret.age import HybridIdentity, X25519Identity

    identity = HybridIdentity.generate() if args.pq else X25519Identity.generate()
    public = str(identity.recipient())
    text = (f"# created: {created_stamp()}\n# public key: {public}\n"
            f"{identity.to_string()}\n").encode()
    if output is not None and output != "-":
        env.create_exclusive(output, text)
        env.stderr.write(f"Public key: {public}\n".encode())
        return 0
    if not env.stdout_isatty:
        if env.stdout_world_readable():
            _ui.warn(env, "writing secret key to a world-readable file")
        env.stderr.write(f"Public key: {public}\n".encode())
    env.stdout.write(text)
    return 0


def _convert_identities(env: Environment, source: str, output: str | None) -> None:
    from sekret.age.keys import parse_identities_text

    name = "standard input" if source == "-" else source
    try:
        text = env.read_file(source).decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFormatError(f"{name}: not a valid identity file (not UTF-8 text)") from None
    lines = []
    for identity in parse_identities_text(text, name):
        recipient = getattr(identity, "recipient", None)
        if not callable(recipient):
            raise KeyFormatError(f"{name}: cannot derive a recipient from a "
                                 f"{type(identity).__name__}")
        lines.append(f"{recipient()}\n")
    data = "".join(lines).encode()
    if output is None or output == "-":
        env.stdout.write(data)
    else:
        env.create_exclusive(output, data)
