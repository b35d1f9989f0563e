"""ssh-ed25519 and ssh-rsa recipients and identities (age's ``agessh``).

Recipients are OpenSSH public key lines. Identities are OpenSSH private keys; an
encrypted one is opened lazily: the passphrase is asked for only when a stanza's tag
matches the key's public half, so files for other keys never prompt.
"""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Callable, Sequence

from sekret.age.format import Stanza, b64decode, b64encode
from sekret.age.recipients import multi_unwrap, open_file_key, seal_file_key
from sekret.crypto import kdf, x25519
from sekret.crypto import ssh as sshcrypto
from sekret.errors import HeaderError, IncorrectIdentity, KeyFormatError

ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
_ED_INFO = b"age-encryption.org/v1/ssh-ed25519"
_RSA_LABEL = b"age-encryption.org/v1/ssh-rsa"
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384

#: Asks for a passphrase for the named key; returns None to give up.
PassphraseCallback = Callable[[str], "str | None"]


def _read_string(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise KeyFormatError("malformed SSH public key")
    (n,) = struct.unpack(">I", data[pos : pos + 4])
    if pos + 4 + n > len(data):
        raise KeyFormatError("malformed SSH public key")
    return data[pos + 4 : pos + 4 + n], pos + 4 + n


def ssh_tag(wire: bytes) -> str:
    """The stanza tag: base64 of the first 4 bytes of SHA-256(public key wire)."""
    return b64encode(kdf.sha256(wire)[:4])


def parse_public_wire(wire: bytes) -> tuple[str, list[bytes]]:
    """Split an SSH wire public key into its type and fields; reject trailing bytes."""
    kind, pos = _read_string(wire, 0)
    fields: list[bytes] = []
    while pos < len(wire):
        field, pos = _read_string(wire, pos)
        fields.append(field)
    return kind.decode("ascii", "replace"), fields


def parse_public_line(line: str) -> SSHEd25519Recipient | SSHRSARecipient:
    """Parse ``ssh-ed25519 AAAA… [comment]`` or ``ssh-rsa AAAA… [comment]``."""
    parts = line.split()
    if len(parts) < 2:
        raise KeyFormatError("malformed SSH public key line")
    try:
        wire = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise KeyFormatError("malformed SSH public key: invalid base64") from None
    kind, _ = parse_public_wire(wire)
    if kind != parts[0]:
        raise KeyFormatError("malformed SSH public key: type mismatch")
    return recipient_from_wire(wire)


def recipient_from_wire(wire: bytes) -> SSHEd25519Recipient | SSHRSARecipient:
    """Build the recipient for an SSH wire public key."""
    kind, _ = parse_public_wire(wire)
    if kind == ED25519:
        return SSHEd25519Recipient(wire)
    if kind == RSA:
        return SSHRSARecipient(wire)
    raise KeyFormatError(
        f"unsupported SSH key type {kind!r}",
        hint="age supports only ssh-ed25519 and ssh-rsa keys",
    )


class SSHEd25519Recipient:
    """An ``ssh-ed25519`` public key as a recipient (stanza with the age tweak)."""

    def __init__(self, wire: bytes) -> None:
        kind, fields = parse_public_wire(wire)
        if kind != ED25519 or len(fields) != 1 or len(fields[0]) != 32:
            raise KeyFormatError("malformed ssh-ed25519 public key")
        try:
            self._montgomery = sshcrypto.ed25519_to_montgomery(fields[0])
        except sshcrypto.SSHKeyError as exc:
            raise KeyFormatError(str(exc)) from None
        self.wire = wire

    def __str__(self) -> str:
        return f"{ED25519} {base64.b64encode(self.wire).decode()}"

    def __repr__(self) -> str:
        return f"SSHEd25519Recipient({ssh_tag(self.wire)!r})"

    def wrap(self, file_key: bytes, *, ephemeral: bytes | None = None) -> list[Stanza]:
        """Wrap the file key: X25519 to the Montgomery point, then the tweak."""
        secret = ephemeral if ephemeral is not None else os.urandom(32)
        share = x25519.public_from_private(secret)
        shared = x25519.exchange(secret, self._montgomery)
        tweak = kdf.hkdf_sha256(b"", self.wire, _ED_INFO)
        shared = x25519.exchange(tweak, shared)
        wrap_key = kdf.hkdf_sha256(shared, share + self._montgomery, _ED_INFO)
        body = seal_file_key(wrap_key, file_key)
        return [Stanza(ED25519, (ssh_tag(self.wire), b64encode(share)), body)]


class SSHRSARecipient:
    """An ``ssh-rsa`` public key (2048 bits or more) as a recipient (RSA-OAEP-SHA256)."""

    def __init__(self, wire: bytes) -> None:
        kind, fields = parse_public_wire(wire)
        if kind != RSA or len(fields) != 2:
            raise KeyFormatError("malformed ssh-rsa public key")
        e = int.from_bytes(fields[0], "big")
        n = int.from_bytes(fields[1], "big")
        if n.bit_length() < MIN_RSA_BITS:
            raise KeyFormatError(f"ssh-rsa keys must be at least {MIN_RSA_BITS} bits")
        if n.bit_length() > MAX_RSA_BITS:
            raise KeyFormatError(f"ssh-rsa keys larger than {MAX_RSA_BITS} bits are not supported")
        try:
            self._key = sshcrypto.rsa_public_from_numbers(e, n)
        except sshcrypto.SSHKeyError as exc:
            raise KeyFormatError(str(exc)) from None
        self.wire = wire

    def __str__(self) -> str:
        return f"{RSA} {base64.b64encode(self.wire).decode()}"

    def __repr__(self) -> str:
        return f"SSHRSARecipient({ssh_tag(self.wire)!r})"

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Encrypt the file key with RSA-OAEP (SHA-256, age's label)."""
        body = sshcrypto.rsa_oaep_encrypt(self._key, file_key, _RSA_LABEL)
        return [Stanza(RSA, (ssh_tag(self.wire),), body)]


class SSHIdentity:
    """An OpenSSH private key (ed25519 or rsa) as an identity."""

    def __init__(self, key: sshcrypto.SSHPrivateKey) -> None:
        self._key = key
        self.wire = key.public_wire
        self._tag = ssh_tag(key.public_wire)
        if key.kind == ED25519:
            assert key.ed25519_seed is not None
            self._scalar = kdf.sha512(key.ed25519_seed)[:32]
            self._montgomery = x25519.public_from_private(self._scalar)

    @classmethod
    def from_private_key(cls, data: bytes, passphrase: str | None = None) -> SSHIdentity:
        """Load an unencrypted (or, with ``passphrase``, encrypted) private key."""
        try:
            key = sshcrypto.load_private_key(data, passphrase.encode() if passphrase else None)
        except sshcrypto.PassphraseNeededError:
            raise KeyFormatError("the SSH key is passphrase-protected") from None
        except sshcrypto.WrongPassphraseError:
            raise KeyFormatError(
                "wrong passphrase for the SSH key", hint="check the passphrase and try again"
            ) from None
        except sshcrypto.SSHKeyError as exc:
            raise KeyFormatError(str(exc)) from None
        return cls(key)

    @property
    def kind(self) -> str:
        """``ssh-ed25519`` or ``ssh-rsa``."""
        return self._key.kind

    def recipient(self) -> SSHEd25519Recipient | SSHRSARecipient:
        """The matching public key recipient."""
        return recipient_from_wire(self.wire)

    def __repr__(self) -> str:
        return f"SSHIdentity({self._key.kind}, {self._tag!r})"

    def matches(self, stanza: Stanza) -> bool:
        """Whether ``stanza`` is of this key's type and carries its tag."""
        return stanza.type == self._key.kind and bool(stanza.args) and stanza.args[0] == self._tag

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Find and unwrap a stanza addressed to this key."""
        return multi_unwrap(self._unwrap_one, stanzas)

    def _unwrap_one(self, stanza: Stanza) -> bytes:
        if self._key.kind == ED25519:
            return self._unwrap_ed25519(stanza)
        return self._unwrap_rsa(stanza)

    def _unwrap_ed25519(self, stanza: Stanza) -> bytes:
        if stanza.type != ED25519:
            raise IncorrectIdentity()
        if len(stanza.args) != 2:
            raise HeaderError("invalid ssh-ed25519 stanza: wrong number of arguments")
        try:
            share = b64decode(stanza.args[1])
        except ValueError:
            raise HeaderError("invalid ssh-ed25519 stanza: share is not canonical") from None
        if len(share) != 32:
            raise HeaderError("invalid ssh-ed25519 stanza: share has the wrong length")
        if stanza.args[0] != self._tag:
            raise IncorrectIdentity()
        try:
            shared = x25519.exchange(self._scalar, share)
            tweak = kdf.hkdf_sha256(b"", self.wire, _ED_INFO)
            shared = x25519.exchange(tweak, shared)
        except x25519.LowOrderPointError:
            raise HeaderError("invalid ssh-ed25519 stanza: low-order share") from None
        wrap_key = kdf.hkdf_sha256(shared, share + self._montgomery, _ED_INFO)
        try:
            return open_file_key(wrap_key, stanza.body, ED25519)
        except IncorrectIdentity:
            # The tag matched: a failure now means a corrupt stanza, not another key.
            raise HeaderError("failed to decrypt the ssh-ed25519 file key") from None

    def _unwrap_rsa(self, stanza: Stanza) -> bytes:
        if stanza.type != RSA:
            raise IncorrectIdentity()
        if len(stanza.args) != 1:
            raise HeaderError("invalid ssh-rsa stanza: wrong number of arguments")
        if stanza.args[0] != self._tag:
            raise IncorrectIdentity()
        assert self._key.rsa_key is not None
        try:
            key = sshcrypto.rsa_oaep_decrypt(self._key.rsa_key, stanza.body, _RSA_LABEL)
        except ValueError:
            raise HeaderError("failed to decrypt the ssh-rsa file key") from None
        if len(key) != 16:
            raise HeaderError("invalid ssh-rsa stanza: incorrect file key size")
        return key


class EncryptedSSHIdentity:
    """A passphrase-protected OpenSSH key, opened only when a stanza is for it."""

    def __init__(
        self,
        public_wire: bytes,
        private_text: bytes,
        ask_passphrase: PassphraseCallback,
        name: str = "SSH key",
    ) -> None:
        self.wire = public_wire
        self._kind, _ = parse_public_wire(public_wire)
        if self._kind not in (ED25519, RSA):
            raise KeyFormatError(f"unsupported SSH identity type {self._kind!r}")
        self._tag = ssh_tag(public_wire)
        self._text = private_text
        self._ask = ask_passphrase
        self._name = name
        self._opened: SSHIdentity | None = None

    def __repr__(self) -> str:
        return f"EncryptedSSHIdentity({self._kind}, {self._tag!r})"

    def recipient(self) -> SSHEd25519Recipient | SSHRSARecipient:
        """The matching public key recipient."""
        return recipient_from_wire(self.wire)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Prompt for the passphrase only if a stanza carries this key's tag."""
        if not any(s.type == self._kind and s.args[:1] == (self._tag,) for s in stanzas):
            # Still validate stanzas of our type, as an opened key would.
            raise IncorrectIdentity()
        if self._opened is None:
            passphrase = self._ask(self._name)
            if passphrase is None:
                raise KeyFormatError(f"no passphrase given for {self._name}")
            identity = SSHIdentity.from_private_key(self._text, passphrase)
            if identity.wire != self.wire:
                raise KeyFormatError(
                    f"the private key of {self._name} does not match its public key"
                )
            self._opened = identity
        return self._opened.unwrap(stanzas)
