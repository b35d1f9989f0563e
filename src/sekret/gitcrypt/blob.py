"""git-crypt's encrypted blob: ``\\0GITCRYPT\\0`` ‖ nonce (12) ‖ AES-256-CTR(plaintext).

The nonce is the first 12 bytes of HMAC-SHA1(hmac_key, plaintext): a synthetic IV that
makes encryption deterministic (the same plaintext always gives the same blob, which git
needs) and doubles as a 96-bit tag, checked on decryption. The counter block is
``nonce ‖ uint32 BE block index``. Nothing else is in the blob: no key version, no
path, so the tag covers the plaintext only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sekret.crypto.ctr import CTR_MAX_BYTES, aes256_ctr, constant_time_equal, hmac_sha1
from sekret.gitcrypt.errors import GitCryptError, TamperedError
from sekret.gitcrypt.keyfile import KeyEntry

MAGIC = b"\0GITCRYPT\0"
NONCE_LEN = 12
HEADER_LEN = len(MAGIC) + NONCE_LEN  # 22


def is_encrypted(data: bytes) -> bool:
    """Whether ``data`` looks like a git-crypt blob (the magic and a whole nonce)."""
    return len(data) >= HEADER_LEN and data.startswith(MAGIC)


def encrypt(entry: KeyEntry, plaintext: bytes) -> bytes:
    """Encrypt deterministically, byte-identical to ``git-crypt clean``."""
    if len(plaintext) >= CTR_MAX_BYTES:
        raise GitCryptError("file too long to encrypt securely (64 GiB or more)")
    nonce = hmac_sha1(entry.hmac_key.expose(), plaintext)[:NONCE_LEN]
    body = aes256_ctr(entry.aes_key.expose(), nonce + bytes(4), plaintext)
    return MAGIC + nonce + body


def _try(entry: KeyEntry, nonce: bytes, body: bytes) -> bytes | None:
    plaintext = aes256_ctr(entry.aes_key.expose(), nonce + bytes(4), body)
    tag = hmac_sha1(entry.hmac_key.expose(), plaintext)[:NONCE_LEN]
    return plaintext if constant_time_equal(tag, nonce) else None


def decrypt(entries: KeyEntry | Iterable[KeyEntry], blob: bytes) -> bytes:
    """Decrypt and verify a blob; raise :class:`TamperedError` if no entry verifies it.

    Several entries (a rotated key) are tried in turn: the 96-bit tag tells which
    one encrypted the blob. Plaintext is returned only after it verified.
    """
    if not is_encrypted(blob):
        raise GitCryptError("input is not a git-crypt blob")
    nonce, body = blob[len(MAGIC):HEADER_LEN], blob[HEADER_LEN:]
    candidates = (entries,) if isinstance(entries, KeyEntry) else tuple(entries)
    # Version 0 first: it is the only version git-crypt itself ever uses.
    for entry in sorted(candidates, key=lambda e: e.version):
        plaintext = _try(entry, nonce, body)
        if plaintext is not None:
            return plaintext
    raise TamperedError("encrypted file has been tampered with, or the key is wrong")
