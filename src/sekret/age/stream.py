"""The STREAM payload: 64 KiB chunks sealed with ChaCha20-Poly1305 (age-encryption.org/v1).

Chunk nonce = 11-byte big-endian counter || last-chunk flag. The final chunk carries
flag 1 and may be full-size; it is empty only when the whole plaintext is empty.
Memory stays constant whatever the size: the reader and writer work on a bounded
buffer of a few chunks. Each chunk's plaintext is released as soon as it
authenticates; errors surface after what was released (as age does).
"""

from __future__ import annotations

from typing import BinaryIO

from sekret.crypto import aead, kdf
from sekret.errors import PayloadError

CHUNK_SIZE = 64 * 1024
ENC_CHUNK_SIZE = CHUNK_SIZE + aead.TAG_SIZE
NONCE_SIZE = 16
#: How many chunks are read or written per system call.
_BATCH = 16
_LAST = b"\x01"
_NOT_LAST = b"\x00"


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF(file key, salt = payload nonce, info = "payload")."""
    return kdf.hkdf_sha256(file_key, nonce, b"payload")


def _nonce(counter: int, flag: bytes) -> bytes:
    return counter.to_bytes(11, "big") + flag


def _read_full(src: BinaryIO, buf: bytearray | memoryview) -> int:
    """Fill ``buf`` from ``src`` until full or EOF; return the byte count."""
    view = memoryview(buf)
    total = 0
    while total < len(view):
        n = src.readinto(view[total:])  # type: ignore[attr-defined]
        if not n:
            break
        total += n
    return total


def encrypt(key: bytes, src: BinaryIO, dst: BinaryIO) -> int:
    """Encrypt everything ``src`` yields to ``dst``; return the plaintext length."""
    cipher = aead.chacha_cipher(key)
    size = CHUNK_SIZE * _BATCH
    buf = bytearray(size + CHUNK_SIZE)
    view = memoryview(buf)
    filled = _read_full(src, view[:size])
    counter = 0
    total = 0
    while True:
        eof = filled < size
        if not eof:
            # Read one more chunk ahead to know whether the last full chunk is final.
            extra = _read_full(src, view[size : size + CHUNK_SIZE])
            eof = extra == 0
        else:
            extra = 0
        out = []
        pos = 0
        while pos < filled:
            end = min(pos + CHUNK_SIZE, filled)
            last = eof and end == filled
            out.append(cipher.encrypt(_nonce(counter, _LAST if last else _NOT_LAST),
                                      view[pos:end], None))
            counter += 1
            pos = end
        if filled == 0 and counter == 0:
            out.append(cipher.encrypt(_nonce(0, _LAST), b"", None))
            counter = 1
        dst.writelines(out)
        total += filled
        if eof:
            return total
        # Move the read-ahead chunk to the front and refill behind it.
        view[:extra] = view[size : size + extra]
        filled = extra + _read_full(src, view[extra:size])


def decrypt(key: bytes, src: BinaryIO, dst: BinaryIO) -> int:
    """Decrypt the STREAM in ``src`` to ``dst``; return the plaintext length.

    Raises :class:`PayloadError` after writing every chunk that authenticated.
    """
    cipher = aead.chacha_cipher(key)
    size = ENC_CHUNK_SIZE * _BATCH
    buf = bytearray(size)
    view = memoryview(buf)
    counter = 0
    total = 0
    carry = 0
    while True:
        filled = carry + _read_full(src, view[carry:size])
        eof = filled < size
        pos = 0
        out: list[bytes] = []
        done = False
        error: str | None = None
        while filled - pos >= ENC_CHUNK_SIZE or (eof and pos < filled) or (
            eof and counter == 0 and filled == 0
        ):
            n = min(ENC_CHUNK_SIZE, filled - pos)
            chunk = view[pos : pos + n]
            pos += n
            if n < ENC_CHUNK_SIZE:
                # A short chunk can only be the last one.
                if n == 0:
                    error = "the payload has no chunks"
                    break
                if counter > 0 and n == aead.TAG_SIZE:
                    error = "the last chunk is empty"
                    break
                try:
                    out.append(cipher.decrypt(_nonce(counter, _LAST), chunk, None))
                except Exception:
                    error = "failed to decrypt and authenticate payload chunk"
                    break
                done = True
                break
            try:
                out.append(cipher.decrypt(_nonce(counter, _NOT_LAST), chunk, None))
                counter += 1
                continue
            except Exception:
                pass
            try:  # a full-size final chunk
                out.append(cipher.decrypt(_nonce(counter, _LAST), chunk, None))
            except Exception:
                error = "failed to decrypt and authenticate payload chunk"
                break
            done = True
            if pos < filled or not eof:
                # Data follows the final chunk (or may: probe for it).
                if pos < filled or _read_full(src, bytearray(1)):
                    error = "trailing data after the end of the encrypted file"
            break
        dst.writelines(out)
        total += sum(len(o) for o in out)
        if error is not None:
            raise PayloadError(error)
        if done:
            return total
        if eof:
            raise PayloadError("the payload is truncated: no final chunk")
        carry = filled - pos
        view[:carry] = view[pos:filled]
