"""go-yaml's decoder as far as comments go, and where sops lists them in its tree.

The decoder (reimplemented from go-yaml v3.0.4's behaviour) builds *shadow* nodes from
the parser's events (:mod:`._yaml_comment_parse`): only their comments and shape. In a
block mapping it moves foot comments: a key's to the key before it, a value's to its
key (when the key has none), the mapping's own to its last key; a comment moved onto a
node that has one already replaces it (go-yaml loses the other, and so does sops).

Then each document's comments go into sekret's tree in sops's order (its YAML store's
``appendYamlNodeToTreeBranch``): per mapping entry the key's head and line comments,
the value's too when it is a scalar or an alias, the entry, the value's foot, the key's
foot; per list item its head and line comments, the item, its foot; a collection
value's own head and line open its branch and its foot closes it; an alias repeats the
comments of the collection it names.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.sops import tree as t
from sekret.stores._yaml_comment_cursor import (
    E_ALIAS,
    E_DOC_END,
    E_DOC_START,
    E_MAP_END,
    E_MAP_START,
    E_SCALAR,
    E_SEQ_END,
    E_SEQ_START,
    E_STREAM_END,
    Event,
    PlacementError,
    RecordLike,
)
from sekret.stores._yaml_comment_parse import Parser
from sekret.stores._yaml_tokens import Logged

DOCUMENT, MAPPING, SEQUENCE, SCALAR_NODE, ALIAS_NODE = range(5)


class Shadow:
    """A node as go-yaml's decoder makes it, reduced to its comments and shape."""

    __slots__ = ("alias", "content", "flow", "foot", "head", "kind", "line", "opaque")

    def __init__(self, kind: int, head: str = "", line: str = "", foot: str = "") -> None:
        self.kind = kind
        self.head = head
        self.line = line
        self.foot = foot
        self.content: list[Shadow] = []
        self.alias: Shadow | None = None
        self.flow = False
        self.opaque = False  # passed over whole: no comment inside


#: every scalar without comments (never changed: replaced before a comment moves in)
_BARE = Shadow(SCALAR_NODE)
_BARE_PAIR = (_BARE, _BARE)


class _Decoder:
    """go-yaml's node decoder over the replayed events."""

    def __init__(self, parser: Parser) -> None:
        self.parser = parser
        self.event: Event | None = None
        self.anchors: dict[str, Shadow] = {}

    def peek(self) -> Event:
        if self.event is None:
            self.event = self.parser.state()
        return self.event

    def node(self, kind: int) -> Shadow:
        ev = self.peek()
        self.event = None
        if kind == SCALAR_NODE and not (ev[1] or ev[2] or ev[3] or ev[4]):
            return _BARE
        n = Shadow(kind, ev[1], ev[2], ev[3])
        n.flow = ev[5]
        if ev[4]:
            if kind == ALIAS_NODE:
                n.alias = self.anchors.get(ev[4])
            else:
                self.anchors[ev[4]] = n
        return n

    def parse(self) -> Shadow | None:
        kind = self.peek()[0]
        if kind == E_SCALAR:
            return self.node(SCALAR_NODE)
        if kind == E_ALIAS:
            return self.node(ALIAS_NODE)
        if kind == E_MAP_START:
            return self.mapping()
        if kind == E_SEQ_START:
            return self.sequence()
        if kind == E_DOC_START:
            return self.document()
        if kind == E_STREAM_END:
            return None
        raise PlacementError("an unexpected event")

    def child(self) -> Shadow:
        node = self.parse()
        if node is None:
            raise PlacementError("the stream ended inside a node")
        return node

    def document(self) -> Shadow:
        doc = self.node(DOCUMENT)
        doc.content.append(self.child())
        ev = self.peek()
        if ev[0] == E_DOC_END:
            doc.foot = ev[3]
            self.event = None
        return doc

    def sequence(self) -> Shadow:
        seq = self.node(SEQUENCE)
        if not seq.flow and self.parser.skip_block():
            seq.opaque = True
            return seq
        while self.peek()[0] != E_SEQ_END:
            seq.content.append(self.child())
        ev = self.peek()
        seq.line, seq.foot = ev[2], ev[3]
        self.event = None
        return seq

    def mapping(self) -> Shadow:
        node = self.node(MAPPING)
        content = node.content
        block = not node.flow
        parser = self.parser
        if block and parser.skip_block():
            node.opaque = True
            return node
        while True:
            if self.event is None and (count := parser.fast_pairs()):
                content.extend(_BARE_PAIR * count)
                continue
            if self.peek()[0] == E_MAP_END:
                break
            key = self.child()
            content.append(key)
            if block and key.foot and len(content) > 2:
                # a foot comment on a key: it ends the entry before (when dedented)
                self.own(content, -3).foot = key.foot
                key.foot = ""
            value = self.child()
            content.append(value)
            if not key.foot and value.foot:
                key = self.own(content, -2)
                key.foot, value.foot = value.foot, ""
        ev = self.peek()
        node.line, node.foot = ev[2], ev[3]
        if block and node.foot and len(content) > 1:
            self.own(content, -2).foot = node.foot
            node.foot = ""
        self.event = None
        return node

    @staticmethod
    def own(content: list[Shadow], i: int) -> Shadow:
        """``content[i]``, made a node of its own if it is the shared bare scalar."""
        if content[i] is _BARE:
            content[i] = Shadow(SCALAR_NODE)
        return content[i]


class _Filler:
    """Puts comments into sekret's trees where sops's tree has them."""

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self.text = text
        self.spans = spans
        self.placed: set[tuple[int, int]] = set()

    def add(self, out: list[object], comment: str) -> None:
        """The lines of a go-yaml comment, as sops makes them (blank lines dropped)."""
        if not comment:
            return
        for line in comment.split("\n"):
            if line:
                span = self.spans[int(line)]
                self.placed.add(span)
                out.append(t.Comment(self.text[span[0] + 1 : span[1]], span))

    def document(self, doc: Shadow, root: t.Mapping) -> None:
        out: list[object] = []
        add = self.add
        add(out, doc.head)
        add(out, doc.line)
        node = doc.content[0]
        if node.kind == ALIAS_NODE:
            add(out, node.head)
            add(out, node.line)
            if node.alias is not None and node.alias.kind == MAPPING:
                out.extend(self.mapping(node.alias, False, root.items))
            add(out, node.foot)
        elif node.kind == MAPPING:
            out.extend(self.mapping(node, False, root.items))
        else:  # an empty document (null): sops keeps its head and line comments only
            add(out, node.head)
            add(out, node.line)
        add(out, doc.foot)
        root.items = out  # type: ignore[assignment]

    def mapping(self, node: Shadow, handled: bool, items: Sequence[object]) -> Sequence[object]:
        content = node.content
        if node.opaque and (handled or not (node.head or node.line)):
            return items
        if node.opaque:
            content = [_BARE] * (2 * len(items))
        if len(content) != 2 * len(items):
            raise PlacementError("a mapping's entries do not match")
        if content.count(_BARE) == len(content) and (
            handled or not (node.head or node.line or node.foot)
        ):
            return items  # no comment in it (nor below: a collection is never bare)
        out: list[object] = []
        add = self.add
        if not handled:
            add(out, node.head)
            add(out, node.line)
        for i, item in enumerate(items):
            key, value = content[2 * i], content[2 * i + 1]
            if key is _BARE and value is _BARE:
                out.append(item)
                continue
            add(out, key.head)
            add(out, key.line)
            scalar = value.kind == SCALAR_NODE or value.kind == ALIAS_NODE
            if scalar:
                add(out, value.head)
                add(out, value.line)
            self.value(value, scalar, item[1])  # type: ignore[index]
            out.append(item)
            if scalar:
                add(out, value.foot)
            add(out, key.foot)
        if not handled:
            add(out, node.foot)
        return out

    def sequence(self, node: Shadow, handled: bool, items: Sequence[object]) -> Sequence[object]:
        content = node.content
        if node.opaque and (handled or not (node.head or node.line)):
            return items
        if node.opaque:
            content = [_BARE] * len(items)
        if len(content) != len(items):
            raise PlacementError("a sequence's items do not match")
        if content.count(_BARE) == len(content) and (
            handled or not (node.head or node.line or node.foot)
        ):
            return items
        out: list[object] = []
        add = self.add
        if not handled:
            add(out, node.head)
            add(out, node.line)
        for value, item in zip(content, items, strict=True):
            if value is _BARE:
                out.append(item)
                continue
            add(out, value.head)
            add(out, value.line)
            self.value(value, True, item)
            out.append(item)
            add(out, value.foot)
        if not handled:
            add(out, node.foot)
        return out

    def value(self, node: Shadow, handled: bool, tree: object) -> None:
        """Fill a value's own branch (sops's ``nodeToTreeValue``)."""
        if node.kind == ALIAS_NODE:
            if node.alias is not None:
                self.value(node.alias, False, tree)
        elif node.kind == MAPPING:
            if not isinstance(tree, t.Mapping):
                raise PlacementError("a mapping where the tree has none")
            tree.items = self.mapping(node, handled, tree.items)  # type: ignore[assignment]
        elif node.kind == SEQUENCE:
            if not isinstance(tree, t.Sequence):
                raise PlacementError("a sequence where the tree has none")
            tree.items = self.sequence(node, handled, tree.items)  # type: ignore[assignment]


def documents(
    text: str,
    toks: Sequence[Logged],
    recs: Sequence[RecordLike],
    ends: dict[int, int] | None = None,
) -> list[Shadow]:
    """go-yaml's documents of the replayed tokens, as shadow nodes (a collection with no
    comment in it may be left opaque when ``ends`` says where blocks end)."""
    parser = Parser(text, toks, recs, ends)
    decoder = _Decoder(parser)
    docs: list[Shadow] = []
    try:
        decoder.peek()  # the stream start
        decoder.event = None
        while (doc := decoder.parse()) is not None:
            docs.append(doc)
    finally:
        parser.close()
    return docs


def place(
    text: str,
    toks: Sequence[Logged],
    recs: Sequence[RecordLike],
    spans: list[tuple[int, int]],
    roots: list[t.Mapping],
    ends: dict[int, int] | None = None,
) -> list[set[tuple[int, int]] | None]:
    """Replay go-yaml over ``toks`` and ``recs`` and fill each root (built without its
    comments) with them; per document the comment spans placed, or None if go-yaml
    drops any comment of the text (:func:`._yaml_comments.attribute`)."""
    docs = documents(text, toks, recs, ends)
    if len(docs) != len(roots):
        raise PlacementError("the documents do not match")
    out: list[set[tuple[int, int]] | None] = []
    filler = _Filler(text, spans)
    for doc, root in zip(docs, roots, strict=True):
        filler.placed = set()
        filler.document(doc, root)
        out.append(filler.placed)
    if sum(len(s) for s in out if s is not None) < len(set(spans)):
        return [None] * len(out)  # a comment go-yaml loses: sops loses it too
    return out
