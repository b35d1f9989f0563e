"""clean, smudge and textconv as pure functions of a key and bytes.

Differences from git-crypt 0.7 that never change blob bytes:

* input that is not encrypted passes through *whole*, whatever its length (git-crypt
  0.7 turns 1 to 22 such bytes into nothing, which shows small files as empty in diffs);
* plaintext is released only after its tag verified;
* with a ``skip_empty`` key (opt-in, see :mod:`sekret.gitcrypt.keyfile`) an empty file
  stays an empty blob, which ends git's "Bin 22 -> 0 bytes" phantom change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sekret.gitcrypt import blob
from sekret.gitcrypt.errors import NotUnlockedError
from sekret.gitcrypt.keyfile import KeyFile

#: What smudge prints (as ``sekret: warning:`` lines) for a file that was not encrypted.
NOT_ENCRYPTED_WARNING = (
    "file not encrypted",
    "run 'sekret git-crypt status' to make sure all files are properly encrypted",
)


@dataclass(frozen=True)
class Smudged:
    """The result of smudge: the working-tree bytes and whether they were encrypted."""

    data: bytes
    was_encrypted: bool


def clean(key: KeyFile, data: bytes) -> bytes:
    """Working-tree bytes → blob bytes (always encrypts, like git-crypt)."""
    if key.skip_empty and not data:
        return b""
    return blob.encrypt(key.latest, data)


def smudge(key: KeyFile, data: bytes) -> Smudged:
    """Blob bytes → working-tree bytes; non-encrypted input passes through unchanged."""
    if not blob.is_encrypted(data):
        return Smudged(data, False)
    return Smudged(blob.decrypt(key.entries, data), True)


def textconv(key: KeyFile | None, data: bytes) -> bytes:
    """Bytes git wants to diff → text; decrypts if needed (git usually passes plaintext)."""
    if not blob.is_encrypted(data):
        return data
    if key is None:
        raise NotUnlockedError("cannot show an encrypted file: the repository is locked",
                               hint="run 'sekret git-crypt unlock' first")
    return blob.decrypt(key.entries, data)
