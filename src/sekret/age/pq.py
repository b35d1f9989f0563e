"""Post-quantum hybrid recipients: ``mlkem768x25519`` (age >= 1.3).

Identity ``AGE-SECRET-KEY-PQ-1…`` is a 32-byte seed; recipient ``age1pq1…`` is the
1216-byte ML-KEM-768 + X25519 public key. The file key is sealed with HPKE
(base mode, HKDF-SHA256, ChaCha20-Poly1305). These recipients carry the
``postquantum`` label, so they cannot be mixed with classic ones.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sekret._sensitive import SecretBytes
from sekret.age.format import Stanza, b64decode, b64encode
from sekret.age.recipients import FILE_KEY_SIZE, multi_unwrap
from sekret.crypto import aead, bech32, hybrid
from sekret.errors import HeaderError, IncorrectIdentity, KeyFormatError

RECIPIENT_HRP = "age1pq"
IDENTITY_HRP = "AGE-SECRET-KEY-PQ-"
STANZA_TYPE = "mlkem768x25519"
_INFO = b"age-encryption.org/mlkem768x25519"


class HybridRecipient:
    """An ``age1pq1…`` post-quantum public key."""

    def __init__(self, public: bytes) -> None:
        if len(public) != hybrid.PUBLIC_SIZE:
            raise KeyFormatError("invalid post-quantum public key length")
        self._public = bytes(public)

    @classmethod
    def parse(cls, s: str) -> HybridRecipient:
        """Parse an ``age1pq1…`` string."""
        try:
            hrp, data = bech32.decode(s)
        except bech32.Bech32Error as exc:
            raise KeyFormatError(f"malformed recipient {s[:16]!r}…: {exc}") from None
        if hrp != RECIPIENT_HRP or len(data) != hybrid.PUBLIC_SIZE:
            raise KeyFormatError(f"malformed post-quantum recipient {s[:16]!r}…")
        return cls(data)

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"HybridRecipient({str(self)[:20]!r}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HybridRecipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def labels(self) -> frozenset[str]:
        """``postquantum``: only other post-quantum recipients may share the file."""
        return frozenset({"postquantum"})

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Seal the file key to this key with HPKE."""
        try:
            enc, ct = hybrid.seal(self._public, file_key, _INFO)
        except hybrid.InvalidKeyError as exc:
            raise KeyFormatError(f"invalid post-quantum recipient: {exc}") from None
        return [Stanza(STANZA_TYPE, (b64encode(enc),), ct)]


class HybridIdentity:
    """An ``AGE-SECRET-KEY-PQ-1…`` post-quantum secret key."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != hybrid.SEED_SIZE:
            raise KeyFormatError("invalid post-quantum secret key length")
        self._seed = SecretBytes(seed)

    @classmethod
    def generate(cls) -> HybridIdentity:
        """A new random identity."""
        return cls(os.urandom(hybrid.SEED_SIZE))

    @classmethod
    def parse(cls, s: str) -> HybridIdentity:
        """Parse an ``AGE-SECRET-KEY-PQ-1…`` string."""
        try:
            hrp, data = bech32.decode(s)
        except bech32.Bech32Error as exc:
            raise KeyFormatError(f"malformed secret key: {exc}") from None
        if hrp != IDENTITY_HRP or len(data) != hybrid.SEED_SIZE:
            raise KeyFormatError("malformed post-quantum secret key")
        return cls(data)

    def recipient(self) -> HybridRecipient:
        """The matching public key."""
        return HybridRecipient(hybrid.public_from_seed(self._seed.expose()))

    def to_string(self) -> str:
        """The ``AGE-SECRET-KEY-PQ-1…`` encoding. This exposes the secret."""
        return bech32.encode(IDENTITY_HRP, self._seed.expose())

    def __repr__(self) -> str:
        return "HybridIdentity(<secret>)"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Find and unwrap an ``mlkem768x25519`` stanza addressed to this key."""
        return multi_unwrap(self._unwrap_one, stanzas)

    def _unwrap_one(self, stanza: Stanza) -> bytes:
        if stanza.type != STANZA_TYPE:
            raise IncorrectIdentity()
        if len(stanza.args) != 1:
            raise HeaderError("invalid mlkem768x25519 stanza: wrong number of arguments")
        try:
            enc = b64decode(stanza.args[0])
        except ValueError:
            raise HeaderError("invalid mlkem768x25519 stanza: enc is not canonical") from None
        if len(enc) != hybrid.ENC_SIZE:
            raise HeaderError("invalid mlkem768x25519 stanza: enc has the wrong length")
        if len(stanza.body) != FILE_KEY_SIZE + aead.TAG_SIZE:
            raise HeaderError("invalid mlkem768x25519 stanza: incorrect file key size")
        try:
            return hybrid.open_(self._seed.expose(), enc, stanza.body, _INFO)
        except aead.AuthenticationError:
            raise IncorrectIdentity() from None
        except hybrid.InvalidKeyError:
            raise HeaderError("invalid mlkem768x25519 stanza: invalid encapsulation") from None
