"""The token cursor of the comment replay: go-yaml's hand-over of comments at each peek.

The parser of :mod:`._yaml_comment_parse` reads the scanner's tokens through this: at
each peek at a token it takes the comment records due there (a head comment is never
taken at a block end), which the next event that carries comments will take; simple
pairs and whole blocks that no comment concerns are passed over in one step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sekret.stores._yaml_tokens import (
    BLOCK_END,
    KEY,
    SCALAR,
    VALUE,
    Logged,
    Token,
)

HEAD, LINE, FOOT = 0, 1, 2
(E_STREAM_START, E_STREAM_END, E_DOC_START, E_DOC_END, E_ALIAS, E_SCALAR, E_SEQ_START,
 E_SEQ_END, E_MAP_START, E_MAP_END) = range(10)  # fmt: skip

#: an event: type, head, line and foot comments, anchor (or alias) name, flow style
Event = tuple[int, str, str, str, str, bool]


class PlacementError(Exception):
    """The comment replay disagrees with the tree it should fill (a bug)."""


class RecordLike(Protocol):
    kind: int
    token_mark: int
    text: str


class Cursor:
    """The parser's position in the token stream and the comments it holds."""

    def __init__(
        self,
        text: str,
        toks: Sequence[Logged],
        recs: Sequence[RecordLike],
        ends: dict[int, int] | None = None,
    ) -> None:
        self.text = text
        self.toks = toks
        self.ends = ends or {}  # where each block start's block end is in toks
        self.pos = 0  # the current entry of toks
        self.sub = 0  # within a list of simple pairs (4 tokens each), which token
        self.pair: list[Token] = []  # the current simple pair's tokens
        self.recs = recs
        self.r = 0  # the next record not yet taken
        self.head = self.line = self.foot = self.stem = ""
        self.states: list[Callable[[], Event]] = []
        self.state: Callable[[], Event] = _closed
        # the block mapping states (set by the parser; compared by identity)
        self.mapping_key: Callable[[], Event] = _closed
        self.mapping_first: Callable[[], Event] = _closed

    # --- tokens and comments -------------------------------------------------------------

    def peek(self) -> Token:
        entry = self.toks[self.pos]
        if type(entry) is list:  # simple pairs, each read as KEY, key, VALUE, value
            sub = self.sub
            if sub & 3 == 0 or not self.pair:
                key, ks, value, vs = entry[sub >> 2]
                ke = ks + len(key)
                self.pair = [
                    (KEY, ks, ks, ""),
                    (SCALAR, ks, ke, ""),
                    (VALUE, ke, ke + 1, ""),
                    (SCALAR, vs, vs + len(value), ""),
                ]
            tok = self.pair[sub & 3]
        else:
            tok = entry  # type: ignore[assignment]
        recs, r, start = self.recs, self.r, tok[1]
        while r < len(recs) and start >= recs[r].token_mark:
            rec = recs[r]
            if rec.kind == HEAD:
                if tok[0] == BLOCK_END:
                    break  # "no heads on ends": kept for the next token
                self.head = self.head + "\n" + rec.text if self.head else rec.text
            elif rec.kind == FOOT:
                self.foot = self.foot + "\n" + rec.text if self.foot else rec.text
            else:
                self.line = self.line + "\n" + rec.text if self.line else rec.text
            r += 1
        self.r = r
        return tok

    def skip(self) -> None:
        entry = self.toks[self.pos]
        if type(entry) is list:
            self.sub += 1
            if self.sub & 3 == 0:
                self.pair = []
                if self.sub < 4 * len(entry):
                    return
                self.sub = 0
            else:
                return
        self.pos += 1

    def fast_pairs(self) -> int:
        """Pass the simple pairs no comment concerns (the usual entries) at once; how
        many (each is a key and a value without comments)."""
        pos, state, sub = self.pos, self.state, self.sub
        if state is not self.mapping_key:
            if state is not self.mapping_first or sub:
                return 0
            pos += 1  # the mapping's start, then its first entry
        entry = self.toks[pos]
        if type(entry) is not list or sub & 3 or self.head or self.line or self.foot:
            return 0
        first = end = sub >> 2
        if self.r < len(self.recs) and self.recs[self.r].token_mark <= entry[-1][3]:
            due = self.recs[self.r].token_mark  # passed where it is due
            while end < len(entry) and entry[end][3] < due:
                end += 1
        else:
            end = len(entry)
        if end == first:
            return 0
        if end == len(entry):
            self.pos, self.sub = pos + 1, 0
        else:
            self.pos, self.sub = pos, 4 * end
        self.pair = []
        self.state = self.mapping_key
        return end - first

    def skip_block(self) -> bool:
        """Right after a block collection's start event: pass over the collection,
        end included, if no comment is due in it; whether it was passed."""
        end = self.ends.get(self.pos)
        if end is None or self.sub or self.head or self.line or self.foot or self.stem:
            return False
        if self.r < len(self.recs) and self.recs[self.r].token_mark <= self.toks[end][1]:  # type: ignore[operator]
            return False
        self.pos = end + 1
        self.pair = []
        self.state = self.states.pop()
        return True

    def close(self) -> None:
        """Let go of the states, bound methods that refer back to the parser (a cycle
        the garbage collector, off in the CLI, would have to break)."""
        self.state = self.mapping_key = self.mapping_first = _closed
        self.states.clear()

    def take(self) -> tuple[str, str, str]:
        """The comments an event takes (and the parser forgets)."""
        out = (self.head, self.line, self.foot)
        self.head = self.line = self.foot = self.stem = ""
        return out

    def name(self, tok: Token) -> str:
        return self.text[tok[1] + 1 : tok[2]]

    # --- productions ---------------------------------------------------------------------


def _closed() -> Event:
    """The state of a closed parser."""
    raise PlacementError("the parser is closed")
