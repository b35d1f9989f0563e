"""Strict ASCII armor (PEM, label ``AGE ENCRYPTED FILE``) for age files.

Writer: padded base64 in 64-column lines, LF endings, a final LF after the END line.
Reader: exactly that, except that each line may end in CRLF and up to 1 KiB of
whitespace may surround the block (C2SP age spec). Both work in constant memory.
"""

from __future__ import annotations

import binascii
import io
import struct
from typing import BinaryIO

from sekret.errors import ArmorError

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS = 64
_LINE_BYTES = 48
_WHITESPACE = b" \t\r\n\v\f"
_MAX_WHITESPACE = 1024
_BLOCK_LINES = 1024
#: Armor is written in blocks of this many input bytes: 48 KiB in, 65 KiB out, below
#: the size at which the C allocator maps a buffer in and out of memory for each use.
_BLOCK = _LINE_BYTES * _BLOCK_LINES


def starts_armored(prefix: bytes) -> bool:
    """Whether ``prefix`` (the first ~1 KiB of a file) looks like an armored age file.

    Binary age files start with ``age-encryption.org/``; anything that starts like a PEM
    line, or carries the BEGIN line near its start, goes to the strict armor reader so
    that a damaged armor is reported as such rather than as a bad header.
    """
    stripped = prefix.lstrip(_WHITESPACE)
    return stripped.startswith(b"-----") or BEGIN in prefix


def _lines(data: bytes | memoryview) -> bytes:
    """Armor lines of any length, each ending in LF (for the short tail of a stream)."""
    enc = binascii.b2a_base64(data, newline=False)
    lines = [enc[i : i + COLUMNS] for i in range(0, len(enc), COLUMNS)]
    lines.append(b"")
    return b"\n".join(lines)


class ArmorWriter(io.RawIOBase):
    """A writable stream that armors what is written to it into ``dst``. Call close().

    Input is encoded in blocks of :data:`_BLOCK` bytes, each written to ``dst`` as soon
    as it is complete, so memory stays constant. Speed, since armoring runs at about
    the speed of ``binascii`` itself (measured in ``bench/``):

    * a block is encoded in one ``binascii`` call, then cut into 64-column lines by a
      :class:`struct.Struct` of 1024 fields and an empty one (in C: a list of slices
      made in Python cost as much as the encoding) and joined with LFs;
    * blocks are encoded straight from the caller's buffer when they can be; only the
      bytes that do not fill a block are copied, into a fixed buffer;
    * no buffer of more than 128 KiB is made per block: the C allocator maps those in
      and out of memory each time, and that page-faulting once cost more than the
      encoding.

    (Writing ``dst`` from a thread of its own, to overlap it with the encoding, cost
    more CPU time in thread switches than it saved, and was slower on a busy machine.)
    """

    def __init__(self, dst: BinaryIO) -> None:
        super().__init__()
        self._dst = dst
        self._pending = bytearray(_BLOCK)
        self._fill = 0
        self._cut: struct.Struct | None = None
        self._dst.write(BEGIN + b"\n")

    def writable(self) -> bool:
        """Always true."""
        return True

    def _emit(self, block: bytes | bytearray | memoryview) -> None:
        if self._cut is None:  # made once, on the first whole block
            self._cut = struct.Struct(f"{COLUMNS}s" * _BLOCK_LINES + "0s")
        fields = self._cut.unpack(binascii.b2a_base64(block, newline=False))
        self._dst.write(b"\n".join(fields))  # the empty last field: a final LF

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Armor ``data``: every complete block goes out now, the rest waits."""
        with memoryview(data) as raw, raw.cast("B") as view:
            size = len(view)
            pos = 0
            if self._fill:
                pos = min(_BLOCK - self._fill, size)
                self._pending[self._fill : self._fill + pos] = view[:pos]
                self._fill += pos
                if self._fill < _BLOCK:
                    return size
                self._emit(self._pending)
                self._fill = 0
            end = pos + (size - pos) // _BLOCK * _BLOCK
            for start in range(pos, end, _BLOCK):
                self._emit(view[start : start + _BLOCK])
            self._fill = size - end
            self._pending[: self._fill] = view[end:]
        return size

    def close(self) -> None:
        """Flush the last line and write the END line (does not close ``dst``)."""
        if not self.closed:
            if self._fill:
                self._dst.write(_lines(memoryview(self._pending)[: self._fill]))
                self._fill = 0
            self._dst.write(END + b"\n")
        super().close()

    def abort(self) -> None:
        """Close after a failure without the END line, so that a broken stream never
        looks complete (``close``, also run when the writer is garbage-collected,
        would add it)."""
        self._fill = 0
        super().close()


def armor(data: bytes) -> bytes:
    """Armor a whole age file held in memory."""
    out = io.BytesIO()
    w = ArmorWriter(out)
    w.write(data)
    w.close()
    return out.getvalue()


class ArmorReader(io.RawIOBase):
    """A readable stream decoding the armored age file in ``src``, strictly."""

    def __init__(self, src: BinaryIO) -> None:
        super().__init__()
        self._src = src
        self._buf = b""  # undecoded input, from self._pos on
        self._pos = 0
        self._out = b""  # decoded, not yet returned, from self._opos on
        self._opos = 0
        self._done = False
        self._short_seen = False
        self._started = False

    def readable(self) -> bool:
        """Always true."""
        return True

    def _fill(self) -> bool:
        more = self._src.read(1 << 20)
        if not more:
            return False
        self._buf = self._buf[self._pos :] + more
        self._pos = 0
        return True

    def _line(self) -> bytes | None:
        """Next line without its LF/CRLF; None at EOF with no pending bytes."""
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                line = self._buf[self._pos : nl]
                self._pos = nl + 1
                return line[:-1] if line.endswith(b"\r") else line
            if len(self._buf) - self._pos > 2 * COLUMNS + len(BEGIN):
                raise ArmorError("armor line too long")
            if not self._fill():
                if self._pos >= len(self._buf):
                    return None
                line = self._buf[self._pos :]
                self._buf, self._pos = b"", 0
                return line

    def _start(self) -> None:
        while len(self._buf) < _MAX_WHITESPACE + len(BEGIN) + 2 and self._fill():
            pass
        stripped = self._buf.lstrip(_WHITESPACE)
        if len(self._buf) - len(stripped) > _MAX_WHITESPACE:
            raise ArmorError("too much whitespace before the armor")
        self._buf, self._pos = stripped, 0
        if self._line() != BEGIN:
            raise ArmorError("invalid armor first line")
        self._started = True

    def _finish(self) -> None:
        rest = self._buf[self._pos :]
        while len(rest) <= _MAX_WHITESPACE:
            more = self._src.read(_MAX_WHITESPACE + 1)
            if not more:
                break
            rest += more
        if rest.strip(_WHITESPACE) or len(rest) > _MAX_WHITESPACE:
            raise ArmorError("trailing data after the armored file")
        self._buf, self._pos = b"", 0
        self._done = True

    def _decode_fast(self) -> bool:
        """Decode a run of full 64-column LF lines without padding in one call.

        Such lines need no per-line checks beyond their shape, and base64 without
        padding is always canonical. The shape is checked by the LF at every 65th
        byte and by the length decoded: ``binascii``'s lenient mode skips the LFs
        (no copy without them) but also anything else outside the alphabet, so 48
        bytes a line come out only if every other byte is base64. Anything else (CRLF,
        the last lines, padding, any error) goes through the line-by-line path.
        """
        if self._short_seen:
            return False
        k = min((len(self._buf) - self._pos) // (COLUMNS + 1), _BLOCK_LINES)
        if k < 2:
            return False
        k -= 1  # keep the last line for the careful path: it may precede END
        end = self._pos + k * (COLUMNS + 1)
        block = self._buf[self._pos : end]
        if block[COLUMNS :: COLUMNS + 1] != b"\n" * k or b"=" in block:
            return False
        try:
            decoded = binascii.a2b_base64(block)
        except binascii.Error:
            return False
        if len(decoded) != k * _LINE_BYTES:  # a stray byte was skipped: let the
            return False  # careful path say what is wrong
        self._pos = end
        self._out = self._out[self._opos :] + decoded
        self._opos = 0
        return True

    def _decode_some(self) -> None:
        """Decode a block of lines into ``self._out``."""
        if not self._started:
            self._start()
        if self._decode_fast():
            return
        if len(self._buf) - self._pos < (COLUMNS + 1) * _BLOCK_LINES and self._fill():
            if self._decode_fast():
                return
        lines: list[bytes] = []
        for _ in range(_BLOCK_LINES):
            line = self._line()
            if line is None:
                raise ArmorError("armor is missing its END line")
            if line == END:
                self._finish()
                break
            if self._short_seen:
                raise ArmorError("short armor line before the end")
            if len(line) > COLUMNS:
                raise ArmorError("armor line longer than 64 columns")
            if len(line) < COLUMNS:
                if not line:
                    raise ArmorError("empty line in armor")
                self._short_seen = True
            lines.append(line)
        data = b"".join(lines)
        if not data:
            return
        if b"=" in data[:-2] or len(data) % 4:
            raise ArmorError("invalid armor padding")
        if b"=" in data and not self._short_seen and not self._done:
            raise ArmorError("armor padding before the end")
        try:
            decoded = binascii.a2b_base64(data, strict_mode=True)
        except binascii.Error:
            raise ArmorError("invalid base64 in armor") from None
        if binascii.b2a_base64(decoded, newline=False) != data:
            raise ArmorError("non-canonical base64 in armor")
        self._out = self._out[self._opos :] + decoded
        self._opos = 0

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``b`` with decoded bytes; 0 at the end."""
        while self._opos >= len(self._out) and not self._done:
            self._decode_some()
        n = min(len(b), len(self._out) - self._opos)
        b[:n] = self._out[self._opos : self._opos + n]
        self._opos += n
        return n


def dearmor(data: bytes) -> bytes:
    """Decode an armored age file held in memory."""
    return ArmorReader(io.BytesIO(data)).read()
