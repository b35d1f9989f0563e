"""HKDF-SHA-256, HMAC-SHA-256 and scrypt with a work-factor ceiling."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _pyca_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA-256 (RFC 5869) extract-then-expand; an empty salt means no salt."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA-256 of ``data``."""
    h = _pyca_hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def hmac_sha256_verify(key: bytes, data: bytes, tag: bytes) -> bool:
    """Whether ``tag`` is the HMAC-SHA-256 of ``data``, compared in constant time.

    (pyca's own ``verify``: ``constant_time`` would import :mod:`hmac` and
    :mod:`hashlib`, 5 ms of every start-up.)
    """
    h = _pyca_hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    try:
        h.verify(tag)
    except InvalidSignature:
        return False
    return True


def sha256(data: bytes) -> bytes:
    """SHA-256 digest."""
    h = hashes.Hash(hashes.SHA256())
    h.update(data)
    return h.finalize()


def sha512_hasher() -> hashes.Hash:
    """An incremental SHA-512 (``update``/``finalize``), for the SOPS MAC."""
    return hashes.Hash(hashes.SHA512())


def sha512(data: bytes) -> bytes:
    """SHA-512 digest."""
    h = hashes.Hash(hashes.SHA512())
    h.update(data)
    return h.finalize()


def shake256(data: bytes, length: int) -> bytes:
    """SHAKE256 extendable output of ``length`` bytes."""
    h = hashes.Hash(hashes.SHAKE256(length))
    h.update(data)
    return h.finalize()


def scrypt(password: bytes, salt: bytes, log_n: int, *, r: int = 8, p: int = 1) -> bytes:
    """scrypt with N = 2**log_n, returning 32 bytes. Callers enforce the work-factor limit."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # only for passphrases

    return Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p).derive(password)


def hkdf_expand_sha256(prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand with SHA-256 (RFC 5869 §2.3) of a pseudorandom key ``prk``.

    (HKDF-Extract is :func:`hmac_sha256` keyed with the salt.)
    """
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def sha3_256(data: bytes) -> bytes:
    """SHA3-256 digest."""
    h = hashes.Hash(hashes.SHA3_256())
    h.update(data)
    return h.finalize()
