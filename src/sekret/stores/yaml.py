"""The YAML store: SOPS YAML files edited in place (DESIGN decision 2).

A loaded file keeps its text; emitting replaces only the scalars whose value changed
(an ``ENC[…]`` string for a value, or the value for an ``ENC[…]``), drops the old
``sops:`` block and appends the new one at the end of every document. Untouched lines
stay byte-identical, so a one-value edit is a one-value diff (:mod:`._yaml_collect`).
When a document's structure changed, ``set`` of a new key or ``unset``, the lines of
that entry are added or removed in the file's own layout (:mod:`._yaml_splice`), the
result read back and checked before the scalars are edited in it. What cannot be done
with certainty (flow collections, aliases, directives, a tree from another format) is
written whole in go-yaml's style, with sops's indentation of 4 (or ``--indent``): the
layout sops itself writes, rather than one guessed from a file that may mix several.

Reading: the fast block scanner (:mod:`._yaml_scan`) for the YAML SOPS files are made
of, libyaml (:mod:`._yaml_libyaml`, imported only then) for everything else; both give
the same nodes, which :mod:`._yaml_build` turns into the tree.
"""

from __future__ import annotations

import collections
import io
from collections.abc import Iterator

from sekret.sops import tree as t
from sekret.sops.metadata import MetadataNotFoundError
from sekret.stores import _yaml_build, _yaml_scan
from sekret.stores._yaml_build import Doc, doc_end
from sekret.stores._yaml_collect import collect
from sekret.stores._yaml_render import render_block, render_seq
from sekret.stores._yaml_tokens import Logged
from sekret.stores._yaml_values import render_scalar
from sekret.stores.base import StoreError


def parse(text: str) -> list[Doc]:
    """The documents of a YAML text (CRLF already folded), or :class:`StoreError`."""
    if _has_directives(text):
        docs = _parse(text)
        _check_directives(text)
        for d in docs:
            # go-yaml reads no %YAML but 1.1 (sops fails on a file that keeps one): a
            # document after directives is written whole, without them
            d.in_place = False
        return docs
    return _parse(text)


def _has_directives(text: str) -> bool:
    return text.startswith("%") or "\n%" in text


def _check_directives(text: str) -> None:
    """Directives only before a document starts (go-yaml reads any line that starts
    with ``%`` as one), each with a space before a comment."""
    in_doc = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("%"):
            if in_doc:
                raise StoreError(
                    "invalid YAML: a directive inside a document",
                    line=n,
                    hint="end the document with '...' before the next directive",
                )
            if "#" in line and " #" not in line and "\t#" not in line:
                raise StoreError("invalid YAML: a comment needs a space before '#'", line=n)
        elif line.startswith("..."):
            in_doc = False
        elif line.strip() and not line.lstrip().startswith("#"):
            in_doc = True


def _parse(text: str) -> list[Doc]:
    # the scanner's tokens place the comments: kept only when there may be some
    log: list[Logged] | None = [] if "#" in text else None
    try:
        nodes, comments = _yaml_scan.scan(text, log)
        return _yaml_build.build(text, nodes, comments, libyaml=False, tokens=log)
    except _yaml_scan.Unsupported:
        pass  # outside the scanner's subset (or invalid): libyaml decides
    from sekret.stores import _yaml_libyaml as lib

    try:
        candidates = collections.deque(lib.candidate_comments(text))
        docs = lib.compose(text)
    except lib.MarkedError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise StoreError(f"invalid YAML: {exc.problem or 'syntax error'}", line=line) from None
    except lib.Error:
        raise StoreError("invalid YAML") from None
    return _yaml_build.build(text, docs, candidates, libyaml=True)


class YamlStore:
    """SOPS YAML, multi-document, comments kept, edited in place."""

    name = "yaml"
    #: sops's ``--indent`` / ``stores.yaml.indent``: set, the documents are written
    #: whole with go-yaml's layout for it (an in-place edit keeps the file's own)
    indent: int | None = None

    def __init__(self) -> None:
        self._text = ""
        self._docs: list[Doc] = []
        self._parsed: tuple[bytes, list[Doc]] | None = None

    # --- loading ---------------------------------------------------------------------

    def _parse(self, data: bytes) -> list[Doc]:
        if self._parsed is not None and self._parsed[0] is data:
            docs = self._parsed[1]  # has_metadata just read these very bytes
            self._parsed = None
            self._keep(docs)
            return docs
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
        if text.startswith("\ufeff"):
            text = text[1:]  # a byte order mark is no content (sops writes none either)
        self._text = text
        docs = parse(text)
        self._keep(docs)
        return docs

    def _keep(self, docs: list[Doc]) -> None:
        # a file with directives is written whole (see parse): nothing to edit in place
        self._docs = [] if _has_directives(self._text) else docs

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
            out.append(
                t.Mapping([i for i in d.root.items if isinstance(i, t.Comment) or i[0] != "sops"])
            )
            d.root = t.Mapping()  # emitting needs the spans, not the tree: let it go
        if not isinstance(meta, dict):
            raise MetadataNotFoundError()
        return out, meta

    def forget_source(self) -> bool:
        """Drop the loaded text: the next emit writes each document whole."""
        had = bool(self._docs)
        self._text, self._docs, self._parsed = "", [], None
        return had

    def has_metadata(self, data: bytes) -> bool:
        """Whether the first document has a top-level ``sops`` key."""
        try:
            docs = self._parse(data)
        except StoreError:
            return False
        self._parsed = (data, docs)
        return docs[0].root.get("sops") is not None

    # --- emitting --------------------------------------------------------------------

    def emit_plain(self, docs: list[t.Mapping]) -> bytes:
        """The documents as YAML (in place when possible)."""
        return self._emit(docs, None)

    def emit_encrypted(self, docs: list[t.Mapping], metadata: dict[str, object]) -> bytes:
        """The documents with the ``sops`` block appended to each."""
        return self._emit(docs, metadata)

    def _emit(self, docs: list[t.Mapping], metadata: dict[str, object] | None) -> bytes:
        if self.indent is not None:
            from sekret.stores._yaml_indent import render_documents

            return render_documents(docs, metadata, self.indent)
        block = render_block({"sops": metadata}, 0) if metadata is not None else ""
        if self._docs and len(docs) == len(self._docs):
            # Written piece by piece into one buffer: joining the pieces into a text
            # and encoding it would hold three copies of a large file at once.
            buf = io.BytesIO()
            write = buf.write
            pos = 0
            for index, (old, new) in enumerate(zip(self._docs, docs, strict=True)):
                write(self._text[pos : old.start].encode())
                for piece in self._emit_doc(old, new, block, index):
                    write(piece.encode())
                pos = doc_end(self._text, old.end)
            write(self._text[pos:].encode())
            return buf.getvalue()
        out = []
        for i, d in enumerate(docs):
            if i:
                out.append("---\n")
            # (at the end of the file, comments closing a block need no blank line)
            out.append(render_block(d, 0, last=not block and i == len(docs) - 1) + block)
        return "".join(out).encode()

    def _emit_doc(self, old: Doc, new: t.Mapping, block: str, index: int) -> Iterator[str]:
        """One document's text, in pieces."""
        edits: list[tuple[int, int, str]] = []
        if not block and not new.keys():
            yield render_block(new, 0) + "{}\n"  # an empty document reads back as one
            return
        text = self._text
        pos = old.start
        if old.in_place and not collect(text, new, old, edits):
            # The structure changed (set of a new key, unset): made in the text when
            # that is certain, read back, and edited in place from there.
            spliced = self._splice(index, new)
            if spliced is not None:
                text, old, edits = spliced
                pos = 0
            else:
                old = Doc(new, 0, 0, False)
                old.in_place = False
        if not old.in_place:
            body = render_block(new, 0) + block
            yield body if body else "{}\n"
            return
        if old.sops_span is not None:
            edits.append((old.sops_span[0], old.sops_span[1], ""))
        edits.sort()
        end = doc_end(text, old.end)
        last = ""
        for s, e, repl in edits:
            if pos < s:
                yield (last := text[pos:s])
            if repl:
                yield (last := repl)
            pos = e
        if pos < end:
            yield (last := text[pos:end])
        if block:
            if last and not last.endswith("\n"):
                yield "\n"
            yield block

    def _splice(
        self, index: int, new: t.Mapping
    ) -> tuple[str, Doc, list[tuple[int, int, str]]] | None:
        """Document ``index``'s text with the structure of ``new`` (see
        :mod:`._yaml_splice`), read back: that text, its document, and the in-place
        edits that make it ``new``; or None."""
        from sekret.stores import _yaml_splice, _yaml_splice_render

        text = _yaml_splice.splice(self._text, index, new, parse)
        if text is None:
            return None
        try:
            docs = parse(text)
        except StoreError:
            return None
        if len(docs) != 1 or not docs[0].in_place or doc_end(text, docs[0].end) != len(text):
            return None
        doc = docs[0]
        got = t.Mapping([i for i in doc.root.items if isinstance(i, t.Comment) or i[0] != "sops"])
        respanned = _yaml_splice_render.respan(new, got)
        edits: list[tuple[int, int, str]] = []
        if respanned is None or not collect(text, respanned, doc, edits):
            return None
        return text, doc, edits

    def emit_value(self, value: t.Node | t.Leaf) -> bytes:
        """``--extract``: a sub-tree as a document, a string raw, other scalars + LF."""
        inner = t.unwrap(value)
        if isinstance(inner, t.Mapping) and self.indent is not None:
            from sekret.stores._yaml_indent import render_mapping

            return render_mapping(inner, self.indent)
        if isinstance(inner, t.Mapping):
            return render_block(inner, 0, last=True).encode()
        if isinstance(inner, t.Sequence):
            return render_seq(inner, 0, last=True).encode()
        if isinstance(inner, str):
            return inner.encode("utf-8", "surrogateescape")
        return (render_scalar(inner) + "\n").encode()


STORE_CLASS = YamlStore
