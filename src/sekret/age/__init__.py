"""age file encryption (age-encryption.org/v1), byte-compatible with age and rage.

One-shot::

    ct = sekret.age.encrypt(b"hi", ["age1…"])
    pt = sekret.age.decrypt(ct, ["AGE-SECRET-KEY-1…"])

Streams (constant memory)::

    sekret.age.encrypt_stream(src, dst, recipients, armor=True)
    sekret.age.decrypt_stream(src, dst, identities)

Recipients and identities may be given as the strings people write (``age1…``,
``age1pq1…``, ``age1tag1…``, ``age1tagpq1…``, ``ssh-ed25519 AAAA…``, ``ssh-rsa …``,
``AGE-SECRET-KEY-1…``, ``AGE-SECRET-KEY-PQ-1…``, OpenSSH private key text) or as
typed objects such as :class:`ScryptRecipient` / :class:`ScryptIdentity` for
passphrases. Tagged recipients (``age1tag1…``, ``age1tagpq1…``: keys in hardware)
are encrypted to natively; as in age, only their plugin can decrypt.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, BinaryIO

from sekret.age import core
from sekret.age.format import Header, Stanza
from sekret.age.keys import (
    parse_identities_text,
    parse_identity,
    parse_identity_file,
    parse_recipient,
    parse_recipients_file,
)
from sekret.age.recipients import Identity, Recipient
from sekret.age.x25519 import X25519Identity, X25519Recipient

if TYPE_CHECKING:  # pragma: no cover
    from sekret.age.pq import HybridIdentity, HybridRecipient
    from sekret.age.scrypt import ScryptIdentity, ScryptRecipient
    from sekret.age.ssh import SSHEd25519Recipient, SSHIdentity, SSHRSARecipient
    from sekret.age.tag import TagRecipient
    from sekret.age.tagpq import HybridTagRecipient

#: Loaded on first use (passphrases, RSA/OpenSSH, ML-KEM and P-256 are not needed by
#: most commands; a SOPS file's age data key never uses scrypt).
_LAZY = {
    "ScryptIdentity": "sekret.age.scrypt",
    "ScryptRecipient": "sekret.age.scrypt",
    "HybridIdentity": "sekret.age.pq",
    "HybridRecipient": "sekret.age.pq",
    "SSHEd25519Recipient": "sekret.age.ssh",
    "SSHIdentity": "sekret.age.ssh",
    "SSHRSARecipient": "sekret.age.ssh",
    "TagRecipient": "sekret.age.tag",
    "HybridTagRecipient": "sekret.age.tagpq",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sekret.age' has no attribute {name!r}")

RecipientLike = Recipient | str
IdentityLike = Identity | str | bytes

__all__ = [
    "Header",
    "HybridIdentity",
    "HybridRecipient",
    "HybridTagRecipient",
    "Identity",
    "Recipient",
    "SSHEd25519Recipient",
    "SSHIdentity",
    "SSHRSARecipient",
    "ScryptIdentity",
    "ScryptRecipient",
    "Stanza",
    "TagRecipient",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_stream",
    "encrypt",
    "encrypt_stream",
    "parse_identities_text",
    "parse_identity",
    "parse_identity_file",
    "parse_recipient",
    "parse_recipients_file",
    "to_identities",
    "to_recipients",
]


def to_recipients(recipients: Iterable[RecipientLike]) -> list[Recipient]:
    """Turn strings into recipient objects; objects pass through."""
    if isinstance(recipients, (str, bytes)):
        recipients = [recipients]
    return [parse_recipient(r) if isinstance(r, str) else r for r in recipients]


def to_identities(identities: Iterable[IdentityLike]) -> list[Identity]:
    """Turn strings (keys, identity-file text, SSH private key text) into identities."""
    if isinstance(identities, (str, bytes)):
        identities = [identities]
    out: list[Identity] = []
    for i in identities:
        if isinstance(i, bytes):
            out.extend(parse_identity_file(i))
        elif isinstance(i, str):
            text = i.strip()
            if "\n" in text or text.startswith(("-----BEGIN", "#")):
                out.extend(parse_identity_file(text.encode()))
            else:
                out.append(parse_identity(text))
        else:
            out.append(i)
    return out


def encrypt(data: bytes, recipients: Iterable[RecipientLike], *, armor: bool = False) -> bytes:
    """Encrypt ``data`` to ``recipients``; return the age file (armored if asked)."""
    out = io.BytesIO()
    core.encrypt_stream(io.BytesIO(data), out, to_recipients(recipients), armor=armor)
    return out.getvalue()


def decrypt(data: bytes, identities: Iterable[IdentityLike]) -> bytes:
    """Decrypt an age file (binary or armored). Returns nothing unless all of it verifies."""
    out = io.BytesIO()
    core.decrypt_stream(io.BytesIO(data), out, to_identities(identities))
    return out.getvalue()


def encrypt_stream(
    src: BinaryIO, dst: BinaryIO, recipients: Iterable[RecipientLike], *, armor: bool = False
) -> int:
    """Encrypt binary stream ``src`` into ``dst``; return the plaintext length."""
    return core.encrypt_stream(src, dst, to_recipients(recipients), armor=armor)


def decrypt_stream(src: BinaryIO, dst: BinaryIO, identities: Iterable[IdentityLike]) -> int:
    """Decrypt binary stream ``src`` into ``dst`` chunk by chunk; return the length.

    On a payload error, the chunks that authenticated before it have been written.
    """
    return core.decrypt_stream(src, dst, to_identities(identities))
