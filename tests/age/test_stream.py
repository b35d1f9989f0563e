"""STREAM payload edge cases: sizes around chunk and batch borders, release-then-error.

Every case runs real ChaCha20-Poly1305. Ciphertexts are checked against an independent,
deliberately naive per-chunk reference (one ``chacha_seal`` per chunk, no batching), so
the batched, threaded implementation in :mod:`sekret.age.stream` must match it byte for
byte. Sizes cross the 64 KiB chunk border and the batch border (where the writer thread
takes over), so both the inline and the threaded write paths are covered.
"""

from __future__ import annotations

import io
import os
import threading

import pytest

from sekret.age import stream
from sekret.crypto import aead
from sekret.errors import PayloadError

KEY = bytes(range(32))
C = stream.CHUNK_SIZE
E = stream.ENC_CHUNK_SIZE
BATCH = stream._BATCH
# Around the chunk border, and around one and two batches (the read-ahead chunk at EOF).
SIZES = [
    0, 1, C - 1, C, C + 1, 2 * C,
    BATCH * C - 1, BATCH * C, BATCH * C + 1, (BATCH + 1) * C, (BATCH + 1) * C + 1,
    (BATCH + 2) * C - 1, 2 * BATCH * C, 2 * BATCH * C + C, 3 * BATCH * C + 12345,
]


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def reference_seal(key: bytes, plaintext: bytes) -> bytes:
    """The STREAM as the spec words it, one chunk at a time."""
    chunks = [plaintext[i : i + C] for i in range(0, len(plaintext), C)] or [b""]
    return b"".join(
        aead.chacha_seal(key, _nonce(i, i == len(chunks) - 1), chunk)
        for i, chunk in enumerate(chunks)
    )


def seal_chunks(key: bytes, chunks: list[tuple[bytes, bool]]) -> bytes:
    """Seal arbitrary (plaintext, last flag) chunks in order, valid or not."""
    return b"".join(aead.chacha_seal(key, _nonce(i, last), p) for i, (p, last) in
                    enumerate(chunks))


def data(n: int) -> bytes:
    """``n`` bytes of plaintext; random past 1 KiB so that chunks never repeat."""
    return (bytes(range(256)) * (n // 256 + 1))[:n] if n < 1024 else os.urandom(n)


def run_decrypt(ciphertext: bytes) -> tuple[bytes, PayloadError | None]:
    out = io.BytesIO()
    try:
        stream.decrypt(KEY, io.BytesIO(ciphertext), out)
    except PayloadError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sekret-stream"]


@pytest.mark.parametrize("n", SIZES)
def test_encrypt_matches_reference_and_round_trips(n: int) -> None:
    plaintext = data(n)
    out = io.BytesIO()
    assert stream.encrypt(KEY, io.BytesIO(plaintext), out) == n
    sealed = out.getvalue()
    # payload length (after the nonce) = n + 16 * max(1, ceil(n / 64 KiB)), as age writes it
    assert len(sealed) == n + 16 * max(1, -(-n // C))
    assert sealed == reference_seal(KEY, plaintext)
    back = io.BytesIO()
    assert stream.decrypt(KEY, io.BytesIO(sealed), back) == n
    assert back.getvalue() == plaintext
    assert stream_threads() == []


class Trickle(io.RawIOBase):
    """A raw reader that returns at most ``step`` bytes per call (like a pipe)."""

    def __init__(self, payload: bytes, step: int) -> None:
        super().__init__()
        self._src = io.BytesIO(payload)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b)[: self._step]
        return self._src.readinto(view)


class Partial(io.RawIOBase):
    """A raw writer that accepts at most ``step`` bytes per call and copies them."""

    def __init__(self, step: int) -> None:
        super().__init__()
        self.data = bytearray()
        self._step = step

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        part = bytes(memoryview(b)[: self._step])
        self.data += part
        return len(part)


def test_short_reads_and_partial_writes() -> None:
    n = 2 * BATCH * C + 777
    plaintext = data(n)
    sink = Partial(10_000)
    stream.encrypt(KEY, Trickle(plaintext, 9_999), sink)  # type: ignore[arg-type]
    assert bytes(sink.data) == reference_seal(KEY, plaintext)
    back = Partial(4_321)
    stream.decrypt(KEY, Trickle(bytes(sink.data), 5_000), back)  # type: ignore[arg-type]
    assert bytes(back.data) == plaintext


@pytest.mark.parametrize("bad", [0, 1, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH + 3])
def test_bad_tag_releases_every_earlier_chunk(bad: int) -> None:
    plaintext = data((2 * BATCH + 5) * C)
    sealed = bytearray(reference_seal(KEY, plaintext))
    sealed[bad * E + 100] ^= 1
    released, error = run_decrypt(bytes(sealed))
    assert error is not None
    assert str(error) == "failed to decrypt and authenticate payload chunk"
    assert released == plaintext[: bad * C]
    assert stream_threads() == []


@pytest.mark.parametrize("chunks", [1, BATCH, BATCH + 1, 2 * BATCH + 2])
def test_truncated_at_a_chunk_border(chunks: int) -> None:
    plaintext = data((chunks + 1) * C)
    sealed = reference_seal(KEY, plaintext)[: chunks * E]  # drop the final chunk
    released, error = run_decrypt(sealed)
    assert error is not None and "truncated" in str(error)
    assert released == plaintext[: chunks * C]


def test_truncated_inside_a_chunk() -> None:
    plaintext = data((BATCH + 3) * C)
    sealed = reference_seal(KEY, plaintext)[: (BATCH + 1) * E + 500]
    released, error = run_decrypt(sealed)
    assert error is not None and "failed to decrypt" in str(error)
    assert released == plaintext[: (BATCH + 1) * C]


@pytest.mark.parametrize("n", [1, C, BATCH * C, (BATCH + 1) * C + 5, 2 * BATCH * C])
@pytest.mark.parametrize("extra", [b"\x00", b"x" * E, b"y" * (3 * E + 1)])
def test_trailing_data_after_final_chunk(n: int, extra: bytes) -> None:
    plaintext = data(n)
    released, error = run_decrypt(reference_seal(KEY, plaintext) + extra)
    assert error is not None
    if n % C:
        # A short final chunk followed by more data is read as a full chunk that fails.
        assert released == plaintext[: n - n % C]
    else:
        assert str(error) == "trailing data after the end of the encrypted file"
        assert released == plaintext


@pytest.mark.parametrize("before", [0, BATCH - 1, BATCH, BATCH + 2])
def test_full_final_chunk_followed_by_another(before: int) -> None:
    """Like CCTV stream_two_final_chunks: the first final chunk is released, then error."""
    chunks = [(b"a" * C, False)] * before + [(b"b" * C, True), (b"c" * 10, True)]
    released, error = run_decrypt(seal_chunks(KEY, chunks))
    assert error is not None
    assert str(error) == "trailing data after the end of the encrypted file"
    assert released == b"a" * C * before + b"b" * C


@pytest.mark.parametrize("before", [1, BATCH, BATCH + 1])
def test_empty_last_chunk_after_data(before: int) -> None:
    sealed = seal_chunks(KEY, [(b"z" * C, False)] * before + [(b"", True)])
    released, error = run_decrypt(sealed)
    assert error is not None and str(error) == "the last chunk is empty"
    assert released == b"z" * C * before


def test_no_chunks() -> None:
    released, error = run_decrypt(b"")
    assert error is not None and str(error) == "the payload has no chunks"
    assert released == b""


@pytest.mark.parametrize("size", [1, 15])
def test_chunk_shorter_than_a_tag(size: int) -> None:
    released, error = run_decrypt(b"\x00" * size)
    assert error is not None and "failed to decrypt" in str(error)
    assert released == b""


def test_not_last_flag_on_the_only_chunk_is_truncation() -> None:
    released, error = run_decrypt(seal_chunks(KEY, [(b"k" * C, False)]))
    assert error is not None and "truncated" in str(error)
    assert released == b"k" * C


def test_short_chunk_without_last_flag_fails() -> None:
    released, error = run_decrypt(seal_chunks(KEY, [(b"k" * 100, False)]))
    assert error is not None and "failed to decrypt" in str(error)
    assert released == b""


def test_wrong_key_releases_nothing() -> None:
    sealed = reference_seal(KEY, data(3 * BATCH * C))
    out = io.BytesIO()
    with pytest.raises(PayloadError):
        stream.decrypt(bytes(32), io.BytesIO(sealed), out)
    assert out.getvalue() == b""


class FailingWriter(io.RawIOBase):
    """Accepts ``ok`` writes, then raises OSError (a full disk, a closed pipe)."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self._ok = ok

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self._ok == 0:
            raise OSError(28, "No space left on device")
        self._ok -= 1
        return len(b)


@pytest.mark.parametrize("ok", [0, 1, 2, 5])
def test_write_error_surfaces_from_either_side(ok: int) -> None:
    plaintext = data(8 * BATCH * C)
    with pytest.raises(OSError, match="No space"):
        stream.encrypt(KEY, io.BytesIO(plaintext), FailingWriter(ok))  # type: ignore[arg-type]
    assert stream_threads() == []
    sealed = reference_seal(KEY, plaintext)
    with pytest.raises(OSError, match="No space"):
        stream.decrypt(KEY, io.BytesIO(sealed), FailingWriter(ok))  # type: ignore[arg-type]
    assert stream_threads() == []


class FailingReader(io.RawIOBase):
    """Yields ``good`` bytes of ``payload``, then raises OSError."""

    def __init__(self, payload: bytes, good: int) -> None:
        super().__init__()
        self._src = io.BytesIO(payload[:good])

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._src.readinto(b)
        if n == 0:
            raise OSError(5, "Input/output error")
        return n


def test_read_error_stops_the_writer() -> None:
    plaintext = data(6 * BATCH * C)
    with pytest.raises(OSError, match="Input/output"):
        stream.encrypt(KEY, FailingReader(plaintext, 3 * BATCH * C + 9),  # type: ignore[arg-type]
                       io.BytesIO())
    assert stream_threads() == []
    sealed = reference_seal(KEY, plaintext)
    with pytest.raises(OSError, match="Input/output"):
        stream.decrypt(KEY, FailingReader(sealed, 3 * BATCH * E + 9),  # type: ignore[arg-type]
                       io.BytesIO())
    assert stream_threads() == []


def test_real_files(tmp_path: object) -> None:
    """Buffered file objects, as the CLI passes them; fd-level writes end up in order."""
    import pathlib

    base = pathlib.Path(str(tmp_path))
    plaintext = data(5 * BATCH * C)
    (base / "in").write_bytes(plaintext)
    with (base / "in").open("rb") as src, (base / "enc").open("wb") as dst:
        dst.write(b"HEADER")
        stream.encrypt(KEY, src, dst)
        dst.write(b"TAIL")
    sealed = (base / "enc").read_bytes()
    assert sealed == b"HEADER" + reference_seal(KEY, plaintext) + b"TAIL"
    with (base / "enc").open("rb") as src, (base / "dec").open("wb") as dst:
        src.read(6)
        with pytest.raises(PayloadError, match="trailing data"):
            stream.decrypt(KEY, src, dst)
    assert (base / "dec").read_bytes() == plaintext



def test_armored_encryption_failing_half_way_stops_every_thread() -> None:
    """An error in the middle of an armored stream: no END line, no thread left."""
    from sekret.age import armor, core
    from sekret.age.x25519 import X25519Identity

    out = io.BytesIO()
    recipient = X25519Identity.generate().recipient()
    with pytest.raises(OSError, match="Input/output"):
        core.encrypt_stream(FailingReader(data(6 * BATCH * C), 3 * BATCH * C + 9),  # type: ignore[arg-type]
                            out, [recipient], armor=True)
    assert armor.END not in out.getvalue()
    assert not [t for t in threading.enumerate() if t.name.startswith("sekret-")]
