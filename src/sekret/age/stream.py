"""The STREAM payload: 64 KiB chunks sealed with ChaCha20-Poly1305 (age-encryption.org/v1).

Chunk nonce = 11-byte big-endian counter || last-chunk flag. The final chunk carries
flag 1 and may be full-size; it is empty only when the whole plaintext is empty.
Each chunk's plaintext is released as soon as it authenticates; errors surface
after what was released (as age does).

How it is made fast (measured on 1 GiB in tmpfs, see ``bench/``):

* Chunks are read and written in batches of :data:`_BATCH` chunks, so a system call
  moves about 1 MiB, and sealed/opened with ``encrypt_into``/``decrypt_into`` into
  preallocated buffers: no per-chunk allocation or copy.
* ``cryptography`` holds the GIL while it seals, but writing to ``dst`` (a file or a
  pipe) releases it, so once a stream is longer than one batch a writer thread
  drains finished buffers while the caller's thread reads and seals the next ones.
  At most :data:`_DEPTH` buffers are in flight, so memory stays constant
  (about 6 MiB) whatever the size.

``dst`` must follow the :mod:`io` contract: ``write`` must not keep the buffer it is
given after it returns (buffers are reused). While :func:`encrypt` or :func:`decrypt`
runs, ``dst`` may be written from that background thread; it is idle again, with
everything written, when they return or raise.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

try:  # queue.SimpleQueue itself, without queue.py's imports (threading, heapq): start-up
    from _queue import Empty, SimpleQueue
except ImportError:  # an interpreter without the C module
    from queue import Empty, SimpleQueue

if TYPE_CHECKING:
    import threading

from sekret.crypto import aead, kdf
from sekret.errors import PayloadError

CHUNK_SIZE = 64 * 1024
ENC_CHUNK_SIZE = CHUNK_SIZE + aead.TAG_SIZE
NONCE_SIZE = 16
#: How many chunks are read, sealed and written per batch.
_BATCH = 16
#: How many output buffers may be in flight (being filled, queued or written).
_DEPTH = 4
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


def _write_all(dst: BinaryIO, data: memoryview) -> None:
    """Write all of ``data``, also to a raw stream that may write only part of it."""
    while data:
        n = dst.write(data)
        if n is None or n >= len(data):  # None: a writer that does not count
            return
        data = data[n:]


class _Sink:
    """Ordered writer of filled buffers to ``dst``, in a thread after the first one.

    :meth:`buffer` hands out a reusable buffer of ``size`` bytes; :meth:`submit`
    queues its first ``n`` bytes for writing. Use as a context manager: leaving it
    writes everything submitted (also when an error is raised), and re-raises a
    write error.
    """

    def __init__(self, dst: BinaryIO, size: int) -> None:
        self._dst = dst
        self._size = size
        self._made = 0
        self._free: SimpleQueue[bytearray] = SimpleQueue()
        self._todo: SimpleQueue[tuple[bytearray, int] | None] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._submitted = 0
        self._error: BaseException | None = None
        self._abort = False

    def buffer(self) -> bytearray:
        """A buffer to fill: a new one while fewer than ``_DEPTH`` exist, else a free one."""
        self._check()
        if self._made < _DEPTH:
            try:
                return self._free.get_nowait()
            except Empty:
                self._made += 1
                return bytearray(self._size)
        buf = self._free.get()
        self._check()
        return buf

    def submit(self, buf: bytearray, n: int) -> None:
        """Write ``buf[:n]``, in order after everything submitted before."""
        if n == 0:
            self._free.put(buf)
            return
        self._submitted += 1
        if self._thread is None and self._submitted == 1:
            # A stream that fits in one batch never pays for a thread.
            try:
                _write_all(self._dst, memoryview(buf)[:n])
            finally:
                self._free.put(buf)
            return
        if self._thread is None:
            import threading  # only streams of more than one batch need it

            self._thread = threading.Thread(target=self._run, name="sekret-stream", daemon=True)
            self._thread.start()
        self._todo.put((buf, n))

    def _run(self) -> None:
        while True:
            item = self._todo.get()
            if item is None:
                return
            buf, n = item
            if self._error is None and not self._abort:
                try:
                    _write_all(self._dst, memoryview(buf)[:n])
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc
            self._free.put(buf)

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> _Sink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            # A PayloadError is raised after the released plaintext is written; any
            # other error (a failed read, an interrupt) drops what is still queued.
            self._abort = exc is not None and not isinstance(exc, PayloadError)
            self._todo.put(None)
            self._thread.join()
            self._thread = None
        if exc is None or isinstance(exc, PayloadError):
            self._check()


def encrypt(key: bytes, src: BinaryIO, dst: BinaryIO) -> int:
    """Encrypt everything ``src`` yields to ``dst``; return the plaintext length."""
    cipher = aead.chacha_cipher(key)
    # As in decrypt: a plaintext of at most one chunk stays in a one-chunk buffer.
    probe = bytearray(CHUNK_SIZE + 1)
    filled = _read_full(src, probe)
    batch = 1 if filled <= CHUNK_SIZE else _BATCH
    size = CHUNK_SIZE * batch
    if batch == 1:
        inbuf = probe  # shorter than size + CHUNK_SIZE: filled < len(inbuf) says EOF
        src_view = memoryview(inbuf)
    else:
        # One chunk of read-ahead tells whether the batch's last full chunk is final.
        inbuf = bytearray(size + CHUNK_SIZE)
        src_view = memoryview(inbuf)
        src_view[:filled] = probe
        filled += _read_full(src, src_view[filled:])
    counter = 0
    total = 0
    # At EOF the read-ahead chunk is sealed with the batch: room for one more chunk.
    with _Sink(dst, (batch + 1) * ENC_CHUNK_SIZE) as sink:
        while True:
            eof = filled < len(inbuf)
            end_of_batch = filled if eof else size
            out = sink.buffer()
            out_view = memoryview(out)
            pos = 0
            opos = 0
            while pos < end_of_batch:
                end = min(pos + CHUNK_SIZE, end_of_batch)
                flag = _LAST if eof and end == end_of_batch else _NOT_LAST
                oend = opos + (end - pos) + aead.TAG_SIZE
                cipher.encrypt_into(
                    _nonce(counter, flag), src_view[pos:end], None, out_view[opos:oend]
                )
                counter += 1
                pos = end
                opos = oend
            if counter == 0:  # empty plaintext: one empty final chunk
                cipher.encrypt_into(_nonce(0, _LAST), b"", None, out_view[: aead.TAG_SIZE])
                counter = 1
                opos = aead.TAG_SIZE
            sink.submit(out, opos)
            total += end_of_batch
            if eof:
                return total
            # Move the read-ahead chunk to the front and refill behind it.
            src_view[:CHUNK_SIZE] = src_view[size:]
            filled = CHUNK_SIZE + _read_full(src, src_view[CHUNK_SIZE:])


def decrypt(key: bytes, src: BinaryIO, dst: BinaryIO) -> int:
    """Decrypt the STREAM in ``src`` to ``dst``; return the plaintext length.

    Raises :class:`PayloadError` after writing every chunk that authenticated.
    """
    cipher = aead.chacha_cipher(key)
    # A payload of one chunk (a SOPS data key, most secrets) stays in a one-chunk
    # buffer: the batch buffers are 2 MiB to zero and fault in, for 32 bytes (1% of a
    # small 'sekret decrypt'). The probe's bytes are the first batch's first bytes.
    probe = bytearray(ENC_CHUNK_SIZE + 1)
    carry = _read_full(src, probe)
    batch = 1 if carry <= ENC_CHUNK_SIZE else _BATCH
    size = ENC_CHUNK_SIZE * batch
    if batch == 1:
        src_view = memoryview(probe)
    else:
        src_view = memoryview(bytearray(size))
        src_view[:carry] = probe
    counter = 0
    total = 0
    with _Sink(dst, batch * CHUNK_SIZE) as sink:
        while True:
            filled = carry + _read_full(src, src_view[carry:size])
            eof = filled < size
            out = sink.buffer()
            out_view = memoryview(out)
            pos = 0
            opos = 0
            done = False
            error: str | None = None
            while filled - pos >= ENC_CHUNK_SIZE or (eof and pos < filled) or (
                eof and counter == 0 and filled == 0
            ):
                n = min(ENC_CHUNK_SIZE, filled - pos)
                chunk = src_view[pos : pos + n]
                pos += n
                if n < ENC_CHUNK_SIZE:
                    # A short chunk can only be the last one.
                    if n == 0:
                        error = "the payload has no chunks"
                        break
                    if counter > 0 and n == aead.TAG_SIZE:
                        error = "the last chunk is empty"
                        break
                    if n < aead.TAG_SIZE:
                        error = "failed to decrypt and authenticate payload chunk"
                        break
                    oend = opos + n - aead.TAG_SIZE
                    try:
                        cipher.decrypt_into(_nonce(counter, _LAST), chunk, None,
                                            out_view[opos:oend])
                    except Exception:
                        error = "failed to decrypt and authenticate payload chunk"
                        break
                    opos = oend
                    done = True
                    break
                oend = opos + CHUNK_SIZE
                try:
                    cipher.decrypt_into(_nonce(counter, _NOT_LAST), chunk, None,
                                        out_view[opos:oend])
                    counter += 1
                    opos = oend
                    continue
                except Exception:
                    pass
                try:  # a full-size final chunk
                    cipher.decrypt_into(_nonce(counter, _LAST), chunk, None, out_view[opos:oend])
                except Exception:
                    error = "failed to decrypt and authenticate payload chunk"
                    break
                opos = oend
                done = True
                if pos < filled or not eof:
                    # Data follows the final chunk (or may: probe for it).
                    if pos < filled or _read_full(src, bytearray(1)):
                        error = "trailing data after the end of the encrypted file"
                break
            sink.submit(out, opos)
            total += opos
            if error is not None:
                raise PayloadError(error)
            if done:
                return total
            if eof:
                raise PayloadError("the payload is truncated: no final chunk")
            carry = filled - pos
            src_view[:carry] = src_view[pos:filled]
