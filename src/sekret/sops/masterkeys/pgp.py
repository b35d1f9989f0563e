"""PGP master keys: ``enc`` is an armored OpenPGP message of the secret to ``fp``.

The entry is written as sops writes it: ``created_at`` (RFC 3339, UTC), ``enc`` and
``fp`` (the fingerprint as given, spaces removed). The OpenPGP work itself is done by a
:class:`PgpBackend` the caller supplies (sekret's is the user's real ``gpg``, see
:mod:`sekret.pgp.gpg`), so this module stays pure.
"""

from __future__ import annotations

from typing import Protocol

from sekret._dates import UTC, datetime
from sekret.sops.masterkeys import Entry, KeyUnavailable
from sekret.sops.metadata import OtherKey, format_lastmodified

PGP = "pgp"


class PgpBackend(Protocol):
    """Encrypt to and decrypt with keys of the user's OpenPGP keyring."""

    def encrypt(self, data: bytes, fingerprint: str) -> str:
        """``data`` encrypted to ``fingerprint``, as an ASCII-armored message."""
        ...

    def decrypt(self, message: bytes) -> bytes:
        """The plaintext of an OpenPGP message, with the keyring's secret keys."""
        ...


def fingerprint(text: str) -> str:
    """A fingerprint as sops keeps it: every space removed, case unchanged."""
    return text.replace(" ", "")


def new_entry(fp: str) -> OtherKey:
    """A PGP entry for ``fp`` with nothing wrapped yet."""
    return OtherKey(PGP, {"fp": fingerprint(fp)})


class PgpKeys:
    """The pgp master-key type over a backend (``None``: no OpenPGP available)."""

    name = PGP

    def __init__(self, backend: PgpBackend | None, *, now: datetime | None = None) -> None:
        self.backend = backend
        self.now = now

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Encrypt ``secret`` to the entry's fingerprint; sops's field order."""
        assert isinstance(entry, OtherKey)
        fp = fingerprint(str(entry.fields.get("fp", "")))
        if self.backend is None:
            raise KeyUnavailable(f"cannot encrypt to pgp key {fp}: no OpenPGP backend")
        enc = self.backend.encrypt(secret, fp)
        when = self.now if self.now is not None else datetime.now(UTC)
        entry.fields = {"created_at": format_lastmodified(when), "enc": enc, "fp": fp}

    def unwrap(self, entry: Entry) -> bytes:
        """Decrypt the entry's message with the keyring's secret keys."""
        assert isinstance(entry, OtherKey)
        enc = entry.fields.get("enc")
        if not isinstance(enc, str) or not enc.strip():
            raise KeyUnavailable("the entry has no encrypted data key")
        if self.backend is None:
            raise KeyUnavailable("no OpenPGP backend")
        return self.backend.decrypt(enc.encode())

    def advice(self, entries: list[Entry]) -> str:
        """Which secret keys gpg needs."""
        fps = ", ".join(str(e.fields.get("fp", "?")) for e in entries if isinstance(e, OtherKey))
        return (
            f"pgp: import the secret key of {fps} into gpg (gpg --import), check that "
            "gpg-agent is running and can ask for its passphrase (GPG_TTY), and that "
            "GNUPGHOME names that keyring"
        )
