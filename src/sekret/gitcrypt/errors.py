"""The git-crypt part of sekret's error tree (all under :class:`GitCryptError`)."""

from __future__ import annotations

from sekret.errors import GitCryptError

__all__ = [
    "DirtyTreeError",
    "GitCryptError",
    "KeyFileIncompatible",
    "KeyFileMalformed",
    "NotARepositoryError",
    "NotEncryptedError",
    "NotUnlockedError",
    "TamperedError",
]


class KeyFileMalformed(GitCryptError):
    """A key file is truncated, has a bad field length or is not a key file at all."""


class KeyFileIncompatible(GitCryptError):
    """A key file is well-formed but uses a format version or critical field we do not know."""


class NotARepositoryError(GitCryptError):
    """The working directory is not inside a git repository."""


class TamperedError(GitCryptError):
    """An encrypted blob did not verify: wrong key, or modified. Deliberately opaque."""


class NotEncryptedError(GitCryptError):
    """Input that should be encrypted is not (strict smudge, status, pre-commit)."""


class NotUnlockedError(GitCryptError):
    """The key needed is not installed in this repository (locked or never initialised)."""


class DirtyTreeError(GitCryptError):
    """The working tree has uncommitted changes and the command would lose or mix them."""
