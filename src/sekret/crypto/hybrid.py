"""HPKE with the ML-KEM-768 + X25519 hybrid KEM, as age's ``mlkem768x25519`` uses it.

The private key is a 32-byte seed, expanded with SHAKE256 to 96 bytes: the first 64
seed ML-KEM-768, the last 32 are the X25519 scalar (draft-ietf-hpke-pq). The public
key is the ML-KEM encapsulation key (1184 bytes) followed by the X25519 share (32).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from sekret.crypto.aead import AuthenticationError
from sekret.crypto.kdf import shake256
from sekret.crypto.x25519 import LowOrderPointError
from sekret.crypto.x25519 import exchange as x25519_exchange

SEED_SIZE = 32
MLKEM_PUBLIC_SIZE = 1184
PUBLIC_SIZE = MLKEM_PUBLIC_SIZE + 32
ENC_SIZE = 1088 + 32

_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class InvalidKeyError(ValueError):
    """The public key or encapsulation is malformed."""


def _private(seed: bytes) -> hpke.MLKEM768X25519PrivateKey:
    expanded = shake256(seed, 96)
    return _private_from_expanded(expanded)


def _private_from_expanded(expanded: bytes) -> hpke.MLKEM768X25519PrivateKey:
    return hpke.MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
        x25519.X25519PrivateKey.from_private_bytes(expanded[64:]),
    )


def public_from_seed(seed: bytes) -> bytes:
    """The 1216-byte hybrid public key of a 32-byte seed."""
    expanded = shake256(seed, 96)
    pq = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]).public_key().public_bytes_raw()
    xk = x25519.X25519PrivateKey.from_private_bytes(expanded[64:]).public_key().public_bytes_raw()
    return pq + xk


def seal(public: bytes, plaintext: bytes, info: bytes) -> tuple[bytes, bytes]:
    """HPKE SealBase to ``public``: returns (enc, ciphertext)."""
    if len(public) != PUBLIC_SIZE:
        raise InvalidKeyError("invalid hybrid public key size")
    try:
        key = hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(public[:MLKEM_PUBLIC_SIZE]),
            x25519.X25519PublicKey.from_public_bytes(public[MLKEM_PUBLIC_SIZE:]),
        )
    except ValueError:
        raise InvalidKeyError("invalid hybrid public key") from None
    out = _SUITE.encrypt(plaintext, key, info=info)
    return out[:ENC_SIZE], out[ENC_SIZE:]


def open_(seed: bytes, enc: bytes, ciphertext: bytes, info: bytes) -> bytes:
    """HPKE OpenBase with the key of ``seed``; :class:`AuthenticationError` if it fails."""
    if len(enc) != ENC_SIZE:
        raise InvalidKeyError("invalid encapsulation size")
    expanded = shake256(seed, 96)
    # A low-order X25519 share gives the all-zero secret: a malformed file, not "not mine".
    try:
        x25519_exchange(expanded[64:], enc[1088:])
    except LowOrderPointError:
        raise InvalidKeyError("low-order X25519 share") from None
    try:
        return _SUITE.decrypt(enc + ciphertext, _private_from_expanded(expanded), info=info)
    except InvalidTag:
        raise AuthenticationError("authentication failed") from None
    except ValueError:
        # A low-order X25519 share or otherwise invalid encapsulation.
        raise InvalidKeyError("invalid encapsulation") from None
