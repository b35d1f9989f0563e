"""A YAML document as nodes with their places in the text, for edits in place.

PyYAML's events give every scalar, alias and collection with its start and end in the
text; this module builds a small tree of them (aliases stay aliases, unlike a composed
document) and offers the few text operations the ``.sops.yaml`` edits need: the line a
position is on, the prefix of a block sequence's item, and a list of replacements
applied at once. Nothing outside the edited spans changes, so comments, blank lines,
quoting and indentation are the user's.
"""

from __future__ import annotations

from collections.abc import Iterator

from sekret._record import field, record
from sekret.errors import SekretError


class YamlEditError(SekretError):
    """The YAML file cannot be edited in place (a shape sekret does not rewrite)."""


@record
class Node:
    """A scalar, alias, sequence or mapping, and where it is (character offsets)."""

    kind: str  # "scalar", "alias", "seq" or "map"
    start: int
    end: int
    anchor: str | None = None
    value: str = ""  # a scalar's value, an alias's anchor name
    style: str | None = None  # a scalar's quoting ('"', "'", '|', '>' or None)
    flow: bool = False
    items: list[Node] = field(default_factory=list)  # a sequence's items
    pairs: list[tuple[Node, Node]] = field(default_factory=list)  # a mapping's pairs

    def get(self, key: str) -> tuple[Node, Node] | None:
        """The (key, value) pair of a mapping whose key is the scalar ``key``."""
        for k, v in self.pairs:
            if k.kind == "scalar" and k.value == key:
                return k, v
        return None

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, in document order."""
        yield self
        for item in self.items:
            yield from item.walk()
        for k, v in self.pairs:
            yield from k.walk()
            yield from v.walk()

    def last_end(self) -> int:
        """Where the node's last character is followed (a block collection's end mark is
        the next token's start, past comments: its last leaf is what counts)."""
        if self.flow or self.kind in ("scalar", "alias"):
            return self.end
        if self.items:
            return self.items[-1].last_end()
        if self.pairs:
            return self.pairs[-1][1].last_end()
        return self.start


def parse(text: str) -> Node:
    """The one document of ``text`` as nodes (raises :class:`YamlEditError`)."""
    import yaml

    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise YamlEditError(f"cannot parse the YAML file: {exc}") from None
    body = [e for e in events if not isinstance(
        e, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentStartEvent,
            yaml.DocumentEndEvent))]
    if len([e for e in events if isinstance(e, yaml.DocumentStartEvent)]) != 1:
        raise YamlEditError("the YAML file must hold exactly one document")
    pos = 0

    def at(mark: object) -> int:
        return int(getattr(mark, "index", 0))

    def node() -> Node:
        nonlocal pos
        e = body[pos]
        pos += 1
        start, end = at(e.start_mark), at(e.end_mark)
        if isinstance(e, yaml.AliasEvent):
            return Node("alias", start, end, value=e.anchor or "")
        if isinstance(e, yaml.ScalarEvent):
            return Node("scalar", start, end, e.anchor, e.value, e.style)
        if isinstance(e, yaml.SequenceStartEvent):
            out = Node("seq", start, end, e.anchor, flow=bool(e.flow_style))
            while not isinstance(body[pos], yaml.SequenceEndEvent):
                out.items.append(node())
            out.end = at(body[pos].end_mark)
            pos += 1
            return out
        if isinstance(e, yaml.MappingStartEvent):
            out = Node("map", start, end, e.anchor, flow=bool(e.flow_style))
            while not isinstance(body[pos], yaml.MappingEndEvent):
                key = node()
                out.pairs.append((key, node()))
            out.end = at(body[pos].end_mark)
            pos += 1
            return out
        raise YamlEditError(f"unexpected YAML event {type(e).__name__}")  # pragma: no cover

    return node()


def line_start(text: str, pos: int) -> int:
    """The offset of the start of the line holding ``pos``."""
    return text.rfind("\n", 0, pos) + 1


def line_after(text: str, pos: int) -> int:
    """The offset just past the end of the line holding ``pos`` (its newline included)."""
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def column(text: str, pos: int) -> int:
    """The column of ``pos`` on its line."""
    return pos - line_start(text, pos)


def item_prefix(text: str, item: Node) -> str:
    """What comes before a block sequence item on its line (``"  - "``), checked to be
    only indentation and the dash, so a new item can be written the same way."""
    prefix = text[line_start(text, item.start) : item.start]
    stripped = prefix.strip()
    if stripped != "-" or not prefix.rstrip().endswith("-") or prefix.lstrip()[0] != "-":
        raise YamlEditError(
            "a list item shares its line with other YAML (like '- - x' or '- key: x')",
            hint="write each item on its own line ('- value') and run it again",
        )
    return prefix


class Edits:
    """Replacements of spans of one text, applied together (they must not overlap)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._edits: list[tuple[int, int, str]] = []

    def __bool__(self) -> bool:
        return bool(self._edits)

    def replace(self, start: int, end: int, new: str) -> None:
        """Replace ``text[start:end]`` with ``new``."""
        self._edits.append((start, end, new))

    def insert(self, pos: int, new: str) -> None:
        """Insert ``new`` at ``pos``."""
        self._edits.append((pos, pos, new))

    def insert_line_after(self, pos: int, line: str) -> None:
        """Insert ``line`` (without newline) as a line of its own after the one at ``pos``."""
        at = line_after(self.text, pos)
        lead = "" if at == 0 or self.text[at - 1] == "\n" else "\n"
        self._edits.append((at, at, f"{lead}{line}\n"))

    def apply(self) -> str:
        """The edited text."""
        out = self.text
        last = len(out) + 1
        # From the end backwards; edits at one place keep the order they were made in.
        order = sorted(range(len(self._edits)), key=lambda i: (*self._edits[i][:2], i))
        for start, end, new in (self._edits[i] for i in reversed(order)):
            if end > last:
                raise YamlEditError("overlapping edits (a bug in sekret)")  # pragma: no cover
            out = out[:start] + new + out[end:]
            last = start
        return out
