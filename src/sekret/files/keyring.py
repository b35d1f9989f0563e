"""The keyring of a run: every master-key type sekret can use, with what each needs.

age gets the identities found as sops finds them (:mod:`sekret.files.keys`); pgp gets
the user's real ``gpg`` (``GNUPGHOME``, agent, smartcards, ``SOPS_GPG_EXEC``), which is
imported and run only when a file has a pgp entry, so an age-only run pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sekret.sops.keysources import DEFAULT_ORDER, Keyring
from sekret.sops.masterkeys import MasterKeyType
from sekret.sops.masterkeys.age import AgeKeys, IdentitySource


class Gpg:
    """:class:`~sekret.sops.masterkeys.pgp.PgpBackend` over the ``gpg`` program."""

    def __init__(self, environ: Mapping[str, str] | None, gnupg_home: str | None = None) -> None:
        self.environ = environ
        self.gnupg_home = gnupg_home

    def __repr__(self) -> str:
        return f"Gpg(gnupg_home={self.gnupg_home!r})"

    def encrypt(self, data: bytes, fingerprint: str) -> str:
        """Encrypt to a key of the keyring, as sops does."""
        from sekret.pgp import gpg

        return gpg.encrypt(data, fingerprint, gnupg_home=self.gnupg_home, environ=self.environ)

    def decrypt(self, message: bytes) -> bytes:
        """Decrypt with ``gpg -d``, as sops does."""
        from sekret.pgp import gpg

        return gpg.decrypt(message, gnupg_home=self.gnupg_home, environ=self.environ)


def keyring(
    identities_for: IdentitySource,
    environ: Mapping[str, str] | None,
    *,
    order: Sequence[str] = (),
    gnupg_home: str | None = None,
) -> Keyring:
    """Every master-key type sekret can use, tried in ``order`` (default: age, pgp)."""
    from sekret.sops.masterkeys.pgp import PgpKeys

    types: dict[str, MasterKeyType] = {
        "age": AgeKeys(identities_for),
        "pgp": PgpKeys(Gpg(environ, gnupg_home)),
    }
    return Keyring(types, tuple(order) or DEFAULT_ORDER)
