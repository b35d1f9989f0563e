"""The YAML store: SOPS YAML files edited in place (DESIGN decision 2).

Parsing uses libyaml through PyYAML's C loader, which reports every scalar's position.
A loaded file keeps its text; emitting replaces only the scalars whose value changed
(an ``ENC[…]`` string for a value, or the value for an ``ENC[…]``), drops the old
``sops:`` block and appends the new one at the end of every document. Untouched lines
stay byte-identical, so a one-value edit is a one-value diff.

Comments are found between the parser's tokens and placed in the tree where sops puts
them: a comment belongs to the mapping (or list) of the next entry, a trailing comment
to the entry on its line. When a document's structure changed (keys added or removed by
``set``/``unset``, a tree from another format, aliases), the document is written whole
in go-yaml's style (indent 4, lists indented, comments as head comments) instead.
"""

from __future__ import annotations

import bisect
import collections
import re
from dataclasses import dataclass, field

import yaml

from sekret.sops import tree as t
from sekret.sops.metadata import MetadataNotFoundError
from sekret.stores._yaml_values import (
    STR,
    double_quote,
    render_scalar,
    resolve_plain,
    resolve_tagged,
)
from sekret.stores.base import StoreError

try:  # libyaml's C parser: the fast path (and the positions we need)
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_COMMENT = re.compile(r"(?:(?<=[ \t])|^)#[^\n]*", re.M)
INDENT = "    "


@dataclass
class _Doc:
    """One document as loaded: its root and where things are in the text."""

    root: t.Mapping
    start: int  # text offset of the root node
    end: int  # text offset just past the root node
    flow: bool  # the root is a flow mapping ({…}): cannot append a block to it
    spans: set[tuple[int, int]] = field(default_factory=set)
    comments: set[tuple[int, int]] = field(default_factory=set)
    sops_span: tuple[int, int] | None = None  # the "sops:" entry, removed on emit
    flow_spans: set[tuple[int, int]] = field(default_factory=set)  # inside [..] or {..}
    in_place: bool = True


class _Builder:
    """Node graph → tree, recording spans and detecting aliases."""

    def __init__(self, text: str, comments: list[tuple[int, int]], line_starts: list[int]):
        self.text = text
        self.comments = collections.deque(comments)
        self.line_starts = line_starts
        self.seen: set[int] = set()
        self.doc: _Doc | None = None
        self.aliased = False

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos) - 1

    def scalar(self, node: yaml.ScalarNode) -> t.Scalar:
        if node.style in ("'", '"', "|", ">"):
            if node.tag != STR and not node.tag.startswith("tag:yaml.org,2002:str"):
                return resolve_tagged(node.tag, node.value)
            return str(node.value)
        if self.text[node.start_mark.index : node.start_mark.index + 1] == "!":
            return resolve_tagged(node.tag, node.value)  # an explicit tag: honour it
        return resolve_plain(node.value)

    def build(self, node: yaml.Node) -> t.Node | t.Leaf:
        if id(node) in self.seen:
            self.aliased = True
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            span = (node.start_mark.index, node.end_mark.index)
            # a "#" inside a scalar (quoted or block) is text, not a comment
            while self.comments and self.comments[0][0] < span[1]:
                if self.comments[0][0] >= span[0]:
                    self.comments.popleft()
                else:
                    break
            assert self.doc is not None
            self.doc.spans.add(span)
            return t.Leaf(self.scalar(node), span)
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and node.flow_style:
            assert self.doc is not None
            for child in (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [v for pair in node.value for v in pair]
            ):
                if isinstance(child, yaml.ScalarNode):
                    self.doc.flow_spans.add((child.start_mark.index, child.end_mark.index))
        if isinstance(node, yaml.SequenceNode):
            items: list[t.Node | t.Leaf | t.Comment] = []
            for child in node.value:
                items.extend(self._comments_before(child.start_mark.index, node))
                items.append(self.build(child))
            return t.Sequence(items)
        assert isinstance(node, yaml.MappingNode)
        out: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
        keys: dict[object, int] = {}
        for knode, vnode in node.value:
            out.extend(self._comments_before(knode.start_mark.index, node))
            key = self.scalar(knode) if isinstance(knode, yaml.ScalarNode) else None
            hashable = key if not isinstance(key, float) or key == key else repr(key)
            if hashable in keys:
                raise StoreError(
                    f"mapping key {str(key)!r} already defined at line {keys[hashable] + 1}",
                    line=knode.start_mark.line + 1,
                )
            keys[hashable] = knode.start_mark.line
            value = self.build(vnode)
            out.append((key, value))  # type: ignore[arg-type]
            # a trailing comment on the value's last line belongs to this entry
            out.extend(self._comments_before(self._line_end(vnode.end_mark.index), node))
        return t.Mapping(out)

    def _line_end(self, pos: int) -> int:
        nl = self.text.find("\n", max(pos - 1, 0))
        return len(self.text) if nl < 0 else nl + 1

    def _comments_before(self, pos: int, parent: yaml.Node) -> list[t.Comment]:
        found = []
        while self.comments and self.comments[0][0] < pos:
            start, end = self.comments.popleft()
            assert self.doc is not None
            self.doc.comments.add((start, end))
            found.append(t.Comment(self.text[start + 1 : end], (start, end)))
        return found

    def trailing(self, end: int) -> list[t.Comment]:
        found = []
        while self.comments and self.comments[0][0] < end:
            start, stop = self.comments.popleft()
            assert self.doc is not None
            self.doc.comments.add((start, stop))
            found.append(t.Comment(self.text[start + 1 : stop], (start, stop)))
        return found


def _candidate_comments(text: str) -> list[tuple[int, int]]:
    """Every ``#…`` at a line start or after a blank; those inside scalars are dropped
    while the tree is built (their spans are known then)."""
    if "#" not in text:
        return []
    return [(m.start(), m.end()) for m in _COMMENT.finditer(text)]


class YamlStore:
    """SOPS YAML, multi-document, comments kept, edited in place."""

    name = "yaml"

    def __init__(self) -> None:
        self._text = ""
        self._docs: list[_Doc] = []

    # --- loading ---------------------------------------------------------------------

    def _parse(self, data: bytes) -> list[_Doc]:
        if not data:
            raise StoreError(
                "the YAML file is empty", hint="a SOPS file needs one document", exit_code=92
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError("the YAML file is not valid UTF-8") from None
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
        self._text = text
        try:
            comments = _candidate_comments(text)
            nodes = list(yaml.compose_all(text, Loader=_Loader))
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            raise StoreError(f"invalid YAML: {exc.problem or 'syntax error'}", line=line) from None
        except yaml.YAMLError:
            raise StoreError("invalid YAML") from None
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        builder = _Builder(text, comments, line_starts)
        docs: list[_Doc] = []
        for node in nodes:
            if not isinstance(node, yaml.MappingNode):
                raise StoreError(
                    "the top level of a SOPS YAML document must be a mapping",
                    line=node.start_mark.line + 1,
                )
            doc = _Doc(t.Mapping(), node.start_mark.index, node.end_mark.index, node.flow_style)
            builder.doc = doc
            builder.aliased = False
            root = builder.build(node)
            assert isinstance(root, t.Mapping)
            root.items.extend(builder.trailing(self._doc_end(node.end_mark.index)))
            doc.root = root
            if doc.comments:
                doc.start = min(doc.start, min(c[0] for c in doc.comments))
            doc.in_place = not builder.aliased and not node.flow_style
            for i, item in enumerate(root.items):
                if not isinstance(item, t.Comment) and item[0] == "sops":
                    kstart = node.value[self._key_index(root, i)][0].start_mark.index
                    vend = node.value[self._key_index(root, i)][1].end_mark.index
                    doc.sops_span = (text.rfind("\n", 0, kstart) + 1, vend)
            docs.append(doc)
        if not docs and not comments:
            raise StoreError("the YAML file has no document")
        if not docs:
            raise StoreError("the YAML file holds only comments: EOF")
        self._docs = docs
        return docs

    def _doc_end(self, root_end: int) -> int:
        nxt = self._text.find("\n---", root_end - 1)
        return len(self._text) if nxt < 0 else nxt + 1

    @staticmethod
    def _key_index(root: t.Mapping, item_index: int) -> int:
        return sum(1 for it in root.items[:item_index] if not isinstance(it, t.Comment))

    def load_plain(self, data: bytes) -> list[t.Mapping]:
        """Parse a plaintext YAML file."""
        return [d.root for d in self._parse(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[t.Mapping], dict[str, object]]:
        """Parse an encrypted file: the documents without ``sops``, and its metadata."""
        docs = self._parse(data)
        first = docs[0].root.get("sops")
        if first is None:
            raise MetadataNotFoundError()
        meta = t.to_python(first)
        out = []
        for d in docs:
            d.root = t.Mapping(
                [i for i in d.root.items if isinstance(i, t.Comment) or i[0] != "sops"]
            )
            out.append(d.root)
        if not isinstance(meta, dict):
            raise MetadataNotFoundError()
        return out, meta

    def has_metadata(self, data: bytes) -> bool:
        """Whether the first document has a top-level ``sops`` key."""
        try:
            node = next(iter(yaml.compose_all(data, Loader=_Loader)), None)
        except yaml.YAMLError:
            return False
        return isinstance(node, yaml.MappingNode) and any(
            isinstance(k, yaml.ScalarNode) and k.value == "sops" for k, _ in node.value
        )

    # --- emitting --------------------------------------------------------------------

    def emit_plain(self, docs: list[t.Mapping]) -> bytes:
        """The documents as YAML (in place when possible)."""
        return self._emit(docs, None)

    def emit_encrypted(self, docs: list[t.Mapping], metadata: dict[str, object]) -> bytes:
        """The documents with the ``sops`` block appended to each."""
        return self._emit(docs, metadata)

    def _emit(self, docs: list[t.Mapping], metadata: dict[str, object] | None) -> bytes:
        block = render_block({"sops": metadata}, 0) if metadata is not None else ""
        if self._docs and len(docs) == len(self._docs):
            parts = []
            pos = 0
            for old, new in zip(self._docs, docs, strict=True):
                parts.append(self._text[pos : old.start])
                parts.append(self._emit_doc(old, new, block))
                pos = self._doc_end(old.end)
            parts.append(self._text[pos:])
            return "".join(parts).encode()
        out = []
        for i, d in enumerate(docs):
            if i:
                out.append("---\n")
            out.append(render_block(d, 0) + block)
        return "".join(out).encode()

    def _emit_doc(self, old: _Doc, new: t.Mapping, block: str) -> str:
        edits: list[tuple[int, int, str]] = []
        if not old.in_place or not self._collect(new, old, edits):
            body = render_block(new, 0) + block
            return body if body else "{}\n"
        if old.sops_span is not None:
            edits.append((old.sops_span[0], old.sops_span[1], ""))
        edits.sort()
        end = self._doc_end(old.end)
        parts = []
        pos = old.start
        for s, e, repl in edits:
            parts.append(self._text[pos:s])
            parts.append(repl)
            pos = e
        parts.append(self._text[pos:end])
        text = "".join(parts)
        if block:
            if text and not text.endswith("\n"):
                text += "\n"
            text += block
        return text

    def _collect(self, new: t.Mapping, old: _Doc, edits: list[tuple[int, int, str]]) -> bool:
        """Replacements for changed leaves; False if the structure no longer matches."""
        seen_spans: set[tuple[int, int]] = set()
        seen_comments: set[tuple[int, int]] = set()
        sops_spans = set()
        if old.sops_span is not None:
            s0, s1 = old.sops_span
            sops_spans = {sp for sp in old.spans if s0 <= sp[0] < s1}
            sops_spans |= {c for c in old.comments if s0 <= c[0] < s1}

        def walk(node: object, in_seq: bool) -> bool:
            if isinstance(node, t.Mapping):
                for entry in node.items:
                    if isinstance(entry, t.Comment):
                        if not comment(entry, False):
                            return False
                    elif not walk(entry[1], False):
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
            if not isinstance(node, t.Leaf) or node.span is None:
                return False
            seen_spans.add(node.span)
            s, e = node.span
            original = self._text[s:e]
            rendered = render_scalar(node.value)
            if original == rendered:
                return True
            if original[:1] in "|>":
                # a block scalar's span runs to the end of its last line: keep the break
                tail = original[len(original.rstrip("\n")) :]
                rendered += tail
            value = node.value
            if (
                isinstance(value, str)
                and "\n" in value
                and not value.startswith("ENC[")
                and node.span not in old.flow_spans
                and self._text[e : e + 1] == "\n"
            ):
                # a multi-line string as a literal block, indented under its key
                line_start = self._text.rfind("\n", 0, s) + 1
                line = self._text[line_start:s]
                pad = " " * (len(line) - len(line.lstrip(" -")) + len(INDENT))
                block = _literal(value, pad)
                if block.startswith("|"):
                    edits.append((s, e + 1, block))
                    return True
            if node.span in old.flow_spans and any(c in rendered for c in ",[]{}"):
                if not rendered.startswith(('"', "'")):
                    rendered = double_quote(rendered)
            if original.startswith("ENC[") or rendered.startswith("ENC["):
                edits.append((s, e, rendered))
            elif not _same_value(original, node.value):
                edits.append((s, e, rendered))
            return True

        def comment(c: t.Comment, in_seq: bool) -> bool:
            if c.span is None:
                return False
            s, e = c.span
            seen_comments.add(c.span)
            if c.span in old.spans:  # a "- ENC[…,type:comment]" list item from sops
                line_start = self._text.rfind("\n", 0, s) + 1
                dash = self._text.rfind("-", line_start, s)
                edits.append((dash if dash >= 0 else s, e, "#" + c.text))
                return True
            if self._text[s + 1 : e] != c.text:
                edits.append((s, e, "#" + c.text))
            return True

        if not walk(new, False):
            return False
        wanted_spans = old.spans - sops_spans
        wanted_comments = old.comments - sops_spans
        list_comment_spans = {sp for sp in seen_comments if sp in old.spans}
        return (
            seen_spans | list_comment_spans == wanted_spans
            and (seen_comments - list_comment_spans) >= wanted_comments
        )

    def emit_value(self, value: t.Node | t.Leaf) -> bytes:
        """``--extract``: a sub-tree as a document, a string raw, other scalars + LF."""
        inner = t.unwrap(value)
        if isinstance(inner, t.Mapping):
            return render_block(inner, 0).encode()
        if isinstance(inner, t.Sequence):
            return render_seq(inner, 0).encode()
        if isinstance(inner, str):
            return inner.encode("utf-8", "surrogateescape")
        return (render_scalar(inner) + "\n").encode()


def _same_value(original: str, value: t.Scalar) -> bool:
    """Whether the source text already denotes ``value`` (keeps the user's quoting)."""
    if isinstance(value, str) and value.startswith("ENC["):
        return False
    try:
        node = yaml.compose(original, Loader=_Loader)
    except yaml.YAMLError:
        return False
    if not isinstance(node, yaml.ScalarNode):
        return False
    got = _Builder(original, [], [0]).scalar(node)
    return type(got) is type(value) and got == value


# --- full emission in go-yaml's style --------------------------------------------------


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
            out.append(f"{pad}{_key(k)}: {_literal(v, sub)}")
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
        elif isinstance(v, str) and "\n" in v and not v.startswith("ENC["):
            out.append(f"{pad}- {_literal(v, pad + INDENT)}")
        else:
            out.append(f"{pad}- {render_scalar(v)}\n")  # type: ignore[arg-type]
    return "".join(out)


def _literal(v: str, pad: str) -> str:
    if v.endswith("\n\n"):
        head = "|+"
    elif v.endswith("\n"):
        head = "|"
    else:
        head = "|-"
    if any(line != line.rstrip(" \t") for line in v.split("\n")) or v.startswith((" ", "\n")):
        return render_scalar(v) + "\n"
    body = v[:-1] if v.endswith("\n") else v
    return head + "\n" + "".join(f"{pad}{ln}\n" if ln else "\n" for ln in body.split("\n"))


STORE_CLASS = YamlStore
