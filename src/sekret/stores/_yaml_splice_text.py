"""Where things are in a YAML document's text, for the in-place splice
(:mod:`._yaml_splice`): a list item's dash, where a value's content ends (a block
scalar without ``+`` ends before its trailing blank lines), line boundaries."""

from __future__ import annotations

from collections.abc import Iterator

from sekret.sops import tree as t
from sekret.stores._yaml_nodes import SCALAR, Node
from sekret.stores._yaml_splice_render import Unsure


def walk(node: t.Node | t.Leaf) -> Iterator[t.Leaf | t.Comment]:
    """Every leaf and comment under ``node`` (iteratively: documents may be deep)."""
    stack: list[object] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, t.Mapping):
            stack.extend(i if isinstance(i, t.Comment) else i[1] for i in n.items)
        elif isinstance(n, t.Sequence):
            stack.extend(n.items)
        elif isinstance(n, (t.Leaf, t.Comment)):
            yield n


class TextPositions:
    """Positions in ``self.text`` (the document's source)."""

    text: str

    def dash(self, node: Node) -> int:
        """The ``-`` of a block list item, on the line where the item starts."""
        pos = node.start - 1
        while pos >= 0 and self.text[pos] == " ":
            pos -= 1
        if pos < 0 or self.text[pos] != "-":
            raise Unsure
        return pos

    def content_end(self, node: Node, value: t.Node | t.Leaf) -> int:
        """Where the last scalar or comment of a value ends (a block collection's node
        ends where the next token starts, past comments that are not its own)."""
        ends = [n.span[1] for n in walk(value) if n.span is not None]
        if node.kind == SCALAR or node.flow:
            trimmed = self._scalar_end(node)
            ends = [trimmed if e == node.end else e for e in ends] + [trimmed]
        if not ends:
            raise Unsure
        return max(ends)

    def _scalar_end(self, node: Node) -> int:
        """Where a scalar ends; a block scalar that does not keep its final breaks
        (no ``+``) ends with its last non-blank line: the blank lines after it are the
        document's layout, not the value, and stay when it is rewritten."""
        end = node.end
        text = self.text
        if node.style not in ("|", ">"):
            return end
        header = text[node.start : text.find("\n", node.start)].split(" #", 1)[0]
        if "+" in header[max(header.rfind("|"), header.rfind(">")) :]:
            return end
        while end > node.start and text[end - 1] == "\n":
            prev = text.rfind("\n", node.start, end - 1)
            if prev < 0 or text[prev + 1 : end - 1].strip(" "):
                break
            end = prev + 1
        return end

    def line_end(self, pos: int) -> int:
        """The start of the line after the one ``pos`` ends (just past its break)."""
        if pos > 0 and self.text[pos - 1] == "\n":
            return pos  # a block scalar's span takes its line break
        nl = self.text.find("\n", pos)
        if nl < 0:
            raise Unsure
        return nl + 1

    def _blank_before(self, line: int) -> bool:
        if line < 2:
            return False
        start = self.text.rfind("\n", 0, line - 1) + 1
        return not self.text[start : line - 1].strip(" ")
