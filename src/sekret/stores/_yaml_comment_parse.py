"""go-yaml's parser as far as comments go: which event takes which comment.

Given the scanner's tokens and comment records (:mod:`._yaml_comment_scan`), this
replays the parser's productions (reimplemented from go-yaml v3.0.4's behaviour) over
the cursor of :mod:`._yaml_comment_cursor`, which takes the records due at each peek:
each event that carries comments (scalars, aliases, flow starts and ends, block mapping
ends, document ends) takes what was taken since the last such event; block sequence
ends, block starts and empty values carry none; the head comment before a ``-`` whose
item is a block collection goes to that collection; an implicit document's head
comment is the part before the last blank line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.stores._yaml_comment_cursor import (
    E_ALIAS,
    E_DOC_END,
    E_DOC_START,
    E_MAP_END,
    E_MAP_START,
    E_SCALAR,
    E_SEQ_END,
    E_SEQ_START,
    E_STREAM_END,
    E_STREAM_START,
    Cursor,
    Event,
    PlacementError,
    RecordLike,
)
from sekret.stores._yaml_tokens import (
    ALIAS,
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
    TAG,
    VALUE,
    Logged,
)


class Parser(Cursor):
    """go-yaml's parser productions, each returning the next event with its comments."""

    def __init__(
        self,
        text: str,
        toks: Sequence[Logged],
        recs: Sequence[RecordLike],
        ends: dict[int, int] | None = None,
    ) -> None:
        super().__init__(text, toks, recs, ends)
        self.state = self.stream_start
        self.mapping_key = self.block_mapping_key
        self.mapping_first = self.block_mapping_first

    def stream_start(self) -> Event:
        self.peek()
        self.state = self.implicit_document_start
        self.skip()
        return (E_STREAM_START, "", "", "", "", False)

    def implicit_document_start(self) -> Event:
        return self.document_start(True)

    def explicit_document_start(self) -> Event:
        return self.document_start(False)

    def document_start(self, implicit: bool) -> Event:
        tok = self.peek()
        if not implicit:
            while tok[0] == DOC_END:
                self.skip()
                tok = self.peek()
        if implicit and tok[0] not in (DIRECTIVE, DOC_START, STREAM_END):
            self.states.append(self.document_end)
            self.state = self.block_node
            head, h = "", self.head
            if len(h) > 1 and h.endswith("\n"):
                head, self.head = h[:-1], ""
            elif (j := h.rfind("\n\n")) >= 0:
                # the part before the last blank line is the document's head comment
                head, self.head = h[:j], h[j + 2 :]
            return (E_DOC_START, head, "", "", "", False)
        if tok[0] != STREAM_END:
            while tok[0] == DIRECTIVE:
                self.skip()
                tok = self.peek()
            self.states.append(self.document_end)
            self.state = self.document_content
            self.skip()
            return (E_DOC_START, "", "", "", "", False)
        self.skip()
        return (E_STREAM_END, "", "", "", "", False)

    def document_content(self) -> Event:
        if self.peek()[0] in (DIRECTIVE, DOC_START, DOC_END, STREAM_END):
            self.state = self.states.pop()
            return _EMPTY
        return self.node(True, False)

    def document_end(self) -> Event:
        if self.peek()[0] == DOC_END:
            self.skip()
        self.state = self.explicit_document_start
        head, line, foot = self.take()
        if head and not foot:
            head, foot = "", head
        return (E_DOC_END, head, line, foot, "", False)

    def block_node(self) -> Event:
        return self.node(True, False)

    def node(self, block: bool, indentless: bool) -> Event:
        tok = self.peek()
        if tok[0] == ALIAS:
            self.state = self.states.pop()
            h, li, f = self.take()
            self.skip()
            return (E_ALIAS, h, li, f, self.name(tok), False)
        anchor, props = "", False
        kind = tok[0]
        if kind == ANCHOR or kind == TAG:
            for _ in range(2):  # an anchor and a tag, in either order
                if kind == ANCHOR and not anchor:
                    anchor = self.name(tok)
                elif kind != TAG or props:
                    break
                props = props or kind == TAG
                self.skip()
                tok = self.peek()
                kind = tok[0]
        if indentless and kind == ENTRY:
            self.state = self.indentless_entry
            return (E_SEQ_START, "", "", "", anchor, False)
        if kind == SCALAR:
            self.state = self.states.pop()
            h, li, f = self.take()
            self.skip()
            return (E_SCALAR, h, li, f, anchor, False)
        if kind == FSS or kind == FMS:
            self.state = self.flow_sequence_first if kind == FSS else self.flow_mapping_first
            h, li, f = self.take()
            return (E_SEQ_START if kind == FSS else E_MAP_START, h, li, f, anchor, True)
        if block and (kind == BSS or kind == BMS):
            self.state = self.block_sequence_first if kind == BSS else self.mapping_first
            stem, self.stem = self.stem, ""
            return (E_SEQ_START if kind == BSS else E_MAP_START, stem, "", "", anchor, False)
        if anchor or props:
            self.state = self.states.pop()
            return (E_SCALAR, "", "", "", anchor, False)
        raise PlacementError("no node where the tokens need one")

    def split_stem(self, stem_len: int) -> None:
        """A collection under a ``-``: the head comment before the dash is its own."""
        if stem_len == 0 or self.peek()[0] not in (BSS, BMS):
            return
        self.stem = self.head[:stem_len]
        self.head = "" if len(self.head) == stem_len else self.head[stem_len + 1 :]

    def block_sequence_first(self) -> Event:
        self.peek()
        self.skip()
        return self.block_sequence_entry()

    def block_sequence_entry(self) -> Event:
        tok = self.peek()
        if tok[0] == ENTRY:
            prior = len(self.head)
            self.skip()
            self.split_stem(prior)
            if self.peek()[0] not in (ENTRY, BLOCK_END):
                self.states.append(self.block_sequence_entry)
                return self.node(True, False)
            self.state = self.block_sequence_entry
            return _EMPTY
        if tok[0] == BLOCK_END:
            self.state = self.states.pop()
            self.skip()
            return _SEQ_END
        raise PlacementError("a block sequence without its block end")

    def indentless_entry(self) -> Event:
        if self.peek()[0] == ENTRY:
            prior = len(self.head)
            self.skip()
            self.split_stem(prior)
            if self.peek()[0] not in (ENTRY, KEY, VALUE, BLOCK_END):
                self.states.append(self.indentless_entry)
                return self.node(True, False)
            self.state = self.indentless_entry
            return _EMPTY
        self.state = self.states.pop()
        return _SEQ_END

    def block_mapping_first(self) -> Event:
        self.peek()
        self.skip()
        return self.block_mapping_key()

    def block_mapping_key(self) -> Event:
        tok = self.peek()
        if tok[0] == KEY:
            self.skip()
            if self.peek()[0] not in (KEY, VALUE, BLOCK_END):
                self.states.append(self.block_mapping_value)
                return self.node(True, True)
            self.state = self.block_mapping_value
            return _EMPTY
        if tok[0] == BLOCK_END:
            self.state = self.states.pop()
            h, li, f = self.take()
            self.skip()
            return (E_MAP_END, h, li, f, "", False)
        raise PlacementError("a block mapping without its block end")

    def block_mapping_value(self) -> Event:
        if self.peek()[0] == VALUE:
            self.skip()
            if self.peek()[0] not in (KEY, VALUE, BLOCK_END):
                self.states.append(self.mapping_key)
                return self.node(True, True)
        self.state = self.mapping_key
        return _EMPTY

    def flow_sequence_first(self) -> Event:
        self.peek()
        self.skip()
        return self.flow_sequence_entry(True)

    def flow_sequence_next(self) -> Event:
        return self.flow_sequence_entry(False)

    def flow_sequence_entry(self, first: bool) -> Event:
        tok = self.peek()
        if tok[0] != FSE:
            if not first:
                if tok[0] != FENTRY:
                    raise PlacementError("a flow sequence entry without ','")
                self.skip()
                tok = self.peek()
            if tok[0] == KEY:
                self.state = self.flow_pair_key
                self.skip()
                return (E_MAP_START, "", "", "", "", True)
            if tok[0] != FSE:
                self.states.append(self.flow_sequence_next)
                return self.node(False, False)
        self.state = self.states.pop()
        h, li, f = self.take()
        self.skip()
        return (E_SEQ_END, h, li, f, "", True)

    def flow_pair_key(self) -> Event:
        if self.peek()[0] not in (VALUE, FENTRY, FSE):
            self.states.append(self.flow_pair_value)
            return self.node(False, False)
        self.skip()
        self.state = self.flow_pair_value
        return _EMPTY

    def flow_pair_value(self) -> Event:
        if self.peek()[0] == VALUE:
            self.skip()
            if self.peek()[0] not in (FENTRY, FSE):
                self.states.append(self.flow_pair_end)
                return self.node(False, False)
        self.state = self.flow_pair_end
        return _EMPTY

    def flow_pair_end(self) -> Event:
        self.peek()
        self.state = self.flow_sequence_next
        return (E_MAP_END, "", "", "", "", True)

    def flow_mapping_first(self) -> Event:
        self.peek()
        self.skip()
        return self.flow_mapping_key(True)

    def flow_mapping_next(self) -> Event:
        return self.flow_mapping_key(False)

    def flow_mapping_key(self, first: bool) -> Event:
        tok = self.peek()
        if tok[0] != FME:
            if not first:
                if tok[0] != FENTRY:
                    raise PlacementError("a flow mapping entry without ','")
                self.skip()
                tok = self.peek()
            if tok[0] == KEY:
                self.skip()
                if self.peek()[0] not in (VALUE, FENTRY, FME):
                    self.states.append(self.flow_mapping_value)
                    return self.node(False, False)
                self.state = self.flow_mapping_value
                return _EMPTY
            if tok[0] != FME:
                self.states.append(self.flow_mapping_empty_value)
                return self.node(False, False)
        self.state = self.states.pop()
        h, li, f = self.take()
        self.skip()
        return (E_MAP_END, h, li, f, "", True)

    def flow_mapping_value(self) -> Event:
        if self.peek()[0] == VALUE:
            self.skip()
            if self.peek()[0] not in (FENTRY, FME):
                self.states.append(self.flow_mapping_next)
                return self.node(False, False)
        self.state = self.flow_mapping_next
        return _EMPTY

    def flow_mapping_empty_value(self) -> Event:
        self.peek()
        self.state = self.flow_mapping_next
        return _EMPTY


_EMPTY: Event = (E_SCALAR, "", "", "", "", False)  # an empty value: no comments
_SEQ_END: Event = (E_SEQ_END, "", "", "", "", False)  # a block sequence's end: none
