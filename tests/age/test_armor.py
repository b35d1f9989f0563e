"""The armor writer: byte-identical to the plain definition, whatever the write sizes.

The writer encodes whole blocks with a :class:`struct.Struct` cut and copies only what
does not fill a block, so its output is checked against a one-line-at-a-time
reference for every split of the input, around the block and line boundaries.
"""

from __future__ import annotations

import binascii
import io
import os
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from sekret.age import armor

BLOCK = armor._BLOCK


def reference(data: bytes) -> bytes:
    """RFC 7468 strict PEM by the book: 48 bytes a line, padded base64, LF endings."""
    lines = [binascii.b2a_base64(data[i : i + 48]) for i in range(0, len(data), 48)]
    return armor.BEGIN + b"\n" + b"".join(lines) + armor.END + b"\n"


def write_in_pieces(data: bytes, sizes: list[int]) -> bytes:
    out = io.BytesIO()
    w = armor.ArmorWriter(out)
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        piece = data[pos : pos + n]
        # Every kind of buffer the io contract allows.
        w.write(memoryview(piece) if i % 3 == 1 else bytearray(piece) if i % 3 == 2 else piece)
        pos += n
        i += 1
    w.close()
    w.close()  # idempotent: one END line
    return out.getvalue()


SIZES = [0, 1, 47, 48, 49, 64, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 47, 3 * BLOCK + 48]


def test_sizes_around_blocks_and_lines() -> None:
    for n in SIZES:
        data = os.urandom(n)
        want = reference(data)
        assert armor.armor(data) == want, n
        for sizes in ([1], [7], [48], [BLOCK], [BLOCK + 1], [65552], [100, 70000, 3]):
            assert write_in_pieces(data, sizes) == want, (n, sizes)
        assert armor.dearmor(want) == data


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(0, 4 * BLOCK),
    sizes=st.lists(st.integers(1, 2 * BLOCK), min_size=1, max_size=6),
    seed=st.binary(min_size=1, max_size=8),
)
def test_any_split_gives_the_same_armor(size: int, sizes: list[int], seed: bytes) -> None:
    data = (seed * (size // len(seed) + 1))[:size]
    assert write_in_pieces(data, sizes) == reference(data)


def test_non_byte_buffers_are_taken_as_their_bytes() -> None:
    import array

    values = array.array("I", range(40000))
    assert write_in_pieces(values.tobytes(), [len(values.tobytes())]) == reference(values.tobytes())
    out = io.BytesIO()
    w = armor.ArmorWriter(out)
    w.write(memoryview(values))  # a view of 4-byte items counts bytes
    w.close()
    assert out.getvalue() == reference(values.tobytes())


def _peak_memory(mib: int) -> int:
    chunk = os.urandom(1 << 20)
    sink = _Discard()
    tracemalloc.start()
    try:
        w = armor.ArmorWriter(sink)  # type: ignore[arg-type]
        for _ in range(mib):
            w.write(chunk)
        w.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    n = mib << 20
    assert sink.total == len(reference(b"")) + -(-n // 3) * 4 + -(-n // 48)
    return peak


def test_memory_stays_constant() -> None:
    """Armored in 1 MiB writes, 8 MiB or 32 MiB take the same few small buffers."""
    small, large = _peak_memory(8), _peak_memory(32)
    assert large < 1 << 20, large
    assert large < small + (64 << 10), (small, large)


def test_abort_writes_no_end_line() -> None:
    out = io.BytesIO()
    w = armor.ArmorWriter(out)
    w.write(os.urandom(5 * BLOCK + 7))
    w.abort()
    assert w.closed and armor.END not in out.getvalue()
    w.close()
    del w
    assert armor.END not in out.getvalue()


def test_a_write_error_surfaces() -> None:
    class Full:
        writes = 0

        def write(self, data: bytes) -> int:
            self.writes += 1
            if self.writes > 2:
                raise OSError(28, "No space left on device")
            return len(data)

    w = armor.ArmorWriter(Full())  # type: ignore[arg-type]
    try:
        for _ in range(40):
            w.write(bytes(BLOCK))
        w.close()
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the write error was lost")


class _Discard:
    total = 0

    def write(self, data: bytes) -> int:
        self.total += len(data)
        return len(data)
