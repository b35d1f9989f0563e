"""The YAML store's usual in-place edit: the changed scalars and comments of a document
whose structure is unchanged, each replaced where it is in the text.

Every scalar of the old document but the sops block must come back in the new tree,
once, in order, and so must every collection (its kind, and whether it is empty) and
every comment; otherwise :func:`collect` says False and the store edits the structure
first (:mod:`._yaml_splice`) or writes the document whole.
"""

from __future__ import annotations

from sekret._lazy_re import lazy
from sekret.sops import tree as t
from sekret.stores._yaml_build import Doc, shape_code
from sekret.stores._yaml_render import INDENT, literal
from sekret.stores._yaml_values import double_quote, render_scalar, render_string
from sekret.stores.base import StoreError


def collect(text: str, new: t.Mapping, old: Doc, edits: list[tuple[int, int, str]]) -> bool:
    """Replacements for the changed leaves and comments of document ``old`` of ``text``
    (appended to ``edits``) that make it ``new``; False if its structure is not the
    document's (then it is written whole, or its structure edited first)."""
    # Every scalar of the old document but the sops block must come back, once, in
    # order: the walk must meet old.spans (in text order) one after the other.
    spans = old.spans
    size = len(spans)
    seen = [0]  # index of the next span the walk must meet
    seen_comments: set[tuple[int, int]] = set()
    s0, s1 = old.sops_span if old.sops_span is not None else (-1, -1)
    sops_comments = {c for c in old.comments if s0 <= c[0] < s1}

    def expected() -> tuple[int, int] | None:
        i = seen[0]
        while i < size and s0 <= spans[i][0] < s1:
            i += 1  # the sops block's scalars: not in the new tree
        seen[0] = i
        return spans[i] if i < size else None

    def scalar_seen(span: tuple[int, int]) -> bool:
        if expected() != span:
            return False
        seen[0] += 1
        return True

    flow_spans = old.flow_spans
    # the collections met, in order: they must be the old document's, but the sops
    # block's (a scalar's span does not tell that a "{}" came or went)
    shapes = [code for p, code in old.shape if not s0 <= p < s1]
    n_shapes = len(shapes)
    met = [0]

    def shape_seen(node: t.Mapping | t.Sequence) -> bool:
        i = met[0]
        met[0] = i + 1
        return i < n_shapes and shapes[i] == shape_code(node)

    def walk(node: object, in_seq: bool) -> bool:
        if isinstance(node, (t.Mapping, t.Sequence)) and not shape_seen(node):
            return False
        if isinstance(node, t.Mapping):
            for entry in node.items:
                if isinstance(entry, t.Comment):
                    if not comment(entry, False):
                        return False
                    continue
                leaf = entry[1]
                if type(leaf) is t.Leaf and type(leaf.value) is str:
                    # The usual entries, handled as the general path below would:
                    # a string leaf in a block mapping, the next span expected.
                    span = leaf.span
                    i = seen[0]
                    sval: str = leaf.value
                    if (
                        i < size
                        and spans[i] == span
                        and not s0 <= span[0] < s1
                        and span not in flow_spans
                    ):
                        if (
                            sval.startswith("ENC[")
                            and _ENC_PLAIN.match(sval) is not None
                            and text[span[0] : span[0] + 1] not in "|>"
                        ):
                            # encrypting: an ENC[…] string, plain-safe as it is
                            seen[0] = i + 1
                            if text[span[0] : span[1]] != sval:
                                edits.append((span[0], span[1], sval))
                            continue
                        if "\n" not in sval and text.startswith("ENC[", span[0]):
                            # decrypting: a one-line string replacing an ENC[…]
                            seen[0] = i + 1
                            edits.append((span[0], span[1], render_string(sval)))
                            continue
                if not walk(leaf, False):
                    return False
            return True
        if isinstance(node, t.Sequence):
            for element in node.items:
                if isinstance(element, t.Comment):
                    if not comment(element, True):
                        return False
                elif not walk(element, True):
                    return False
            return True
        if not isinstance(node, t.Leaf) or node.span is None or not scalar_seen(node.span):
            return False
        s, e = node.span
        original = text[s:e]
        if s == e and node.value is None:
            return True  # an empty value ("key:", "-"): null as it is
        rendered = render_scalar(node.value)
        if original == rendered:
            return True
        if s == e:
            rendered = " " + rendered  # after "key:" or "-", which it would join
        if original[:1] in "|>":
            if "#" in original[: original.find("\n") + 1]:
                # its header's comment is in its span: a new value would drop it
                return _same_value(original, node.value, text[text.rfind("\n", 0, s) + 1 : s])
            # a block scalar's span runs to the end of its last line: keep the break
            tail = original[len(original.rstrip("\n")) :]
            rendered += tail
        value = node.value
        if (
            isinstance(value, str)
            and "\n" in value
            and not value.startswith("ENC[")
            and node.span not in old.flow_spans
            and text[e : e + 1] == "\n"
        ):
            # a multi-line string as a literal block, indented under its key
            line_start = text.rfind("\n", 0, s) + 1
            line = text[line_start:s]
            pad = " " * (len(line) - len(line.lstrip(" -")) + len(INDENT))
            block = literal(value, pad)
            if block.startswith("|"):
                if _block_fits(text, e + 1, pad, block):
                    edits.append((s, e + 1, block))
                    return True
                rendered = render_string(value)  # the lines after would join a block
        if node.span in old.flow_spans and any(c in rendered for c in ",[]{}"):
            if not rendered.startswith(('"', "'")):
                rendered = double_quote(rendered)
        if original.startswith("ENC[") or rendered.startswith("ENC["):
            edits.append((s, e, rendered))
        elif not _same_value(original, node.value, text[text.rfind("\n", 0, s) + 1 : s]):
            edits.append((s, e, rendered))
        return True

    def comment(c: t.Comment, in_seq: bool) -> bool:
        if c.span is None:
            return False
        s, e = c.span
        if expected() == c.span:  # a "- ENC[…,type:comment]" list item from sops
            if not scalar_seen(c.span):
                return False
            line_start = text.rfind("\n", 0, s) + 1
            dash = text.rfind("-", line_start, s)
            edits.append((dash if dash >= 0 else s, e, "#" + c.text))
            return True
        seen_comments.add(c.span)
        if text[s + 1 : e] != c.text:
            edits.append((s, e, "#" + c.text))
        return True

    try:
        if not walk(new, False):
            return False
        return (
            expected() is None
            and seen_comments >= (old.comments - sops_comments)
            and met[0] == n_shapes
        )
    finally:
        # walk refers to itself (a reference cycle through its closure, holding the
        # document): break it, so the document goes when the caller lets it go
        walk = _walk_done


def _block_fits(text: str, after: int, pad: str, block: str) -> bool:
    """Whether a literal ``block`` put before ``text[after:]`` ends where it should: the
    next non-blank line must be indented less than the block's lines, and a block that
    keeps its final breaks (``|+``) may not be followed by blank lines, which it would
    take in."""
    keeps = "+" in block[: block.index("\n")]
    pos = after
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos : len(text) if end < 0 else end]
        if line.strip(" "):
            return len(line) - len(line.lstrip(" ")) < len(pad)
        if keeps:
            return False
        if end < 0:
            break
        pos = end + 1
    return not keeps or after >= len(text)


_ENC_PLAIN = lazy(r"ENC\[AES256_GCM,[A-Za-z0-9+/=,:_]*\]\Z")


def _same_value(original: str, value: t.Scalar, before: str = "") -> bool:
    """Whether the source text already denotes ``value`` (keeps the user's quoting).

    ``before``: what precedes it on its line; a block scalar is read after it (keys,
    a list's dashes), as an indentation indicator counts from its parent's column."""
    if isinstance(value, str) and value.startswith("ENC["):
        return False
    prefix = "k: "
    if original[:1] in "|>":
        lead = before.lstrip(" ")
        if lead.startswith("-"):
            prefix = "k:\n" + before  # in a list ("- ", "- - ", "- key: ")
        elif lead.rstrip(" ") == ":":
            prefix = "? k\n" + before  # the value of an explicit key
        elif before.endswith(": ") and not lead.startswith(("?", "#")):
            prefix = before
    # (a block scalar that ends the file without a line break has no final break in its
    # value: adding one would change what it denotes)
    block = original[:1] in "|>"
    text = prefix + original + ("" if original.endswith("\n") or block else "\n")
    from sekret.stores.yaml import parse  # (the store imports this module)

    try:
        docs = parse(text)
    except StoreError:
        return False
    got: object = docs[0].root
    while isinstance(got, (t.Mapping, t.Sequence)):  # down to the one scalar
        inner = [i for i in got.items if not isinstance(i, t.Comment)]
        if len(inner) != 1:
            return False
        got = inner[0][1] if isinstance(got, t.Mapping) else inner[0]  # type: ignore[index]
    if not isinstance(got, t.Leaf) or got.span != (len(prefix), len(prefix) + len(original)):
        return False
    if type(got.value) is not type(value):
        return False
    return got.value == value or (value != value and got.value != got.value)  # NaN is NaN


def _walk_done(node: object, in_seq: bool) -> bool:
    """What ``_collect``'s walk is rebound to when done (see there)."""
    return False
