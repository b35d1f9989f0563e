"""``sekret age``: encrypt and decrypt files with age's flags and behaviour.

The age library is imported only once the command line is known to be valid, so
``sekret age --help`` and usage errors stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import AgeError, IncorrectIdentity, SekretError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.age import Identity, Recipient
    from sekret.age.format import Stanza

USAGE = """
  sekret age [-e] (-r RECIPIENT | -R PATH | -i PATH | -j PLUGIN)... [-a] [-o OUTPUT] [INPUT]
  sekret age [-e] -p [-a] [-o OUTPUT] [INPUT]
  sekret age -d [-i PATH | -j PLUGIN]... [-o OUTPUT] [INPUT]"""

DESCRIPTION = """\
Encrypt INPUT (default: standard input) to OUTPUT (default: standard output) in the
age format, or decrypt it with -d. Files are compatible with age and rage.

RECIPIENT is an age public key (age1…, age1pq1…, age1PLUGIN1…) or an SSH public key
(ssh-ed25519 AAAA…, ssh-rsa AAAA…). Recipient files hold one per line; identity files
hold secret keys (AGE-SECRET-KEY-1…), an SSH private key, or are themselves
passphrase-encrypted age files. Empty lines and lines starting with # are ignored.
"-" reads a file from standard input. With an explicit -e, -i encrypts to the
identities' own recipients. Armored input is detected when decrypting.

OUTPUT is written to a temporary file and renamed into place only after success: a
failed run never leaves a partial OUTPUT behind. Passphrases are read from the
terminal only."""

EPILOG = """\
examples:
  sekret age-keygen -o key.txt
  tar cz ~/data | sekret age -r age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p \
      > data.tar.gz.age
  sekret age -R ~/.ssh/id_ed25519.pub -a -o token.age token.txt
  sekret age -p -o secret.age secret.txt          # asks for a passphrase
  sekret age -d -i key.txt -o data.tar.gz data.tar.gz.age
  sekret age -d secret.age                        # asks for the passphrase
"""


def _parser() -> _ui.Parser:
    p = _ui.Parser("sekret age", USAGE, DESCRIPTION, EPILOG)
    a = p.add_argument
    a("-e", "--encrypt", action="store_true", help="encrypt (the default)")
    a("-d", "--decrypt", action="store_true", help="decrypt")
    a("-o", "--output", metavar="OUTPUT", help="write to OUTPUT ('-' forces standard output)")
    a("-a", "--armor", action="store_true", help="write PEM-armored text")
    a("-p", "--passphrase", action="store_true", help="encrypt with a passphrase")
    a("-r", "--recipient", action="append", default=[], metavar="RECIPIENT",
      help="encrypt to RECIPIENT (repeatable)")
    a("-R", "--recipients-file", action="append", default=[], metavar="PATH",
      help="encrypt to the recipients listed in PATH (repeatable)")
    a("-i", "--identity", action="append", default=[], metavar="PATH",
      help="use the identity file at PATH (repeatable)")
    a("-j", "--plugin", action="append", default=[], metavar="PLUGIN",
      help="use the data-less identity of age-plugin-PLUGIN (repeatable)")
    a("input", nargs="*", metavar="INPUT", help="the file to read (default: standard input)")
    return p


def run(argv: Sequence[str], env: Environment) -> int:
    """``sekret age …``."""
    parser = _parser()
    args = parser.parse(argv)
    if args.help:
        return parser.write_help(env)
    _check_flags(args, env)
    source = args.input[0] if args.input else None
    if args.decrypt:
        identities = _decrypt_identities(args, env)
        _decrypt(env, source, args.output, identities)
    else:
        recipients = _encrypt_recipients(args, env)
        _encrypt(env, source, args.output, recipients, armor=args.armor)
    return 0


def _check_flags(args: Any, env: Environment) -> None:
    """age's flag rules, checked before anything is read or asked."""
    if len(args.input) > 1:
        raise UsageError(
            "too many INPUT arguments: " + " ".join(repr(i) for i in args.input),
            hint="give a single input file at a time",
        )
    if args.encrypt and args.decrypt:
        raise UsageError("-e/--encrypt can't be used with -d/--decrypt")
    if args.decrypt:
        if args.armor:
            raise UsageError("-a/--armor can't be used with -d/--decrypt",
                             hint="armored files are detected automatically")
        if args.passphrase:
            raise UsageError("-p/--passphrase can't be used with -d/--decrypt",
                             hint="passphrase-protected files are detected automatically")
        if args.recipient or args.recipients_file:
            raise UsageError("-r/--recipient and -R/--recipients-file can't be used with "
                             "-d/--decrypt", hint="did you mean -i/--identity?")
    else:
        keys = args.identity or args.plugin
        if keys and not args.encrypt:
            raise UsageError(
                "-i/--identity and -j can't be used in encryption mode unless -e/--encrypt "
                "is given explicitly", hint="did you forget -d/--decrypt?")
        if args.passphrase and (args.recipient or args.recipients_file or keys):
            raise UsageError("-p/--passphrase can't be combined with -r, -R, -i or -j")
        if not (args.passphrase or args.recipient or args.recipients_file or keys):
            raise UsageError("missing recipients", hint="give -r/--recipient, "
                             "-R/--recipients-file or -p/--passphrase")
        if not args.armor and args.output is None and env.stdout_isatty:
            _ui.refuse_binary_to_terminal(env)
    from_stdin = [f"-i {p}" for p in args.identity if p == "-"]
    from_stdin += [f"-R {p}" for p in args.recipients_file if p == "-"]
    if not args.input or args.input[0] == "-":
        from_stdin.append("INPUT")
    if len(from_stdin) > 1:
        raise UsageError("standard input can't be used for both " + " and ".join(from_stdin),
                         hint="read the input from a file, or the keys from a file")


_AGE_FILE_STARTS = (b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE")


def _read_identity_files(args: Any, env: Environment) -> list[Identity]:
    from sekret.age.keys import parse_identity_file

    out: list[Identity] = []
    for path in args.identity:
        name = "standard input" if path == "-" else path
        data = env.read_file(path)
        public = _sibling_public_key(env, path, data)
        encrypted_file = data.lstrip().startswith(_AGE_FILE_STARTS)
        kind = "identity file " if encrypted_file else ""
        out.extend(parse_identity_file(
            data, name=name, public_text=public,
            ask_passphrase=_passphrase_asker(env, f'Enter passphrase for {kind}"{name}":'),
        ))
    if args.plugin:
        from sekret.age.keys import parse_identity

        plugins = _plugin_module()
        out.extend(parse_identity(plugins.identity_for_plugin_name(p)) for p in args.plugin)
    return _with_plugin_ui(out, env)


def _with_plugin_ui(objs: list[Any], env: Environment) -> list[Any]:
    """Let plugins talk to the user: messages on stderr, questions on the terminal."""
    for obj in objs:
        if type(obj).__name__ in ("PluginRecipient", "PluginIdentity"):
            obj.ui = _ui.TerminalPluginUI(env, f"age-plugin-{obj.name}")
    return objs


def _plugin_module() -> Any:
    """``sekret.age.plugin``, imported only for ``-j`` (it starts programs)."""
    import importlib

    try:
        return importlib.import_module("sekret.age.plugin")
    except ModuleNotFoundError as exc:
        if exc.name != "sekret.age.plugin":
            raise
        raise AgeError("age plugins are not supported by this build of sekret") from None


def _sibling_public_key(env: Environment, path: str, data: bytes) -> str | None:
    """An encrypted legacy PEM key keeps no public half inside: read ``PATH.pub``."""
    if path == "-" or b"OPENSSH PRIVATE KEY" in data or b"ENCRYPTED" not in data[:4096]:
        return None
    try:
        return env.read_file(path + ".pub", limit=64 << 10).decode("utf-8", "replace")
    except SekretError:
        return None


def _passphrase_asker(env: Environment, prompt: str) -> Any:
    def ask(_name: str) -> str | None:
        return _ui.ask_secret(env, prompt, "the passphrase of an identity file")

    return ask


def _encrypt_recipients(args: Any, env: Environment) -> list[Recipient]:
    from sekret.age import ScryptRecipient, parse_recipient, parse_recipients_file

    if args.passphrase:
        return [ScryptRecipient(_ui.ask_new_passphrase(env))]
    out: list[Recipient] = [parse_recipient(r) for r in args.recipient]
    for path in args.recipients_file:
        name = "standard input" if path == "-" else path
        text = env.read_file(path).decode("utf-8", "replace")
        parsed = parse_recipients_file(text, name)
        for warning in parsed.warnings:
            _ui.warn(env, warning)
        out.extend(parsed.recipients)
    for identity in _read_identity_files(args, env):
        out.extend(_recipients_of(identity))
    return _with_plugin_ui(out, env)


def _recipients_of(identity: Any) -> list[Recipient]:
    """The recipients that an identity (or an encrypted identity file) can decrypt."""
    inner = getattr(identity, "identities", None)
    if callable(inner):
        return [r for i in inner() for r in _recipients_of(i)]
    recipient = getattr(identity, "recipient", None)
    if callable(recipient):
        return [recipient()]
    raise AgeError(f"cannot encrypt to an identity of type {type(identity).__name__}",
                   hint="give its recipient with -r instead")


def _decrypt_identities(args: Any, env: Environment) -> list[Identity]:
    if not (args.identity or args.plugin):
        return [_AskPassphrase(env)]
    found = _read_identity_files(args, env)
    # Native keys first, so a plugin or an encrypted SSH key never prompts needlessly.
    native = ("X25519Identity", "HybridIdentity", "SSHIdentity")
    found.sort(key=lambda i: type(i).__name__ not in native)
    return [_RejectPassphraseFile(), *found]


class _AskPassphrase:
    """No identities given: ask for a passphrase, but only for a passphrase file."""

    def __init__(self, env: Environment) -> None:
        self._env = env

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        from sekret.age import ScryptIdentity

        if [s.type for s in stanzas] != ["scrypt"]:
            raise AgeError("the file is not passphrase-encrypted and no identity was given",
                           hint="give the key it was encrypted to with -i/--identity")
        passphrase = _ui.ask_secret(self._env, "Enter passphrase:")
        try:
            return ScryptIdentity(passphrase).unwrap(stanzas)
        except IncorrectIdentity:
            raise AgeError("incorrect passphrase") from None


class _RejectPassphraseFile:
    """With -i/-j, a passphrase file gets a clear error instead of "no match"."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        if any(s.type == "scrypt" for s in stanzas):
            raise AgeError("the file is passphrase-encrypted but identities were given",
                           hint="remove all -i/--identity and -j flags to be asked "
                           "for the passphrase")
        raise IncorrectIdentity()


def _encrypt(env: Environment, source: str | None, output: str | None,
             recipients: Sequence[Recipient], *, armor: bool) -> None:
    from sekret.age.core import check_recipients, encrypt_stream

    check_recipients(recipients)
    src = env.open_input(source)
    try:
        with env.output(output) as dst:
            encrypt_stream(src, dst, recipients, armor=armor)
    except OSError as exc:
        raise _io_error(exc, source, output) from None
    finally:
        if src is not env.stdin:
            src.close()


def _decrypt(env: Environment, source: str | None, output: str | None,
             identities: Sequence[Identity]) -> None:
    from sekret.age.core import decrypt_stream

    src = env.open_input(source)
    try:
        with env.output(output) as dst:
            decrypt_stream(src, dst, identities)
    except OSError as exc:
        raise _io_error(exc, source, output) from None
    finally:
        if src is not env.stdin:
            src.close()


def _io_error(exc: OSError, source: str | None, output: str | None) -> SekretError:
    """A read or write failed half-way (a partial OUTPUT file was already removed)."""
    if isinstance(exc, BrokenPipeError):
        raise exc
    reason = (exc.strerror or type(exc).__name__).lower()
    src = repr(source) if source not in (None, "-") else "standard input"
    dst = repr(output) if output not in (None, "-") else "standard output"
    return SekretError(
        f"copying from {src} to {dst} failed: {reason}",
        hint="no partial output file was left behind" if dst != "standard output" else None,
    )
