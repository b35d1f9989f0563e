"""YAML written whole in go-yaml's style (indent 4 unless sops's ``--indent`` says
otherwise, lists indented, comments as head comments): for new files, other formats'
trees, and documents whose shape changed.

go-yaml places every block collection by column: the values of a mapping key go to the
next multiple of the indent past the key's column; what follows a sequence's ``- `` goes
two columns past the dash (a mapping's first key on the dash's line, a nested sequence's
dash, a literal block's lines).
"""

from __future__ import annotations

from sekret.sops import tree as t
from sekret.stores import _yaml_goemit as goemit
from sekret.stores._yaml_values import render_scalar

INDENT = "    "


def _key(k: object) -> str:
    return render_scalar(k)  # type: ignore[arg-type]


def _norm(v: object) -> object:
    """Plain dicts and lists (the metadata) as tree nodes; leaves unwrapped."""
    if isinstance(v, t.Leaf):
        return v.value
    if isinstance(v, dict):
        return t.Mapping([(k, _norm(x)) for k, x in v.items()])  # type: ignore[misc]
    if isinstance(v, list):
        return t.Sequence([_norm(x) for x in v])  # type: ignore[misc]
    return v


def render_block(
    node: t.Mapping | dict[str, object],
    level: int | str,
    *,
    last: bool = False,
    indent: int = 4,
) -> str:
    """A block mapping whose keys sit at ``level`` (a depth, or an indent string).

    Nested values go where go-yaml puts them for ``indent``: to the next multiple of it
    past the keys (for the keys of a mapping in a list, 2 past its dash: from 6 to 8,
    from 8 to 12 with 4). ``last``: nothing follows in the document.
    """
    pad = " " * (indent * level) if isinstance(level, int) else level
    return _block(node, pad, last, indent, isinstance(node, dict))[0]


def _block(
    node: t.Mapping | dict[str, object],
    pad: str,
    last: bool,
    step: int,
    meta: bool = False,
) -> tuple[str, bool]:
    """:func:`render_block`, and whether its text ends with a comment line (``meta``:
    the sops metadata, given as plain dicts, whose absent lists are written ``[]``)."""
    sub = " " * ((len(pad) // step + 1) * step)
    out: list[str] = []
    m = _norm(node)
    assert isinstance(m, t.Mapping)
    items = m.items
    noted = False  # the text so far ends with a comment
    for i, item in enumerate(items):
        if isinstance(item, t.Comment):
            out.append(f"{pad}#{item.text}\n")
            noted = True
            continue
        k, raw = item
        v = _norm(raw)
        noted = False
        if v is None and raw is None and pad and meta:
            v = t.Sequence([])  # sops's always-present lists (hc_vault, age) render as []
        if isinstance(v, t.Mapping | t.Sequence) and _has_values(v):
            ends = last and i == len(items) - 1  # its end is the document's
            if isinstance(v, t.Mapping):
                body, noted = _block(v, sub, ends, step, meta)
            else:
                body, noted = _seq(v, sub, ends, step, meta)
            out.append(f"{pad}{_key(k)}:\n{body}")
            rest = items[i + 1 :]
            if rest and all(isinstance(c, t.Comment) for c in rest):
                out.extend(f"{pad}#{c.text}\n" for c in rest)  # type: ignore[union-attr]
                if pad and not last and not noted:
                    # Comments closing a nested mapping right after a block: a blank
                    # line after them, or go-yaml reads them into that block (sops's own
                    # output, without it, loses them there); after other comments, or at
                    # the document's end, go-yaml needs none.
                    out.append("\n")
                return "".join(out), True
        elif isinstance(v, t.Mapping | t.Sequence):
            empty = "{}" if isinstance(v, t.Mapping) else "[]"
            if v.items:  # only comments: go-yaml reads them in the value when above it
                notes = "".join(f"{sub}#{c.text}\n" for c in v.items)  # type: ignore[union-attr]
                out.append(f"{pad}{_key(k)}:\n{notes}{sub}{empty}\n")
            else:
                out.append(f"{pad}{_key(k)}: {empty}\n")
        elif isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            out.append(f"{pad}{_key(k)}: {literal(v, sub, step)}")
        else:
            out.append(f"{pad}{_key(k)}: {render_scalar(v)}\n")  # type: ignore[arg-type]
    return "".join(out), noted


def _has_values(node: t.Mapping | t.Sequence) -> bool:
    """Whether a collection holds an entry (not only comments)."""
    return any(not isinstance(i, t.Comment) for i in node.items)


def render_seq(
    node: t.Sequence, level: int | str, *, last: bool = False, indent: int = 4
) -> str:
    """A block sequence whose ``-`` sits at ``level`` (``last``: nothing follows it)."""
    pad = " " * (indent * level) if isinstance(level, int) else level
    return _seq(node, pad, last, indent)[0]


def _seq(
    node: t.Sequence, pad: str, last: bool, step: int, meta: bool = False
) -> tuple[str, bool]:
    """:func:`render_seq`, and whether its text ends with a comment line."""
    out: list[str] = []
    noted = False
    for i, item in enumerate(node.items):
        if isinstance(item, t.Comment):
            out.append(f"{pad}#{item.text}\n")
            noted = True
            continue
        v = _norm(item)
        noted = False
        ends = last and i == len(node.items) - 1
        if isinstance(v, t.Mapping) and _has_values(v):
            inner, noted = _block(v, pad + "  ", ends, step, meta)
            out.append(pad + "- " + inner[len(pad) + 2 :])
        elif isinstance(v, t.Sequence) and _has_values(v):
            inner, noted = _seq(v, pad + "  ", ends, step, meta)
            out.append(pad + "- " + inner[len(pad) + 2 :])
        elif isinstance(v, t.Mapping):
            out.append(f"{pad}- {{}}\n")
        elif isinstance(v, t.Sequence):
            out.append(f"{pad}- []\n")
        elif isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            out.append(f"{pad}- {literal(v, pad + '  ', step)}")
        else:
            out.append(f"{pad}- {render_scalar(v)}\n")  # type: ignore[arg-type]
    return "".join(out), noted


def literal(v: str, pad: str, indent: int = 4) -> str:
    """A multi-line string as go-yaml writes it: a literal block (``|``) whose lines
    sit at ``pad`` (``indent`` is its indentation hint when one is needed), or double
    quotes when a block cannot hold it exactly."""
    if goemit.style(v, True) == goemit.LITERAL:
        return goemit.literal(v, pad, indent)
    return render_scalar(v) + "\n"
