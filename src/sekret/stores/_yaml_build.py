"""Nodes → the store's tree, with where every scalar and comment is in the text.

The tree is built without comments; then :mod:`._yaml_comments` puts each comment
where go-yaml and sops put it (the mapping or list it belongs to, and before which
entry). A loaded document remembers the spans it saw, so that emitting can replace
scalars in place.
"""

from __future__ import annotations

import bisect
import collections
from collections.abc import Iterable, Sequence
from typing import NoReturn

from sekret._depth import MAX_DEPTH, TooDeepError
from sekret.sops import tree as t
from sekret.stores._yaml_comment_cursor import PlacementError
from sekret.stores._yaml_comments import attribute
from sekret.stores._yaml_nodes import MAPPING, SCALAR, SEQUENCE, STR, Node
from sekret.stores._yaml_tokens import Logged, from_libyaml
from sekret.stores._yaml_values import TYPED_START, resolve_plain, resolve_tagged
from sekret.stores.base import StoreError


class Doc:
    """One document as loaded: its root and where things are in the text."""

    __slots__ = (
        "comments",
        "end",
        "flow",
        "flow_spans",
        "in_place",
        "root",
        "shape",
        "sops_span",
        "spans",
        "start",
    )

    def __init__(self, root: t.Mapping, start: int, end: int, flow: bool) -> None:
        self.root = root
        self.start = start  # text offset of the root node (or of a comment before it)
        self.end = end  # text offset just past the root node
        self.flow = flow  # the root is a flow mapping ({…}): cannot append a block to it
        #: every scalar's span, in text order (a list: a set of 20,000 would cost 2 MiB)
        self.spans: list[tuple[int, int]] = []
        self.comments: set[tuple[int, int]] = set()
        self.sops_span: tuple[int, int] | None = None  # the "sops:" entry, removed on emit
        self.flow_spans: set[tuple[int, int]] = set()  # scalars inside [..] or {..}
        self.in_place = True
        #: every collection in document order: where it starts, and its shape code
        #: (:func:`shape_code`); the spans of scalars do not tell that an empty
        #: ``{}`` or ``[]`` was added, removed or became the other
        self.shape: list[tuple[int, int]] = []


def scalar_value(node: Node, text: str) -> t.Scalar:
    """The typed value of a scalar node, as go-yaml types it."""
    if node.style:
        tag = node.tag or STR
        if tag != STR and not tag.startswith("tag:yaml.org,2002:str"):
            return resolve_tagged(tag, node.value)  # type: ignore[arg-type]
        return str(node.value)
    if node.tag is not None and text[node.start : node.start + 1] == "!":
        return resolve_tagged(node.tag, node.value)  # type: ignore[arg-type]  # explicit
    return resolve_plain(node.value)  # type: ignore[arg-type]


class _Builder:
    def __init__(
        self, text: str, comments: collections.deque[tuple[int, int]], libyaml: bool
    ) -> None:
        self.text = text
        #: libyaml's nodes may appear twice (aliases) and its comment candidates may lie
        #: inside any scalar; the scanner's only inside a block scalar's header line
        self.libyaml = libyaml
        self.comments = comments  # shared with a lazy scanner, which appends to it
        self.seen: set[int] = set()
        self.aliased = False
        self.decodes = 0  # nodes built, and those built again through an alias
        self.alias_decodes = 0
        self.alias_depth = 0
        self.depth = 0  # collections open around the node being built
        self.doc = Doc(t.Mapping(), 0, 0, False)
        self.root: Node | None = None  # the document's root node
        self._line_starts: list[int] | None = None

    def line(self, pos: int) -> int:
        """1-based line number of a text offset (for messages)."""
        if self._line_starts is None:
            starts = [0]
            nl = self.text.find("\n")
            while nl >= 0:
                starts.append(nl + 1)
                nl = self.text.find("\n", nl + 1)
            self._line_starts = starts
        return bisect.bisect_right(self._line_starts, pos)

    def build(self, node: Node) -> t.Node | t.Leaf:
        if self.libyaml:
            self.count_decode()
            if id(node) in self.seen:
                self.aliased = True
                self.alias_depth += 1  # an alias: this node is being expanded again
                try:
                    return self._build(node)
                finally:
                    self.alias_depth -= 1
            self.seen.add(id(node))
        return self._build(node)

    def count_decode(self) -> None:
        """go-yaml's guard against alias bombs, with its numbers: past 100 expanded
        nodes and 1,000 in all, expansions may be at most 99% of what is decoded (down
        to 10% for documents of 4 million nodes); sops refuses such files too."""
        self.decodes += 1
        if self.alias_depth > 0:
            self.alias_decodes += 1
            if (
                self.alias_decodes > 100
                and self.decodes > 1000
                and self.alias_decodes / self.decodes > _allowed_alias_ratio(self.decodes)
            ):
                raise StoreError(
                    "the YAML document contains excessive aliasing",
                    hint="anchors and aliases expand to too many nodes (an alias bomb?)",
                )

    def _build(self, node: Node) -> t.Node | t.Leaf:
        if node.kind == SCALAR:
            span = (node.start, node.end)
            self.doc.spans.append(span)
            return t.Leaf(scalar_value(node, self.text), span)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooDeepError()  # go-yaml: "exceeded max depth of 10000"
        try:
            return self._collection(node)
        finally:
            self.depth -= 1

    def _collection(self, node: Node) -> t.Mapping | t.Sequence:
        shape = self.doc.shape
        at = len(shape)
        shape.append((node.start, 0))
        out = self._collection_items(node)
        shape[at] = (node.start, shape_code(out))
        return out

    def _collection_items(self, node: Node) -> t.Mapping | t.Sequence:
        if node.flow:
            # (flow collections come from libyaml, or are empty: two-node pairs only)
            kids = (
                node.children()
                if node.kind == SEQUENCE
                else [v for p in node.pairs() if len(p) == 2 for v in p]
            )
            for child in kids:
                if child.kind == SCALAR:
                    self.doc.flow_spans.add((child.start, child.end))
        if node.kind == SEQUENCE:
            items: list[t.Node | t.Leaf | t.Comment] = []
            for child in node.children():
                if self.libyaml and not node.flow:
                    self.check_flow_lines(child, self.column(node.start))
                items.append(self.build(child))
            return t.Sequence(items)
        assert node.kind == MAPPING
        out: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
        keys: dict[object, int] = {}
        text = self.text
        spans_add = self.doc.spans.append
        out_append = out.append
        typed, leaf = TYPED_START, t.Leaf  # (a plain scalar starting otherwise is a string)
        at_root = node is self.root
        for pair in node.pairs():
            if len(pair) == 4:  # the scanner's usual "key: value" line, both plain
                kstr, ks, vstr, vs = pair
                key = kstr if kstr[0] not in typed else resolve_plain(kstr)
                hashable = key if type(key) is str or key == key else repr(key)  # NaN: by repr
                if hashable in keys:
                    self.duplicate_key(key, keys[hashable], ks)
                keys[hashable] = ks
                end = vs + len(vstr)
                span = (vs, end)
                spans_add(span)
                if key == "sops" and at_root:
                    self.doc.sops_span = (text.rfind("\n", 0, ks) + 1, end)
                scalar = vstr if vstr[0] not in typed else resolve_plain(vstr)
                out_append((key, leaf(scalar, span)))  # type: ignore[arg-type]
                continue
            knode, vnode = pair
            if knode.kind != SCALAR:
                kind = "mapping" if knode.kind == MAPPING else "list"
                raise StoreError(
                    f"a {kind} cannot be a key in a SOPS file",
                    line=self.line(knode.start),
                    hint="keys must be strings (sops refuses such a tree too)",
                    exit_code=23,
                )
            elif knode.tag is None and not knode.style:
                key = resolve_plain(knode.value)  # type: ignore[arg-type]
            else:
                key = scalar_value(knode, text)
            hashable = key if not isinstance(key, float) or key == key else repr(key)
            if hashable in keys:
                self.duplicate_key(key, keys[hashable], knode.start)
            keys[hashable] = knode.start
            if vnode.kind == SCALAR and vnode.tag is None and not vnode.style:
                span = (vnode.start, vnode.end)  # the usual plain value, inline
                spans_add(span)
                if self.libyaml:
                    self.count_decode()
                    self.seen.add(id(vnode))
                value: t.Node | t.Leaf = t.Leaf(resolve_plain(vnode.value), span)  # type: ignore[arg-type]
            else:
                if self.libyaml and not node.flow:
                    self.check_flow_lines(vnode, self.column(knode.start))
                value = self.build(vnode)
            if key == "sops" and node is self.root:  # the metadata entry, removed on emit
                self.doc.sops_span = (text.rfind("\n", 0, knode.start) + 1, vnode.end)
            out.append((key, value))  # type: ignore[arg-type]
        return t.Mapping(out)

    def column(self, pos: int) -> int:
        """0-based column of a text offset."""
        return pos - (self.text.rfind("\n", 0, pos) + 1)

    def check_flow_lines(self, node: Node, parent: int) -> None:
        """YAML rules libyaml lets pass (and so go-yaml, and sops), checked for a value
        in block context whose parent sits at column ``parent``: a quoted scalar or flow
        collection that goes on over lines must indent those lines past the parent;
        a comment needs a space before its ``#``; a block scalar's leading blank lines
        may not be longer than its first content line's indentation. The YAML test
        suite (9C9N, QB6E, DK95/01, SU5Z, X4QW, S98Z) calls such files invalid."""
        text = self.text
        quoted = node.kind == SCALAR and node.style in ("'", '"')
        if quoted and text.startswith("#", node.end):
            self.invalid("a comment needs a space before '#'", node.end)
        if node.kind == SCALAR and node.style in ("|", ">"):
            self.check_block_header(node, parent)
            return
        if not (quoted or node.flow):
            return
        pos = text.find("\n", node.start, node.end)
        while pos >= 0:
            start = pos + 1
            pos = text.find("\n", start, node.end)
            line = text[start : node.end if pos < 0 else pos]
            spaces = len(line) - len(line.lstrip(" "))
            content = line.strip(" \t")
            # (a line that only closes the collection may sit at the key's column: go-yaml
            # reads it, and sops writes `k: {` … `}` so around a comment)
            if content and spaces <= parent and content.strip("]}") != "":
                self.invalid("a continuation line must be indented past its key", start)

    def check_block_header(self, node: Node, parent: int) -> None:
        text = self.text
        nl = text.find("\n", node.start)
        header = text[node.start : len(text) if nl < 0 else nl]
        indicators = header[1:].lstrip("+-0123456789")
        if indicators.startswith("#"):
            self.invalid("a comment needs a space before '#'", node.start)
        if nl < 0 or any(c.isdigit() for c in header[1 : len(header) - len(indicators)]):
            return
        longest, pos = 0, nl + 1
        while pos < len(text):
            end = text.find("\n", pos)
            line = text[pos : len(text) if end < 0 else end]
            if line.strip(" "):
                indent = len(line) - len(line.lstrip(" "))
                if indent > parent and longest > indent:
                    self.invalid("a leading blank line of a block scalar is too long", pos)
                return
            longest = max(longest, len(line))
            if end < 0:
                return
            pos = end + 1

    def invalid(self, problem: str, pos: int) -> NoReturn:
        """An invalid YAML file, with the line of ``pos``."""
        raise StoreError(f"invalid YAML: {problem}", line=self.line(pos))

    def duplicate_key(self, key: object, first: int, again: int) -> NoReturn:
        """A mapping key seen twice (go-yaml refuses the file, and so does sops)."""
        shown = "null" if key is None else str(key)
        raise StoreError(
            f"mapping key {shown!r} already defined at line {self.line(first)}",
            line=self.line(again),
        )


def build(
    text: str,
    nodes: Iterable[Node],
    comments: collections.deque[tuple[int, int]],
    *,
    libyaml: bool,
    tokens: Sequence[Logged] | None = None,
) -> list[Doc]:
    """The documents of ``text``, whose parser gives ``nodes`` and ``comments``.

    ``libyaml``: the nodes come from libyaml (a node may appear twice) rather than from
    the lazy scanner, which appends to ``comments`` as it reads. ``comments`` only tells
    whether the text may hold any: if so, they are placed from ``tokens`` (the lazy
    scanner's log) or, without, from libyaml's tokens of the text.
    """
    builder = _Builder(text, comments, libyaml)
    docs: list[Doc] = []
    for node in nodes:
        if node.kind == SCALAR and not node.style and scalar_value(node, text) is None:
            # an empty document (``---`` alone, or ``null``): an empty mapping, as sops
            # reads it; written whole, never edited in place
            doc = Doc(t.Mapping(), node.start, node.end, False)
            doc.in_place = False
            docs.append(doc)
            continue
        if node.kind != MAPPING:
            raise StoreError(
                "the top level of a SOPS YAML document must be a mapping",
                line=builder.line(node.start),
            )
        doc = Doc(t.Mapping(), node.start, node.end, node.flow)
        builder.doc = doc
        builder.root = node
        builder.aliased = False
        root = builder.build(node)
        assert isinstance(root, t.Mapping)
        doc.end = node.end  # known once a lazy node has been read
        if libyaml:  # an alias repeats a node's span: keep each once, in order
            doc.spans = sorted(set(doc.spans))
        doc.root = root
        doc.in_place = not builder.aliased and not node.flow
        docs.append(doc)
    if not docs and not builder.comments:
        raise StoreError("the YAML file has no document")
    if not docs:
        raise StoreError(
            "the YAML file holds only comments, no document",
            hint="a SOPS file needs at least one mapping",
        )
    if builder.comments:
        _place_comments(text, docs, tokens)
    return docs


def _place_comments(text: str, docs: list[Doc], tokens: Sequence[Logged] | None) -> None:
    """Put the comments of ``text`` into the documents' trees (see :mod:`._yaml_comments`)."""
    try:
        source = tokens if tokens is not None else from_libyaml(text)
        placed = attribute(text, source, [d.root for d in docs])
    except PlacementError:
        raise StoreError(
            "cannot tell where the comments of this YAML file belong",
            hint="an internal error of sekret: please report it with the file's layout",
        ) from None
    boundary = 0  # where the previous document's region ends
    for doc, spans in zip(docs, placed, strict=True):
        if spans is None:
            doc.in_place = False  # go-yaml loses a comment: so must the file written
            continue
        doc.comments = spans
        if spans:
            first = min(s for s, _ in spans)
            if first < boundary:
                doc.in_place = False  # its comment sits in the previous region
            doc.start = min(doc.start, first)
        boundary = doc_end(text, doc.end)


def _allowed_alias_ratio(decodes: int) -> float:
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


def shape_code(node: t.Mapping | t.Sequence) -> int:
    """A collection's kind and whether it holds nothing but comments, as a number."""
    kind = 0 if isinstance(node, t.Mapping) else 1
    return kind + (0 if any(not isinstance(i, t.Comment) for i in node.items) else 2)


def doc_end(text: str, root_end: int) -> int:
    """Where the document whose root ends at ``root_end`` ends (before a ``---``)."""
    nxt = text.find("\n---", root_end - 1)
    return len(text) if nxt < 0 else nxt + 1
