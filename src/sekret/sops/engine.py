"""Encrypt and decrypt document trees: values, comments and the MAC. No I/O.

:func:`encrypt_documents` and :func:`decrypt_documents` walk every document in file
order exactly as sops does, so the MAC and every AAD match sops's. Decryption returns an
IV *stash* keyed by (path, type, plaintext); passing it back to encryption gives
unchanged values their old IV, so an edit changes only the values that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sekret.errors import SopsError
from sekret.sops import tree as t
from sekret.sops.mac import MacBuilder
from sekret.sops.rules import CryptRules
from sekret.sops.values import Cipher, ValueDecryptError, serialise

Stash = dict[tuple[str, str, bytes], bytes]


class MacMismatchError(SopsError):
    """The MAC stored in the file does not match the values (exit 51, as sops)."""

    exit_code = 51


class NonStringKeyError(SopsError):
    """sops trees only have string keys."""

    exit_code = 23


@dataclass
class WalkResult:
    """The MAC over the walked values and, for decryption, the IV stash."""

    mac: str
    stash: Stash = field(default_factory=dict)


LeafFn = Callable[[object, list[str], list[list[str]], bool], object]


def _walk_mapping(
    node: t.Mapping, path: list[str], stack: list[list[str]], fn: LeafFn
) -> t.Mapping:
    stack = [*stack, []]
    out: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
    for item in node.items:
        if isinstance(item, t.Comment):
            stack[-1].append(item.text)
            out.append(fn(item, path, stack, True))  # type: ignore[arg-type]
            continue
        key, value = item
        if not isinstance(key, str):
            raise NonStringKeyError(
                f"the tree contains a non-string key ({type(key).__name__})",
                hint="quote the key to make it a string",
            )
        out.append((key, _walk_value(value, [*path, key], stack, fn)))
        stack[-1] = []
    return t.Mapping(out)


def _walk_sequence(
    node: t.Sequence, path: list[str], stack: list[list[str]], fn: LeafFn
) -> t.Sequence:
    stack = [*stack, []]
    out: list[t.Node | t.Leaf | t.Comment] = []
    for item in node.items:
        if isinstance(item, t.Comment):
            stack[-1].append(item.text)
            out.append(fn(item, path, stack, True))  # type: ignore[arg-type]
            continue
        out.append(_walk_value(item, path, stack, fn))
        stack[-1] = []
    return t.Sequence(out)


def _walk_value(
    node: t.Node | t.Leaf, path: list[str], stack: list[list[str]], fn: LeafFn
) -> t.Node | t.Leaf:
    inner = node.value if isinstance(node, t.Leaf) else node
    if isinstance(inner, t.Mapping):
        return _walk_mapping(inner, path, stack, fn)
    if isinstance(inner, t.Sequence):
        return _walk_sequence(inner, path, stack, fn)
    if inner is None:
        return node
    return fn(node, path, stack, False)  # type: ignore[return-value]


def encrypt_documents(
    docs: Sequence[t.Mapping],
    cipher: Cipher,
    rules: CryptRules,
    *,
    mac_only_encrypted: bool = False,
    stash: Stash | None = None,
) -> tuple[list[t.Mapping], str]:
    """Encrypt every value the rules select; return the new documents and the MAC."""
    mac = MacBuilder(mac_only_encrypted=mac_only_encrypted)
    stash = stash or {}

    def leaf(node: object, path: list[str], stack: list[list[str]], is_comment: bool) -> object:
        span = node.span if isinstance(node, (t.Leaf, t.Comment)) else None
        value = node.value if isinstance(node, t.Leaf) else node
        encrypted = rules.should_encrypt(path, stack, is_comment)
        if not is_comment:
            mac.add(serialise(value)[0], encrypted=encrypted)  # type: ignore[arg-type]
        if not encrypted:
            return node
        aad = ":".join(path) + ":"
        if is_comment:
            assert isinstance(value, t.Comment)
            if not value.text:
                return node
            plaintext, type_name = serialise(value)
            enc = cipher.encrypt(value, aad, iv=stash.get((aad, type_name, plaintext)))
            rules.check_encrypted_comment(enc)
            return t.Comment(enc, span)
        if value == "" and isinstance(value, str):
            return node
        plaintext, type_name = serialise(value)  # type: ignore[arg-type]
        enc = cipher.encrypt(value, aad, iv=stash.get((aad, type_name, plaintext)))  # type: ignore[arg-type]
        return t.Leaf(enc, span) if span is not None else enc

    out = [_walk_mapping(d, [], [], leaf) for d in docs]
    return out, mac.hexdigest()


def decrypt_documents(
    docs: Sequence[t.Mapping],
    cipher: Cipher,
    rules: CryptRules,
    *,
    mac_only_encrypted: bool = False,
) -> tuple[list[t.Mapping], WalkResult]:
    """Decrypt every encrypted value; return the plain documents, MAC and IV stash."""
    mac = MacBuilder(mac_only_encrypted=mac_only_encrypted)
    stash: Stash = {}

    def leaf(node: object, path: list[str], stack: list[list[str]], is_comment: bool) -> object:
        span = node.span if isinstance(node, (t.Leaf, t.Comment)) else None
        value = node.value if isinstance(node, t.Leaf) else node
        encrypted = rules.should_encrypt(path, stack, is_comment)
        aad = ":".join(path) + ":"
        if is_comment:
            assert isinstance(value, t.Comment)
            if not encrypted or not value.text.startswith("ENC["):
                return node
            try:
                plain, iv = cipher.decrypt(value.text, aad)
            except ValueDecryptError:
                return node  # a comment left in the clear by an old sops
            assert isinstance(plain, t.Comment)
            stash[(aad, "comment", plain.text.encode())] = iv
            return t.Comment(plain.text, span)
        result = value
        if encrypted:
            if not isinstance(value, str):
                raise ValueDecryptError(
                    f"expected an encrypted value at {aad[:-1]!r}, found a {type(value).__name__}",
                    hint="an encrypted value was replaced by a clear one",
                )
            if value != "":
                plain, iv = cipher.decrypt(value, aad)
                if isinstance(plain, t.Comment):
                    # sops stores encrypted comments of lists as list items
                    return t.Comment(plain.text, span)
                plaintext, type_name = serialise(plain)
                stash[(aad, type_name, plaintext)] = iv
                result = plain
        mac.add(serialise(result)[0], encrypted=encrypted)  # type: ignore[arg-type]
        return t.Leaf(result, span) if span is not None else result  # type: ignore[arg-type]

    out = [_walk_mapping(d, [], [], leaf) for d in docs]
    return out, WalkResult(mac.hexdigest(), stash)
