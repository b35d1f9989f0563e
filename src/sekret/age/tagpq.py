"""Tagged post-quantum recipients: ``age1tagpq1…`` and ``mlkem768p256tag`` (age >= 1.3).

The hybrid sibling of :mod:`sekret.age.tag`, for hardware keys that pair ML-KEM-768
with P-256. The recipient is the 1184-byte ML-KEM-768 encapsulation key followed by an
*uncompressed* P-256 point (1249 bytes, Bech32 HRP ``age1tagpq``). A stanza is
``-> mlkem768p256tag TAG ENC`` and a 32-byte body: the file key sealed with HPKE base
mode (KEM MLKEM768-P256, HKDF-SHA256, ChaCha20-Poly1305, info
``age-encryption.org/mlkem768p256tag``, empty AAD), ``ENC`` 1153 bytes, and the tag
computed as for ``p256tag`` but over the P-256 part of the recipient only (the ML-KEM
key may not be readable from the hardware without a touch).

These recipients carry the ``postquantum`` label: they mix only with other
post-quantum recipients (``age1pq1…``, ``age1tagpq1…``). As for ``p256tag``, age has no
native identity: a plugin decrypts.
"""

from __future__ import annotations

from sekret.age.format import Stanza, b64encode
from sekret.age.tag import decode_recipient, stanza_tag
from sekret.crypto import bech32, hybrid_p256
from sekret.errors import KeyFormatError

RECIPIENT_HRP = "age1tagpq"
STANZA_TYPE = "mlkem768p256tag"
LABEL = b"age-encryption.org/mlkem768p256tag"


class HybridTagRecipient:
    """An ``age1tagpq1…`` recipient: an ML-KEM-768 + P-256 key held in hardware."""

    def __init__(self, public: bytes) -> None:
        """``public`` is the 1249-byte ML-KEM-768 + uncompressed P-256 public key."""
        try:
            hybrid_p256.check_public(bytes(public))
        except hybrid_p256.InvalidKeyError as exc:
            raise KeyFormatError(f"invalid tagpq recipient: {exc}") from None
        self._public = bytes(public)

    @classmethod
    def parse(cls, s: str) -> HybridTagRecipient:
        """Parse an ``age1tagpq1…`` string."""
        public = decode_recipient(s, RECIPIENT_HRP, hybrid_p256.PUBLIC_SIZE, "tagpq")
        try:
            return cls(public)
        except KeyFormatError as exc:
            raise KeyFormatError(f"malformed tagpq recipient {s[:20]!r}…: {exc}") from None

    @property
    def public_bytes(self) -> bytes:
        """The 1249-byte public key."""
        return self._public

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"HybridTagRecipient({str(self)[:24]!r}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HybridTagRecipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)

    def labels(self) -> frozenset[str]:
        """``postquantum``: only other post-quantum recipients may share the file."""
        return frozenset({"postquantum"})

    def tag(self, enc: bytes) -> bytes:
        """The stanza tag for the encapsulated key ``enc`` (1153 bytes)."""
        if len(enc) != hybrid_p256.ENC_SIZE:
            raise ValueError("invalid mlkem768p256tag encapsulated key size")
        return stanza_tag(LABEL, enc, self._public[hybrid_p256.MLKEM_PUBLIC_SIZE :])

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Seal the file key to this key with hybrid HPKE."""
        enc, body = hybrid_p256.seal(self._public, file_key, LABEL)
        return [Stanza(STANZA_TYPE, (b64encode(self.tag(enc)), b64encode(enc)), body)]
