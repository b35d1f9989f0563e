"""Light YAML nodes: what the YAML store's builder reads, from either parser.

Both the fast block scanner (:mod:`sekret.stores._yaml_scan`) and the libyaml adapter
(:mod:`sekret.stores._yaml_libyaml`) produce these, with libyaml's positions: ``start``
and ``end`` are character offsets into the text (a block collection ends where the
next token starts; an empty value sits just after its ``:`` or ``-``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

SCALAR, MAPPING, SEQUENCE = 0, 1, 2

#: A mapping entry: two nodes, or — from the scanner, for the usual ``key: value``
#: line — ``(key, key_start, value, value_start)``, two plain one-line scalars without
#: the cost of two node objects.
Pair: TypeAlias = "tuple[Node, Node] | tuple[str, int, str, int]"
STR = "tag:yaml.org,2002:str"


class Node:
    """One node: a scalar (``value`` its text), a mapping (``value`` a list of key/value
    node pairs) or a sequence (``value`` a list of nodes)."""

    __slots__ = ("end", "flow", "kind", "start", "style", "tag", "value")

    def __init__(
        self,
        kind: int,
        start: int,
        end: int,
        value: object,
        style: str = "",
        tag: str | None = None,
        flow: bool = False,
    ) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        #: scalars: "" (plain), "'", '"', "|" or ">"
        self.style = style
        #: scalars: the resolved or explicit tag (None for plain scalars without one)
        self.tag = tag
        #: collections: written in flow style ([…] or {…})
        self.flow = flow

    def pairs(self) -> Iterable[Pair]:
        """A mapping's key/value pairs (read once, as they come, from the scanner)."""
        return self.value  # type: ignore[return-value]

    def children(self) -> Iterable[Node]:
        """A sequence's items (read once, as they come, from the scanner)."""
        return self.value  # type: ignore[return-value]


def materialize(node: Node) -> Node:
    """Read a lazy node whole, simple pairs as nodes (for tests and comparisons)."""
    if node.kind == MAPPING:
        node.value = [
            (materialize(p[0]), materialize(p[1]))
            if len(p) == 2
            else (
                Node(SCALAR, p[1], p[1] + len(p[0]), p[0]),
                Node(SCALAR, p[3], p[3] + len(p[2]), p[2]),
            )
            for p in node.pairs()
        ]
    elif node.kind == SEQUENCE:
        node.value = [materialize(c) for c in node.children()]
    return node
