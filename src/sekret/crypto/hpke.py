"""The HPKE key schedule (RFC 9180 §5.1, base mode, HKDF-SHA256), for a KEM that
pyca/cryptography's HPKE does not offer (:mod:`sekret.crypto.hybrid_p256`).

Everything here is HMAC-SHA-256 and HKDF-Expand from pyca, labelled as RFC 9180 §4
says, then one AEAD call. age seals one file key per HPKE context, so only the first
message of a context is ever sealed, and its nonce is ``base_nonce`` itself (sequence
number 0); there is no export.
"""

from __future__ import annotations

from sekret.crypto import aead, kdf

KDF_HKDF_SHA256 = 0x0001
AEAD_AES_128_GCM = 0x0001
AEAD_CHACHA20_POLY1305 = 0x0003
#: Nk of each AEAD (bytes of key); Nn is 12 for both.
KEY_SIZES = {AEAD_AES_128_GCM: 16, AEAD_CHACHA20_POLY1305: 32}
NONCE_SIZE = 12
_VERSION = b"HPKE-v1"


def suite_id(
    kem_id: int, kdf_id: int = KDF_HKDF_SHA256, aead_id: int = AEAD_CHACHA20_POLY1305
) -> bytes:
    """``"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)``."""
    return (
        b"HPKE" + kem_id.to_bytes(2, "big") + kdf_id.to_bytes(2, "big") + aead_id.to_bytes(2, "big")
    )


def kem_suite_id(kem_id: int) -> bytes:
    """``"KEM" || I2OSP(kem_id, 2)``, the suite of a KEM's own derivations."""
    return b"KEM" + kem_id.to_bytes(2, "big")


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    """LabeledExtract: HKDF-Extract(salt, "HPKE-v1" || suite || label || ikm).

    (An empty salt is HashLen zero bytes; as an HMAC key the two are the same.)
    """
    return kdf.hmac_sha256(salt, _VERSION + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    """LabeledExpand: HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite || label || info, L)."""
    return kdf.hkdf_expand_sha256(
        prk, length.to_bytes(2, "big") + _VERSION + suite + label + info, length
    )


def key_schedule(
    shared_secret: bytes, kem_id: int, info: bytes, aead_id: int = AEAD_CHACHA20_POLY1305
) -> tuple[bytes, bytes]:
    """KeyScheduleS/R in base mode (no PSK): the AEAD ``(key, base_nonce)``."""
    suite = suite_id(kem_id, KDF_HKDF_SHA256, aead_id)
    psk_id_hash = labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    key = labeled_expand(suite, secret, b"key", context, KEY_SIZES[aead_id])
    base_nonce = labeled_expand(suite, secret, b"base_nonce", context, NONCE_SIZE)
    return key, base_nonce


def seal(shared_secret: bytes, kem_id: int, plaintext: bytes, info: bytes) -> bytes:
    """The first ChaCha20-Poly1305 message of a context, with empty AAD."""
    key, nonce = key_schedule(shared_secret, kem_id, info)
    return aead.chacha_seal(key, nonce, plaintext)


def open_(shared_secret: bytes, kem_id: int, ciphertext: bytes, info: bytes) -> bytes:
    """Open the first message; :class:`~sekret.crypto.aead.AuthenticationError` if it fails."""
    key, nonce = key_schedule(shared_secret, kem_id, info)
    return aead.chacha_open(key, nonce, ciphertext)
