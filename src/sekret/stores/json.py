"""JSON, byte for byte as sops writes it.

Reading keeps key order and duplicate keys, and turns every number into a float (sops
decodes JSON without ``UseNumber``: ``42`` is a float64, so it is encrypted as
``type:float`` and large integers lose precision). Only an object may be at the top.

Writing follows Go: the document is re-indented like ``json.Indent`` with one TAB per
level, ``"key": value``, empty ``{}``/``[]`` inline, a final newline; strings escaped by
``encoding/json`` (``<>&`` as ``\\u003c``…, U+2028/U+2029, invalid UTF-8 as U+FFFD, ``/``
left alone); floats JavaScript-style (``1e+21``, ``1e-7``, ``-0``). Output is built in
one pass and joined once: sops's own writer is quadratic in the number of values.
"""

from __future__ import annotations

import base64
import io
import json
import re

from sekret._dates import datetime
from sekret._depth import MAX_DEPTH, TooDeepError
from sekret.sops.metadata import MetadataNotFoundError
from sekret.sops.tree import Comment, Leaf, Mapping, Node, Sequence, to_python
from sekret.sops.values import format_time
from sekret.stores._gofmt import json_number, json_quote_fixup
from sekret.stores.base import StoreError

_quote = json.encoder.encode_basestring  # C-accelerated; Go's extra escapes come after
_LEADING_WS = re.compile(r"[ \t\n\r]*")
_KIND = {list: "an array", str: "a string", float: "a number", bool: "a boolean"}


def _sequence(values: list[object]) -> Sequence:
    return Sequence([_sequence(v) if v.__class__ is list else v for v in values])  # type: ignore[misc]


def _mapping(pairs: list[tuple[str, object]]) -> Mapping:
    return Mapping([(k, _sequence(v) if v.__class__ is list else v) for k, v in pairs])  # type: ignore[misc]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _number(text: str) -> float:
    """A JSON number as Go reads it into a float64: out of range is an error there."""
    value = float(text)
    if value in (_INF, -_INF):
        raise ValueError(f"the number {text[:30]} is out of range for a float64")
    return value


_INF = float("inf")
_DECODER = json.JSONDecoder(
    object_pairs_hook=_mapping,
    parse_int=_number,
    parse_float=_number,
    parse_constant=_reject_constant,
)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Go reads invalid UTF-8 in strings as U+FFFD, one per bad byte; keep the bytes
        # as surrogates here and let the writer turn them into \ufffd.
        return data.decode("utf-8", "surrogateescape")


def parse(data: bytes, *, strict_end: bool) -> Mapping:
    """Parse a JSON document whose top level is an object.

    sops reads a plaintext file token by token and ignores anything after the top-level
    object; an encrypted file is read whole, so trailing data is an error there
    (``strict_end``).
    """
    text = _text(data)
    start = _LEADING_WS.match(text)
    pos = start.end() if start else 0
    if pos == len(text):
        raise StoreError("invalid JSON: the file is empty")
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        # exc.msg never quotes the document, so no secret ends up in the message
        raise StoreError(f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise StoreError(f"invalid JSON: {exc}") from None
    if _SUSPECT.search(text):
        value = _go_strings(value)  # as Go reads them: U+FFFD for what is not UTF-8
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise TooDeepError()  # Go's encoding/json: "exceeded max depth"
    if not isinstance(value, Mapping):
        kind = "null" if value is None else _KIND.get(type(value), "a value")
        raise StoreError(
            f"the top level of a JSON file must be an object, not {kind}",
            hint='wrap the data in an object, e.g. {"items": [...]}',
        )
    if strict_end and text[end:].strip(" \t\n\r"):
        line = text.count("\n", 0, end) + 1
        raise StoreError("invalid JSON: extra data after the top-level object", line=line)
    return value


#: a surrogate from invalid UTF-8 (surrogateescape), or a \\uD800-\\uDFFF escape
_SUSPECT = re.compile(r"[\ud800-\udfff]|\\u[dD][89abAB]")


def _go_strings(value: object) -> object:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD, as Go's
    encoding/json decodes invalid UTF-8 and unpaired ``\\uD800`` escapes (sops encrypts
    what Go read; the original bytes are not kept by sops either)."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return Mapping([(_go_strings(k), _go_strings(v)) for k, v in value.items])  # type: ignore[misc]
    if isinstance(value, Sequence):
        return Sequence([_go_strings(v) for v in value.items])  # type: ignore[misc]
    return value


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _depth(value: object) -> int:
    """The nesting depth of a parsed value (iteratively: it may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, Mapping):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for _, v in node.items)  # type: ignore[misc]
        elif isinstance(node, Sequence):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in node.items)
    return deepest


class _Writer:
    """Appends the pieces of one JSON document to ``out``, which is joined, fixed up and
    encoded into ``sink`` every few thousand pieces (a large file's output is never
    held as pieces, text and bytes at once)."""

    _FLUSH = 8192

    def __init__(self, indent: str | None = "\t") -> None:
        self.out: list[str] = []
        self.indent = indent
        self._pads: list[str] = []
        self.sink = io.BytesIO()

    def flush(self) -> None:
        """Move the pieces so far into ``sink``."""
        self.sink.write(json_quote_fixup("".join(self.out)).encode("utf-8"))
        self.out.clear()

    def _pad(self, depth: int) -> str:
        pads = self._pads
        while len(pads) <= depth:
            pads.append("\n" + (self.indent or "") * len(pads))
        return pads[depth]

    def value(self, node: object, depth: int) -> None:
        if isinstance(node, Leaf):
            node = node.value
        out = self.out
        if isinstance(node, str):
            out.append(_quote(node))
        elif isinstance(node, Mapping):
            self.pairs([i for i in node.items if not isinstance(i, Comment)], depth, "{", "}")
        elif isinstance(node, dict):
            self.pairs(list(node.items()), depth, "{", "}")
        elif isinstance(node, Sequence):
            self.items([i for i in node.items if not isinstance(i, Comment)], depth)
        elif isinstance(node, list):
            self.items(node, depth)
        else:
            out.append(scalar(node))

    def pairs(self, pairs: list[tuple[str, object]], depth: int, open_: str, close: str) -> None:
        out = self.out
        if not pairs:
            out.append(open_ + close)
            return
        inner = self._pad(depth + 1)
        out.append(open_)
        first = True
        for key, value in pairs:
            out.append(inner if first else "," + inner)
            first = False
            out.append(_quote(key))
            out.append(": ")
            self.value(value, depth + 1)
            if len(out) > self._FLUSH:
                self.flush()
        out.append(self._pad(depth) + close)

    def items(self, values: list[object], depth: int) -> None:
        out = self.out
        if not values:
            out.append("[]")
            return
        inner = self._pad(depth + 1)
        out.append("[")
        first = True
        for value in values:
            out.append(inner if first else "," + inner)
            first = False
            self.value(value, depth + 1)
            if len(out) > self._FLUSH:
                self.flush()
        out.append(self._pad(depth) + "]")

    def getvalue(self) -> bytes:
        self.flush()
        return self.sink.getvalue()


def scalar(value: object) -> str:
    """One scalar as Go's ``json.Marshal`` writes it (not a str: see :func:`_quote`)."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        try:
            return json_number(value)
        except ValueError:
            raise StoreError("cannot write NaN or an infinity in JSON", exit_code=4) from None
    if isinstance(value, datetime):
        return _quote(format_time(value))
    if isinstance(value, bytes):
        return _quote(base64.b64encode(value).decode())  # Go marshals []byte as base64
    raise StoreError(f"cannot write a {type(value).__name__} value in JSON", exit_code=4)


def dumps(
    node: Node | Leaf | dict[str, object] | list[object],
    *,
    newline: bool = True,
    indent: int | None = None,
) -> bytes:
    """``node`` as sops's JSON writer outputs it (TAB-indented, Go escapes); ``indent``
    is sops's ``--indent`` (N spaces; -1 or None: a TAB)."""
    writer = _Writer(indent_text(indent))
    writer.value(node, 0)
    if newline:
        writer.out.append("\n")
    return writer.getvalue()


def _compact(node: object) -> str:
    if isinstance(node, Leaf):
        node = node.value
    if isinstance(node, str):
        return _quote(node)
    if isinstance(node, Comment):
        return '{"Value":' + _quote(node.text) + "}"
    if isinstance(node, Mapping):
        # Go marshals a sops tree branch as the list of its items' structs
        parts = [
            '{"Key":' + _compact(i) + ',"Value":null}'
            if isinstance(i, Comment)
            else '{"Key":' + _quote(i[0]) + ',"Value":' + _compact(i[1]) + "}"
            for i in node.items
        ]
        return "[" + ",".join(parts) + "]"
    if isinstance(node, Sequence):
        return "[" + ",".join(_compact(i) for i in node.items) + "]"
    return scalar(node)


def go_marshal(node: Node | Leaf) -> bytes:
    """Go's compact ``json.Marshal`` of a sops value (what the INI store's --extract prints)."""
    return json_quote_fixup(_compact(node)).encode("utf-8")


def _first(docs: list[Mapping]) -> Mapping:
    # JSON holds one document; sops writes the first of a multi-document YAML tree
    return docs[0] if docs else Mapping()


def split_metadata(doc: Mapping) -> tuple[Mapping, dict[str, object]]:
    """Remove every top-level ``sops`` item; return the data and the metadata dict."""
    raw: object = None
    items: list[tuple[str, Node | Leaf] | Comment] = []
    found = False
    for item in doc.items:
        if not isinstance(item, Comment) and item[0] == "sops":
            found = True
            raw = item[1].value if isinstance(item[1], Leaf) else item[1]
        else:
            items.append(item)
    if not found or raw is None:
        raise MetadataNotFoundError()
    if not isinstance(raw, Mapping):
        raise StoreError("malformed sops metadata: 'sops' is not an object")
    meta = to_python(raw)
    assert isinstance(meta, dict)
    return Mapping(items), meta


def indent_text(indent: int | None) -> str:
    """What one level of indentation is for sops's JSON ``indent`` setting."""
    if indent is None or indent == -1:
        return "\t"
    if indent < -1:
        raise StoreError("JSON indentation parameter smaller than -1 is not accepted", exit_code=4)
    return " " * indent


class JSONStore:
    """The ``json`` format."""

    name = "json"
    #: sops's ``--indent`` / ``stores.json.indent``: N spaces per level (None: a TAB)
    indent: int | None = None

    def __init__(self) -> None:
        self._parsed: tuple[bytes, Mapping] | None = None

    def _parse_plain(self, data: bytes) -> Mapping:
        if self._parsed is not None and self._parsed[0] is data:
            doc = self._parsed[1]
            self._parsed = None
            return doc
        return parse(data, strict_end=False)

    def load_plain(self, data: bytes) -> list[Mapping]:
        """Parse a plaintext JSON file (one document)."""
        return [self._parse_plain(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], dict[str, object]]:
        """Parse an encrypted JSON file: the data without ``sops``, and the metadata."""
        doc, meta = split_metadata(parse(data, strict_end=True))
        return [doc], meta

    def emit_plain(self, docs: list[Mapping]) -> bytes:
        """The first document as TAB-indented JSON with a final newline."""
        return dumps(_first(docs), indent=self.indent)

    def emit_encrypted(self, docs: list[Mapping], metadata: dict[str, object]) -> bytes:
        """The first document with ``"sops"`` appended as its last key."""
        doc = _first(docs)
        return dumps(Mapping([*doc.items, ("sops", metadata)]), indent=self.indent)  # type: ignore[list-item]

    def emit_value(self, value: Node | Leaf) -> bytes:
        """``--extract``: an object as a document, a string raw, others as JSON (no newline)."""
        if isinstance(value, Leaf):
            value = value.value
        if isinstance(value, Mapping):
            return self.emit_plain([value])
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        return dumps(value, newline=False, indent=self.indent)

    def forget_source(self) -> bool:
        """Nothing to forget: this store always writes documents whole."""
        return False

    def has_metadata(self, data: bytes) -> bool:
        """Whether the top-level object has a ``sops`` key (unparsable: False)."""
        try:
            doc = parse(data, strict_end=False)
        except StoreError:
            return False
        self._parsed = (data, doc)
        return "sops" in doc.keys()


STORE_CLASS = JSONStore
