"""The keys of ``sekret age``: recipients to encrypt to, identities to decrypt with.

Identities are tried as age 1.3 tries them: in the order the ``-i`` and ``-j`` flags
were given, except that plain native keys (X25519, post-quantum hybrid) go first so
that no plugin or encrypted key asks anything needlessly; the clear error for a
passphrase-encrypted file given identities comes last, after every plugin had its
turn (``-j batchpass`` decrypts passphrase files).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import AgeError, IncorrectIdentity, SekretError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.age import Identity, Recipient
    from sekret.age.format import Stanza

#: (flag, value) pairs of ``-i PATH`` and ``-j PLUGIN``, in command-line order.
KeyFlags = Sequence[tuple[str, str]]

_AGE_FILE_STARTS = (b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE")
_NATIVE = ("X25519Identity", "HybridIdentity", "ScryptIdentity")


def _display(path: str) -> str:
    return "standard input" if path == "-" else path


def read_identities(env: Environment, keys: KeyFlags, *,
                    warn_no_match: bool = False) -> list[Identity]:
    """Every identity of the ``-i`` files and ``-j`` plugins, in flag order."""
    from sekret.age.keys import parse_identity, parse_identity_file

    out: list[Any] = []
    for flag, value in keys:
        if flag == "j":
            plugins = _plugin_module()
            out.append(parse_identity(plugins.identity_for_plugin_name(value)))
            continue
        name = _display(value)
        data = env.read_file(value)
        encrypted_file = data.lstrip().startswith(_AGE_FILE_STARTS)
        kind = "identity file " if encrypted_file else ""
        found = parse_identity_file(
            data, name=name, public_text=sibling_public_key(env, value, data),
            ask_passphrase=passphrase_asker(env, f'Enter passphrase for {kind}"{name}":'),
        )
        if encrypted_file and warn_no_match:
            found = [_WarnNoMatch(env, i, name) for i in found]
        out.extend(found)
    return with_plugin_ui(out, env)


def with_plugin_ui(objs: list[Any], env: Environment) -> list[Any]:
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


def sibling_public_key(env: Environment, path: str, data: bytes) -> str | None:
    """An encrypted legacy PEM key keeps no public half inside: read ``PATH.pub``."""
    if path == "-" or b"OPENSSH PRIVATE KEY" in data or b"ENCRYPTED" not in data[:4096]:
        return None
    try:
        return env.read_file(path + ".pub", limit=64 << 10).decode("utf-8", "replace")
    except SekretError:
        return None


def passphrase_asker(env: Environment, prompt: str) -> Any:
    """A callback asking ``prompt`` on the terminal, for a key's passphrase."""
    def ask(_name: str) -> str | None:
        return _ui.ask_secret(env, prompt, "the passphrase of an identity file")

    return ask


def encrypt_recipients(env: Environment, *, passphrase: bool, recipients: Sequence[str],
                       files: Sequence[str], keys: KeyFlags) -> list[Recipient]:
    """What to encrypt to: a new passphrase, or -r, then -R files, then -i/-j keys."""
    from sekret.age import ScryptRecipient, parse_recipient, parse_recipients_file

    if passphrase:
        return [ScryptRecipient(_ui.ask_new_passphrase(env))]
    out: list[Recipient] = [parse_recipient(r) for r in recipients]
    for path in files:
        text = env.read_file(path).decode("utf-8", "replace")
        parsed = parse_recipients_file(text, _display(path))
        for warning in parsed.warnings:
            _ui.warn(env, warning)
        out.extend(parsed.recipients)
    for identity in read_identities(env, keys):
        out.extend(_recipients_of(identity))
    return with_plugin_ui(out, env)


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


def decrypt_identities(env: Environment, keys: KeyFlags) -> list[Identity]:
    """What to decrypt with: the -i/-j keys, or else a passphrase asked when needed."""
    if not keys:
        return [_AskPassphrase(env)]
    found = read_identities(env, keys, warn_no_match=True)
    found.sort(key=lambda i: type(i).__name__ not in _NATIVE)  # stable: order kept
    return [*found, _RejectPassphraseFile()]


class _WarnNoMatch:
    """An encrypted identity file that says so when none of its keys fit."""

    def __init__(self, env: Environment, identity: Any, name: str) -> None:
        self._env = env
        self._identity = identity
        self._name = name

    def identities(self) -> Sequence[Identity]:
        """The identities the file holds (decrypted on first use)."""
        return self._identity.identities()  # type: ignore[no-any-return]

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Try the file's identities; warn before saying "not mine"."""
        try:
            return self._identity.unwrap(stanzas)  # type: ignore[no-any-return]
        except IncorrectIdentity:
            _ui.warn(self._env, f"encrypted identity file {self._name!r} didn't match "
                     "the file's recipients")
            raise


class _AskPassphrase:
    """No identities given: ask for a passphrase, but only for a passphrase file."""

    def __init__(self, env: Environment) -> None:
        self._env = env

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        from sekret.age import ScryptIdentity

        if [s.type for s in stanzas] != ["scrypt"]:
            raise AgeError("the file is not passphrase-encrypted, identities are required",
                           hint="give the key it was encrypted to with -i/--identity or "
                           "-j PLUGIN")
        passphrase = _ui.ask_secret(self._env, "Enter passphrase:")
        try:
            return ScryptIdentity(passphrase).unwrap(stanzas)
        except IncorrectIdentity:
            raise AgeError("incorrect passphrase") from None


class _RejectPassphraseFile:
    """With -i/-j, a passphrase file no plugin took gets a clear error, not "no match"."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        if [s.type for s in stanzas] == ["scrypt"]:
            raise AgeError("the file is passphrase-encrypted but identities were given",
                           hint="remove all -i/--identity and -j flags to be asked "
                           "for the passphrase")
        raise IncorrectIdentity()
