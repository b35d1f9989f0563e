"""An INI reader that accepts what go-ini accepts, the way sops configures it.

sops loads INI with go-ini's defaults plus non-unique sections, so: ``=`` or ``:``
separates key and value; keys and values are trimmed; ``;`` and ``#`` start a comment
line, and also an inline comment anywhere in an unquoted value; a value wrapped in
``"…"`` or ``'…'`` loses the quotes; backticks and ``\"\"\"`` quote values that may hold
``;``/``#`` or span lines; an unquoted value ending in ``\\`` continues on the next line;
a key ``-`` is numbered (``#1``, ``#2``…). Comments are not kept verbatim: the comment
lines before a section header become its comment, those before a key (plus its inline
comment) the key's.

Written from go-ini's documented behaviour and observed output, not from its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sekret.stores._gofmt import GO_SPACE
from sekret.stores.base import StoreError

DEFAULT = "DEFAULT"
_DELIMITERS = "=:"


@dataclass
class Key:
    """One key of a section."""

    name: str
    value: str
    comment: str = ""


@dataclass
class Section:
    """One section; ``keys`` keeps first-seen order, a repeated key updates in place."""

    name: str
    comment: str = ""
    keys: dict[str, Key] = field(default_factory=dict)

    def set(self, name: str, value: str) -> Key:
        """Add ``name`` or, if present, replace its value (position kept)."""
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = Key(name, value)
        else:
            key.value = value
        return key


def _index_any(text: str, chars: str) -> int:
    found = [i for i in (text.find(c) for c in chars) if i >= 0]
    return min(found) if found else -1


def _surrounded(text: str, quote: str) -> bool:
    return (
        len(text) >= 2
        and text[0] == quote
        and text[-1] == quote
        and text.find(quote, 1) == len(text) - 1
    )


class _Reader:
    def __init__(self, data: bytes) -> None:
        if data[:3] == b"\xef\xbb\xbf":
            data = data[3:]
        elif data[:2] in (b"\xfe\xff", b"\xff\xfe"):
            data = data[2:]  # go-ini drops a UTF-16 BOM (and reads the rest as bytes)
        parts = data.decode("utf-8", "surrogateescape").split("\n")
        # every line keeps its "\n" except the last piece (go-ini reads up to "\n")
        self.lines = [p + "\n" for p in parts[:-1]]
        if parts[-1]:
            self.lines.append(parts[-1])
        self.pos = 0
        self.comment: list[str] = []

    def next_line(self) -> str | None:
        if self.pos >= len(self.lines):
            return None
        self.pos += 1
        return self.lines[self.pos - 1]

    def fail(self, message: str) -> StoreError:
        # only the line number: the line itself may hold a secret
        return StoreError(f"could not parse INI: {message}", line=self.pos)

    def key_name(self, line: str) -> tuple[str, int]:
        quote = ""
        if line[0] == '"':
            quote = '"""' if len(line) > 6 and line.startswith('"""') else '"'
        elif line[0] == "`":
            quote = "`"
        if quote:
            start = len(quote)
            close = line.find(quote, start)
            if close < 0:
                raise self.fail("missing closing key quote")
            rest = _index_any(line[close + start :], _DELIMITERS)
            if rest < 0:
                raise self.fail("key-value delimiter not found")
            return line[start:close].strip(GO_SPACE), close + rest + start + 1
        end = _index_any(line, _DELIMITERS)
        if end < 0:
            raise self.fail("key-value delimiter ('=' or ':') not found")
        if end == 0:
            raise self.fail("empty key name")
        return line[:end].strip(GO_SPACE), end + 1

    def multiline(self, value: str, quote: str) -> str:
        while True:
            nxt = self.next_line()
            if nxt is None:
                raise self.fail(f"missing closing {quote} quote")
            pos = nxt.rfind(quote)
            if pos >= 0:
                value += nxt[:pos]
                hash_at = _index_any(nxt[pos:], "#;")
                if hash_at >= 0:
                    self.comment.append(nxt[pos + hash_at :].strip(GO_SPACE))
                return value
            value += nxt

    def continuation(self, value: str) -> str:
        while True:
            nxt = self.next_line()
            if nxt is None:
                return value
            nxt = nxt.strip(GO_SPACE)
            if not nxt:
                return value
            value += nxt
            if value[-1] != "\\":
                return value
            value = value[:-1]

    def value(self, raw: str) -> str:
        line = raw.lstrip(GO_SPACE)
        if not line:
            return ""
        quote = ""
        if len(line) > 3 and line.startswith('"""'):
            quote = '"""'
        elif line[0] == "`":
            quote = "`"
        if quote:
            start = len(quote)
            pos = line.rfind(quote, start)
            if pos < 0:
                return self.multiline(line[start:], quote)
            return line[start:pos]
        line = line.strip(GO_SPACE)
        if line.endswith("\\"):
            return self.continuation(line[:-1])
        hash_at = _index_any(line, "#;")
        if hash_at >= 0:
            self.comment.append(line[hash_at:])
            line = line[:hash_at].strip(GO_SPACE)
        if _surrounded(line, "'") or _surrounded(line, '"'):
            line = line[1:-1]
        return line

    def take_comment(self) -> str:
        text = "".join(self.comment).strip(GO_SPACE)
        self.comment = []
        return text


def parse(data: bytes) -> list[Section]:
    """The sections of an INI file, ``DEFAULT`` first (always present)."""
    reader = _Reader(data)
    section = Section(DEFAULT)
    sections = [section]
    counter = 1
    while (raw := reader.next_line()) is not None:
        line = raw.lstrip(GO_SPACE)
        if not line:
            continue
        if line[0] in "#;":
            reader.comment.append(line)
            continue
        if line[0] == "[":
            close = line.rfind("]")
            if close < 0:
                raise reader.fail("unclosed section header")
            name = line[1:close]
            if not name:
                raise reader.fail("empty section name")
            hash_at = _index_any(line[close + 1 :], "#;")
            if hash_at >= 0:
                reader.comment.append(line[close + 1 + hash_at :])
            section = Section(name, reader.take_comment())
            sections.append(section)
            counter = 1
            continue
        name, offset = reader.key_name(line)
        if name == "-":
            name = f"#{counter}"
            counter += 1
        value = reader.value(line[offset:])
        section.set(name, value).comment = reader.take_comment()
    return sections
