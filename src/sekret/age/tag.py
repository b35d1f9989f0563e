"""Tagged P-256 recipients: ``age1tag1…`` and the ``p256tag`` stanza (age >= 1.3).

These are the public side of keys held in hardware, whose identities live in plugins
(age-plugin-yubikey, age-plugin-se…). Like age, sekret encrypts to them natively, so
the encrypting machine needs no plugin; decrypting is the plugin's job, and there is
no native identity.

The recipient is a compressed P-256 point (33 bytes, Bech32 HRP ``age1tag``). A
stanza is ``-> p256tag TAG ENC`` and a 32-byte body: the file key sealed with HPKE
base mode (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, info
``age-encryption.org/p256tag``, empty AAD) to the uncompressed point, ``ENC`` the
65-byte encapsulated key, and

    TAG = HKDF-Extract-SHA-256(salt = "age-encryption.org/p256tag",
                               ikm = ENC || SHA-256(recipient)[:4])[:4]

so that a hardware identity can tell its stanzas apart before asking for a touch. The
tag lets whoever knows the recipient recognise files sent to it (but files cannot be
linked to each other without it).
"""

from __future__ import annotations

from sekret.age.format import Stanza, b64encode
from sekret.crypto import bech32, kdf, p256
from sekret.errors import KeyFormatError

RECIPIENT_HRP = "age1tag"
STANZA_TYPE = "p256tag"
LABEL = b"age-encryption.org/p256tag"
TAG_SIZE = 4


def stanza_tag(label: bytes, enc: bytes, recipient_id: bytes) -> bytes:
    """The 4-byte tag of a tagged stanza: HKDF-Extract(label, enc || SHA-256(id)[:4])[:4].

    ``recipient_id`` is the compressed point for ``p256tag`` and the uncompressed P-256
    point alone for ``mlkem768p256tag``. For plugins that implement the identities.
    """
    return kdf.hmac_sha256(label, enc + kdf.sha256(recipient_id)[:TAG_SIZE])[:TAG_SIZE]


def decode_recipient(s: str, hrp: str, size: int, what: str) -> bytes:
    """The payload of an ``age1tag1…``-style string, checked for HRP and length."""
    try:
        got, data = bech32.decode(s)
    except bech32.Bech32Error as exc:
        raise KeyFormatError(f"malformed {what} recipient {s[:20]!r}…: {exc}") from None
    if got != hrp:
        raise KeyFormatError(f"malformed {what} recipient {s[:20]!r}…: invalid type {got!r}")
    if len(data) != size:
        raise KeyFormatError(f"malformed {what} recipient {s[:20]!r}…: invalid key size")
    return data


class TagRecipient:
    """An ``age1tag1…`` recipient: a P-256 key held in hardware."""

    def __init__(self, point: bytes) -> None:
        """``point`` is the 33-byte compressed P-256 point."""
        try:
            self._uncompressed = p256.uncompress(bytes(point))
        except p256.InvalidKeyError:
            raise KeyFormatError("invalid tag recipient: not a compressed P-256 point") from None
        self._point = bytes(point)

    @classmethod
    def parse(cls, s: str) -> TagRecipient:
        """Parse an ``age1tag1…`` string."""
        point = decode_recipient(s, RECIPIENT_HRP, p256.COMPRESSED_SIZE, "tag")
        try:
            return cls(point)
        except KeyFormatError as exc:
            raise KeyFormatError(f"malformed tag recipient {s[:20]!r}…: {exc}") from None

    @property
    def public_bytes(self) -> bytes:
        """The 33-byte compressed point."""
        return self._point

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._point)

    def __repr__(self) -> str:
        return f"TagRecipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TagRecipient) and other._point == self._point

    def __hash__(self) -> int:
        return hash(self._point)

    def labels(self) -> frozenset[str]:
        """No labels: classic tagged recipients mix with X25519 and ssh ones."""
        return frozenset()

    def tag(self, enc: bytes) -> bytes:
        """The stanza tag for the encapsulated key ``enc`` (65 bytes)."""
        if len(enc) != p256.ENC_SIZE:
            raise ValueError("invalid p256tag encapsulated key size")
        return stanza_tag(LABEL, enc, self._point)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Seal the file key to this key with HPKE, under a fresh ephemeral key."""
        enc, body = p256.seal(self._uncompressed, file_key, LABEL)
        return [Stanza(STANZA_TYPE, (b64encode(self.tag(enc)), b64encode(enc)), body)]
