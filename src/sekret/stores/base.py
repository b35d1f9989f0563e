"""The Store protocol every format implements, and the registry by name and extension.

A store turns file bytes into documents (:class:`sekret.sops.tree.Mapping`, one per
document; only YAML has several) and back. Encrypted files carry the ``sops`` metadata
block, which stores read and write as a plain ordered ``dict`` (see
:func:`sekret.sops.metadata.to_dict`; ``None`` marks the nulls sops always writes:
YAML renders them ``[]``, JSON ``null``, dotenv and INI drop them).

Stores are created per file (``get_store(name)()``) and may remember the source text
they loaded, so that the YAML store can write back the same text with only the
changed scalars replaced.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from sekret.errors import SopsError
from sekret.sops.tree import Leaf, Mapping, Node

#: format name → module implementing it (imported lazily: YAML pulls in PyYAML)
FORMATS: dict[str, str] = {
    "yaml": "sekret.stores.yaml",
    "json": "sekret.stores.json",
    "dotenv": "sekret.stores.dotenv",
    "ini": "sekret.stores.ini",
    "binary": "sekret.stores.binary",
}


class StoreError(SopsError):
    """The input could not be parsed (sops exit 2), or the tree cannot be written (4)."""

    exit_code = 2

    def __init__(
        self, message: str, *, line: int | None = None, hint: str | None = None, exit_code: int = 2
    ) -> None:
        super().__init__(message if line is None else f"{message} (line {line})", hint=hint)
        self.line = line
        self.exit_code = exit_code


class Store(Protocol):
    """One file format."""

    name: str

    def load_plain(self, data: bytes) -> list[Mapping]:
        """Parse a plaintext file into documents. Raises :class:`StoreError`."""
        ...  # pragma: no cover

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], dict[str, object]]:
        """Parse an encrypted file: documents without ``sops``, and the raw metadata.

        Raises :class:`sekret.sops.metadata.MetadataNotFoundError` when there is none.
        """
        ...  # pragma: no cover

    def emit_plain(self, docs: list[Mapping]) -> bytes:
        """Serialise plaintext documents."""
        ...  # pragma: no cover

    def emit_encrypted(self, docs: list[Mapping], metadata: dict[str, object]) -> bytes:
        """Serialise encrypted documents with the metadata block."""
        ...  # pragma: no cover

    def emit_value(self, value: Node | Leaf) -> bytes:
        """Serialise one extracted value (``decrypt --extract``), as sops prints it."""
        ...  # pragma: no cover

    def forget_source(self) -> bool:
        """Drop the loaded text, so the next emit writes the documents whole; True if
        there was a text to drop (only the YAML store edits its source in place)."""
        ...  # pragma: no cover

    def has_metadata(self, data: bytes) -> bool:
        """Whether ``data`` already carries sops metadata (encrypting it again: exit 203)."""
        ...  # pragma: no cover


def format_for_path(path: str) -> str:
    """The store sops picks for a file name: by exact extension, else binary."""
    lower = path.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".env"):
        return "dotenv"
    if lower.endswith(".ini"):
        return "ini"
    return "binary"


def get_store(name: str) -> Store:
    """A fresh store instance for the format ``name``."""
    try:
        module = importlib.import_module(FORMATS[name])
    except KeyError:
        raise StoreError(
            f"unknown format {name!r}", hint="use one of: " + ", ".join(FORMATS)
        ) from None
    store: Store = module.STORE_CLASS()
    return store
