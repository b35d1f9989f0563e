"""dotenv (``KEY=value`` lines), as sops reads and writes it.

The rules are sops's, not a shell's: lines are split on ``\\n`` only, empty lines are
dropped, a line starting with ``#`` is a comment (the text after ``#``), every other line
needs an ``=``. The key is everything before the first ``=`` and the value everything
after, untrimmed and with quotes kept; the two characters ``\\n`` stand for a newline.
Duplicate keys are kept. The metadata is written as flattened ``sops_…`` lines after the
data, sorted by key; any ``sops_`` key marks a file as encrypted.
"""

from __future__ import annotations

from sekret.sops.metadata import MetadataNotFoundError
from sekret.sops.tree import Comment, Leaf, Mapping, Node
from sekret.stores._flatten import flatten, unflatten
from sekret.stores._gofmt import is_complex, val_to_string
from sekret.stores.base import StoreError

PREFIX = "sops_"


def _lines(data: bytes) -> list[str]:
    # surrogateescape: keys and values need not be UTF-8, and must come back unchanged
    return data.decode("utf-8", "surrogateescape").split("\n")


def parse(data: bytes) -> Mapping:
    """One mapping of the file's ``KEY=value`` lines and ``#`` comments, in order."""
    items: list[tuple[str, Node | Leaf] | Comment] = []
    append = items.append
    for lineno, line in enumerate(_lines(data), 1):
        if not line:
            continue
        if line[0] == "#":
            append(Comment(line[1:]))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            # the line itself may be a secret: only its number goes into the message
            raise StoreError(
                "invalid dotenv input line: expected KEY=VALUE",
                line=lineno,
                hint="comments start with '#' in the first column",
            )
        append((key, value.replace("\\n", "\n") if "\\n" in value else value))
    return Mapping(items)


def _emit_lines(items: list[tuple[str, Node | Leaf] | Comment], out: list[str]) -> None:
    for item in items:
        if isinstance(item, Comment):
            out.append(f"#{item.text}\n")
            continue
        key, value = item
        if isinstance(value, Leaf):
            value = value.value
        if is_complex(value):
            raise StoreError(
                f"cannot use complex value in dotenv file; offending key {key}",
                hint="dotenv files hold only flat KEY=value pairs",
                exit_code=4,
            )
        if isinstance(value, str):
            text = value.replace("\n", "\\n")
        else:
            text = val_to_string(value)
        out.append(f"{key}={text}\n")


def _first(docs: list[Mapping]) -> Mapping:
    return docs[0] if docs else Mapping()


class DotenvStore:
    """The ``dotenv`` format."""

    name = "dotenv"

    def load_plain(self, data: bytes) -> list[Mapping]:
        """Parse a plaintext dotenv file (one document)."""
        return [parse(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], dict[str, object]]:
        """Split the ``sops_…`` lines from the data and rebuild the metadata from them."""
        doc = parse(data)
        items: list[tuple[str, Node | Leaf] | Comment] = []
        flat: list[tuple[str, object]] = []
        for item in doc.items:
            if not isinstance(item, Comment) and item[0].startswith(PREFIX):
                flat.append((item[0][len(PREFIX) :], item[1]))
            else:
                items.append(item)
        if not flat:
            raise MetadataNotFoundError()
        meta = unflatten(flat)
        if "mac_only_encrypted" in meta:
            # sops: exactly the string "true" switches it on
            meta["mac_only_encrypted"] = meta["mac_only_encrypted"] == "true"
        return [Mapping(items)], meta

    def emit_plain(self, docs: list[Mapping]) -> bytes:
        """``KEY=value`` and ``#comment`` lines of the first document."""
        out: list[str] = []
        _emit_lines(_first(docs).items, out)
        return "".join(out).encode("utf-8", "surrogateescape")

    def emit_encrypted(self, docs: list[Mapping], metadata: dict[str, object]) -> bytes:
        """The data lines, then the flattened metadata as sorted ``sops_…`` lines."""
        out: list[str] = []
        _emit_lines(_first(docs).items, out)
        for key, value in flatten(metadata):
            out.append(PREFIX + key + "=" + value.replace("\n", "\\n") + "\n")
        return "".join(out).encode("utf-8", "surrogateescape")

    def emit_value(self, value: Node | Leaf) -> bytes:
        """``--extract``: a string raw, a mapping as a dotenv file; nothing else."""
        if isinstance(value, Leaf):
            value = value.value
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        if isinstance(value, Mapping):
            return self.emit_plain([value])
        kind = "list" if is_complex(value) else type(value).__name__
        raise StoreError(
            f"the dotenv store only supports emitting strings, not a {kind}",
            hint="extract a string value, or use --output-type json",
            exit_code=4,
        )

    def forget_source(self) -> bool:
        """Nothing to forget: this store always writes documents whole."""
        return False

    def has_metadata(self, data: bytes) -> bool:
        """Whether any key starts with ``sops_``."""
        return any(line.startswith(b"sops_") and b"=" in line for line in data.split(b"\n"))


STORE_CLASS = DotenvStore
