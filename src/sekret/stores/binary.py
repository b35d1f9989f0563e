"""Binary files: the whole file is one string under the key ``data``.

Any bytes are accepted; bytes that are not UTF-8 travel as surrogate escapes, which the
value codec turns back into the very same bytes, so NUL bytes and invalid UTF-8
round-trip exactly. The encrypted form is the JSON store's (TAB-indented, ``sops``
last). Decrypting writes the raw bytes back, without adding a newline.
"""

from __future__ import annotations

from sekret.sops.tree import Leaf, Mapping, Node
from sekret.stores.base import StoreError
from sekret.stores.json import JSONStore

DATA_KEY = "data"
_NOT_BINARY_HINT = (
    "this is likely not an encrypted binary file; "
    "if it is YAML/JSON/dotenv/INI, pass --input-type and --output-type"
)


class BinaryStore:
    """The ``binary`` format (sops's JSON envelope around raw bytes)."""

    name = "binary"
    #: sops's ``--indent`` / ``stores.json_binary.indent`` for the JSON envelope
    indent: int | None = None

    def __init__(self) -> None:
        self._json = JSONStore()

    def load_plain(self, data: bytes) -> list[Mapping]:
        """The file as ``{"data": <the bytes>}``; never fails."""
        return [Mapping([(DATA_KEY, data.decode("utf-8", "surrogateescape"))])]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], dict[str, object]]:
        """Read the JSON envelope."""
        return self._json.load_encrypted(data)

    def emit_plain(self, docs: list[Mapping]) -> bytes:
        """The raw bytes held under ``data``."""
        if len(docs) != 1:
            raise StoreError(
                "cannot write a binary file: there must be exactly one document",
                hint=_NOT_BINARY_HINT,
                exit_code=4,
            )
        value = docs[0].get(DATA_KEY)
        if value is None:
            raise StoreError(
                "cannot write a binary file: no 'data' key in the tree",
                hint=_NOT_BINARY_HINT,
                exit_code=4,
            )
        if isinstance(value, Leaf):
            value = value.value
        if isinstance(value, bytes):
            return value
        if not isinstance(value, str):
            raise StoreError(
                "cannot write a binary file: the 'data' key does not hold a string",
                hint=_NOT_BINARY_HINT,
                exit_code=4,
            )
        return value.encode("utf-8", "surrogateescape")

    def emit_encrypted(self, docs: list[Mapping], metadata: dict[str, object]) -> bytes:
        """The JSON envelope: ``data`` then ``sops``."""
        self._json.indent = self.indent
        return self._json.emit_encrypted(docs, metadata)

    def emit_value(self, value: Node | Leaf) -> bytes:
        """``--extract``: only a string (i.e. ``["data"]``) can be extracted, raw."""
        if isinstance(value, Leaf):
            value = value.value
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        if isinstance(value, Mapping):
            return self.emit_plain([value])
        raise StoreError(
            "binary files are not structured: extracting a single value is not possible",
            hint="decrypt the whole file instead of using --extract",
            exit_code=4,
        )

    def forget_source(self) -> bool:
        """Nothing to forget: this store always writes documents whole."""
        return False

    def has_metadata(self, data: bytes) -> bool:
        """Always False: any bytes are valid plaintext (sops encrypts such a file again)."""
        return False


STORE_CLASS = BinaryStore
