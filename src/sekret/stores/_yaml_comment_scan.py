"""go-yaml's scanner as far as comments go: comment records and block ends.

go-yaml's scanner turns every run of comment lines between two tokens into *records*
(reimplemented here from go-yaml v3.0.4's behaviour): a *line* comment (on a token's own
line), *foot* comments (right under the previous content, or less indented than the
block they end, or before a blank line) and a *head* comment (the rest, for what comes
next), each due at a *token mark*; and it places each block end before the comments
that sit at the indentation of the block it ends. Only the text between tokens is read,
and only where it holds a ``#``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sekret.stores._yaml_comment_cursor import FOOT, HEAD, LINE
from sekret.stores._yaml_tokens import (
    ANCHOR,
    BLOCK_END,
    BMS,
    BSS,
    DIRECTIVE,
    DOC_END,
    DOC_START,
    ENTRY,
    FENTRY,
    FME,
    FMS,
    FSE,
    FSS,
    KEY,
    SCALAR,
    STREAM_END,
    STREAM_START,
    VALUE,
    Logged,
    Pair,
    Token,
)

#: what ends a line for go-yaml, and the text's end (read as a NUL past it)
_BREAKS = "\n\r\x85\u2028\u2029"
_BREAKZ = _BREAKS + "\0"
_BLANKS = " \t"
_SPACE = re.compile(r"[ \t\n\r\x85\u2028\u2029]*")
_LINE_END = re.compile(r"[^\n\r\x85\u2028\u2029\0]*")
_PEEK = 512  # how far go-yaml's comment scanner looks ahead
_AS_NEWLINE = str.maketrans(dict.fromkeys("\r\x85\u2028\u2029", "\n"))

#: no comment on the line of these (go-yaml does not look for one after them)
_NO_LINE_COMMENT = frozenset((ENTRY, DOC_START, DOC_END, DIRECTIVE, STREAM_START, STREAM_END))
#: tokens the scanner inserts (they do not move it): a simple key's KEY, block starts
_INSERTED = frozenset((BMS, BSS))


class Record:
    """One comment record of the scanner: a run of comment lines due at ``token_mark``.

    ``text`` is go-yaml's comment text with each comment line written as its number in
    :attr:`Scanner.spans` (lines joined by ``\\n``, an empty line for a blank one).
    """

    __slots__ = ("col", "end", "kind", "scan", "start", "text", "token_mark")

    def __init__(
        self, kind: int, token_mark: int, start: int, col: int, end: int, scan: int, text: str
    ) -> None:
        self.kind = kind
        self.token_mark = token_mark
        self.start = start  # where its first comment starts
        self.col = col  # that comment's column (1-based; 0-based for line comments)
        self.end = end  # where the scanner stopped reading it (0 for line comments)
        self.scan = scan  # where the scan that found it began (0 for line comments)
        self.text = text


class Scanner:
    """go-yaml's scanner as far as comments go: the token stream with block ends, and
    the comment records, in the order go-yaml makes them."""

    def __init__(self, text: str) -> None:
        if "\r" in text or (not text.isascii() and any(c in text for c in "\x85\u2028\u2029")):
            # every line break as "\n" (same offsets): lines and columns count from it
            text = text.translate(_AS_NEWLINE)
        self.text = text + "\0\0"  # go-yaml reads NULs past the end
        self.n = len(text)
        self.first_break = text.find("\n")
        self.toks: list[Logged] = []
        self.recs: list[Record] = []
        self.spans: list[tuple[int, int]] = []  # every comment line found
        self.indent = -1
        self.indents: list[int] = []
        self.opens: list[int] = []  # where in toks each open block starts
        #: where each block's end is in toks, by where it starts (for the parser to
        #: pass over a block that has no comment in one step)
        self.ends: dict[int, int] = {}
        self.anchors = False  # the text has an anchor (then no block is passed over)
        self.flow = 0
        self.mark = 0  # where the last fetched token's own text ends
        self.consumes = False  # it is a plain or block scalar (which read on to content)
        self.line_ok = False  # a comment on its line is a line comment
        self.comment_mark = 0  # the mark such a line comment is due at
        self.at = -1  # where the last gap ended
        #: the scanner's last queued token, and the one before (a simple pair: its value)
        self.prev: Token | Pair = (STREAM_START, 0, 0, "")
        self.prev2: Token | Pair = self.prev

    # --- positions ---------------------------------------------------------------------

    def column(self, pos: int) -> int:
        """0-based column of a text offset."""
        return pos - self.text.rfind("\n", 0, pos) - 1

    def newlines(self, pos: int) -> int:
        """Line breaks between the last non-blank character before ``pos`` and ``pos``
        (go-yaml's ``newlines`` counter when its reader is at ``pos``)."""
        text, count = self.text, 0
        while pos > 0:
            c = text[pos - 1]
            if c in _BREAKS:
                count += 1
            elif c not in _BLANKS:
                break
            pos -= 1
        return count

    def comment(self, start: int) -> tuple[int, str]:
        """The comment line starting at ``start``: where it ends, its placeholder."""
        m = _LINE_END.match(self.text, start)
        assert m is not None
        self.spans.append((start, m.end()))
        return m.end(), str(len(self.spans) - 1)

    # --- the token stream --------------------------------------------------------------

    def run(self, logged: Sequence[Logged]) -> None:
        """Read the token source's list; then :attr:`toks` and :attr:`recs` are set.

        The usual tokens of block YAML with no comment before them are handled here,
        with the scanner's state in local variables; anything else by :meth:`token`.
        """
        toks, text = self.toks, self.text
        toks.append((STREAM_START, 0, 0, ""))
        find, rfind, append = text.find, text.rfind, toks.append
        indents, opens = self.indents, self.opens
        mark, indent, at, prev, prev2 = self.mark, self.indent, self.at, self.prev, self.prev2
        consumes, comment_mark, line_ok = self.consumes, self.comment_mark, self.line_ok
        todo: list[Logged]
        for item in logged:
            if isinstance(item, list):
                # simple "key: value" lines, no comment among them: when only blanks
                # lie before the first, at the mapping's indentation, kept as they are
                # (the parser reads each as four tokens), else the first one is read
                # as its tokens
                key, ks, value, vs = item[0]
                if find("#", mark, ks) < 0 and ks - rfind("\n", 0, ks) - 1 == indent:
                    append(item)
                    prev2, prev = prev, item[-1]
                    at = comment_mark = item[-1][3]
                    mark = at + len(item[-1][2])
                    consumes = line_ok = True
                    continue
                ke = ks + len(key)
                todo = [
                    (KEY, ks, ks, ""),
                    (SCALAR, ks, ke, ""),
                    (VALUE, ke, ke + 1, ""),
                    (SCALAR, vs, vs + len(value), ""),
                ]
                if len(item) > 1:
                    todo.append(item[1:])
            else:
                kind, start, end, style = item
                if start != at:
                    column = start - rfind("\n", 0, start) - 1
                    quiet = find("#", mark, start) < 0 and (indent <= column or self.flow)
                else:
                    quiet = True
                if quiet and not self.flow:
                    if kind == KEY and end == start:
                        append(item)
                        at = start
                        continue
                    if kind == BMS or kind == BSS:
                        indents.append(indent)
                        indent = start - rfind("\n", 0, start) - 1
                        opens.append(len(toks))
                        append(item)
                        if kind == BSS:
                            prev2, prev = prev, item
                        at = start
                        continue
                    if (kind == SCALAR and style in ("", "'", '"')) or kind == ENTRY:
                        append(item)
                        prev2, prev = prev, item
                        at = comment_mark = start
                        mark = end
                        consumes = style == "" and kind == SCALAR
                        line_ok = kind != ENTRY
                        continue
                    if kind == VALUE:
                        append(item)
                        comment_mark = _start(prev)
                        prev2, prev = prev, item
                        at, mark, consumes, line_ok = start, end, False, True
                        continue
                todo = [item]
            self.mark, self.indent, self.at, self.prev, self.prev2 = mark, indent, at, prev, prev2
            self.consumes, self.comment_mark, self.line_ok = consumes, comment_mark, line_ok
            self.run_general(todo)
            mark, indent, at, prev, prev2 = self.mark, self.indent, self.at, self.prev, self.prev2
            consumes, comment_mark, line_ok = self.consumes, self.comment_mark, self.line_ok
        self.mark, self.indent, self.at, self.prev, self.prev2 = mark, indent, at, prev, prev2
        self.consumes, self.comment_mark, self.line_ok = consumes, comment_mark, line_ok
        self.stream_end()

    def run_general(self, items: list[Logged]) -> None:
        """Tokens (and a run of simple pairs, last) the quick path of :meth:`run` left."""
        for item in items:
            if isinstance(item, list):
                self.toks.append(item)
                self.prev2, self.prev = self.prev, item[-1]
                vs = item[-1][3]
                self.at = self.comment_mark = vs
                self.mark = vs + len(item[-1][2])
                self.consumes = self.line_ok = True
            else:
                self.token(item)

    def last(self, second: bool = False) -> Token:
        """The scanner's last queued token (or the one before it)."""
        tok = self.prev2 if second else self.prev
        if isinstance(tok[0], str):  # a simple pair: its value is last
            value, vs = tok[2], tok[3]
            assert isinstance(value, str) and isinstance(vs, int)
            return (SCALAR, vs, vs + len(value), "")
        if second and isinstance(self.prev[0], str):
            return (VALUE, 0, 0, "")  # (before a pair's value: its VALUE)
        return tok

    def queue(self, tok: Token) -> None:
        self.toks.append(tok)
        self.prev2 = self.prev
        self.prev = tok

    def token(self, tok: Token) -> None:
        kind, start = tok[0], tok[1]
        if start != self.at:
            self.at = start
            if self.text.find("#", self.mark, start) < 0:  # (what gap would find)
                scan = start if self.consumes else self.mark
            else:
                scan = self.gap(start)
            if kind in (DOC_START, DOC_END, DIRECTIVE):
                self.unroll(0, scan)
                self.unroll(-1, start)
            elif not self.flow:
                column = start - self.text.rfind("\n", 0, start) - 1
                if self.indent > column:
                    self.unroll(column, scan)
        if (kind == KEY and tok[2] == start) or kind in _INSERTED:
            if kind != KEY:
                self.indents.append(self.indent)
                self.indent = self.column(start)
                self.opens.append(len(self.toks))
            self.toks.append(tok)  # inserted before the key: not the scanner's last
            if kind == BSS:
                self.prev2, self.prev = self.prev, tok
            return
        # a token the scanner reads: where it stops, and the comment it may see after
        self.comment_mark = start
        if (kind == VALUE and not self.flow) or (kind == FENTRY and self.flow):
            self.comment_mark = self.last()[1]  # go-yaml: "associate with the prior token"
        self.queue(tok)
        if kind == ANCHOR:
            self.anchors = True
        self.mark = tok[2]
        self.consumes = kind == SCALAR and tok[3] in ("", "|", ">")
        self.line_ok = kind not in _NO_LINE_COMMENT
        if kind == SCALAR and tok[3] in ("|", ">"):
            self.block_header(start)
        elif kind in (FSS, FMS):
            self.flow += 1
        elif kind in (FSE, FME) and self.flow:
            self.flow -= 1

    def block_header(self, start: int) -> None:
        """A comment on a block scalar's header line: a line comment of the scalar."""
        text, pos = self.text, start + 1
        while pos < self.n and text[pos] in "+-0123456789":
            pos += 1
        while pos < self.n and text[pos] in _BLANKS:
            pos += 1
        if text[pos] == "#":
            _, ph = self.comment(pos)
            self.recs.append(Record(LINE, start, pos, self.column(pos), 0, 0, ph))

    def stream_end(self) -> None:
        n = self.n
        self.at = n
        scan = self.gap(n)
        self.unroll(self.column(n), scan)  # (a last line without a break)
        self.unroll(-1, n)
        self.toks.append((STREAM_END, n, n, ""))

    def unroll(self, column: int, scan: int) -> None:
        """Close the blocks indented past ``column``, each with a block end placed
        before the comments that sit at its indentation."""
        if self.flow:
            return
        mark = scan - 1
        recs = self.recs
        while self.indent > column:
            stop = mark
            for rec in reversed(recs):
                if rec.end < stop:
                    break
                if rec.col == self.indent + 1:
                    mark = rec.start
                stop = rec.scan
            self.ends[self.opens.pop()] = len(self.toks)
            self.queue((BLOCK_END, mark, mark, ""))
            self.indent = self.indents.pop()

    # --- between two tokens ------------------------------------------------------------

    def gap(self, end: int) -> int:
        """Read the text from the last token to ``end`` as go-yaml's scanner does; the
        position its next fetch starts from (its *scan mark*)."""
        text, pos = self.text, self.mark
        if text.find("#", pos, end) < 0:
            return end if self.consumes else pos
        if self.consumes:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if self.line_ok and self.newlines(pos) == 0:
            p = pos
            while p - pos < _PEEK and text[p] in _BLANKS:
                p += 1
            if text[p] == "#":
                pos, ph = self.comment(p)
                self.recs.append(Record(LINE, self.comment_mark, p, self.column(p), 0, 0, ph))
        scan = pos
        while True:
            while text[pos] in _BLANKS:
                pos += 1
            if text[pos] == "#":
                pos = self.comments(pos, scan)
            if text[pos] in _BREAKS:
                pos += 1
                continue
            return scan

    def comments(self, pos: int, scan: int) -> int:
        """go-yaml's reading of the comment lines from the ``#`` at ``pos``: foot records
        for what closes the previous content, then a head record; where it stopped."""
        tok = self.last()
        if tok[0] == FENTRY:
            tok = self.last(True)
        token_mark = tok[1]
        next_indent = self.indent if self.indent > 0 else 0
        newlines = self.newlines(pos)
        first_empty = newlines <= 1
        text = self.text
        # (lines counted from the line of ``pos``: only their differences matter)
        line, column, origin = 0, pos - text.rfind("\n", 0, pos) - 1, pos
        foot_line = -1
        if 0 <= self.first_break < scan:  # the scan began past the first line
            foot_line = line - newlines + 1
            if newlines == 0 and column > 1:
                foot_line += 1
        recent_empty = False
        buf = ""
        s_pos = s_line = s_col = 0  # the current run's first comment
        recs, flow = self.recs, self.flow
        peek = 0
        while peek < _PEEK:
            at = pos + peek
            column += 1
            c = text[at]
            if c in _BLANKS:
                peek += 1
                continue
            close_flow = flow > 0 and c in "]}"
            if close_flow or c in _BREAKZ:
                if close_flow or not recent_empty:
                    if close_flow or (
                        first_empty
                        and ((s_line == foot_line and tok[0] != VALUE) or s_col - 1 < next_indent)
                    ):
                        if buf:
                            if s_col - 1 < next_indent:
                                token_mark = s_pos  # less indented: not the prior token's
                            recs.append(Record(FOOT, token_mark, s_pos, s_col, at, scan, buf))
                            scan = token_mark = at
                            buf = ""
                    elif buf and c != "\0":
                        buf += "\n"
                if c not in _BREAKS:
                    break
                first_empty = False
                recent_empty = True
                column = 0
                line += 1
                peek += 1
                continue
            if buf and column - 1 < next_indent and column != s_col:
                # a comment (or content) less indented than the run: the run is a foot
                recs.append(Record(FOOT, token_mark, s_pos, s_col, at, scan, buf))
                scan = token_mark = at
                buf = ""
            if c != "#":
                break
            if buf:
                buf += "\n"
            else:
                s_pos, s_line, s_col = at, line, column
            recent_empty = False
            pos, ph = self.comment(at)
            buf += ph
            peek = 1  # (the line break after the comment is passed over unread)
            column = 0
            line = text.count("\n", origin, pos)
            next_indent = self.indent if self.indent > 0 else 0
        if buf:
            recs.append(Record(HEAD, s_pos, s_pos, s_col, pos + peek - 1, scan, buf))
        return pos


def _start(tok: Token | Pair) -> int:
    """Where a token starts (a simple pair: where its value does, its last token)."""
    return tok[3] if isinstance(tok[3], int) else tok[1]
