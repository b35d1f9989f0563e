"""YAML written whole in go-yaml's style (indent 4, lists indented, comments as head
comments): for new files, other formats' trees, and documents whose shape changed."""

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
    node: t.Mapping | dict[str, object], level: int | str, child: str | None = None
) -> str:
    """A block mapping whose keys sit at ``level`` (a depth times 4, or an indent string).

    Nested values are indented to ``child`` (default: 4 more than the keys); go-yaml
    indents those of a mapping inside a list from the list's dash, not from the keys.
    """
    pad = INDENT * level if isinstance(level, int) else level
    sub = child if child is not None else pad + INDENT
    out: list[str] = []
    m = _norm(node)
    assert isinstance(m, t.Mapping)
    for item in m.items:
        if isinstance(item, t.Comment):
            out.append(f"{pad}#{item.text}\n")
            continue
        k, raw = item
        v = _norm(raw)
        if v is None and raw is None and pad:
            v = t.Sequence([])  # sops's always-present lists (hc_vault, age) render as []
        if isinstance(v, t.Mapping) and v.keys():
            out.append(f"{pad}{_key(k)}:\n{render_block(v, sub)}")
        elif isinstance(v, t.Mapping):
            out.append(f"{pad}{_key(k)}: {{}}\n")
        elif isinstance(v, t.Sequence) and v.items:
            out.append(f"{pad}{_key(k)}:\n{render_seq(v, sub)}")
        elif isinstance(v, t.Sequence):
            out.append(f"{pad}{_key(k)}: []\n")
        elif isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            out.append(f"{pad}{_key(k)}: {literal(v, sub)}")
        else:
            out.append(f"{pad}{_key(k)}: {render_scalar(v)}\n")  # type: ignore[arg-type]
    return "".join(out)


def render_seq(node: t.Sequence, level: int | str) -> str:
    """A block sequence whose ``-`` sits at ``level``."""
    pad = INDENT * level if isinstance(level, int) else level
    out: list[str] = []
    for item in node.items:
        if isinstance(item, t.Comment):
            out.append(f"{pad}#{item.text}\n")
            continue
        v = _norm(item)
        if isinstance(v, t.Mapping) and v.keys():
            inner = render_block(v, pad + "  ", pad + INDENT)
            out.append(pad + "- " + inner[len(pad) + 2 :])
        elif isinstance(v, t.Sequence) and v.items:
            inner = render_seq(v, pad + "  ")
            out.append(pad + "- " + inner[len(pad) + 2 :])
        elif isinstance(v, t.Mapping):
            out.append(f"{pad}- {{}}\n")
        elif isinstance(v, t.Sequence):
            out.append(f"{pad}- []\n")
        elif isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            out.append(f"{pad}- {literal(v, pad + INDENT)}")
        else:
            out.append(f"{pad}- {render_scalar(v)}\n")  # type: ignore[arg-type]
    return "".join(out)


def literal(v: str, pad: str) -> str:
    """A multi-line string as go-yaml writes it: a literal block (``|``) whose lines
    sit at ``pad``, or double quotes when a block cannot hold it exactly."""
    if goemit.style(v, True) == goemit.LITERAL:
        return goemit.literal(v, pad, len(INDENT))
    return render_scalar(v) + "\n"
