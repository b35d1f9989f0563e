"""AES-256-CTR and HMAC-SHA1, the two primitives of git-crypt's blob format.

git-crypt builds CTR by hand on AES-ECB with the counter block ``nonce (12) ‖ uint32 BE
block index``. Because the 32-bit index never carries into the nonce (inputs are capped
at 2**32 blocks), that is exactly standard CTR with the initial block ``nonce ‖ 0``,
which is what pyca's ``modes.CTR`` does.
"""

from __future__ import annotations

import hmac as _hmac
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: The largest input git-crypt encrypts: 2**32 blocks of 16 bytes.
CTR_MAX_BYTES = (1 << 32) * 16


def aes256_ctr(key: bytes, counter_block: bytes, data: bytes) -> bytes:
    """XOR ``data`` with the AES-256-CTR keystream starting at ``counter_block`` (16 bytes)."""
    if len(key) != 32 or len(counter_block) != 16:
        raise ValueError("aes-256-ctr needs a 32-byte key and a 16-byte counter block")
    enc = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
    return enc.update(data) + enc.finalize()


def hmac_sha1(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA1 of ``data`` (20 bytes)."""
    return _hmac.digest(key, data, "sha1")


def hmac_sha1_hasher(key: bytes) -> Callable[[bytes], bytes]:
    """A reusable HMAC-SHA1 function for one key (the key pads are computed once)."""
    base = _hmac.new(key, digestmod="sha1")

    def digest(data: bytes) -> bytes:
        h = base.copy()
        h.update(data)
        return h.digest()

    return digest


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two byte strings in constant time."""
    return _hmac.compare_digest(a, b)
