"""INI, as sops reads and writes it through go-ini (gopkg.in/ini.v1).

The document is one mapping of sections, each a mapping of string values. Keys before
the first ``[section]`` belong to section ``DEFAULT``, which is always present (empty if
need be) and written without a header. Repeated sections stay separate; a key repeated
inside a section keeps its first position and takes its last value (and comment).

Comments (``;`` or ``#``) before a section header become the section's comment, the
first item of its mapping; comments before a key, and its inline comment, become one
comment item *after* the key. Both are written back above what they belong to as
``; text``. Values are unquoted like go-ini does (surrounding quotes removed, inline
comments split off, backtick and triple-quote quoting, ``\\`` continuation lines), and
written with go-ini's quoting, the ``=`` signs of a section aligned. The metadata is a
last ``[sops]`` section of flattened keys (read in any order, written sorted).
"""

from __future__ import annotations

from sekret.sops.metadata import MetadataNotFoundError
from sekret.sops.tree import Comment, Leaf, Mapping, Node
from sekret.stores import json as json_store
from sekret.stores._flatten import flatten, unflatten
from sekret.stores._gofmt import GO_SPACE, is_complex, val_to_string
from sekret.stores._ini_parse import DEFAULT, Section, parse
from sekret.stores.base import StoreError

SOPS_SECTION = "sops"


def _strip_comment_char(text: str) -> str:
    if text.startswith(";"):
        return text.lstrip("; ")
    if text.startswith("#"):
        return text.lstrip("# ")
    return text


def _section_tree(section: Section) -> Mapping:
    items: list[tuple[str, Node | Leaf] | Comment] = []
    if section.comment:
        items.append(Comment(_strip_comment_char(section.comment)))
    for key in section.keys.values():
        items.append((key.name, key.value))
        if key.comment:
            items.append(Comment(_strip_comment_char(key.comment)))
    return Mapping(items)


def _tree(sections: list[Section]) -> Mapping:
    return Mapping([(s.name, _section_tree(s)) for s in sections])


def _sections_from_tree(docs: list[Mapping]) -> list[Section]:
    """What sops hands to go-ini: a section per top-level key, keys deduplicated."""
    out: list[Section] = []
    for doc in docs:
        for item in doc.items:
            if isinstance(item, Comment):
                continue  # go-ini has nowhere to put a comment outside a section
            name, value = item
            if isinstance(value, Leaf):
                value = value.value
            if not isinstance(value, Mapping):
                raise StoreError(
                    "Section values should always be TreeBranches: an INI file holds "
                    f"sections of keys, and top-level key {name} is not a mapping",
                    exit_code=4,
                )
            section = Section(name)
            out.append(section)
            entries = value.items
            if entries and isinstance(entries[0], Comment):
                section.comment = entries[0].text
                entries = entries[1:]
            last = None
            for entry in entries:
                if isinstance(entry, Comment):
                    if last is not None:
                        last.comment = entry.text  # the last comment after a key wins
                    continue
                key, val = entry
                if isinstance(val, Leaf):
                    val = val.value
                if is_complex(val):
                    raise StoreError(
                        f"cannot write a nested value to an INI file; offending key {name}.{key}",
                        hint="INI has only two levels: sections and their keys",
                        exit_code=4,
                    )
                last = section.set(key, val_to_string(val))
    return out


def _quote_key(name: str) -> str:
    if '"' in name or "=" in name or ":" in name:
        return f"`{name}`"
    if "`" in name:
        return f'"""{name}"""'
    return name


def _quote_value(value: str) -> str:
    if "\n" in value or "`" in value:
        return f'"""{value}"""'
    if ";" in value or "#" in value:
        return f"`{value}`"
    if value.strip(GO_SPACE) != value:
        return f'"{value}"'
    return value


def _comment_lines(comment: str, out: list[str], *, trim_plain: bool) -> None:
    for line in comment.split("\n"):
        if line[:1] in ("#", ";"):
            out.append(f"{line[0]} {line[1:].strip(GO_SPACE)}\n")
        elif line:
            out.append(f"; {line.strip(GO_SPACE) if trim_plain else line}\n")
        else:
            out.append(";\n")


def _blen(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def write(sections: list[Section]) -> bytes:
    """go-ini's pretty output: aligned ``=``, a blank line between sections."""
    out: list[str] = []
    last = len(sections) - 1
    for i, section in enumerate(sections):
        if section.comment:
            _comment_lines(section.comment, out, trim_plain=False)
        if i > 0 or section.name.upper() != DEFAULT:
            out.append(f"[{section.name}]\n")
        elif not section.keys:
            continue  # an empty leading DEFAULT section writes nothing at all
        names = [_quote_key(k) for k in section.keys]
        width = max((_blen(n) for n in names), default=0)
        for name, key in zip(names, section.keys.values(), strict=True):
            if key.comment:
                _comment_lines(key.comment, out, trim_plain=True)
            out.append(f"{name}{' ' * (width - _blen(name))} = {_quote_value(key.value)}\n")
        if i != last:
            out.append("\n")
    return "".join(out).encode("utf-8", "surrogateescape")


class INIStore:
    """The ``ini`` format."""

    name = "ini"

    def load_plain(self, data: bytes) -> list[Mapping]:
        """Parse a plaintext INI file into one mapping of sections."""
        return [_tree(parse(data))]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], dict[str, object]]:
        """The sections without ``[sops]``, and the metadata rebuilt from ``[sops]``."""
        sections = parse(data)
        meta_section = next((s for s in sections if s.name == SOPS_SECTION), None)
        if meta_section is None:
            raise MetadataNotFoundError()
        flat = [(k.name, k.value.replace("\\n", "\n")) for k in meta_section.keys.values()]
        meta = unflatten(flat)
        if "mac_only_encrypted" in meta:
            meta["mac_only_encrypted"] = meta["mac_only_encrypted"] == "true"
        return [_tree([s for s in sections if s.name != SOPS_SECTION])], meta

    def emit_plain(self, docs: list[Mapping]) -> bytes:
        """Every document's sections, go-ini style."""
        return write(_sections_from_tree(docs))

    def emit_encrypted(self, docs: list[Mapping], metadata: dict[str, object]) -> bytes:
        """The sections, then ``[sops]`` with the flattened metadata, sorted."""
        sections = _sections_from_tree(docs)
        meta = Section(SOPS_SECTION)
        for key, value in flatten(metadata):
            meta.set(key, value.replace("\n", "\\n"))
        return write([*sections, meta])

    def emit_value(self, value: Node | Leaf) -> bytes:
        """``--extract``: a string raw, a mapping as INI, other values as compact JSON."""
        if isinstance(value, Leaf):
            value = value.value
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        if isinstance(value, Mapping):
            return self.emit_plain([value])
        return json_store.go_marshal(value)

    def forget_source(self) -> bool:
        """Nothing to forget: this store always writes documents whole."""
        return False

    def has_metadata(self, data: bytes) -> bool:
        """Whether there is a ``[sops]`` section (unparsable: False)."""
        try:
            return any(s.name == SOPS_SECTION for s in parse(data))
        except StoreError:
            return False


STORE_CLASS = INIStore
