"""The abstract document tree every store reads into and emits from.

Ordered, comment-keeping, pure data. A :class:`Mapping` holds ``(key, value)`` items and
:class:`Comment` items in file order; a :class:`Sequence` holds values and comments.
Leaves are plain Python values: ``str``, ``int``, ``float``, ``bool``, ``None``,
``datetime`` (sops type ``time``) and ``bytes`` (legacy type ``bytes``).

Stores that edit text in place (YAML) record where each leaf and comment came from in
``spans`` (a leaf's character range in the source), keyed by the leaf's position.

Plain classes with ``__slots__`` rather than dataclasses: :mod:`dataclasses` (and the
:mod:`inspect` it imports) cost 30-45 ms of every start-up. Their reprs never show a
value or a comment's text, which may be a decrypted secret.
"""

from __future__ import annotations

from typing import TypeAlias

from sekret._dates import datetime

Scalar = str | int | float | bool | None | datetime | bytes
# A string alias: typing.Union with forward references costs 2 ms of every start-up.
Node: TypeAlias = "Mapping | Sequence | Scalar"


class _Slotted:
    """Equality by the slots' values for the tree's classes (trees compare with ``==``,
    as dataclasses did); unhashable, as they are mutable."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


class Comment(_Slotted):
    """A comment line's text, without the leading ``#`` (or ``;``)."""

    __slots__ = ("span", "text")

    def __init__(self, text: str, span: tuple[int, int] | None = None) -> None:
        self.text = text
        #: source character range of the whole comment (``#`` included), if known
        self.span = span

    def __repr__(self) -> str:
        return f"Comment(<{len(self.text)} chars>, span={self.span!r})"  # may be a secret


class Leaf(_Slotted):
    """A scalar with its source range, for stores that edit text in place."""

    __slots__ = ("span", "value")

    def __init__(self, value: Scalar, span: tuple[int, int] | None = None) -> None:
        self.value = value
        self.span = span

    def __repr__(self) -> str:
        return f"Leaf(<{type(self.value).__name__}>, span={self.span!r})"  # never the value


class Mapping(_Slotted):
    """An ordered mapping; duplicate keys are allowed where the format allows them."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Node | Leaf] | Comment] | None = None) -> None:
        self.items: list[tuple[str, Node | Leaf] | Comment] = [] if items is None else items

    def __repr__(self) -> str:
        keys = [i[0] for i in self.items if not isinstance(i, Comment)]
        return f"Mapping(<{len(self.items)} items, keys {keys!r}>)"  # keys are clear text

    def get(self, key: str) -> Node | Leaf | None:
        """The value of the first item named ``key``, or None."""
        for item in self.items:
            if not isinstance(item, Comment) and item[0] == key:
                return item[1]
        return None

    def keys(self) -> list[str]:
        """Keys in order (comments skipped)."""
        return [item[0] for item in self.items if not isinstance(item, Comment)]


class Sequence(_Slotted):
    """An ordered list of values and comments."""

    __slots__ = ("items",)

    def __init__(self, items: list[Node | Leaf | Comment] | None = None) -> None:
        self.items: list[Node | Leaf | Comment] = [] if items is None else items

    def __repr__(self) -> str:
        return f"Sequence(<{len(self.items)} items>)"


class Document(_Slotted):
    """One document of a store: its root mapping (YAML may hold several documents)."""

    __slots__ = ("root",)

    def __init__(self, root: Mapping) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"Document({self.root!r})"


def unwrap(node: Node | Leaf) -> Node:
    """The plain value of ``node`` (a Leaf's value, or the node itself)."""
    return node.value if isinstance(node, Leaf) else node


def to_python(node: Node | Leaf) -> object:
    """Plain Python data: dicts (last duplicate wins), lists, scalars; comments dropped."""
    node = unwrap(node)
    if isinstance(node, Mapping):
        return {item[0]: to_python(item[1]) for item in node.items if not isinstance(item, Comment)}
    if isinstance(node, Sequence):
        return [to_python(i) for i in node.items if not isinstance(i, Comment)]
    return node


def from_python(value: object) -> Node:
    """Build a tree from plain Python data (dicts keep their order)."""
    if isinstance(value, dict):
        return Mapping([(str(k), from_python(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return Sequence([from_python(v) for v in value])
    if value is None or isinstance(value, (str, int, float, bool, datetime, bytes)):
        return value
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def duplicate_key(docs: list[Mapping]) -> str | None:
    """The first key that appears twice in one mapping (JSON allows it, YAML does not),
    or None; found iteratively, as documents may be deep."""
    stack: list[Node | Leaf] = list(docs)
    while stack:
        node = unwrap(stack.pop())
        if isinstance(node, Mapping):
            seen: set[str] = set()
            for item in node.items:
                if isinstance(item, Comment):
                    continue
                if item[0] in seen:
                    return item[0]
                seen.add(item[0])
                stack.append(item[1])
        elif isinstance(node, Sequence):
            stack.extend(i for i in node.items if not isinstance(i, Comment))
    return None


def strip_spans(node: Mapping) -> Mapping:
    """A copy without source spans, for a store other than the one that parsed it."""
    out: list[tuple[str, Node | Leaf] | Comment] = []
    for item in node.items:
        if isinstance(item, Comment):
            out.append(Comment(item.text))
        else:
            out.append((item[0], _strip(item[1])))
    return Mapping(out)


def _strip(node: Node | Leaf) -> Node:
    inner = unwrap(node)
    if isinstance(inner, Mapping):
        return strip_spans(inner)
    if isinstance(inner, Sequence):
        return Sequence(
            [Comment(i.text) if isinstance(i, Comment) else _strip(i) for i in inner.items]
        )
    return inner
