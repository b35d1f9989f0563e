"""YAML tokens as the comment attribution reads them (:mod:`._yaml_comments`).

A token is a tuple ``(kind, start, end, style)``: its kind (the constants below, one per
token type of the YAML scanner), the text offsets it covers, and for a scalar its style
(``""`` plain, ``"'"``, ``'"'``, ``"|"`` or ``">"``). A simple key's KEY token and the
BLOCK-MAPPING-START before it are zero-width at the key's first character; an explicit
``?`` is one character wide. Block ends are not listed: the attribution makes them,
because go-yaml places them by the comments around them.

Two sources: the fast scanner logs its tokens as it reads (the usual ``key: value``
line as a 4-tuple, ``(key, key_start, value, value_start)``, read as KEY, the key,
VALUE right after it, and the value; consecutive such lines with no comment between
them as one list of those); for everything else, libyaml's scanner (PyYAML's
``yaml.scan``), whose tokens are go-yaml's (go-yaml is a port of libyaml).
"""

from __future__ import annotations

from typing import TypeAlias

(
    DIRECTIVE,
    DOC_START,
    DOC_END,
    BSS,  # block sequence start
    BMS,  # block mapping start
    BLOCK_END,
    FSS,  # [
    FSE,  # ]
    FMS,  # {
    FME,  # }
    ENTRY,  # - (block entry)
    FENTRY,  # , (flow entry)
    KEY,
    VALUE,
    ALIAS,
    ANCHOR,
    TAG,
    SCALAR,
    STREAM_START,
    STREAM_END,
) = range(20)

Token: TypeAlias = "tuple[int, int, int, str]"
#: a simple ``key: value`` line: key, where it starts, value, where it starts
Pair: TypeAlias = "tuple[str, int, str, int]"
#: what a token source lists: tokens, and runs of the fast scanner's simple pairs
Logged: TypeAlias = "Token | list[Pair]"

_PYYAML_KINDS = {
    "DirectiveToken": DIRECTIVE,
    "DocumentStartToken": DOC_START,
    "DocumentEndToken": DOC_END,
    "BlockSequenceStartToken": BSS,
    "BlockMappingStartToken": BMS,
    "FlowSequenceStartToken": FSS,
    "FlowSequenceEndToken": FSE,
    "FlowMappingStartToken": FMS,
    "FlowMappingEndToken": FME,
    "BlockEntryToken": ENTRY,
    "FlowEntryToken": FENTRY,
    "KeyToken": KEY,
    "ValueToken": VALUE,
    "AliasToken": ALIAS,
    "AnchorToken": ANCHOR,
    "TagToken": TAG,
    "ScalarToken": SCALAR,
}


def from_libyaml(text: str) -> list[Token]:
    """Every token of ``text`` by libyaml's scanner, block ends left out (the text must
    be valid YAML: libyaml has read it already)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: list[Token] = []
    append = out.append
    for tok in yaml.scan(text, Loader=loader):
        kind = _PYYAML_KINDS.get(type(tok).__name__)
        if kind is None:
            continue  # stream start and end, block ends: the attribution adds its own
        start, end = tok.start_mark.index, tok.end_mark.index
        style = ""
        if kind == SCALAR:
            style = getattr(tok, "style", None) or ""
        elif kind == DIRECTIVE:
            # go-yaml reads a directive's line to its end, a comment there included
            nl = text.find("\n", end)
            end = len(text) if nl < 0 else nl
        append((kind, start, end, style))
    return out
