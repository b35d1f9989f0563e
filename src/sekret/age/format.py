"""The age v1 header: stanzas, strict parsing and canonical serialisation.

The parser accepts exactly the canonical encoding (age ``internal/format``), so for
every accepted header ``Header.parse(b).marshal() == b``. Canonical here means: LF line
endings only, unpadded canonical base64, stanza bodies wrapped at 64 columns and always
closed by a short (possibly empty) line, arguments of 1+ VCHARs separated by one space.
"""

from __future__ import annotations

import binascii

from sekret._record import record
from sekret.errors import HeaderError

VERSION_LINE = b"age-encryption.org/v1"
_VERSION_PREFIX = b"age-encryption.org/"
_STANZA_PREFIX = b"->"
_FOOTER_PREFIX = b"---"
COLUMNS = 64
_BYTES_PER_LINE = COLUMNS // 4 * 3
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
#: Upper bound on a header's size, a guard against unbounded reads of garbage.
MAX_HEADER_SIZE = 16 << 20


def b64encode(data: bytes) -> str:
    """Unpadded standard base64, as age writes it."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").decode("ascii")


def b64decode(s: str | bytes) -> bytes:
    """Strict unpadded base64: no padding, no whitespace, canonical trailing bits.

    Raises ``ValueError``; callers turn it into the right error category.
    """
    raw = s.encode("ascii") if isinstance(s, str) else bytes(s)
    if len(raw) % 4 == 1 or not _B64_ALPHABET.issuperset(raw):
        raise ValueError("invalid base64")
    try:
        data = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    except binascii.Error:
        raise ValueError("invalid base64") from None
    if binascii.b2a_base64(data, newline=False).rstrip(b"=") != raw:
        raise ValueError("non-canonical base64")
    return data


def _is_vchar_token(token: bytes) -> bool:
    return bool(token) and all(0x21 <= c <= 0x7E for c in token)


@record(frozen=True)
class Stanza:
    """One recipient stanza: a type, string arguments and an opaque body."""

    type: str
    args: tuple[str, ...]
    body: bytes

    def __post_init__(self) -> None:
        for token in (self.type, *self.args):
            if not _is_vchar_token(token.encode("ascii", "replace")) or not token.isascii():
                raise ValueError(f"invalid stanza token {token!r}")

    def __repr__(self) -> str:
        return f"Stanza(type={self.type!r}, args={self.args!r}, body=<{len(self.body)} bytes>)"

    def marshal(self) -> bytes:
        """Serialise as ``-> TYPE ARGS…`` plus the wrapped base64 body."""
        out = [b" ".join([_STANZA_PREFIX, *(t.encode("ascii") for t in (self.type, *self.args))])]
        encoded = b64encode(self.body).encode("ascii")
        out.extend(encoded[i : i + COLUMNS] for i in range(0, len(encoded), COLUMNS))
        if len(encoded) % COLUMNS == 0:
            out.append(b"")  # the body always ends with a short line, here an empty one
        return b"\n".join(out) + b"\n"


@record(frozen=True)
class Header:
    """A parsed header: its stanzas in order and the 32-byte MAC."""

    stanzas: tuple[Stanza, ...]
    mac: bytes

    def marshal_without_mac(self) -> bytes:
        """The bytes the header MAC covers: version line through ``---``."""
        return VERSION_LINE + b"\n" + b"".join(s.marshal() for s in self.stanzas) + _FOOTER_PREFIX

    def marshal(self) -> bytes:
        """The full header including the MAC line and its final LF."""
        return self.marshal_without_mac() + b" " + b64encode(self.mac).encode("ascii") + b"\n"

    @classmethod
    def parse(cls, data: bytes) -> Header:
        """Parse exactly one header occupying all of ``data`` (which ends after the MAC LF)."""
        header, end = parse_prefix(data)
        if end != len(data):
            raise HeaderError("trailing data after the header")
        return header


def find_header_end(buf: bytes | bytearray, start: int = 0) -> int:
    """Offset just past the footer line's LF in ``buf``, or -1 if not yet in ``buf``.

    The footer is the first line starting with ``---``: no other header line can (stanza
    lines start with ``->``, body lines are base64, which has no ``-``).
    """
    if buf[:3] == _FOOTER_PREFIX:
        pos = 0
    else:
        pos = buf.find(b"\n---", max(0, start - 4))
        if pos < 0:
            return -1
        pos += 1
    nl = buf.find(b"\n", pos)
    return -1 if nl < 0 else nl + 1


def parse_prefix(data: bytes) -> tuple[Header, int]:
    """Parse a header at the start of ``data``; return it and the payload offset."""
    end = find_header_end(data)
    if end < 0:
        raise HeaderError("unexpected end of header" if data else "the file is empty")
    lines = data[: end - 1].split(b"\n")
    first = lines[0]
    if first != VERSION_LINE:
        if first.startswith(_VERSION_PREFIX) and first.rstrip(b"\r") == VERSION_LINE:
            raise HeaderError(
                "the header has CRLF line endings", hint="the file was likely mangled on Windows"
            )
        if first.startswith(_VERSION_PREFIX):
            raise HeaderError(
                f"unsupported age format version {first[len(_VERSION_PREFIX) :]!r}",
                hint="the file may have been made by a newer version of age",
            )
        raise HeaderError("not an age file: invalid version line")
    stanzas: list[Stanza] = []
    i = 1
    while True:
        if i >= len(lines):  # pragma: no cover - find_header_end guarantees a footer
            raise HeaderError("unexpected end of header")
        line = lines[i]
        if line.startswith(_FOOTER_PREFIX):
            break
        stanza, i = _parse_stanza(lines, i)
        stanzas.append(stanza)
    if not stanzas:
        raise HeaderError("the header has no recipient stanzas")
    footer = lines[i]
    if i != len(lines) - 1:  # pragma: no cover - the footer is the last line by construction
        raise HeaderError("malformed header footer")
    parts = footer.split(b" ")
    if len(parts) != 2 or parts[0] != _FOOTER_PREFIX:
        raise HeaderError("malformed header MAC line")
    try:
        mac = b64decode(parts[1])
    except ValueError:
        raise HeaderError("malformed header MAC") from None
    if len(mac) != 32:
        raise HeaderError("malformed header MAC: wrong length")
    return Header(tuple(stanzas), mac), end


def _parse_stanza(lines: list[bytes], i: int) -> tuple[Stanza, int]:
    parts = lines[i].split(b" ")
    if parts[0] != _STANZA_PREFIX:
        raise HeaderError("malformed stanza opening line: does not start with '->'")
    if len(parts) < 2:
        raise HeaderError("malformed stanza opening line: no stanza type")
    if not all(_is_vchar_token(p) for p in parts[1:]):
        raise HeaderError("malformed stanza opening line: empty or invalid argument")
    tokens = [p.decode("ascii") for p in parts[1:]]
    i += 1
    body = bytearray()
    while True:
        if i >= len(lines) - 1:  # the last line is the footer
            raise HeaderError("stanza body is missing its final short line")
        line = lines[i]
        if len(line) > COLUMNS:
            raise HeaderError("stanza body line longer than 64 columns")
        if line.startswith((_STANZA_PREFIX, _FOOTER_PREFIX)):
            raise HeaderError(
                "stanza body is missing its final short line",
                hint="the file may have been made by a beta version of age",
            )
        try:
            body += b64decode(line)
        except ValueError:
            raise HeaderError("stanza body is not canonical base64") from None
        i += 1
        if len(line) < COLUMNS:
            break
    return Stanza(tokens[0], tuple(tokens[1:]), bytes(body)), i
