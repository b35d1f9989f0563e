"""Passphrase recipients and identities (the ``scrypt`` stanza).

An scrypt stanza must be the only one in its header: a file encrypted to a passphrase
has exactly one way in. The recipient enforces this with a random label.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sekret._lazy_re import lazy
from sekret._sensitive import SecretStr
from sekret.age.format import Stanza, b64decode, b64encode
from sekret.age.recipients import multi_unwrap, open_file_key, seal_file_key
from sekret.crypto import kdf
from sekret.errors import ExcessiveWorkError, HeaderError, IncorrectIdentity

STANZA_TYPE = "scrypt"
_SALT_LABEL = b"age-encryption.org/v1/scrypt"
_WORK_FACTOR = lazy(r"[1-9][0-9]*")
#: age's default work factor for new files (about a second on a laptop).
DEFAULT_WORK_FACTOR = 18
#: The largest work factor accepted on decryption (age's default limit).
DEFAULT_MAX_WORK_FACTOR = 22


class ScryptRecipient:
    """Encrypt to a passphrase. Must be the only recipient of a file."""

    def __init__(self, passphrase: str, *, work_factor: int = DEFAULT_WORK_FACTOR) -> None:
        if not passphrase:
            raise ValueError("the passphrase must not be empty")
        if not 1 <= work_factor <= 30:
            raise ValueError("the scrypt work factor must be between 1 and 30")
        self._passphrase = SecretStr(passphrase)
        self.work_factor = work_factor

    def __repr__(self) -> str:
        return f"ScryptRecipient(<passphrase>, work_factor={self.work_factor})"

    def labels(self) -> frozenset[str]:
        """A fresh random label, so no other recipient can share the file."""
        return frozenset({os.urandom(16).hex()})

    def wrap(self, file_key: bytes, *, salt: bytes | None = None) -> list[Stanza]:
        """Wrap with a fresh 16-byte salt (``salt`` fixes it for tests)."""
        salt = salt if salt is not None else os.urandom(16)
        key = kdf.scrypt(self._passphrase.expose().encode(), _SALT_LABEL + salt, self.work_factor)
        return [
            Stanza(
                STANZA_TYPE,
                (b64encode(salt), str(self.work_factor)),
                seal_file_key(key, file_key),
            )
        ]


class ScryptIdentity:
    """Decrypt with a passphrase."""

    def __init__(
        self, passphrase: str, *, max_work_factor: int = DEFAULT_MAX_WORK_FACTOR
    ) -> None:
        self._passphrase = SecretStr(passphrase)
        self.max_work_factor = max_work_factor

    def __repr__(self) -> str:
        return "ScryptIdentity(<passphrase>)"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Unwrap the header's single scrypt stanza with the passphrase."""
        if any(s.type == STANZA_TYPE for s in stanzas) and len(stanzas) != 1:
            raise HeaderError("an scrypt recipient must be the only one in the header")
        return multi_unwrap(self._unwrap_one, stanzas)

    def _unwrap_one(self, stanza: Stanza) -> bytes:
        if stanza.type != STANZA_TYPE:
            raise IncorrectIdentity()
        if len(stanza.args) != 2:
            raise HeaderError("invalid scrypt stanza: wrong number of arguments")
        try:
            salt = b64decode(stanza.args[0])
        except ValueError:
            raise HeaderError("invalid scrypt stanza: salt is not canonical base64") from None
        if len(salt) != 16:
            raise HeaderError("invalid scrypt stanza: salt has the wrong length")
        if not _WORK_FACTOR.fullmatch(stanza.args[1]) or len(stanza.args[1]) > 2:
            raise HeaderError(f"invalid scrypt stanza: bad work factor {stanza.args[1]!r}")
        log_n = int(stanza.args[1])
        if log_n > self.max_work_factor:
            # Fatal, as in age: the spec has identities cap the work factor, and the
            # file cannot be opened without paying it (CCTV scrypt_work_factor_23).
            raise ExcessiveWorkError(log_n, self.max_work_factor)
        if len(stanza.body) != 32:
            raise HeaderError("invalid scrypt stanza: incorrect file key size")
        key = kdf.scrypt(self._passphrase.expose().encode(), _SALT_LABEL + salt, log_n)
        return open_file_key(key, stanza.body, STANZA_TYPE)
