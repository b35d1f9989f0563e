"""How go-yaml v3 (and so sops) writes a string, so that decrypted output matches sops's.

go-yaml's encoder asks for a style — literal (``|``) for text with a line break, double
quotes for text that would read back as another type (``"123"``, ``"yes"``, ``"1:20"``),
plain otherwise — and its emitter downgrades it when the text cannot take it: plain
becomes single-quoted, single-quoted becomes double-quoted, a block becomes
double-quoted. What the text can take comes from one scan of its characters (indicators,
leading/trailing spaces and breaks, tabs, characters go-yaml does not print raw).
Reimplemented from go-yaml's documented behaviour and checked against sops's output by
the tests; no line wrapping (sops writes long lines whole).
"""

from __future__ import annotations

from sekret._lazy_re import lazy

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"

_BREAKS = "\n\r\x85\u2028\u2029"
_OLD_BOOLS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "on",
        "On",
        "ON",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "off",
        "Off",
        "OFF",
    ]
)
_BASE60 = lazy(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_ESCAPES = {
    "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
    "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
}  # fmt: skip


def printable(ch: str) -> bool:
    """go-yaml's is_printable: LF, ASCII, and the BMP but surrogates, U+FEFF, U+FFFE/F
    (nothing past the BMP: go-yaml escapes those)."""
    o = ord(ch)
    return (
        o == 0x0A
        or 0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
    )


class _Scan:
    """What a string allows (go-yaml's analyze_scalar), for a non-empty string."""

    __slots__ = ("block", "block_plain", "flow_plain", "multiline", "single")

    def __init__(self, s: str) -> None:
        block_ind = flow_ind = s.startswith(("---", "..."))
        line_breaks = special = tabs = False
        space_break = break_space = False
        prev_space = prev_break = False
        preceded_by_ws = True
        n = len(s)
        for i, ch in enumerate(s):
            followed_by_ws = i + 1 >= n or s[i + 1] in " \t" or s[i + 1] in _BREAKS
            if i == 0:
                if ch in "#,[]{}&*!|>'\"%@`":
                    flow_ind = block_ind = True
                elif ch in "?:":
                    flow_ind = True
                    block_ind = block_ind or followed_by_ws
                elif ch == "-" and followed_by_ws:
                    flow_ind = block_ind = True
            elif ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                block_ind = block_ind or followed_by_ws
            elif ch == "#" and preceded_by_ws:
                flow_ind = block_ind = True
            if ch == "\t":
                tabs = True
            elif not printable(ch):
                special = True
            if ch == " ":
                break_space = break_space or prev_break
                prev_space, prev_break = True, False
            elif ch in _BREAKS:
                line_breaks = True
                space_break = space_break or prev_space
                prev_space, prev_break = False, True
            else:
                prev_space = prev_break = False
            preceded_by_ws = ch in " \t" or ch in _BREAKS or ch == "\0"
        leading = s[0] == " " or s[0] in _BREAKS
        trailing_space = s[-1] == " "
        trailing = trailing_space or s[-1] in _BREAKS
        self.multiline = line_breaks
        plain = not (leading or trailing or break_space or space_break or tabs or special)
        plain = plain and not line_breaks
        self.flow_plain = plain and not flow_ind
        self.block_plain = plain and not block_ind
        self.single = not (break_space or space_break or tabs or special)
        self.block = not (trailing_space or space_break or special)


def style(s: str, reads_as_string: bool, *, key: bool = False) -> str:
    """The style go-yaml writes the string ``s`` in (block context; ``key``: as a
    mapping key). ``reads_as_string``: whether ``s`` unquoted would read back as a
    string (the caller's resolver says)."""
    if s == "":
        return DOUBLE  # "" reads back as null unquoted: quoted, as go-yaml does
    scan = _Scan(s)
    if "\n" in s:
        want = LITERAL
    elif not reads_as_string or s in _OLD_BOOLS or _BASE60.fullmatch(s):
        want = DOUBLE
    else:
        want = PLAIN
    if key and scan.multiline:
        want = DOUBLE
    if want == PLAIN and not scan.block_plain:
        want = SINGLE
    if want == SINGLE and not scan.single:
        want = DOUBLE
    if want == LITERAL and (not scan.block or key):
        want = DOUBLE
    return want


def double_quoted(s: str) -> str:
    """``s`` in double quotes with go-yaml's escapes (upper-case hex)."""
    bom = s.startswith("\ufeff")  # go-yaml then escapes every character (its is_bom
    out = ['"']  # looks at the string's start, not at the character)
    for ch in s:
        if bom or not printable(ch) or ch in _BREAKS or ch in '"\\':
            short = _ESCAPES.get(ch)
            o = ord(ch)
            if short is not None:
                out.append("\\" + short)
            elif o <= 0xFF:
                out.append(f"\\x{o:02X}")
            elif o <= 0xFFFF:
                out.append(f"\\u{o:04X}")
            else:
                out.append(f"\\U{o:08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def single_quoted(s: str) -> str:
    """``s`` in single quotes (a quote doubled)."""
    return "'" + s.replace("'", "''") + "'"


def literal(s: str, pad: str, indent: int = 4) -> str:
    """``s`` as a literal block whose lines sit at ``pad``, header line included
    (``|``, with go-yaml's indentation and chomping hints); ``s`` must allow a block."""
    head = "|"
    if s[0] == " " or s[0] in _BREAKS:
        head += str(indent)
    if s[-1] not in _BREAKS:
        head += "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
        head += "+"
    out = [head, "\n"]
    line_start = True
    for ch in s:
        if ch in _BREAKS:
            out.append(ch)  # LF, or LS/PS (the only other breaks a block can hold)
            line_start = True
        else:
            if line_start:
                out.append(pad)
                line_start = False
            out.append(ch)
    if s[-1] not in _BREAKS:
        out.append("\n")
    return "".join(out)
