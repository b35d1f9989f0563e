"""P-256 for age's tagged recipients: point encodings, ECDH, and HPKE with DHKEM(P-256).

A ``p256tag`` recipient is a *compressed* P-256 point (33 bytes, SEC 1 §2.3.3); HPKE
and the hybrid KEM use the *uncompressed* form (65 bytes). Sealing is pyca's own HPKE
(RFC 9180 base mode): DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. A
private key is a 32-byte big-endian scalar in [1, n).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sekret.crypto.aead import AuthenticationError

COMPRESSED_SIZE = 33
UNCOMPRESSED_SIZE = 65
SCALAR_SIZE = 32
#: The HPKE encapsulated key of DHKEM(P-256): the ephemeral uncompressed point.
ENC_SIZE = UNCOMPRESSED_SIZE

_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
_X962 = serialization.Encoding.X962
#: SEC 1 prefixes: 02/03 for a compressed point, 04 for an uncompressed one.
_PREFIXES = {COMPRESSED_SIZE: (b"\x02", b"\x03"), UNCOMPRESSED_SIZE: (b"\x04",)}


class InvalidKeyError(ValueError):
    """Not a valid P-256 point or scalar, or an encapsulation of the wrong shape."""


def _public(point: bytes, size: int) -> ec.EllipticCurvePublicKey:
    if len(point) != size or point[:1] not in _PREFIXES[size]:
        raise InvalidKeyError("not a P-256 point in the expected encoding")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:  # not on the curve
        raise InvalidKeyError("not a point on P-256") from None


def _encode(key: ec.EllipticCurvePublicKey, compressed: bool) -> bytes:
    form = serialization.PublicFormat
    return key.public_bytes(_X962, form.CompressedPoint if compressed else form.UncompressedPoint)


def uncompress(point: bytes) -> bytes:
    """The 65-byte uncompressed form of a 33-byte compressed point (validated)."""
    return _encode(_public(point, COMPRESSED_SIZE), compressed=False)


def compress(point: bytes) -> bytes:
    """The 33-byte compressed form of a 65-byte uncompressed point (validated)."""
    return _encode(_public(point, UNCOMPRESSED_SIZE), compressed=True)


def check_uncompressed(point: bytes) -> None:
    """Raise :class:`InvalidKeyError` unless ``point`` is a valid uncompressed point."""
    _public(point, UNCOMPRESSED_SIZE)


def _private(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    if len(scalar) != SCALAR_SIZE:
        raise InvalidKeyError("a P-256 scalar is 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    except ValueError:  # zero, or not below the group order
        raise InvalidKeyError("P-256 scalar out of range") from None


def valid_scalar(scalar: bytes) -> bool:
    """Whether 32 bytes are a usable private scalar (in [1, n))."""
    try:
        _private(scalar)
    except InvalidKeyError:
        return False
    return True


def public_from_scalar(scalar: bytes) -> bytes:
    """The uncompressed public point of a private scalar."""
    return _encode(_private(scalar).public_key(), compressed=False)


def ephemeral_exchange(peer: bytes) -> tuple[bytes, bytes]:
    """ECDH with a fresh key: (shared x-coordinate, own uncompressed public point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    shared = key.exchange(ec.ECDH(), _public(peer, UNCOMPRESSED_SIZE))
    return shared, _encode(key.public_key(), compressed=False)


def exchange(scalar: bytes, peer: bytes) -> bytes:
    """ECDH: the 32-byte x-coordinate of ``scalar`` times the uncompressed point ``peer``."""
    return _private(scalar).exchange(ec.ECDH(), _public(peer, UNCOMPRESSED_SIZE))


def seal(point: bytes, plaintext: bytes, info: bytes) -> tuple[bytes, bytes]:
    """HPKE SealBase to an uncompressed ``point``: returns (enc, ciphertext)."""
    out = _SUITE.encrypt(plaintext, _public(point, UNCOMPRESSED_SIZE), info=info)
    return out[:ENC_SIZE], out[ENC_SIZE:]


def open_(scalar: bytes, enc: bytes, ciphertext: bytes, info: bytes) -> bytes:
    """HPKE OpenBase with a private scalar; :class:`AuthenticationError` if it fails."""
    if len(enc) != ENC_SIZE:
        raise InvalidKeyError("invalid encapsulation size")
    _public(enc, UNCOMPRESSED_SIZE)
    try:
        return _SUITE.decrypt(enc + ciphertext, _private(scalar), info=info)
    except InvalidTag:
        raise AuthenticationError("authentication failed") from None
