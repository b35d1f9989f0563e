"""Encrypt and decrypt document trees: values, comments and the MAC. No I/O.

:func:`encrypt_documents` and :func:`decrypt_documents` walk every document in file
order exactly as sops does, so the MAC and every AAD match sops's. Decryption can
return an IV *stash* keyed by (path, type, plaintext); passing it back to encryption
gives unchanged values their old IV, so an edit changes only the values that changed.

The walk carries what each value needs instead of recomputing it per value: the AAD
prefix (``a:b:``), whether a key of the path matched the crypt rule (key rules are
"any key of the path matches"), and, only for comment rules, the comment stack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NoReturn

from sekret._record import field, record
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


@record
class WalkResult:
    """The MAC over the walked values and, for decryption, the IV stash."""

    mac: str
    stash: Stash = field(default_factory=dict)


#: (value or comment, aad, encrypted?, is_comment) -> the replacement
LeafFn = Callable[[object, str, bool, bool], object]
Stack = list[list[str]]


class _Walk:
    """One walk over a tree with a leaf function; rules decided on the way down."""

    def __init__(self, rules: CryptRules, fn: LeafFn) -> None:
        self.rules = rules
        self.fn = fn
        self.by_comments = rules.by_comments
        if not self.by_comments:
            # key rules: a value is encrypted when "a key of its path matched" is this
            self.encrypt_on_hit = rules.decide(True, (), False)
            #: the suffix of a suffix rule, tested inline (the default rule's case)
            self.suffix = rules.value if rules.name.endswith("suffix") else None

    def mapping(self, node: t.Mapping, prefix: str, hit: bool, stack: Stack) -> t.Mapping:
        if not self.by_comments:
            return self.mapping_by_keys(node, prefix, hit)
        rules, fn = self.rules, self.fn
        stack = [*stack, []]
        out: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
        for item in node.items:
            if isinstance(item, t.Comment):
                stack[-1].append(item.text)
                encrypted = rules.decide(hit, stack, True)
                # a comment's AAD is its mapping's path: ":" at the top level
                out.append(fn(item, prefix or ":", encrypted, True))  # type: ignore[arg-type]
                continue
            key, value = item
            if not isinstance(key, str):
                _non_string_key(key)
            new = self.value(value, prefix + key + ":", hit, stack)
            out.append(item if new is value else (key, new))
            stack[-1] = []
        return t.Mapping(out)

    def mapping_by_keys(self, node: t.Mapping, prefix: str, hit: bool) -> t.Mapping:
        """:meth:`mapping` for key rules (no comment stack), with the usual entry — a
        string leaf — handled inline: this loop runs once per value of the file."""
        fn, matches, on_hit = self.fn, self.rules.key_matches, self.encrypt_on_hit
        suffix = self.suffix
        comment_aad = prefix or ":"  # a comment's AAD is its mapping's path
        leaf_type, comment_type = t.Leaf, t.Comment
        out: list[tuple[str, t.Node | t.Leaf] | t.Comment] = []
        append = out.append
        for item in node.items:
            if type(item) is comment_type or isinstance(item, t.Comment):
                append(fn(item, comment_aad, hit == on_hit, True))  # type: ignore[arg-type]
                continue
            key, value = item
            if type(key) is not str and not isinstance(key, str):
                _non_string_key(key)
            sub_hit = hit or (key.endswith(suffix) if suffix is not None else matches(key))
            if type(value) is leaf_type and type(value.value) is str:
                new = fn(value, prefix + key + ":", sub_hit == on_hit, False)
            else:
                new = self.value(value, prefix + key + ":", sub_hit, [])
            append(item if new is value else (key, new))  # type: ignore[arg-type]
        return t.Mapping(out)

    def sequence(self, node: t.Sequence, prefix: str, hit: bool, stack: Stack) -> t.Sequence:
        rules, fn = self.rules, self.fn
        if self.by_comments:
            stack = [*stack, []]
        out: list[t.Node | t.Leaf | t.Comment] = []
        for item in node.items:
            if isinstance(item, t.Comment):
                if self.by_comments:
                    stack[-1].append(item.text)
                encrypted = rules.decide(hit, stack, True)
                out.append(fn(item, prefix, encrypted, True))  # type: ignore[arg-type]
                continue
            out.append(self.value(item, prefix, hit, stack))
            if self.by_comments:
                stack[-1] = []
        return t.Sequence(out)

    def value(self, node: t.Node | t.Leaf, prefix: str, hit: bool, stack: Stack) -> t.Node | t.Leaf:
        inner = node.value if type(node) is t.Leaf else node
        if type(inner) is t.Mapping:
            return self.mapping(inner, prefix, hit, stack)
        if type(inner) is t.Sequence:
            return self.sequence(inner, prefix, hit, stack)
        if inner is None:
            return node
        encrypted = self.rules.decide(hit, stack, False)
        return self.fn(node, prefix, encrypted, False)  # type: ignore[return-value]

    def documents(self, docs: Sequence[t.Mapping]) -> list[t.Mapping]:
        return [self.mapping(d, "", False, []) for d in docs]


def _non_string_key(key: object) -> NoReturn:
    raise NonStringKeyError(
        f"the tree contains a non-string key ({type(key).__name__})",
        hint="quote the key to make it a string",
    )


def encrypt_documents(
    docs: Sequence[t.Mapping],
    cipher: Cipher,
    rules: CryptRules,
    *,
    mac_only_encrypted: bool = False,
    stash: Stash | None = None,
    in_place: bool = False,
) -> tuple[list[t.Mapping], str]:
    """Encrypt every value the rules select; return the new documents and the MAC.

    ``in_place``: the caller owns ``docs`` and lets them go: a leaf's value is replaced
    in its :class:`~sekret.sops.tree.Leaf` (a large file's plaintext is not held
    twice alongside its ciphertext).
    """
    mac = MacBuilder(mac_only_encrypted=mac_only_encrypted)
    stash = stash or {}
    seal = cipher.encrypt
    seal_raw = cipher.seal
    update_mac = mac.update

    def leaf(node: object, aad: str, encrypted: bool, is_comment: bool) -> object:
        if is_comment:
            assert isinstance(node, t.Comment)
            if not encrypted or not node.text:
                return node
            plaintext, type_name = serialise(node)
            enc = seal(node, aad, iv=stash.get((aad, type_name, plaintext)))
            rules.check_encrypted_comment(enc)
            return t.Comment(enc, node.span)
        span = node.span if type(node) is t.Leaf else None
        value = node.value if type(node) is t.Leaf else node
        if type(value) is str:  # the usual value: spare serialise's type checks
            plaintext, type_name = value.encode("utf-8", "surrogateescape"), "str"
        else:
            plaintext, type_name = serialise(value)  # type: ignore[arg-type]
        if encrypted or not mac_only_encrypted:
            update_mac(plaintext)
        if not encrypted or (type_name == "str" and value == ""):
            return node
        iv = stash.get((aad, type_name, plaintext)) if stash else None
        enc = seal_raw(plaintext, type_name, aad, iv)
        if span is None:
            return enc
        if in_place:
            node.value = enc  # type: ignore[attr-defined]
            return node
        return t.Leaf(enc, span)

    out = _Walk(rules, leaf).documents(docs)
    return out, mac.hexdigest()


def decrypt_documents(
    docs: Sequence[t.Mapping],
    cipher: Cipher,
    rules: CryptRules,
    *,
    mac_only_encrypted: bool = False,
    keep_stash: bool = True,
    in_place: bool = False,
) -> tuple[list[t.Mapping], WalkResult]:
    """Decrypt every encrypted value; return the plain documents, MAC and IV stash
    (left empty without ``keep_stash``: a plain decryption never re-encrypts).

    ``in_place``: as for :func:`encrypt_documents` (the ciphertext is let go as the
    walk goes).
    """
    mac = MacBuilder(mac_only_encrypted=mac_only_encrypted)
    add_mac, update_mac = mac.add, mac.update
    stash: Stash = {}
    open_raw = cipher.decrypt_raw

    def leaf(node: object, aad: str, encrypted: bool, is_comment: bool) -> object:
        if is_comment:
            assert isinstance(node, t.Comment)
            if not encrypted or not node.text.startswith("ENC["):
                return node
            try:
                plaintext, iv, plain = open_raw(node.text, aad)
            except ValueDecryptError:
                return node  # a comment left in the clear by an old sops
            if not isinstance(plain, t.Comment):
                return node
            if keep_stash:
                stash[(aad, "comment", plaintext)] = iv
            return t.Comment(plain.text, node.span)
        span = node.span if type(node) is t.Leaf else None
        value = node.value if type(node) is t.Leaf else node
        if not encrypted:
            add_mac(serialise(value)[0], encrypted=False)  # type: ignore[arg-type]
            return node
        if type(value) is not str:
            raise ValueDecryptError(
                f"expected an encrypted value at {aad[:-1]!r}, found a {type(value).__name__}",
                hint="an encrypted value was replaced by a clear one",
            )
        if value == "":
            add_mac(b"", encrypted=True)
            return node
        plaintext, iv, plain = open_raw(value, aad)
        if isinstance(plain, t.Comment):
            # sops stores encrypted comments of lists as list items
            return t.Comment(plain.text, span)
        if type(plain) is not str:
            plaintext, type_name = serialise(plain)
        else:
            type_name = "str"
        if keep_stash:
            stash[(aad, type_name, plaintext)] = iv
        update_mac(plaintext)  # an encrypted value always counts
        if span is None:
            return plain
        if in_place:
            node.value = plain  # type: ignore[attr-defined]
            return node
        return t.Leaf(plain, span)

    out = _Walk(rules, leaf).documents(docs)
    return out, WalkResult(mac.hexdigest(), stash)
