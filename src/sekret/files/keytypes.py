"""The master-key types besides age a run can use, with what each needs from outside.

``hc_vault`` (Vault/OpenBao transit) talks to the server named in each entry with the
token and TLS settings of the run's environment (:mod:`sekret.files.vault`). The types
are built on first use, so a run whose files have only age keys imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sekret.sops.keysources import OtherKeyType

#: the types this module can build
NAMES = ("hc_vault",)


class OtherKeyTypes(Mapping[str, OtherKeyType]):
    """A read-only mapping type name → master-key type, each made when first asked for."""

    def __init__(self, environ: Mapping[str, str], *, vault_token: str | None = None) -> None:
        self.environ = environ
        self.vault_token = vault_token
        self._made: dict[str, OtherKeyType] = {}

    def __repr__(self) -> str:
        return f"OtherKeyTypes({', '.join(NAMES)})"

    def __getitem__(self, name: str) -> OtherKeyType:
        if name not in NAMES:
            raise KeyError(name)
        if name not in self._made:
            from sekret.files.vault import VaultClient
            from sekret.sops.vault_transit import VaultTransitKeys

            client = VaultClient(self.environ, token=self.vault_token)
            self._made[name] = VaultTransitKeys(client)
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)
