"""``sekret age-keygen`` and ``sekret ssh-to-age``: make and convert keys.

These are the commands whose job is to print key material: secret keys go to
standard output or to a new 0600 file, and nowhere else.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import KeyFormatError, UsageError

KEYGEN_USAGE = """
  sekret age-keygen [--pq] [-o OUTPUT]
  sekret age-keygen -y [-o OUTPUT] [INPUT]"""

KEYGEN_DESCRIPTION = """\
Generate a new age key pair (X25519, or post-quantum hybrid with --pq) and write it to
standard output or to OUTPUT, in age-keygen's format. OUTPUT is created with mode 0600
and never overwritten. The public key is also printed to standard error when the key
goes to a file or a pipe.

With -y, read an identity file from INPUT (default: standard input) and write its
recipients, one per line, with no comments."""

KEYGEN_EPILOG = """\
examples:
  $ sekret age-keygen
  # created: 2021-01-02T15:30:45+01:00
  # public key: age1lvyvwawkr0mcnnnncaghunadrqkmuf9e6507x9y920xxpp866cnql7dp2z
  AGE-SECRET-KEY-1N9JEPW6DWJ0ZQUDX63F5A03GX8QUW7PXDE39N8UYF82VZ9PC8UFS3M7XA9

  $ sekret age-keygen -o key.txt
  Public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p

  $ sekret age-keygen -y key.txt
  age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p

  $ sekret age-keygen --pq -o pq-key.txt     # an age1pq1… recipient (age >= 1.3)
"""

SSH_USAGE = """
  sekret ssh-to-age [-i INPUT] [-o OUTPUT]
  sekret ssh-to-age --private-key [-i INPUT] [-o OUTPUT]"""

SSH_DESCRIPTION = """\
Convert ssh-ed25519 public keys to age recipients (age1…), exactly as Mic92's
ssh-to-age does. INPUT (default: standard input) may hold authorized_keys lines,
known_hosts lines or ssh-keyscan output; keys of other types are skipped with a note
on standard error. Each recipient is written on its own line.

With --private-key, convert one OpenSSH ed25519 private key to an age secret key
(AGE-SECRET-KEY-1…). For an encrypted key the passphrase comes from the environment
variable SSH_TO_AGE_PASSPHRASE, from standard input with -stdinpass, or from a prompt
on the terminal. OUTPUT files are created with mode 0600.

Single-dash long options (-private-key, -stdinpass, -version) are accepted too.
A converted key is a plain X25519 key: files encrypted to it cannot be decrypted with
the SSH key itself by age, and files encrypted to the SSH key cannot be decrypted with
the converted key."""

SSH_EPILOG = """\
examples:
  sekret ssh-to-age -i ~/.ssh/id_ed25519.pub
  ssh-keyscan example.org | sekret ssh-to-age
  sekret ssh-to-age --private-key -i ~/.ssh/id_ed25519 -o key.txt
  SSH_TO_AGE_PASSPHRASE=… sekret ssh-to-age -private-key -i /etc/ssh/ssh_host_ed25519_key
"""


def _keygen_parser() -> _ui.Parser:
    p = _ui.Parser("sekret age-keygen", KEYGEN_USAGE, KEYGEN_DESCRIPTION, KEYGEN_EPILOG)
    p.add_argument("-o", "--output", metavar="OUTPUT", help="write to OUTPUT (a new file)")
    p.add_argument("-y", action="store_true", help="convert an identity file to recipients")
    p.add_argument("--pq", "-pq", action="store_true",
                   help="make a post-quantum hybrid key (AGE-SECRET-KEY-PQ-1…)")
    p.add_argument("input", nargs="*", metavar="INPUT", help="identity file for -y")
    return p


def created_stamp(now: datetime.datetime | None = None) -> str:
    """RFC 3339 in local time, seconds precision, ``Z`` for UTC (as Go prints it)."""
    stamp = (now or datetime.datetime.now().astimezone()).replace(microsecond=0).isoformat()
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


def run_keygen(argv: Sequence[str], env: Environment) -> int:
    """``sekret age-keygen …``."""
    parser = _keygen_parser()
    args = parser.parse(argv)
    if args.help:
        return parser.write_help(env)
    if args.input and not args.y:
        raise UsageError("INPUT is only accepted with -y",
                         hint="age-keygen writes a new key; use -y to convert a key file")
    if len(args.input) > 1:
        raise UsageError("too many INPUT arguments", hint="give one identity file")
    if args.y:
        if args.pq:
            raise UsageError("--pq can't be used with -y", hint="-y reads the key type")
        _convert_identities(env, args.input[0] if args.input else "-", args.output)
        return 0

    from sekret.age import HybridIdentity, X25519Identity

    identity = HybridIdentity.generate() if args.pq else X25519Identity.generate()
    public = str(identity.recipient())
    text = (f"# created: {created_stamp()}\n# public key: {public}\n"
            f"{identity.to_string()}\n").encode()
    if args.output is not None and args.output != "-":
        env.create_exclusive(args.output, text)
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
    _write(env, output, "".join(lines).encode(), exclusive=True)


def _write(env: Environment, output: str | None, data: bytes, *, exclusive: bool,
           mode: int = 0o600) -> None:
    if output is None or output == "-":
        env.stdout.write(data)
    elif exclusive:
        env.create_exclusive(output, data)
    else:
        with env.output(output, mode=mode) as f:
            f.write(data)


def _ssh_parser() -> _ui.Parser:
    p = _ui.Parser("sekret ssh-to-age", SSH_USAGE, SSH_DESCRIPTION, SSH_EPILOG)
    p.add_argument("-i", "--input", metavar="INPUT", help="read from INPUT (default: stdin)")
    p.add_argument("-o", "--output", metavar="OUTPUT", help="write to OUTPUT (default: stdout)")
    p.add_argument("-private-key", "--private-key", dest="private_key", action="store_true",
                   help="convert a private key instead of public keys")
    p.add_argument("-stdinpass", "--stdinpass", action="store_true",
                   help="read the private key's passphrase from standard input")
    p.add_argument("-version", "--version", action="store_true", help="show the version")
    return p


def run_ssh_to_age(argv: Sequence[str], env: Environment) -> int:
    """``sekret ssh-to-age …``."""
    parser = _ssh_parser()
    args = parser.parse(argv)
    if args.help:
        return parser.write_help(env)
    if args.version:
        from sekret import __version__

        env.stdout.write(f"sekret ssh-to-age {__version__}\n".encode())
        return 0
    source = args.input or "-"
    if args.stdinpass and (not args.private_key or source == "-"):
        raise UsageError("-stdinpass needs --private-key and -i FILE",
                         hint="standard input can hold the key or the passphrase, not both")
    if args.private_key:
        _convert_private(env, source, args.output, stdinpass=args.stdinpass)
        return 0

    from sekret.age.sshconv import convert_public_text

    data = env.read_file(source, limit=16 << 20)
    recipients, skipped = convert_public_text(data.decode("utf-8", "replace"))
    for line in skipped:
        env.stderr.write(f"{line}\n".encode())
    text = "".join(f"{r}\n" for r in recipients)
    _write(env, args.output, text.encode(), exclusive=False, mode=0o644)
    return 0


def _convert_private(env: Environment, source: str, output: str | None, *,
                     stdinpass: bool) -> None:
    from sekret.age.sshconv import PassphraseRequiredError, private_to_identity

    name = "standard input" if source == "-" else source
    data = env.read_file(source, limit=64 << 10)
    passphrase = env.environ.get("SSH_TO_AGE_PASSPHRASE") or None
    if stdinpass:
        passphrase = env.stdin.read(4096).decode("utf-8", "replace").rstrip("\r\n")
    try:
        identity = private_to_identity(data, passphrase)
    except PassphraseRequiredError:
        prompt = f'Enter passphrase for "{name}":'
        asked = env.read_secret(prompt) if env.read_secret is not None else None
        if asked is None:
            raise  # its hint names SSH_TO_AGE_PASSPHRASE
        identity = private_to_identity(data, asked)
    _write(env, output, f"{identity}\n".encode(), exclusive=False)
