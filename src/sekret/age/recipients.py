"""The two small interfaces every age key type implements (age.go).

A :class:`Recipient` wraps a 16-byte file key into one or more stanzas. An
:class:`Identity` unwraps a file key from a header's stanzas, or raises
:class:`~sekret.errors.IncorrectIdentity` ("not for me": try the next identity);
any other error is fatal and stops decryption.

``labels`` (age-plugin.md) keep incompatible recipients apart: every recipient of
one file must report the same label set. X25519 and ssh keys have none, a scrypt
recipient has a fresh random one (so it must be alone), post-quantum recipients
have ``postquantum``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from sekret.age.format import Stanza
from sekret.crypto import aead
from sekret.errors import HeaderError, IncorrectIdentity

FILE_KEY_SIZE = 16


@runtime_checkable
class Recipient(Protocol):
    """Something a file can be encrypted to."""

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Wrap ``file_key`` into stanzas for the header."""
        ...  # pragma: no cover


@runtime_checkable
class Identity(Protocol):
    """Something that can decrypt files encrypted to a matching recipient."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Return the file key, or raise ``IncorrectIdentity`` if no stanza is for us."""
        ...  # pragma: no cover


def labels_of(recipient: Recipient) -> frozenset[str]:
    """The label set of a recipient (empty unless it defines ``labels()``)."""
    fn = getattr(recipient, "labels", None)
    return frozenset(fn()) if callable(fn) else frozenset()


def multi_unwrap(unwrap_one: Callable[[Stanza], bytes], stanzas: Sequence[Stanza]) -> bytes:
    """Try ``unwrap_one`` on each stanza; the first file key wins, fatal errors propagate."""
    for stanza in stanzas:
        try:
            return unwrap_one(stanza)
        except IncorrectIdentity:
            continue
    raise IncorrectIdentity()


def seal_file_key(wrap_key: bytes, file_key: bytes) -> bytes:
    """Encrypt the file key under ``wrap_key`` with ChaCha20-Poly1305 and a zero nonce.

    The zero nonce is safe: every wrap key is derived from fresh randomness.
    """
    return aead.chacha_seal(wrap_key, aead.ZERO_NONCE, file_key)


def open_file_key(wrap_key: bytes, body: bytes, what: str) -> bytes:
    """Decrypt a wrapped file key; a wrong size is fatal, a bad tag means "not mine".

    The size is checked before decrypting, as age does, to avoid partitioning oracles.
    """
    if len(body) != FILE_KEY_SIZE + aead.TAG_SIZE:
        raise HeaderError(f"invalid {what} stanza: incorrect file key size")
    try:
        return aead.chacha_open(wrap_key, aead.ZERO_NONCE, body)
    except aead.AuthenticationError:
        raise IncorrectIdentity() from None
