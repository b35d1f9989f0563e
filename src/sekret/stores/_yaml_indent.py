"""YAML written whole with any indentation, as go-yaml's encoder lays it out (sops's
``--indent N`` and ``stores.yaml.indent``).

go-yaml places every block collection by column: the values of a mapping key go to the
next multiple of N after the key's column; what follows a sequence's ``- `` goes two
columns after the dash (a mapping's first key on the dash's line, a nested sequence's
dash, a literal block's lines). Scalars, comments and literal blocks are written as
:mod:`._yaml_render` writes them for the default indent of 4.
"""

from __future__ import annotations

from sekret.sops import tree as t
from sekret.stores import _yaml_goemit as goemit
from sekret.stores._yaml_render import literal
from sekret.stores._yaml_values import render_scalar
from sekret.stores.base import StoreError


def best_indent(indent: int) -> int:
    """The indent go-yaml uses for sops's setting: 0 is sops's default 4; below 2 and
    above 9 go-yaml falls back to 2; negative values are an error (sops exit 4)."""
    if indent < 0:
        raise StoreError("YAML negative indentation not accepted", exit_code=4)
    if indent == 0:
        return 4
    return indent if 2 <= indent <= 9 else 2


class _Renderer:
    def __init__(self, indent: int) -> None:
        self.n = best_indent(indent)
        self.out: list[str] = []

    def deeper(self, column: int) -> int:
        """Where a mapping value's block goes: the next multiple of N after ``column``."""
        return self.n * ((column + self.n) // self.n)

    def value(self, v: object, meta: bool) -> object:
        if isinstance(v, t.Leaf):
            return v.value
        if meta and isinstance(v, dict):
            return t.Mapping([(str(k), x) for k, x in v.items()])
        if meta and isinstance(v, list):
            return t.Sequence(list(v))
        if meta and v is None:
            return t.Sequence([])  # sops's always-present key lists (age, hc_vault): []
        return v

    def mapping(self, m: t.Mapping, column: int, first: str | None, meta: bool) -> None:
        """``m``'s entries at ``column``; ``first`` is the text before the first key
        (``"- "`` after a sequence's dash), None for a key on its own line."""
        pad = " " * column
        for item in m.items:
            lead = pad if first is None else first
            if isinstance(item, t.Comment):
                self.out.append(f"{lead}#{item.text}\n")
                first = None if first is None else pad
                continue
            first = None
            key, raw = item
            v = self.value(raw, meta)
            head = f"{lead}{render_scalar(key)}:"
            if isinstance(v, t.Mapping) and v.keys():
                self.out.append(head + "\n")
                self.mapping(v, self.deeper(column), None, meta)
            elif isinstance(v, t.Mapping):
                self.out.append(head + " {}\n")
            elif isinstance(v, t.Sequence) and _values(v):
                self.out.append(head + "\n")
                self.sequence(v, self.deeper(column), meta)
            elif isinstance(v, t.Sequence):
                self.out.append(head + " []\n")
            else:
                self.out.append(f"{head} {self.scalar(v, self.deeper(column))}")
        if first is not None:  # a mapping with nothing in it, after a dash
            self.out.append(first + "{}\n")

    def sequence(self, s: t.Sequence, column: int, meta: bool, first: str | None = None) -> None:
        """``s``'s items with their dash at ``column`` (``first``: as in :meth:`mapping`)."""
        pad = " " * column
        for item in s.items:
            lead = pad if first is None else first
            first = None
            if isinstance(item, t.Comment):
                self.out.append(f"{lead}#{item.text}\n")
                continue
            v = self.value(item, meta)
            if isinstance(v, t.Mapping) and v.keys():
                self.mapping(v, column + 2, lead + "- ", meta)
            elif isinstance(v, t.Mapping):
                self.out.append(lead + "- {}\n")
            elif isinstance(v, t.Sequence) and _values(v):
                self.sequence(v, column + 2, meta, lead + "- ")
            elif isinstance(v, t.Sequence):
                self.out.append(lead + "- []\n")
            else:
                self.out.append(f"{lead}- {self.scalar(v, column + 2)}")

    def scalar(self, v: object, column: int) -> str:
        """A scalar and its line break; a multi-line string as a literal block whose
        lines sit at ``column``."""
        if isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            if goemit.style(v, True) == goemit.LITERAL:
                return goemit.literal(v, " " * column, self.n)  # the indent is its hint
            return literal(v, " " * column)
        return render_scalar(v) + "\n"  # type: ignore[arg-type]


def _values(s: t.Sequence) -> bool:
    return bool(s.items)


def render_documents(
    docs: list[t.Mapping], metadata: dict[str, object] | None, indent: int
) -> bytes:
    """The documents (each with the ``sops`` block appended when ``metadata`` is given),
    separated by ``---``, with go-yaml's layout for ``indent``."""
    r = _Renderer(indent)
    for i, doc in enumerate(docs):
        if i:
            r.out.append("---\n")
        start = len(r.out)
        r.mapping(doc, 0, None, False)
        if metadata is not None:
            r.mapping(t.Mapping([("sops", metadata)]), 0, None, True)  # type: ignore[list-item]
        if len(r.out) == start:
            r.out.append("{}\n")
    return "".join(r.out).encode()


def render_mapping(node: t.Mapping, indent: int) -> bytes:
    """One mapping as a document (``--extract`` of a sub-tree)."""
    r = _Renderer(indent)
    r.mapping(node, 0, None, False)
    return "".join(r.out).encode()
