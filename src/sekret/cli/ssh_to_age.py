"""``sekret ssh-to-age``: SSH keys to age keys, a drop-in for Mic92's ``ssh-to-age``.

The conversion is :mod:`sekret.age.sshconv`; this is its command line. Only ed25519
keys convert. As ssh-to-age does, public keys of other types are skipped with a note on
standard error; when that leaves nothing at all, sekret also fails (ssh-to-age prints
nothing and succeeds), and an RSA or other private key is an error with a hint. The
output file may not be the input file.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.cli import _paths, _ui
from sekret.cli._env import Environment
from sekret.errors import KeyFormatError, UnsupportedError, UsageError

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
    _paths.check_output(env, args.output, [source])
    if args.private_key:
        _convert_private(env, source, args.output, stdinpass=args.stdinpass)
        return 0

    from sekret.age.sshconv import convert_public_text

    name = "standard input" if source == "-" else repr(source)
    data = env.read_file(source, limit=16 << 20)
    if data.lstrip().startswith(b"-----BEGIN"):
        raise KeyFormatError(f"{name} holds a private key, not public keys",
                             hint="add --private-key to convert a private key")
    recipients, skipped = convert_public_text(data.decode("utf-8", "replace"))
    for line in skipped:
        env.stderr.write(f"{line}\n".encode())
    if skipped and not recipients:
        raise UnsupportedError(
            f"no ed25519 key in {name}: only ed25519 keys can be converted",
            hint="age can use an ssh-rsa key directly: -R KEY.pub to encrypt, -i KEY to "
            "decrypt")
    text = "".join(f"{r}\n" for r in recipients)
    _write(env, args.output, text.encode(), mode=0o666)
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
        try:
            identity = private_to_identity(data, passphrase)
        except PassphraseRequiredError:
            prompt = f'Enter passphrase for "{name}":'
            asked = env.read_secret(prompt) if env.read_secret is not None else None
            if asked is None:
                raise  # its hint names SSH_TO_AGE_PASSPHRASE
            identity = private_to_identity(data, asked)
    except UnsupportedError:
        raise UnsupportedError(
            f"cannot convert {name if source == '-' else repr(name)}: only ed25519 keys "
            "are supported",
            hint="age can use an ssh-rsa key directly: -R KEY.pub to encrypt, -i KEY to "
            "decrypt") from None
    _write(env, output, f"{identity}\n".encode(), mode=0o600, keep_mode=False)


def _write(env: Environment, output: str | None, data: bytes, *, mode: int,
           keep_mode: bool = True) -> None:
    """Standard output, or OUTPUT written atomically (a secret key is always 0600)."""
    if output is None or output == "-":
        env.stdout.write(data)
        return
    with env.output(output, mode=mode, keep_mode=keep_mode) as f:
        f.write(data)
