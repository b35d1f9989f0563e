"""HashiCorp Vault / OpenBao transit master keys (``hc_vault`` entries), as sops 3.11 has them.

A key is named by a URI such as ``https://vault.example.org:8200/v1/transit/keys/dev``:
the server's address, the transit engine's mount path (``transit``, or a nested path) and
the key's name. The data key (or a key group's Shamir share) is sent base64-encoded to
``<engine>/encrypt/<key>``; the ``vault:v1:…`` ciphertext the server returns is the
entry's ``enc``, which ``<engine>/decrypt/<key>`` turns back into the base64 data key.

The entry is written as sops writes it: ``vault_address``, ``engine_path``,
``key_name``, ``created_at`` (RFC 3339, UTC), ``enc``. This module is pure: the HTTP
exchange with the server is done by a :class:`TransitBackend` the caller supplies
(sekret's is :class:`sekret.files.vault.VaultClient`, given by :mod:`sekret.files.keyring`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

from sekret._dates import UTC, datetime
from sekret._lazy_re import lazy
from sekret.errors import SopsError
from sekret.sops.masterkeys import Entry, KeyUnavailable
from sekret.sops.metadata import OtherKey, format_lastmodified

#: the entry type in the metadata, key groups and ``--decryption-order``
HC_VAULT = "hc_vault"
#: the fields of an entry, in the order sops writes them
FIELDS = ("vault_address", "engine_path", "key_name", "created_at", "enc")

_PREFIXED = lazy(r"/[^/]+/v[\d]+/[^/]+/[^/]+/[^/]+")
_WELL_FORMED = lazy(r"/v[\d]+/[^/]+/[^/]+/[^/]+")
_EXAMPLE = "https://vault.example.com:8200/v1/transit/keys/keyName"


class VaultURIError(SopsError):
    """A Vault transit key URI that sops would refuse too."""


class TransitError(KeyUnavailable):
    """The server did not encrypt or decrypt the data key (the next key is tried)."""


class TransitBackend(Protocol):
    """One Vault/OpenBao API call: ``POST <address>/v1/<path>`` with a JSON body."""

    def write(self, address: str, path: str, payload: Mapping[str, object]) -> object:
        """The response's ``data`` object (``None`` if the response had none)."""
        ...


def parse_uri(uri: str) -> tuple[str, str, str]:
    """``(vault_address, engine_path, key_name)`` of a transit key URI, as sops splits it.

    The address is everything but the path (scheme, host, port); the path must be
    ``/v<N>/<engine…>/keys/<name>``. A path prefixed before ``/v1`` (a reverse proxy)
    is refused, as sops refuses it.
    """
    parts = urlsplit(uri)
    if not parts.scheme:
        raise VaultURIError(
            f"missing scheme in Vault URL (should be like this: {_EXAMPLE}), got: {uri}"
        )
    request_uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if _PREFIXED.search(request_uri):
        raise VaultURIError(
            "running Vault with a prefixed URL is not supported! "
            f"(Format has to be like {_EXAMPLE})",
        )
    if not _WELL_FORMED.search(request_uri):
        raise VaultURIError(
            f"vault path does not seem to be formatted correctly: (eg. {_EXAMPLE})",
            hint=f"got {uri!r}",
        )
    dirs = request_uri.strip("/").split("/")
    engine = "/".join(d for d in dirs[1:-2] if d)
    address = f"{parts.scheme}://{parts.netloc}"
    if parts.fragment:
        address += f"#{parts.fragment}"
    return address, engine, dirs[-1]


def parse_uris(text: str) -> list[str]:
    """The URIs of a comma-separated list (``--hc-vault-transit``, ``SOPS_VAULT_URIS``)."""
    return [u for u in text.split(",") if u]


def new_entry(uri: str) -> OtherKey:
    """An ``hc_vault`` entry for ``uri`` with nothing wrapped yet."""
    address, engine, key = parse_uri(uri)
    return OtherKey(HC_VAULT, {"vault_address": address, "engine_path": engine, "key_name": key})


def uri_of(fields: Mapping[str, object]) -> str:
    """The key's URI as sops prints it (``<address>/v1/<engine>/keys/<name>``)."""
    return (
        f"{fields.get('vault_address', '')}/v1/{fields.get('engine_path', '')}"
        f"/keys/{fields.get('key_name', '')}"
    )


def _join(*parts: str) -> str:
    """Go's ``path.Join`` for the relative paths used here: empty parts dropped."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def encrypt_path(fields: Mapping[str, object]) -> str:
    """``<engine>/encrypt/<key>``."""
    return _join(str(fields.get("engine_path", "")), "encrypt", str(fields.get("key_name", "")))


def decrypt_path(fields: Mapping[str, object]) -> str:
    """``<engine>/decrypt/<key>``."""
    return _join(str(fields.get("engine_path", "")), "decrypt", str(fields.get("key_name", "")))


def encrypt_payload(secret: bytes) -> dict[str, object]:
    """The body of an encrypt request: the secret, base64-encoded (standard, padded)."""
    return {"plaintext": base64.b64encode(secret).decode()}


def ciphertext_of(data: object) -> str:
    """The ``ciphertext`` of an encrypt response's ``data``."""
    if not isinstance(data, Mapping):
        raise TransitError("transit backend is empty")
    if "ciphertext" not in data:
        raise TransitError("no encrypted data")
    value = data["ciphertext"]
    if not isinstance(value, str):
        raise TransitError("encrypted ciphertext cannot be cast to string")
    return value


def plaintext_of(data: object) -> bytes:
    """The decoded ``plaintext`` of a decrypt response's ``data``."""
    if not isinstance(data, Mapping):
        raise TransitError("transit backend is empty")
    if "plaintext" not in data:
        raise TransitError("no decrypted data")
    value = data["plaintext"]
    if not isinstance(value, str):
        raise TransitError("decrypted plaintext data cannot be cast to string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise TransitError("cannot decode base64 plaintext into data key bytes") from None


class VaultTransitKeys:
    """The ``hc_vault`` master-key type over a backend (``None``: no server reachable)."""

    name = HC_VAULT

    def __init__(self, backend: TransitBackend | None, *, now: datetime | None = None) -> None:
        self.backend = backend
        self.now = now

    def __repr__(self) -> str:
        return f"VaultTransitKeys({type(self.backend).__name__})"

    def _backend(self) -> TransitBackend:
        if self.backend is None:
            raise TransitError("no Vault/OpenBao client available")
        return self.backend

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Encrypt ``secret`` with the entry's transit key; sops's field order."""
        assert isinstance(entry, OtherKey)
        fields = entry.fields
        path = encrypt_path(fields)
        try:
            data = self._backend().write(
                str(fields.get("vault_address", "")), path, encrypt_payload(secret)
            )
            enc = ciphertext_of(data)
        except SopsError as exc:
            raise TransitError(
                f"failed to encrypt sops data key to Vault transit backend {path!r}: {exc}",
                hint=exc.hint,
            ) from None
        when = self.now if self.now is not None else datetime.now(UTC)
        entry.fields = {
            "vault_address": fields.get("vault_address", ""),
            "engine_path": fields.get("engine_path", ""),
            "key_name": fields.get("key_name", ""),
            "created_at": format_lastmodified(when),
            "enc": enc,
        }

    def unwrap(self, entry: Entry) -> bytes:
        """Ask the server to decrypt the entry's ``enc``."""
        assert isinstance(entry, OtherKey)
        fields = entry.fields
        enc = fields.get("enc")
        if not isinstance(enc, str) or not enc:
            raise TransitError("the entry has no encrypted data key")
        path = decrypt_path(fields)
        try:
            data = self._backend().write(
                str(fields.get("vault_address", "")), path, {"ciphertext": enc}
            )
            return plaintext_of(data)
        except SopsError as exc:
            raise TransitError(
                f"failed to decrypt sops data key from Vault transit backend {path!r}: {exc}",
                hint=exc.hint,
            ) from None

    def advice(self, entries: list[Entry]) -> str:
        """Which server and token the file needs."""
        uris = ", ".join(uri_of(e.fields) for e in entries if isinstance(e, OtherKey))
        return (
            f"hc_vault: give a token allowed to use {uris} (VAULT_TOKEN, or ~/.vault-token "
            "as `vault login`/`bao login` writes it), and check that the server is reachable"
        )
