"""The master-key types of SOPS files, each one small module behind one tiny interface.

A master key wraps the file's data key (or, with several key groups, the group's Shamir
share) into the ``enc`` of its metadata entry, and unwraps it again. Every type
implements :class:`MasterKeyType`:

* ``wrap(entry, secret)`` sets the entry's ``enc`` (and whatever else sops writes with
  it, such as ``created_at``) so that the entry's key can recover ``secret``;
* ``unwrap(entry)`` returns the secret, or raises :class:`KeyUnavailable` — "this key
  cannot be used here", with the reason for the error report; the next key is tried —
  or any other :class:`~sekret.errors.SekretError`, which is recorded the same way;
* ``advice(entries)`` is the next step to offer when none of the file's entries of this
  type could be unwrapped (which variable to set, which key to import…).

The types are pure: whatever they need from the outside world (identities, a ``gpg``
program, a server) is given to them by the caller, so :mod:`sekret.sops` does no I/O.
Entries are :class:`~sekret.sops.metadata.AgeKey` for age and
:class:`~sekret.sops.metadata.OtherKey` (``type`` + the raw ``fields``) for the rest.
"""

from __future__ import annotations

from typing import Protocol

from sekret.errors import SopsError
from sekret.sops.metadata import AgeKey, OtherKey

Entry = AgeKey | OtherKey


class KeyUnavailable(SopsError):
    """This master key cannot unwrap the data key here (the next key is tried)."""


class MasterKeyType(Protocol):
    """One master-key type (age, pgp, hc_vault…): see the module docstring."""

    #: the type's name in the metadata and in ``--decryption-order``
    name: str

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Set ``entry``'s ``enc`` so that its key recovers ``secret``."""
        ...

    def unwrap(self, entry: Entry) -> bytes:
        """The secret wrapped in ``entry``; :class:`KeyUnavailable` if not for us."""
        ...

    def advice(self, entries: list[Entry]) -> str:
        """What the user can do when none of ``entries`` (all of this type) worked."""
        ...


def entry_type(entry: Entry) -> str:
    """The type name of a metadata entry (``age``, ``pgp``, ``hc_vault``…)."""
    return "age" if isinstance(entry, AgeKey) else entry.type


def entry_id(entry: Entry) -> str:
    """The key's identifier for messages: recipient, fingerprint, URI…"""
    return entry.recipient if isinstance(entry, AgeKey) else entry.identifier()
