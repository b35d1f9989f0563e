"""The abstract document tree every store reads into and emits from.

Ordered, comment-keeping, pure data. A :class:`Mapping` holds ``(key, value)`` items and
:class:`Comment` items in file order; a :class:`Sequence` holds values and comments.
Leaves are plain Python values: ``str``, ``int``, ``float``, ``bool``, ``None``,
``datetime`` (sops type ``time``) and ``bytes`` (legacy type ``bytes``).

Stores that edit text in place (YAML) record where each leaf and comment came from in
``spans`` (a leaf's character range in the source), keyed by the leaf's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Union

Scalar = str | int | float | bool | None | datetime | bytes
Node = Union["Mapping", "Sequence", Scalar]


@dataclass(slots=True)
class Comment:
    """A comment line's text, without the leading ``#`` (or ``;``)."""

    text: str
    #: source character range of the whole comment (``#`` included), if known
    span: tuple[int, int] | None = None


@dataclass(slots=True)
class Leaf:
    """A scalar with its source range, for stores that edit text in place."""

    value: Scalar
    span: tuple[int, int] | None = None


@dataclass(slots=True)
class Mapping:
    """An ordered mapping; duplicate keys are allowed where the format allows them."""

    items: list[tuple[str, Node | Leaf] | Comment] = field(default_factory=list)

    def get(self, key: str) -> Node | Leaf | None:
        """The value of the first item named ``key``, or None."""
        for item in self.items:
            if not isinstance(item, Comment) and item[0] == key:
                return item[1]
        return None

    def keys(self) -> list[str]:
        """Keys in order (comments skipped)."""
        return [item[0] for item in self.items if not isinstance(item, Comment)]


@dataclass(slots=True)
class Sequence:
    """An ordered list of values and comments."""

    items: list[Node | Leaf | Comment] = field(default_factory=list)


@dataclass(slots=True)
class Document:
    """One document of a store: its root mapping (YAML may hold several documents)."""

    root: Mapping


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
