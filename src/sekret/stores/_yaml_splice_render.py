"""What :mod:`._yaml_splice` writes into a document, and how it checks the result.

New entries and items are written in the layout of the file they go into: keys at
the column of their mapping's keys, nested mappings one *step* further (the file's
own), and block sequences under a key with the file's own dash style (``key:`` then
``- a`` at the key's column, or indented by the step). Scalars are written as the
whole-document writer writes them (:func:`._yaml_values.render_scalar`, literal blocks
for multi-line strings).

:func:`respan` maps the tree that was meant onto the tree read back from the edited
text: same shape, same keys, comments in the same places, or None.
"""

from __future__ import annotations

from collections import Counter

from sekret.sops import tree as t
from sekret.stores._yaml_nodes import MAPPING, SEQUENCE, Node
from sekret.stores._yaml_render import literal
from sekret.stores._yaml_values import render_scalar


class Unsure(Exception):
    """The edit cannot be made with certainty: the document is written whole."""


def column(text: str, pos: int) -> int:
    """0-based column of a text offset."""
    return pos - (text.rfind("\n", 0, pos) + 1)


class Layout:
    """A document's indentation step and sequence style, as its text shows them."""

    __slots__ = ("dash_indent", "step")

    def __init__(self, step: int = 4, dash_indent: int = 4) -> None:
        self.step = step  # how far a nested mapping's keys sit past their parent key
        self.dash_indent = dash_indent  # how far a block sequence's dashes sit past its key

    @classmethod
    def of(cls, text: str, root: Node) -> Layout:
        """The most common step and dash indentation of the block collections under
        mapping keys in ``root`` (sops's own, 4 and 4, when the text shows none)."""
        steps: Counter[int] = Counter()
        dashes: Counter[int] = Counter()
        stack = [root]
        while stack:
            node = stack.pop()
            if node.flow:
                continue
            if node.kind == SEQUENCE:
                stack.extend(node.children())
            elif node.kind == MAPPING:
                for key, value in node.pairs():  # type: ignore[misc]
                    if node is root and key.value == "sops":
                        continue  # sops's own block: not the file's layout
                    if value.kind == MAPPING and not value.flow:
                        steps[column(text, value.start) - column(text, key.start)] += 1
                    elif value.kind == SEQUENCE and not value.flow:
                        dashes[column(text, value.start) - column(text, key.start)] += 1
                    stack.append(value)
        step = max(steps, key=lambda s: (steps[s], -s)) if steps else 4
        if step <= 0:
            step = 4
        dash = max(dashes, key=lambda d: (dashes[d], -d)) if dashes else step
        return cls(step, max(dash, 0))


class Renderer:
    """New values written in a :class:`Layout`."""

    def __init__(self, step: int, dash_indent: int) -> None:
        self.step = step
        self.dash_indent = dash_indent

    def entries(self, items: list[tuple[str, t.Node | t.Leaf] | t.Comment], col: int) -> str:
        """Mapping entries whose keys sit at ``col``, one per line (and their values)."""
        out = []
        for item in items:
            if isinstance(item, t.Comment):
                raise Unsure  # (set never adds a comment)
            key, value = item
            out.append(" " * col + render_scalar(key) + ":" + self.after_key(value, col))
        return "".join(out)

    def after_key(self, value: t.Node | t.Leaf, col: int) -> str:
        """What follows ``key:`` for ``value``, through its last line break."""
        v = t.unwrap(value)
        if isinstance(v, t.Mapping):
            if not v.items:
                return " {}\n"
            return "\n" + self.entries(v.items, col + self.step)
        if isinstance(v, t.Sequence):
            if not v.items:
                return " []\n"
            return "\n" + self.items(v.items, col + self.dash_indent)
        return " " + self.scalar(v, col + self.step)

    def items(self, items: list[t.Node | t.Leaf | t.Comment], col: int) -> str:
        """Block sequence items whose dashes sit at ``col``."""
        out = []
        for item in items:
            if isinstance(item, t.Comment):
                raise Unsure
            out.append(" " * col + "-" + self.after_dash(item, col))
        return "".join(out)

    def after_dash(self, value: t.Node | t.Leaf, col: int) -> str:
        """What follows a ``-`` at ``col`` for ``value``, through its last line break."""
        v = t.unwrap(value)
        inner = col + 2
        if isinstance(v, t.Mapping) and v.items:
            return " " + self.entries(v.items, inner)[inner:]
        if isinstance(v, t.Sequence) and v.items:
            return " " + self.items(v.items, inner)[inner:]
        if isinstance(v, t.Mapping):
            return " {}\n"
        if isinstance(v, t.Sequence):
            return " []\n"
        return " " + self.scalar(v, inner)

    def scalar(self, v: t.Scalar, child_col: int) -> str:
        """A scalar and its line break (a multi-line string as a literal block whose
        lines sit at ``child_col``)."""
        if isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            return literal(v, " " * child_col, self.step)
        return render_scalar(v) + "\n"


def respan(meant: t.Mapping, got: t.Mapping) -> t.Mapping | None:
    """``meant`` with the spans of ``got`` (read back from the edited text, without its
    ``sops`` entry), or None when their shapes or comment places differ."""
    try:
        out = _respan(meant, got)
    except Unsure:
        return None
    assert isinstance(out, t.Mapping)
    return out


def _respan(meant: t.Node | t.Leaf, got: t.Node | t.Leaf) -> t.Node | t.Leaf:
    m, g = t.unwrap(meant), t.unwrap(got)
    if isinstance(m, t.Mapping):
        if not isinstance(g, t.Mapping) or len(m.items) != len(g.items):
            raise Unsure
        items: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
        for a, b in zip(m.items, g.items, strict=True):
            if isinstance(a, t.Comment) or isinstance(b, t.Comment):
                items.append(_comment(a, b))
            elif a[0] != b[0]:
                raise Unsure
            else:
                items.append((a[0], _respan(a[1], b[1])))
        return t.Mapping(items)
    if isinstance(m, t.Sequence):
        if not isinstance(g, t.Sequence) or len(m.items) != len(g.items):
            raise Unsure
        return t.Sequence(
            [
                _comment(a, b) if isinstance(a, t.Comment) or isinstance(b, t.Comment)
                else _respan(a, b)
                for a, b in zip(m.items, g.items, strict=True)
            ]
        )
    if isinstance(g, (t.Mapping, t.Sequence)) or not isinstance(got, t.Leaf):
        raise Unsure
    return t.Leaf(m, got.span)


def _comment(a: object, b: object) -> t.Comment:
    if not isinstance(a, t.Comment) or not isinstance(b, t.Comment):
        raise Unsure
    return t.Comment(a.text, b.span)
