"""ChaCha20-Poly1305 and AES-256-GCM, one-shot seal/open with fixed-size checks.

Authentication failures raise :class:`AuthenticationError` with no reason attached.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidTag

from sekret.crypto._pyca import AESGCM, ChaCha20Poly1305

TAG_SIZE = 16
ZERO_NONCE = bytes(12)


class AuthenticationError(Exception):
    """An AEAD tag did not verify. Deliberately opaque."""


def chacha_cipher(key: bytes) -> ChaCha20Poly1305:
    """A reusable ChaCha20-Poly1305 instance for ``key`` (32 bytes), for hot loops."""
    return ChaCha20Poly1305(key)


def chacha_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
    """Encrypt and authenticate ``plaintext`` with ChaCha20-Poly1305."""
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def chacha_open(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes | None = None) -> bytes:
    """Decrypt ChaCha20-Poly1305; raise :class:`AuthenticationError` on a bad tag."""
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise AuthenticationError("authentication failed") from None


def aes_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
    """Encrypt and authenticate with AES-256-GCM (any nonce length pyca accepts)."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aes_gcm_open(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes | None = None) -> bytes:
    """Decrypt AES-256-GCM; raise :class:`AuthenticationError` on a bad tag."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise AuthenticationError("authentication failed") from None


def aes_gcm_sealer(key: bytes) -> Callable[[bytes, bytes, bytes | None], bytes]:
    """A reusable AES-256-GCM encrypt function (one key schedule for many values)."""
    return AESGCM(key).encrypt


def aes_gcm_opener(key: bytes) -> Callable[[bytes, bytes, bytes | None], bytes]:
    """A reusable AES-256-GCM decrypt function raising :class:`AuthenticationError`."""
    cipher = AESGCM(key)

    def open_(nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
        try:
            return cipher.decrypt(nonce, data, aad)
        except InvalidTag:
            raise AuthenticationError("authentication failed") from None

    return open_
