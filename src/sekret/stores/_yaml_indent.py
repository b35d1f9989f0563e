"""YAML written whole with sops's ``--indent N`` (and ``stores.yaml.indent``): the layout
of :mod:`._yaml_render` for N, with go-yaml's limits on N."""

from __future__ import annotations

from sekret.sops import tree as t
from sekret.stores._yaml_render import render_block
from sekret.stores.base import StoreError


def best_indent(indent: int) -> int:
    """The indent go-yaml uses for sops's setting: 0 is sops's default 4; below 2 and
    above 9 go-yaml falls back to 2; negative values are an error (sops exit 4)."""
    if indent < 0:
        raise StoreError("YAML negative indentation not accepted", exit_code=4)
    if indent == 0:
        return 4
    return indent if 2 <= indent <= 9 else 2


def render_documents(
    docs: list[t.Mapping], metadata: dict[str, object] | None, indent: int
) -> bytes:
    """The documents (each with the ``sops`` block appended when ``metadata`` is given),
    separated by ``---``, with go-yaml's layout for ``indent``."""
    n = best_indent(indent)
    block = render_block({"sops": metadata}, 0, indent=n) if metadata is not None else ""
    out = []
    for i, doc in enumerate(docs):
        if i:
            out.append("---\n")
        last = not block and i == len(docs) - 1
        out.append((render_block(doc, 0, last=last, indent=n) + block) or "{}\n")
    return "".join(out).encode()


def render_mapping(node: t.Mapping, indent: int) -> bytes:
    """One mapping as a document (``--extract`` of a sub-tree)."""
    return render_block(node, 0, last=True, indent=best_indent(indent)).encode()
