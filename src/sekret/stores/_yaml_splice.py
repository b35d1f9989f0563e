"""Structural edits of a YAML document in place: what ``set`` of a new key and ``unset``
change, and nothing else (issue 14).

The tree to write is compared with the document as loaded (its nodes, read again, and
its tree, whose scalars and comments carry their spans). Only these differences are
made in the text, each in block context:

- new entries at the end of a mapping (sops's ``set`` appends there), written after
  the last line of the mapping's last item (an entry with its nested lines, or a
  comment go-yaml gives to the mapping), before what belongs to the parent;
- a new item at the end of a sequence;
- a value replaced by one of another shape (a scalar by a mapping, a mapping by a
  scalar, anything by a value with nothing of the old one in it);
- an entry or item removed: its lines, from its key's or dash's line to its value's
  last; comments in those lines that stay in the tree (sops keeps a removed key's
  head and line comments) stay as lines of their own at its column.

Anything else — flow collections, compact nested keys or dashes, a comment that
would have to move, a mapping or list left empty, keys reordered — is not guessed at:
:func:`splice` says None and the document is written whole. What it does make is read
back by the caller and checked to be the intended tree, comments in place
(:func:`._yaml_splice_render.respan`), before the file's own checks run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sekret.sops import tree as t
from sekret.stores._yaml_nodes import MAPPING, Node, materialize
from sekret.stores._yaml_splice_render import Layout, Renderer, Unsure, column
from sekret.stores._yaml_splice_text import TextPositions, walk

Edit = tuple[int, int, str]


def splice(text: str, index: int, new: t.Mapping, parse: Callable[[str], Any]) -> str | None:
    """Document ``index`` of ``text`` (from its start to its end, as ``parse`` —
    the YAML store's — reads it) changed to the shape of ``new``, or None."""
    from sekret.stores._yaml_build import doc_end

    try:
        docs = parse(text)
        root = _nodes(text)[index]
    except Exception:  # (the text was read before: this is not expected to happen)
        return None
    doc = docs[index]
    if not doc.in_place or root.kind != MAPPING or root.flow:
        return None
    kept = {c.span for c in _comments(new) if c.span is not None}
    splicer = _Splicer(text, doc.comments, kept)
    try:
        splicer.mapping(root, doc.root, new, Layout.of(text, root), flow=False, root=True)
    except Unsure:
        return None
    if not splicer.edits:
        return None
    start, end = doc.start, doc_end(text, doc.end)
    out, pos = [], start
    for s, e, repl in sorted(splicer.edits):
        if s < pos or e > end:
            return None  # overlapping edits: not expected, never guessed at
        out += [text[pos:s], repl]
        pos = e
    out.append(text[pos:end])
    return "".join(out)


def _nodes(text: str) -> list[Node]:
    """Every document's root node, read whole."""
    from sekret.stores import _yaml_scan

    try:
        roots, _ = _yaml_scan.scan(text)
        return [materialize(n) for n in roots]
    except _yaml_scan.Unsupported:
        from sekret.stores import _yaml_libyaml

        return _yaml_libyaml.compose(text)


def _comments(node: t.Node | t.Leaf) -> Iterator[t.Comment]:
    return (c for c in walk(node) if isinstance(c, t.Comment) and c.span is not None)


def _spanned(node: t.Node | t.Leaf) -> bool:
    """Whether anything under ``node`` comes from the text (a new value has nothing)."""
    return any(n.span is not None for n in walk(node))


def _entries(node: t.Node | t.Leaf) -> bool:
    inner = t.unwrap(node)
    assert isinstance(inner, (t.Mapping, t.Sequence))
    return any(not isinstance(i, t.Comment) for i in inner.items)


class _Splicer(TextPositions):
    def __init__(
        self, text: str, comments: set[tuple[int, int]], kept: set[tuple[int, int]]
    ) -> None:
        self.text = text
        self.comments = sorted(comments)  # every comment of the old document
        self.kept = kept  # the spans of the comments the new tree keeps
        self.edits: list[Edit] = []

    # --- walking the old nodes and trees with the new tree ---------------------------

    def mapping(
        self,
        node: Node,
        old: t.Mapping,
        new: t.Mapping,
        layout: Layout,
        *,
        flow: bool,
        root: bool = False,
    ) -> None:
        """Changes to mapping ``node`` (``old`` in the tree) for it to be ``new``."""
        flow = flow or node.flow
        pairs = [_pair(p) for p in node.pairs()]
        entries = [i for i in old.items if not isinstance(i, t.Comment)]
        if len(pairs) != len(entries):
            raise Unsure
        olds = [
            (e[0], e[1], p)
            for e, p in zip(entries, pairs, strict=True)
            if not (root and e[0] == "sops")
        ]
        okeys = [k for k, _, _ in olds]
        news = [i for i in new.items if not isinstance(i, t.Comment)]
        nkeys = [k for k, _ in news]
        n = len(okeys)
        if nkeys == okeys:
            kept = olds
        elif flow:
            raise Unsure
        elif len(nkeys) > n > 0 and nkeys[:n] == okeys:
            added = news[n:]
            tail = new.items[len(new.items) - len(added) :]
            if any(isinstance(i, t.Comment) for i in tail) or any(_spanned(v) for _, v in added):
                raise Unsure
            kept = olds
            self.insert_entries(olds, old, added, layout)
        elif len(nkeys) == n - 1 and n >= 2:
            gone = next((i for i in range(n) if okeys[:i] + okeys[i + 1 :] == nkeys), None)
            if gone is None:
                raise Unsure
            kept = olds[:gone] + olds[gone + 1 :]
            self.remove(olds[gone][2][0], olds[gone][2][1], olds[gone][1], dash=False)
        else:
            raise Unsure
        for (_, ov, pair), (_, nv) in zip(kept, news, strict=False):
            key, value = pair
            self.value(key, value, ov, nv, layout, flow=flow)

    def sequence(
        self, node: Node, old: t.Sequence, new: t.Sequence, layout: Layout, *, flow: bool
    ) -> None:
        """Changes to list ``node`` (``old`` in the tree) for it to be ``new``."""
        flow = flow or node.flow
        kids = list(node.children())
        olds = [i for i in old.items if not isinstance(i, t.Comment)]
        news = [i for i in new.items if not isinstance(i, t.Comment)]
        if len(kids) != len(olds):
            raise Unsure
        pairs = list(zip(kids, olds, strict=True))
        if len(news) == len(olds):
            kept = pairs
        elif flow:
            raise Unsure
        elif len(news) == len(olds) + 1 and olds:
            if isinstance(new.items[-1], t.Comment) or _spanned(news[-1]):
                raise Unsure
            kept = pairs
            self.insert_items(kids, old, news[-1], layout)
        elif len(news) == len(olds) - 1 and len(olds) >= 2:
            sig = [_signature(v) for v in olds]
            nsig = [_signature(v) for v in news]
            gone = next((i for i in range(len(olds)) if sig[:i] + sig[i + 1 :] == nsig), None)
            if gone is None:
                raise Unsure
            kept = pairs[:gone] + pairs[gone + 1 :]
            self.remove(None, kids[gone], olds[gone], dash=True)
        else:
            raise Unsure
        for (kid, ov), nv in zip(kept, news, strict=False):
            self.value(None, kid, ov, nv, layout, flow=flow)

    def value(
        self,
        key: Node | None,
        node: Node,
        ov: t.Node | t.Leaf,
        nv: t.Node | t.Leaf,
        layout: Layout,
        *,
        flow: bool,
    ) -> None:
        """Changes to the value ``node`` of ``key`` (None: a list item)."""
        o, n = t.unwrap(ov), t.unwrap(nv)
        o_coll = isinstance(o, (t.Mapping, t.Sequence))
        n_coll = isinstance(n, (t.Mapping, t.Sequence))
        if not o_coll and not n_coll:
            return  # a scalar for a scalar: the store's in-place edit replaces it
        if o_coll and type(o) is type(n):
            if not _spanned(o) and not _spanned(n) and _same_shape(o, n):
                return  # only empty collections in both, the same: as it is
            if _entries(o) and _spanned(n):
                inner = self.nested(key, node, layout)
                if isinstance(o, t.Mapping):
                    self.mapping(node, o, n, inner, flow=flow)  # type: ignore[arg-type]
                else:
                    self.sequence(node, o, n, inner, flow=flow)  # type: ignore[arg-type]
                return
            if not _entries(o) and not _entries(n):
                return
        if flow or (o_coll and not _entries(o) and o.items):  # type: ignore[union-attr]
            raise Unsure  # (an empty collection holding comments: unclear)
        self.replace(key, node, ov, nv, layout)

    # --- the edits ---------------------------------------------------------------------

    def nested(self, key: Node | None, node: Node, layout: Layout) -> Layout:
        """The layout under ``key`` as its value ``node`` shows it (its own step, or its
        own dash style), else the enclosing one."""
        if key is None or node.flow:
            return layout
        gap = column(self.text, node.start) - column(self.text, key.start)
        if node.kind == MAPPING and gap > 0:
            return Layout(gap, layout.dash_indent)
        if node.kind != MAPPING and gap >= 0:
            return Layout(layout.step, gap)
        return layout

    def replace(
        self, key: Node | None, node: Node, ov: t.Node | t.Leaf, nv: t.Node | t.Leaf,
        layout: Layout,
    ) -> None:
        """The value ``node`` (after a ``key:`` or a dash) written anew as ``nv``."""
        text = self.text
        in_seq = key is None
        if in_seq:
            head = self.dash(node)
        else:
            assert key is not None
            head = text.find(":", key.end)
            if head < 0 or text[key.end : head].strip(" "):
                raise Unsure
        col = column(text, head if in_seq else key.start)  # type: ignore[union-attr]
        end = self.line_end(self.content_end(node, ov))
        own = {c.span for c in _comments(ov)}
        line = text.rfind("\n", 0, head) + 1
        eol = text.find("\n", head)
        moved: list[str] = []
        for c in self.comments:
            if not head < c[0] < end or (c in own and c not in self.kept):
                continue
            if c not in self.kept or c[0] > eol:
                raise Unsure
            # the line comment of the key's line: above it, where sops writes it
            moved.append(" " * col + text[c[0] : c[1]] + "\n")
        if moved:
            self.edits.append((line, line, "".join(moved)))
        render = Renderer(layout.step, layout.dash_indent)
        r = render.after_dash(nv, col) if in_seq else render.after_key(nv, col)
        self.edits.append((head + 1, end, r))

    def remove(self, key: Node | None, node: Node, ov: t.Node | t.Leaf, *, dash: bool) -> None:
        """An entry (``key``: ``node``) or a list item (``node``) taken out, whole lines."""
        text = self.text
        first = self.dash(node) if dash else key.start  # type: ignore[union-attr]
        line = text.rfind("\n", 0, first) + 1
        if text[line:first].strip(" "):
            raise Unsure  # a compact "- key:" or "- - item": not a line of its own
        col = first - line
        end = self.line_end(max(self.content_end(node, ov), first + 1))
        own = {c.span for c in _comments(ov)}
        kept: list[str] = []
        for c in self.comments:
            if not line <= c[0] < end or c in own:
                continue
            if c not in self.kept:
                raise Unsure
            start = text.rfind("\n", 0, c[0]) + 1
            alone = not text[start : c[0]].strip(" ")
            kept.append((text[start : c[1]] if alone else " " * col + text[c[0] : c[1]]) + "\n")
        if not kept and self._blank_before(line):
            nl = text.find("\n", end)
            if nl >= 0 and not text[end:nl].strip(" "):
                end = nl + 1  # no two blank lines where one entry was
        self.edits.append((line, end, "".join(kept)))

    def insert_entries(
        self,
        olds: list[tuple[str, t.Node | t.Leaf, tuple[Node, Node]]],
        old: t.Mapping,
        added: list[tuple[str, t.Node | t.Leaf]],
        layout: Layout,
    ) -> None:
        """New entries after the mapping's last item, at its keys' column."""
        first = olds[0][2][0]
        col = column(self.text, first.start)
        last = max(
            [c.span[1] for c in old.items if isinstance(c, t.Comment) and c.span]
            + [max(k.end, self.content_end(v, ov)) for _, ov, (k, v) in olds]
        )
        pos = self.line_end(last)
        render = Renderer(layout.step, layout.dash_indent)
        self.edits.append((pos, pos, render.entries(added, col)))  # type: ignore[arg-type]

    def insert_items(
        self, kids: list[Node], old: t.Sequence, item: t.Node | t.Leaf, layout: Layout
    ) -> None:
        """A new item after the list's last one, at its dashes' column."""
        col = column(self.text, self.dash(kids[0]))
        olds = [i for i in old.items if not isinstance(i, t.Comment)]
        last = max(
            [c.span[1] for c in old.items if isinstance(c, t.Comment) and c.span]
            + [self.content_end(k, v) for k, v in zip(kids, olds, strict=True)]
        )
        pos = self.line_end(last)
        render = Renderer(layout.step, layout.dash_indent)
        self.edits.append((pos, pos, render.items([item], col)))


def _same_shape(a: object, b: object) -> bool:
    """Whether two trees without scalars are the same nesting of collections."""
    if isinstance(a, t.Mapping) and isinstance(b, t.Mapping):
        x = [i for i in a.items if not isinstance(i, t.Comment)]
        y = [i for i in b.items if not isinstance(i, t.Comment)]
        return len(x) == len(y) and all(
            p[0] == q[0] and _same_shape(t.unwrap(p[1]), t.unwrap(q[1]))
            for p, q in zip(x, y, strict=True)
        )
    if isinstance(a, t.Sequence) and isinstance(b, t.Sequence):
        x2 = [i for i in a.items if not isinstance(i, t.Comment)]
        y2 = [i for i in b.items if not isinstance(i, t.Comment)]
        return len(x2) == len(y2) and all(
            _same_shape(t.unwrap(p), t.unwrap(q))
            for p, q in zip(x2, y2, strict=True)
        )
    return False


def _pair(pair: object) -> tuple[Node, Node]:
    """A mapping entry's key and value nodes (the nodes were read whole)."""
    assert isinstance(pair, tuple) and len(pair) == 2
    return pair


def _signature(v: t.Node | t.Leaf) -> tuple[str, object]:
    """What tells a list item from the others: its kind and its first span."""
    inner = t.unwrap(v)
    first = next((n.span for n in walk(v) if n.span is not None), None)
    return type(inner).__name__ if isinstance(inner, (t.Mapping, t.Sequence)) else "s", first

