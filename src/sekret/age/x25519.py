"""Native X25519 recipients (``age1…``) and identities (``AGE-SECRET-KEY-1…``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from sekret._sensitive import SecretBytes
from sekret.age.format import Stanza, b64decode, b64encode
from sekret.age.recipients import multi_unwrap, open_file_key, seal_file_key
from sekret.crypto import bech32, kdf, x25519
from sekret.errors import HeaderError, IncorrectIdentity, KeyFormatError

RECIPIENT_HRP = "age"
IDENTITY_HRP = "AGE-SECRET-KEY-"
STANZA_TYPE = "X25519"
_INFO = b"age-encryption.org/v1/X25519"


class X25519Recipient:
    """An ``age1…`` public key."""

    def __init__(self, public: bytes) -> None:
        if len(public) != 32:
            raise KeyFormatError("invalid X25519 public key length")
        self._public = bytes(public)

    @classmethod
    def parse(cls, s: str) -> X25519Recipient:
        """Parse an ``age1…`` string (lower case only, as age requires)."""
        try:
            hrp, data = bech32.decode(s)
        except bech32.Bech32Error as exc:
            raise KeyFormatError(f"malformed recipient {s!r}: {exc}") from None
        if hrp != RECIPIENT_HRP:
            raise KeyFormatError(f"malformed recipient {s!r}: invalid type {hrp!r}")
        if len(data) != 32:
            raise KeyFormatError(f"malformed recipient {s!r}: invalid length")
        return cls(data)

    @property
    def public_bytes(self) -> bytes:
        """The 32-byte X25519 public key."""
        return self._public

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"X25519Recipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def wrap(self, file_key: bytes, *, ephemeral: bytes | None = None) -> list[Stanza]:
        """Wrap to this key with a fresh ephemeral share (``ephemeral`` fixes it for tests)."""
        secret = ephemeral if ephemeral is not None else os.urandom(32)
        share = x25519.public_from_private(secret)
        shared = x25519.exchange(secret, self._public)
        wrap_key = kdf.hkdf_sha256(shared, share + self._public, _INFO)
        return [Stanza(STANZA_TYPE, (b64encode(share),), seal_file_key(wrap_key, file_key))]


class X25519Identity:
    """An ``AGE-SECRET-KEY-1…`` secret key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise KeyFormatError("invalid X25519 secret key length")
        self._secret = SecretBytes(secret)
        self._public = x25519.public_from_private(secret)

    @classmethod
    def generate(cls) -> X25519Identity:
        """A new random identity."""
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, s: str) -> X25519Identity:
        """Parse an ``AGE-SECRET-KEY-1…`` string (upper case only, as age requires)."""
        try:
            hrp, data = bech32.decode(s)
        except bech32.Bech32Error as exc:
            raise KeyFormatError(f"malformed secret key: {exc}") from None
        if hrp != IDENTITY_HRP:
            raise KeyFormatError("malformed secret key: unknown type")
        if len(data) != 32:
            raise KeyFormatError("malformed secret key: invalid length")
        return cls(data)

    def recipient(self) -> X25519Recipient:
        """The matching public key."""
        return X25519Recipient(self._public)

    def to_string(self) -> str:
        """The ``AGE-SECRET-KEY-1…`` encoding. This exposes the secret."""
        return bech32.encode(IDENTITY_HRP, self._secret.expose())

    def __repr__(self) -> str:
        return f"X25519Identity(<secret for {self.recipient()}>)"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Find and unwrap an X25519 stanza addressed to this key."""
        return multi_unwrap(self._unwrap_one, stanzas)

    def _unwrap_one(self, stanza: Stanza) -> bytes:
        if stanza.type != STANZA_TYPE:
            raise IncorrectIdentity()
        if len(stanza.args) != 1:
            raise HeaderError("invalid X25519 stanza: wrong number of arguments")
        try:
            share = b64decode(stanza.args[0])
        except ValueError:
            raise HeaderError("invalid X25519 stanza: share is not canonical base64") from None
        if len(share) != 32:
            raise HeaderError("invalid X25519 stanza: share has the wrong length")
        try:
            shared = x25519.exchange(self._secret.expose(), share)
        except x25519.LowOrderPointError:
            raise HeaderError("invalid X25519 stanza: low-order share") from None
        wrap_key = kdf.hkdf_sha256(shared, share + self._public, _INFO)
        return open_file_key(wrap_key, stanza.body, STANZA_TYPE)
