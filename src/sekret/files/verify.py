"""Verify before replace: bytes sekret is about to write are read back first.

An encrypted file is parsed by a fresh store of its format, its metadata must read back
as written, its documents must be the very tree that was encrypted (keys, structure,
every ``ENC[…]`` string and comment), and every value must decrypt with the data key to
the plaintexts the MAC was computed over. A plaintext file is parsed back and compared
with the documents it was made from. Only then may the caller rename it into place.

Pure: bytes in, a verdict out. The check runs in memory; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret._dates import datetime
from sekret.errors import SopsError
from sekret.sops import engine
from sekret.sops import tree as t
from sekret.sops.metadata import Metadata, from_dict, to_dict
from sekret.sops.rules import CryptRules
from sekret.sops.treediff import first_difference
from sekret.sops.values import Cipher, ValueDecryptError
from sekret.stores._gofmt import val_to_string
from sekret.stores.base import get_store

#: formats whose files cannot hold comments (they are dropped on the way, as sops does)
_NO_COMMENTS = frozenset({"json", "binary"})


class VerifyError(SopsError):
    """sekret produced bytes that do not read back as intended; nothing was written."""

    exit_code = 1

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(
            f"the {what} sekret made does not read back as intended ({problem}); "
            "nothing was written",
            hint="this is a bug in sekret: your files are unchanged; please report it "
            "with the document's shape (not its values)",
        )


def encrypted(
    out: bytes,
    store_name: str,
    enc_docs: Sequence[t.Mapping],
    meta: Metadata,
    data_key: bytes,
    mac: str,
    *,
    check_stored_mac: bool = True,
) -> str | None:
    """What is wrong with the encrypted file ``out``, or None when it reads back whole.

    ``enc_docs`` is the encrypted tree that was emitted, ``mac`` the MAC (hex) over its
    plaintexts. The stored MAC must decrypt, and equal ``mac`` unless
    ``check_stored_mac`` is off (re-wrapping keys keeps a file's MAC as it was).
    """
    store = get_store(store_name)
    try:
        docs, raw = store.load_encrypted(out)
        written = from_dict(raw)
    except SopsError as exc:
        return f"it does not parse: {type(exc).__name__}"
    if to_dict(written) != to_dict(meta):
        return "its sops metadata differs"
    # (YAML writes a clear float 1.0 as 1, read back as an int: the MAC, over their
    # common serialisation, still holds it to the value)
    diff = first_difference(
        enc_docs,
        docs,
        comments=store_name not in _NO_COMMENTS,
        loose_numbers=store_name == "yaml",
    )
    if diff is not None:
        return diff
    cipher = Cipher(data_key)
    try:
        _, result = engine.decrypt_documents(
            docs,
            cipher,
            CryptRules(written.crypt_rule),
            mac_only_encrypted=written.mac_only_encrypted,
            keep_stash=False,
            in_place=True,  # docs are this function's own
        )
        stored, _ = cipher.decrypt(written.mac, written.lastmodified)
    except ValueDecryptError:
        return "a value does not decrypt"
    if result.mac != mac:
        return "the values do not decrypt to what was encrypted"
    if stored != mac and check_stored_mac:
        return "its MAC does not match the values"
    return None


def plain(out: bytes, store_name: str, docs: Sequence[t.Mapping]) -> str | None:
    """What is wrong with the plaintext file ``out`` made from ``docs``, or None.

    Formats keep what they can: JSON numbers are floats (sops reads them so), dotenv
    and INI values are text, INI always has a DEFAULT section; the comparison allows
    exactly that and nothing more.
    """
    try:
        back = get_store(store_name).load_plain(out)
    except SopsError as exc:
        return f"it does not parse: {type(exc).__name__}"
    if store_name in _TEXT_VALUES or store_name == "json":
        # JSON has no time type: a time is written as its RFC 3339 text (as sops does)
        text_only = store_name != "json"
        docs = [_as_text(d, text_only) for d in docs]
        back = [_as_text(d, text_only) for d in back]
        if store_name == "ini" and back and not any(k == "DEFAULT" for k in docs[0].keys()):
            back[0].items = [i for i in back[0].items if i != ("DEFAULT", t.Mapping())]
    return first_difference(
        docs,
        back,
        comments=store_name not in _NO_COMMENTS,
        loose_numbers=store_name in ("yaml", "json"),
    )


#: formats whose plaintext values are all text
_TEXT_VALUES = frozenset({"dotenv", "ini"})


def _as_text(node: t.Mapping, text_only: bool = True) -> t.Mapping:
    """A copy whose scalars are the text a dotenv or INI file holds for them (with
    ``text_only`` off: only times become text, as in JSON)."""

    def conv(v: object) -> object:
        v = t.unwrap(v)  # type: ignore[arg-type]
        if isinstance(v, t.Mapping):
            return _as_text(v, text_only)
        if not text_only and not isinstance(v, (t.Sequence, datetime)):
            return v
        if isinstance(v, t.Sequence):
            return t.Sequence([i if isinstance(i, t.Comment) else conv(i) for i in v.items])  # type: ignore[misc]
        return val_to_string(v)

    return t.Mapping(
        [i if isinstance(i, t.Comment) else (i[0], conv(i[1])) for i in node.items]  # type: ignore[misc]
    )
