"""git's long-running filter protocol (``filter.<driver>.process``), over binary streams.

git starts the process once per command and sends every blob through it, instead of
one process per file: that is what makes sekret fast on many small files. Framing is
pkt-line: 4 hex digits giving the packet length including themselves, then the
payload; ``0000`` is a flush. Handshake: git sends ``git-filter-client``, ``version=2``,
flush; we answer ``git-filter-server``, ``version=2``, flush; then capabilities
(we take ``clean`` and ``smudge``). Per blob: ``command=…``, ``pathname=…``, … flush,
content packets, flush; we answer ``status=success`` flush, content, flush, flush —
or ``status=error`` flush, after which git fails that file (``required=true``).

This module only reads and writes the streams it is given; the CLI passes the real
stdin and stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from sekret.errors import SekretError

MAX_PAYLOAD = 65516
FLUSH = b"0000"

#: (command, pathname, content) → new content; raise SekretError to fail one blob.
Handler = Callable[[str, str, bytes], bytes]
#: Called with (pathname, message) when a blob fails, for a line on stderr.
Reporter = Callable[[str, str], None]


class ProtocolError(SekretError):
    """git sent something that is not the filter protocol."""


def _read_packet(src: BinaryIO) -> bytes | None:
    """One packet's payload; ``None`` for a flush; raise EOFError at the end of input."""
    head = src.read(4)
    if not head:
        raise EOFError
    if len(head) != 4:
        raise ProtocolError("truncated packet length from git")
    try:
        size = int(head, 16)
    except ValueError:
        raise ProtocolError("bad packet length from git") from None
    if size == 0:
        return None
    if size < 4:
        raise ProtocolError("unexpected special packet from git")
    payload = src.read(size - 4)
    if len(payload) != size - 4:
        raise ProtocolError("truncated packet from git")
    return payload


def _read_text_list(src: BinaryIO) -> list[str]:
    """A flush-terminated list of text packets; EOFError only before its first packet
    (git is done), a truncated list is a protocol error."""
    items: list[str] = []
    while (pkt := _read_packet(src) if not items else _more(src)) is not None:
        items.append(pkt.decode("utf-8", "surrogateescape").removesuffix("\n"))
    return items


def _read_content(src: BinaryIO) -> bytes:
    chunks = []
    while (pkt := _more(src)) is not None:
        chunks.append(pkt)
    return b"".join(chunks)


def _more(src: BinaryIO) -> bytes | None:
    """The next packet of a list or content git has started: the input may not end."""
    try:
        return _read_packet(src)
    except EOFError:
        raise ProtocolError("git closed the filter pipe in the middle of a request") from None


def _text(*lines: str) -> bytes:
    out = bytearray()
    for line in lines:
        data = line.encode("utf-8", "surrogateescape") + b"\n"
        out += b"%04x" % (len(data) + 4) + data
    return bytes(out + FLUSH)


def _content(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), MAX_PAYLOAD):
        chunk = data[i:i + MAX_PAYLOAD]
        out += b"%04x" % (len(chunk) + 4)
        out += chunk
    return bytes(out + FLUSH)


def handshake(src: BinaryIO, dst: BinaryIO) -> None:
    """Answer git's welcome and capability lists (clean and smudge only)."""
    try:
        welcome = _read_text_list(src)
    except EOFError:
        raise ProtocolError("git closed the filter pipe before the handshake") from None
    if not welcome or welcome[0] != "git-filter-client" or "version=2" not in welcome[1:]:
        raise ProtocolError("not git's filter protocol version 2")
    dst.write(_text("git-filter-server", "version=2"))
    dst.flush()
    try:
        offered = _read_text_list(src)
    except EOFError:
        raise ProtocolError("git closed the filter pipe during the handshake") from None
    wanted = [c for c in ("capability=clean", "capability=smudge") if c in offered]
    dst.write(_text(*wanted))
    dst.flush()


def serve(src: BinaryIO, dst: BinaryIO, handler: Handler,
          report: Reporter | None = None) -> int:
    """Run the filter loop until git closes the pipe; return the number of blobs done."""
    handshake(src, dst)
    done = 0
    while True:
        try:
            meta = _read_text_list(src)
        except EOFError:
            return done
        fields = dict(item.partition("=")[::2] for item in meta)
        command = fields.get("command", "")
        pathname = fields.get("pathname", "")
        content = _read_content(src)
        if command not in ("clean", "smudge"):
            dst.write(_text("status=error"))
            dst.flush()
            continue
        try:
            result = handler(command, pathname, content)
        except SekretError as exc:
            if report is not None:
                report(pathname, str(exc))
            dst.write(_text("status=error"))
            dst.flush()
            continue
        dst.write(_text("status=success") + _content(result) + FLUSH)
        dst.flush()
        done += 1
