"""git-crypt-compatible transparent encryption in git.

Pure parts: :mod:`~sekret.gitcrypt.keyfile` (the key file), :mod:`~sekret.gitcrypt.blob`
(the blob), :mod:`~sekret.gitcrypt.filters` (clean/smudge/textconv) and
:mod:`~sekret.gitcrypt.process` (git's long-running filter protocol over streams).
:mod:`~sekret.gitcrypt.repo` is the one module that runs git and gpg.

Importing this package stays light: the crypto loads with :mod:`~sekret.gitcrypt.blob`.
"""

from __future__ import annotations

from sekret.gitcrypt.errors import (
    DirtyTreeError,
    GitCryptError,
    KeyFileIncompatible,
    KeyFileMalformed,
    NotARepositoryError,
    NotEncryptedError,
    NotUnlockedError,
    TamperedError,
)
from sekret.gitcrypt.keyfile import KeyEntry, KeyFile, generate, parse, parse_any, serialize

__all__ = [
    "DirtyTreeError",
    "GitCryptError",
    "KeyEntry",
    "KeyFile",
    "KeyFileIncompatible",
    "KeyFileMalformed",
    "NotARepositoryError",
    "NotEncryptedError",
    "NotUnlockedError",
    "TamperedError",
    "generate",
    "parse",
    "parse_any",
    "serialize",
]
