"""libyaml (through PyYAML's C loader) for the YAML the fast scanner leaves alone.

Imported only when needed: flow collections, anchors, tags, folded or multi-line
scalars, escapes — and every invalid file, whose error message comes from libyaml.
Its nodes become :class:`~sekret.stores._yaml_nodes.Node` objects (an aliased node
stays one object, so the builder can see the alias).
"""

from __future__ import annotations

import re

import yaml

from sekret.stores._yaml_nodes import MAPPING, SCALAR, SEQUENCE, STR, Node

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The C loader without PyYAML's Python resolver: the store types plain scalars
    itself (as go-yaml does), so only explicit tags and "is it a string" matter."""

    def resolve(self, kind: type, value: object, implicit: object) -> str:
        if kind is yaml.ScalarNode:
            return STR
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


class _RedefiningLoader(yaml.SafeLoader):
    """PyYAML's Python loader, typing as :class:`_Loader` does, where an anchor may be
    defined again and an alias means the latest definition (go-yaml's rule, which sops
    follows); used only for the rare file that redefines an anchor."""

    resolve = _Loader.resolve

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


# Every "#" that could start a comment, each to its line's end (overlapping: a "#"
# inside a quoted scalar does not hide a real comment after it on the same line).
_COMMENT = re.compile(r"(?:(?<=[ \t\r\x85\u2028\u2029])|^)(?=(#[^\n]*))", re.M)

Error = yaml.YAMLError
MarkedError = yaml.MarkedYAMLError


def candidate_comments(text: str) -> list[tuple[int, int]]:
    """Every ``#…`` at a line start or after a blank: where comments may be (some lie
    inside scalars; the builder only needs to know whether there may be any)."""
    if "#" not in text:
        return []
    return [(m.start(), m.start() + len(m.group(1))) for m in _COMMENT.finditer(text)]


def compose(text: str) -> list[Node]:
    """Every document's root node (raises :data:`Error`)."""
    memo: dict[int, Node] = {}
    keep: list[yaml.Node] = []  # so that no id is reused while converting

    def convert(node: yaml.Node) -> Node:
        out: Node
        seen = memo.get(id(node))
        if seen is not None:
            return seen
        keep.append(node)
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, yaml.ScalarNode):
            out = Node(SCALAR, start, end, node.value, node.style or "", node.tag)
        elif isinstance(node, yaml.SequenceNode):
            out = Node(SEQUENCE, start, end, [], flow=bool(node.flow_style))
            memo[id(node)] = out
            out.value = [convert(c) for c in node.value]
        else:
            out = Node(MAPPING, start, end, [], flow=bool(node.flow_style))  # type: ignore[attr-defined]
            memo[id(node)] = out
            out.value = [(convert(k), convert(v)) for k, v in node.value]
        memo[id(node)] = out
        return out

    try:
        try:
            return [convert(n) for n in yaml.compose_all(text, Loader=_Loader)]
        except yaml.composer.ComposerError as exc:
            if "found duplicate anchor" not in str(exc.context):
                raise
            memo.clear()
            keep.clear()
            # an anchor defined again: go-yaml lets the later one win, PyYAML refuses it
            return [convert(n) for n in yaml.compose_all(text, Loader=_RedefiningLoader)]
    finally:
        # convert refers to itself, a reference cycle through its closure: let what it
        # holds go now rather than with the cyclic collector
        memo.clear()
        keep.clear()
