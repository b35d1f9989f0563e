"""The keyring of a run: every master-key type sekret can use, with what each needs.

age gets the identities found as sops finds them (:mod:`sekret.files.keys`); pgp gets
the user's real ``gpg`` (``GNUPGHOME``, agent, smartcards, ``SOPS_GPG_EXEC``), which is
imported and run only when a file has a pgp entry; hc_vault (Vault/OpenBao transit) gets
an HTTP client with the token and TLS settings of the environment
(:mod:`sekret.files.vault`), made only when a file has an hc_vault entry. So an age-only
run pays for neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from sekret.sops.keysources import DEFAULT_ORDER, Keyring
from sekret.sops.masterkeys import Entry, MasterKeyType
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


class Vault:
    """The ``hc_vault`` type, ``VaultTransitKeys(VaultClient(environ))`` made on first use
    (its HTTP, TLS and URI parsing are imported only for files with hc_vault entries)."""

    name = "hc_vault"

    def __init__(self, environ: Mapping[str, str] | None) -> None:
        self.environ = environ
        self._made: MasterKeyType | None = None

    def __repr__(self) -> str:
        return "Vault()"

    def _keys(self) -> MasterKeyType:
        if self._made is None:
            from sekret.files.vault import VaultClient
            from sekret.sops.masterkeys.hc_vault import VaultTransitKeys

            environ = os.environ if self.environ is None else self.environ
            self._made = VaultTransitKeys(VaultClient(environ))
        return self._made

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Encrypt ``secret`` with the entry's transit key."""
        self._keys().wrap(entry, secret)

    def unwrap(self, entry: Entry) -> bytes:
        """Ask the entry's server to decrypt its ``enc``."""
        return self._keys().unwrap(entry)

    def advice(self, entries: list[Entry]) -> str:
        """Which server and token the file needs."""
        return self._keys().advice(entries)


def keyring(
    identities_for: IdentitySource,
    environ: Mapping[str, str] | None,
    *,
    order: Sequence[str] = (),
    gnupg_home: str | None = None,
) -> Keyring:
    """Every master-key type sekret can use, tried in ``order`` (default: age, pgp, then
    the others in file order)."""
    from sekret.sops.masterkeys.pgp import PgpKeys

    types: dict[str, MasterKeyType] = {
        "age": AgeKeys(identities_for),
        "pgp": PgpKeys(Gpg(environ, gnupg_home)),
        "hc_vault": Vault(environ),
    }
    return Keyring(types, tuple(order) or DEFAULT_ORDER)
