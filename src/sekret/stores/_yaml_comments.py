"""Which node each YAML comment belongs to, exactly as go-yaml v3 (and so sops) decides.

A comment's mapping or list is its AAD, and under a comment rule it decides which
values after it are encrypted: sekret must place every comment where sops does. go-yaml
attaches comments in three steps, each reproduced from go-yaml v3.0.4's behaviour (a
reimplementation, not a translation), over the tokens a token source gives
(:mod:`._yaml_tokens`):

1. its scanner turns every run of comment lines between two tokens into *records* (a
   *line* comment, *foot* comments, a *head* comment), each due at a *token mark*, and
   places each block end before the comments at that block's indentation
   (:mod:`._yaml_comment_scan`);
2. its parser hands the records over as it peeks at each token whose start is at or
   past their mark, and every event that takes comments takes all that was handed over
   since the last one (:mod:`._yaml_comment_cursor`, :mod:`._yaml_comment_parse`);
3. its decoder moves foot comments between the nodes of a mapping; then sops lists each
   node's head, line and foot comments around it in its tree
   (:mod:`._yaml_comment_tree`), which is where they go in sekret's tree.

Only the text between tokens that holds a ``#`` is read, and runs of simple ``key:
value`` lines and blocks that no comment concerns are passed over whole: a comment costs
some tens of microseconds, a file without comments nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.sops import tree as t
from sekret.stores import _yaml_comment_tree as ctree
from sekret.stores._yaml_comment_scan import Scanner
from sekret.stores._yaml_tokens import Logged


def attribute(
    text: str, logged: Sequence[Logged], roots: list[t.Mapping]
) -> list[set[tuple[int, int]] | None]:
    """Put the comments of ``text`` into its documents' trees (``roots``, built without
    comments, from the same tokens) where go-yaml and sops put them.

    For each document: the spans of the comments placed in it, or None if go-yaml drops
    one of its comments (sops loses such a comment: the document cannot be edited in
    place, where the comment would stay in the clear).
    """
    scanner = Scanner(text)
    scanner.run(logged)
    ends = {} if scanner.anchors else scanner.ends
    return ctree.place(text, scanner.toks, scanner.recs, scanner.spans, roots, ends)


def shadow_documents(text: str, logged: Sequence[Logged]) -> list[ctree.Shadow]:
    """go-yaml's node tree of ``text`` (whose tokens are ``logged``) reduced to the nodes'
    comments, each comment field as go-yaml's text (for tests against go-yaml's own)."""
    scanner = Scanner(text)
    scanner.run(logged)
    docs = ctree.documents(text, scanner.toks, scanner.recs)
    spans, seen = scanner.spans, set()

    def decode(node: ctree.Shadow) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for field in ("head", "line", "foot"):
            lines = getattr(node, field).split("\n")
            text_of = [text[spans[int(x)][0] : spans[int(x)][1]] if x else "" for x in lines]
            setattr(node, field, "\n".join(text_of) if getattr(node, field) else "")
        for child in node.content:
            decode(child)

    for doc in docs:
        decode(doc)
    return docs
