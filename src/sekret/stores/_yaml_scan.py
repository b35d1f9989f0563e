"""A fast reader for the block YAML that SOPS files are made of; libyaml reads the rest.

It understands block mappings and sequences (indented or not, compact ``- key: v``),
empty flow collections (``[]``, ``{}``), one-line plain and quoted scalars
(double-quoted ones without escapes), literal block scalars (``|``, ``|-``, ``|+``),
comments and ``---`` between documents, and gives the nodes and comment spans libyaml
would give. For anything else — flow collections,
anchors, tags, folded or multi-line scalars, escapes, tabs, directives, and every
syntax error — it raises :class:`Unsupported` and the store asks libyaml instead, so
it never guesses and never has to reproduce libyaml's error messages.

Why: a SOPS file is a few thousand ``key: ENC[…]`` lines. Reading them line by line is
several times faster than building libyaml's node objects (each with two mark
objects), uses a fraction of the memory, and spares a short command PyYAML's import.
``tests/stores/test_yaml_scan.py`` holds the two readers equal.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator

from sekret._lazy_re import lazy
from sekret.stores import _yaml_tokens as tk
from sekret.stores._yaml_nodes import MAPPING, SCALAR, SEQUENCE, STR, Node, Pair


class Unsupported(Exception):
    """The text is outside the subset (or invalid): let libyaml read it."""


# Characters that make the whole text go to libyaml: tabs, carriage returns, YAML
# 1.1's other line breaks, a byte-order mark, and everything libyaml refuses to read.
_ODD = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_ASCII_OK = b"\n" + bytes(range(0x20, 0x7F))
_KEY_COLON = lazy(r":(?= |$)")
# Cannot start a plain scalar (``-?:`` only when followed by a space or the line end).
_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_MAX_KEY = 1024  # libyaml's limit for an implicit key
# The usual line, "    key: value" with a word key and a plain value with no "#" (the
# value is still checked for ": " and a trailing blank or colon): one match, no calls.
_SIMPLE = lazy(r" *([A-Za-z0-9_][A-Za-z0-9_.-]*): ([A-Za-z0-9_/.+=(~$][^#]*)\Z")


class _Reader:
    def __init__(self, text: str, log: list[tk.Logged] | None = None) -> None:
        if not text.endswith("\n"):
            raise Unsupported
        if text.isascii():  # the usual case, checked at C speed
            if text.encode("ascii").translate(None, _ASCII_OK):
                raise Unsupported
        elif re.search(_ODD, text):  # compiled only for non-ASCII text: it is costly
            raise Unsupported
        self.text = text
        lines = text.split("\n")
        lines.pop()
        self.n = len(lines)
        starts = [0] * (self.n + 1)
        indents = [0] * self.n
        pos = 0
        for i, line in enumerate(lines):
            starts[i] = pos
            pos += len(line) + 1
            if line[:1] == " ":
                indents[i] = len(line) - len(line.lstrip(" "))
            elif line.startswith(("---", "...", "%")):
                if line != "---":
                    raise Unsupported
        starts[self.n] = len(text)
        #: where each line starts (and, last, the text's end): line ``i`` is
        #: ``text[starts[i] : starts[i + 1] - 1]``, sliced when needed: the list of
        #: lines is let go here, not kept alongside the tree being built
        self.starts = starts
        self.indents = indents
        self.lines = _Lines(text, starts)
        self.keys: dict[str, str] = {}
        #: comment spans, appended as they are read (the builder takes them from the left)
        self.comments: collections.deque[tuple[int, int]] = collections.deque()
        self.i = 0
        self.next = 0
        #: the tokens read, for the comments' placement (:mod:`._yaml_tokens`)
        self.log = log

    # --- lines -------------------------------------------------------------------------

    def skip(self) -> int:
        """Move past blank and comment lines, recording the comments; the next line."""
        i, text, starts, indents, n = self.i, self.text, self.starts, self.indents, self.n
        while i < n:
            s = starts[i]
            k = indents[i]
            e = starts[i + 1] - 1
            if s + k == e:
                i += 1
            elif text[s + k] == "#":
                self.comments.append((s + k, e))
                i += 1
            else:
                break
        self.i = i
        return i

    def at(self, i: int) -> int:
        """Where line ``i``'s first token starts (the text's end past the last line)."""
        return self.starts[i] + self.indents[i] if i < self.n else len(self.text)

    def is_dash(self, i: int) -> bool:
        line = self.lines[i]
        k = self.indents[i]
        return line[k] == "-" and (k + 1 == len(line) or line[k + 1] == " ")

    def is_sep(self, i: int) -> bool:
        return i < self.n and self.indents[i] == 0 and self.lines[i] == "---"

    def comment_at(self, i: int, col: int) -> None:
        """A comment from column ``col`` of line ``i`` to its end."""
        self.comments.append((self.starts[i] + col, self.starts[i + 1] - 1))

    # --- documents ---------------------------------------------------------------------
    #
    # Collections are lazy: a mapping's or sequence's ``value`` is a generator that reads
    # its entries as the builder asks for them, so only the nodes on the current path
    # are alive (a 20,000-value file never holds 40,000 nodes at once). A node is
    # *finished* when it is built (a scalar at once, a collection when its generator is
    # exhausted); ``self.next`` is then the next content line after it.

    def documents(self) -> Iterator[Node]:
        i = self.skip()
        if self.is_sep(i):
            self.sep(i)
            i = self.skip()
        while True:
            if i >= self.n or self.is_sep(i):
                raise Unsupported  # an empty document (or none at all)
            yield self.node(i, -1)
            i = self.next
            if i >= self.n:
                return
            if not self.is_sep(i):
                raise Unsupported  # content left of the root's indentation
            self.sep(i)
            i = self.skip()

    def sep(self, i: int) -> None:
        """Past the ``---`` on line ``i``."""
        self.tok(tk.DOC_START, self.starts[i], self.starts[i] + 3)
        self.i = i + 1

    def tok(self, kind: int, start: int, end: int, style: str = "") -> None:
        """A token read, logged when there is a log (see :func:`scan`)."""
        if self.log is not None:
            self.log.append((kind, start, end, style))

    def node(self, i: int, parent: int) -> Node:
        """The block collection starting on content line ``i`` (indented past ``parent``)."""
        k = self.indents[i]
        if self.is_dash(i):
            return self.sequence(i, k, indentless=False)
        return self.mapping(i, k)

    def _closes(self, i: int, indent: int) -> bool:
        """Whether content line ``i`` ends a collection at ``indent`` (else it continues)."""
        if i >= self.n or self.is_sep(i):
            return True
        k = self.indents[i]
        if k > indent:
            raise Unsupported  # a continuation line, or bad indentation
        return k < indent

    # --- collections -------------------------------------------------------------------

    def mapping(self, i: int, indent: int) -> Node:
        """Keys at column ``indent``, the first on line ``i``."""
        node = Node(MAPPING, self.starts[i] + indent, -1, None, "", None, False)
        self.tok(tk.BMS, node.start, node.start)
        node.value = self._pairs(node, i, indent)
        return node

    def _pairs(self, node: Node, i: int, indent: int) -> Iterator[Pair]:
        text, starts, indents, n = self.text, self.starts, self.indents, self.n
        simple = _SIMPLE.match
        keys = self.keys
        log = self.log
        run: list[tuple[str, int, str, int]] | None = None  # simple pairs logged as one
        while True:
            base = starts[i]
            m = simple(text, base, starts[i + 1] - 1)
            if (
                m is not None
                and m.start(1) == base + indent
                and (v := m.group(2))[-1] not in " :"
                and ": " not in v
            ):
                key = m.group(1)
                key = keys.setdefault(key, key)  # one string per distinct key
                ks = base + indent
                vs = m.start(2)
                i += 1
                read = len(self.comments) if log is not None else 0
                if i < n and (
                    (k := starts[i] + indents[i]) == starts[i + 1] - 1 or text[k] == "#"
                ):
                    self.i = i
                    i = self.skip()
                if log is None:
                    yield key, ks, v, vs  # a simple pair: both plain one-line scalars
                else:  # consecutive simple pairs with no comment between: one entry
                    pair = (key, ks, v, vs)
                    if run is not None and log[-1] is run:
                        run.append(pair)
                    else:
                        log.append(run := [pair])
                    if len(self.comments) != read:
                        run = None  # comments follow
                    yield pair
                if indent and i < n and indents[i] == indent:
                    continue  # the next key of this nested mapping (what _closes would say)
            else:
                line = self.lines[i]
                found = self.key(line, indent, i)
                if found is None:
                    raise Unsupported
                knode, after = found
                self.tok(tk.KEY, knode.start, knode.start)
                self.tok(tk.SCALAR, knode.start, knode.end, knode.style)
                self.tok(tk.VALUE, starts[i] + after - 1, starts[i] + after)
                yield knode, self.value(line, after, i, indent, in_mapping=True)
                i = self.next
            if self._closes(i, indent):
                node.end = self.at(i)
                self.next = i
                return

    def sequence(self, i: int, indent: int, *, indentless: bool) -> Node:
        """``-`` items at column ``indent``, the first on line ``i``."""
        node = Node(SEQUENCE, self.starts[i] + indent, -1, None, "", None, False)
        if not indentless:
            self.tok(tk.BSS, node.start, node.start)
        node.value = self._items(node, i, indent, indentless)
        return node

    def _items(self, node: Node, i: int, indent: int, indentless: bool) -> Iterator[Node]:
        while True:
            line = self.lines[i]
            j = indent + 1
            size = len(line)
            while j < size and line[j] == " ":
                j += 1
            if j < size and line[j] == "-" and (j + 1 == size or line[j + 1] == " "):
                raise Unsupported  # "- - x": a compact nested sequence
            self.tok(tk.ENTRY, self.starts[i] + indent, self.starts[i] + indent + 1)
            if j < size and line[j] != "#" and self.key(line, j, i) is not None:
                yield self.mapping(i, j)
            else:
                yield self.value(line, indent + 1, i, indent, in_mapping=False)
            i = self.next
            if self._closes(i, indent):
                break
            if not self.is_dash(i):
                if indentless:
                    break  # the parent mapping's next key
                raise Unsupported
        node.end = self.at(i)
        self.next = i

    # --- keys and values ---------------------------------------------------------------

    def key(self, line: str, col: int, i: int) -> tuple[Node, int] | None:
        """The key at ``col`` and the column after its ``:``; None if no key is there."""
        c = line[col]
        base = self.starts[i]
        if c == "'" or c == '"':
            end, value = _quoted(line, col)
            p = end
            while p < len(line) and line[p] == " ":
                p += 1
            if line[p : p + 1] != ":" or not (p + 1 == len(line) or line[p + 1] == " "):
                return None
            return Node(SCALAR, base + col, base + end, value, c, STR), p + 1
        if c in _INDICATORS or (c in "-?:" and (col + 1 == len(line) or line[col + 1] == " ")):
            return None
        m = _KEY_COLON.search(line, col)
        if m is None:
            return None
        text = line[col : m.start()]
        if " #" in text:
            return None
        text = text.rstrip(" ")
        if len(text) > _MAX_KEY:
            raise Unsupported
        text = self.keys.setdefault(text, text)
        return Node(SCALAR, base + col, base + col + len(text), text), m.start() + 1

    def value(self, line: str, col: int, i: int, indent: int, *, in_mapping: bool) -> Node:
        """The value after a ``:`` or ``-`` at column ``col`` of line ``i`` (``indent``
        is the column of its key or dash)."""
        size = len(line)
        j = col
        while j < size and line[j] == " ":
            j += 1
        base = self.starts[i]
        if j == size or line[j] == "#":
            if j < size:
                self.comment_at(i, j)
            self.i = i + 1
            nxt = self.skip()
            if nxt < self.n and not self.is_sep(nxt):
                k = self.indents[nxt]
                if k > indent:
                    return self.node(nxt, indent)
                if k == indent and in_mapping and self.is_dash(nxt):
                    return self.sequence(nxt, indent, indentless=True)
            self.next = nxt
            return Node(SCALAR, base + col, base + col, "")
        c = line[j]
        if c == "|":
            return self.literal(line, j, i, indent)
        if c in "[{" and line[j + 1 : j + 2] == ("]" if c == "[" else "}"):
            # an empty flow collection (older sops writes "kms: []")
            kind = SEQUENCE if c == "[" else MAPPING
            node = Node(kind, base + j, base + j + 2, [], flow=True)
            self.tok(tk.FSS if c == "[" else tk.FMS, base + j, base + j + 1)
            self.tok(tk.FSE if c == "[" else tk.FME, base + j + 1, base + j + 2)
            self._line_rest(line, j + 2, i)
            self._after(i + 1, indent)
            return node
        if c == "'" or c == '"':
            end, text = _quoted(line, j)
            node = Node(SCALAR, base + j, base + end, text, c, STR)
            self._line_rest(line, end, i)
            self.tok(tk.SCALAR, node.start, node.end, c)
        else:
            if c in _INDICATORS or (c in "-?:" and (j + 1 == size or line[j + 1] == " ")):
                raise Unsupported
            h = line.find(" #", j)
            text = (line[j:h] if h >= 0 else line[j:]).rstrip(" ")
            if ": " in text or text.endswith(":"):
                raise Unsupported
            if h >= 0:
                self.comment_at(i, h + 1)
            node = Node(SCALAR, base + j, base + j + len(text), text)
            self.tok(tk.SCALAR, node.start, node.end)
        self._after(i + 1, indent)
        return node

    def _after(self, i: int, indent: int) -> None:
        """After a value ending before line ``i``: the next content line, which must not
        continue the value."""
        self.i = i
        nxt = self.skip()
        self._closes(nxt, indent)
        self.next = nxt

    def _line_rest(self, line: str, p: int, i: int) -> None:
        """After a quoted scalar or block header: blanks, then the end or a comment."""
        size = len(line)
        q = p
        while q < size and line[q] == " ":
            q += 1
        if q < size:
            if line[q] != "#" or q == p:
                raise Unsupported
            self.comment_at(i, q)

    def literal(self, line: str, j: int, i: int, indent: int) -> Node:
        """A literal block scalar whose header ``|`` is at column ``j`` of line ``i``."""
        chomp = line[j + 1 : j + 2]
        p = j + 2 if chomp in ("-", "+") else j + 1
        if p < len(line):
            if line[p] != " ":
                raise Unsupported  # an indentation indicator, or junk
            self._line_rest(line, p, i)  # a comment inside the scalar's span: dropped
        lines, indents, n = self.lines, self.indents, self.n
        first = i + 1
        if first >= n or indents[first] == len(lines[first]) or indents[first] <= indent:
            raise Unsupported  # empty, or starting with blank lines
        width = indents[first]
        parts: list[str] = []
        blanks = 0
        q = first
        while q < n:
            ln = lines[q]
            k = indents[q]
            if k == len(ln):
                if k > width:
                    raise Unsupported  # spaces that would be content
                blanks += 1
            elif k < width:
                break
            else:
                if blanks:
                    parts.extend([""] * blanks)
                    blanks = 0
                parts.append(ln[width:])
            q += 1
        text = "\n".join(parts)
        if chomp == "+":
            text += "\n" * (blanks + 1)
        elif chomp != "-":
            text += "\n"
        end = self.starts[q] if q < n else len(self.text)
        node = Node(SCALAR, self.starts[i] + j, end, text, "|", STR)
        self.tok(tk.SCALAR, node.start, end, "|")
        self._after(q, indent)
        return node


class _Lines:
    """The text's lines by index, each sliced when asked for."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str, starts: list[int]) -> None:
        self.text = text
        self.starts = starts

    def __getitem__(self, i: int) -> str:
        return self.text[self.starts[i] : self.starts[i + 1] - 1]


def _quoted(line: str, j: int) -> tuple[int, str]:
    """A one-line quoted scalar at ``j``: the column after it, and its value."""
    q = line[j]
    if q == '"':
        end = line.find('"', j + 1)
        if end < 0 or "\\" in line[j + 1 : end]:
            raise Unsupported  # multi-line, or escapes
        return end + 1, line[j + 1 : end]
    p = j + 1
    while True:
        end = line.find("'", p)
        if end < 0:
            raise Unsupported
        if line[end + 1 : end + 2] != "'":
            return end + 1, line[j + 1 : end].replace("''", "'")
        p = end + 2


def scan(
    text: str, log: list[tk.Logged] | None = None
) -> tuple[Iterator[Node], collections.deque[tuple[int, int]]]:
    """The documents' root nodes (lazy: see :class:`_Reader`) and the comment spans
    read so far; :class:`Unsupported` may come at any point of the iteration.

    ``log``: a list to which the tokens read are appended (see :mod:`._yaml_tokens`).
    """
    reader = _Reader(text, log)
    return reader.documents(), reader.comments
