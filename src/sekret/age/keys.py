"""Parse the strings and file texts people write: recipients, identities, key files.

Nothing here opens a file: callers pass the text (and, for prompts, callbacks).
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sekret._record import field, record
from sekret.age import x25519
from sekret.age.format import Stanza
from sekret.age.recipients import Identity, Recipient
from sekret.errors import IncorrectIdentity, KeyFormatError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.age import ssh

# ssh (RSA, OpenSSH key loading), pq (ML-KEM) and tag/tagpq (P-256, HPKE) are imported
# where they are used: most commands never need them, and start-up time is part of speed
# (DESIGN decision 6).

_OPENSSH_BEGIN = b"-----BEGIN OPENSSH PRIVATE KEY-----"
_OPENSSH_END = b"-----END OPENSSH PRIVATE KEY-----"
_OPENSSH_MAGIC = b"openssh-key-v1\x00"
_SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")
#: Recipient prefixes with a native type, although their HRP has the plugin form.
_NATIVE_PREFIXES = ("age1pq1", "age1tag1", "age1tagpq1")


def is_plugin_recipient(s: str) -> bool:
    """``age1NAME1…``: an ``age1`` string with another ``1``, except the native
    ``age1pq1…``, ``age1tag1…`` and ``age1tagpq1…`` (age >= 1.3 handles those itself)."""
    return s.startswith("age1") and s.rfind("1") > 3 and not s.startswith(_NATIVE_PREFIXES)


def parse_recipient(s: str) -> Recipient:
    """Parse one recipient string: ``age1…``, ``age1pq1…``, ``age1tag1…``,
    ``age1tagpq1…``, ``age1NAME1…`` or an ssh key line."""
    s = s.strip()
    if s.startswith("age1pq1"):
        from sekret.age import pq

        return pq.HybridRecipient.parse(s)
    if s.startswith("age1tag1"):
        from sekret.age import tag

        return tag.TagRecipient.parse(s)
    if s.startswith("age1tagpq1"):
        from sekret.age import tagpq

        return tagpq.HybridTagRecipient.parse(s)
    if is_plugin_recipient(s):
        from sekret.age import plugin

        return plugin.PluginRecipient(s)
    if s.startswith("age1"):
        return x25519.X25519Recipient.parse(s)
    if s.startswith("ssh-"):
        from sekret.age import ssh

        return ssh.parse_public_line(s)
    if s.startswith("AGE-"):
        raise KeyFormatError(
            "that looks like a secret key, not a recipient",
            hint="recipients are public keys (age1…); use the identity with -i instead",
        )
    if s.startswith("github:"):
        raise KeyFormatError(
            "github: recipients are not supported",
            hint="download the keys from https://github.com/USER.keys and use -R",
        )
    shown = s if len(s) <= 24 else s[:20] + "…"
    raise KeyFormatError(
        f"unknown recipient type: {shown!r}",
        hint="a recipient is age1…, age1pq1…, ssh-ed25519 AAAA… or ssh-rsa AAAA…",
    )


@record
class ParsedRecipients:
    """Recipients from a recipients file, and the lines skipped with a warning."""

    recipients: list[Recipient] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_recipients_file(text: str, name: str = "recipients file") -> ParsedRecipients:
    """Parse a ``-R`` file: one recipient a line, ``#`` comments, blank lines,
    ``authorized_keys`` and ``ssh-keyscan``/``known_hosts`` lines."""
    result = ParsedRecipients()
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > 8192 and not line.startswith(("age1pq1", "age1tagpq1")):
            raise KeyFormatError(f"{name}: line {n} is too long")
        fields = line.split()
        # known_hosts / ssh-keyscan: "host keytype base64"
        if len(fields) >= 3 and not fields[0].startswith(("ssh-", "age1")) and (
            fields[1].startswith(("ssh-", "ecdsa-", "sk-"))
        ):
            line = " ".join(fields[1:])
            fields = fields[1:]
        if fields[0].startswith(("ecdsa-", "sk-", "ssh-dss")) or (
            fields[0].startswith("ssh-") and fields[0] not in _SSH_KEY_TYPES
        ):
            result.warnings.append(f"{name}: line {n}: ignoring unsupported SSH key type")
            continue
        try:
            result.recipients.append(parse_recipient(line))
        except KeyFormatError as exc:
            raise KeyFormatError(f"{name}: line {n}: {exc}", hint=exc.hint) from None
    if not result.recipients:
        raise KeyFormatError(f"{name}: no recipients found")
    return result


def parse_identity(s: str) -> Identity:
    """Parse one identity string: ``AGE-SECRET-KEY-1…``, ``-PQ-1…``, ``AGE-PLUGIN-…``."""
    if s.startswith("AGE-SECRET-KEY-PQ-1"):
        from sekret.age import pq

        return pq.HybridIdentity.parse(s)
    if s.startswith("AGE-SECRET-KEY-1"):
        return x25519.X25519Identity.parse(s)
    if s.startswith("AGE-PLUGIN-"):
        from sekret.age import plugin

        return plugin.PluginIdentity(s)
    if s.startswith("age1") or s.startswith("ssh-"):
        raise KeyFormatError(
            "apparent recipient found where an identity was expected",
            hint="identities are secret keys (AGE-SECRET-KEY-1…); recipients go with -r/-R",
        )
    raise KeyFormatError("malformed secret key: unknown type")


def parse_identities_text(text: str, name: str = "identity file") -> list[Identity]:
    """Parse an identity file: one key a line, ``#`` comments and blank lines allowed."""
    out: list[Identity] = []
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line or line.startswith("#"):
            continue
        try:
            out.append(parse_identity(line))
        except KeyFormatError as exc:
            raise KeyFormatError(
                f"{name}: malformed identity at line {n}",
                hint=exc.hint or "each line must be one AGE-SECRET-KEY-1… key (or a # comment)",
            ) from None
    if not out:
        raise KeyFormatError(f"{name}: no identities found")
    return out


def openssh_public_wire(text: bytes) -> tuple[bytes, bool]:
    """From ``openssh-key-v1`` text, the public key wire bytes and whether it is encrypted.

    The public half is stored in the clear, so no passphrase is needed for this.
    """
    try:
        start = text.index(_OPENSSH_BEGIN) + len(_OPENSSH_BEGIN)
        end = text.index(_OPENSSH_END, start)
        blob = binascii.a2b_base64(b"".join(text[start:end].split()), strict_mode=True)
    except (ValueError, binascii.Error):
        raise KeyFormatError("malformed OpenSSH private key") from None
    if not blob.startswith(_OPENSSH_MAGIC):
        raise KeyFormatError("malformed OpenSSH private key")
    pos = len(_OPENSSH_MAGIC)
    fields: list[bytes] = []
    try:
        for _ in range(3):  # cipher, kdf, kdf options
            (n,) = struct.unpack(">I", blob[pos : pos + 4])
            fields.append(blob[pos + 4 : pos + 4 + n])
            pos += 4 + n
        (count,) = struct.unpack(">I", blob[pos : pos + 4])
        pos += 4
        (n,) = struct.unpack(">I", blob[pos : pos + 4])
        wire = blob[pos + 4 : pos + 4 + n]
    except struct.error:
        raise KeyFormatError("malformed OpenSSH private key") from None
    if count != 1 or len(wire) != n:
        raise KeyFormatError("malformed OpenSSH private key")
    return wire, fields[0] != b"none"


def parse_ssh_identity(
    text: bytes,
    *,
    name: str = "SSH key",
    ask_passphrase: ssh.PassphraseCallback | None = None,
    public_text: str | None = None,
) -> Identity:
    """An SSH private key file as an identity; encrypted keys are opened lazily.

    ``public_text`` is the ``.pub`` line, needed only for encrypted legacy PEM keys.
    """
    from sekret.age import ssh

    if _OPENSSH_BEGIN in text:
        wire, encrypted = openssh_public_wire(text)
        kind, _ = ssh.parse_public_wire(wire)
        if kind not in _SSH_KEY_TYPES:
            raise KeyFormatError(
                f"{name}: unsupported SSH identity type {kind!r}",
                hint="age supports only ssh-ed25519 and ssh-rsa keys",
            )
        if encrypted:
            return ssh.EncryptedSSHIdentity(wire, text, _need(ask_passphrase, name), name)
        return ssh.SSHIdentity.from_private_key(text)
    if b"ENCRYPTED" in text:
        if public_text is None:
            raise KeyFormatError(
                f"{name}: an encrypted PEM key needs its public key next to it ({name}.pub)",
                hint="convert it with: ssh-keygen -p -f KEYFILE (OpenSSH format keeps it inside)",
            )
        wire = ssh.parse_public_line(public_text).wire
        return ssh.EncryptedSSHIdentity(wire, text, _need(ask_passphrase, name), name)
    return ssh.SSHIdentity.from_private_key(text)


def _need(cb: ssh.PassphraseCallback | None, name: str) -> ssh.PassphraseCallback:
    if cb is not None:
        return cb

    def refuse(_: str) -> str | None:
        raise KeyFormatError(f"{name} is passphrase-protected and no passphrase can be asked")

    return refuse


def parse_identity_file(
    data: bytes,
    *,
    name: str = "identity file",
    ask_passphrase: Callable[[str], str | None] | None = None,
    public_text: str | None = None,
) -> list[Identity]:
    """Parse any identity file: text keys, an SSH private key, or an encrypted key file.

    A passphrase-encrypted identity file (an age file made with a passphrase, maybe
    armored) is decrypted with a passphrase from ``ask_passphrase``, lazily.
    """
    head = data[:64].lstrip()
    if head.startswith((b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE")):
        return [EncryptedIdentityFile(data, _need(ask_passphrase, name), name)]
    if head.startswith(b"-----BEGIN"):
        return [
            parse_ssh_identity(
                data, name=name, ask_passphrase=ask_passphrase, public_text=public_text
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFormatError(f"{name}: not a valid identity file (not UTF-8 text)") from None
    return parse_identities_text(text, name)


class EncryptedIdentityFile:
    """An identity file encrypted with a passphrase; decrypted on first use."""

    def __init__(self, data: bytes, ask: ssh.PassphraseCallback, name: str) -> None:
        self._data = data
        self._ask = ask
        self._name = name
        self._identities: list[Identity] | None = None

    def __repr__(self) -> str:
        return f"EncryptedIdentityFile({self._name!r})"

    def identities(self) -> Sequence[Identity]:
        """Decrypt the file (asking for its passphrase once) and parse what it holds."""
        if self._identities is None:
            import io

            from sekret.age.core import decrypt_stream, open_source, read_header
            from sekret.age.scrypt import ScryptIdentity

            header, _, _ = read_header(open_source(io.BytesIO(self._data)))
            if [s.type for s in header.stanzas] != ["scrypt"]:
                raise KeyFormatError(
                    f"{self._name}: an encrypted identity file must use a passphrase"
                )
            passphrase = self._ask(self._name)
            if passphrase is None:
                raise KeyFormatError(f"no passphrase given for {self._name}")
            out = io.BytesIO()
            decrypt_stream(io.BytesIO(self._data), out, [ScryptIdentity(passphrase)])
            self._identities = parse_identity_file(out.getvalue(), name=self._name)
        return self._identities

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Try every identity the file holds."""
        for identity in self.identities():
            try:
                return identity.unwrap(stanzas)
            except IncorrectIdentity:
                continue
        raise IncorrectIdentity()
