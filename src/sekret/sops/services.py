"""The data key through key services, as sops does with ``--keyservice``.

A key service wraps and unwraps a data key (or a Shamir share) for one master key it is
told about (:class:`KeyRef`). sops keeps a list of them: the local one (this process's
own keys, unless ``--enable-local-keyservice=false``) and then each ``--keyservice``
URI in order; every key is wrapped by the first service that can, and unwrapped by the
first that can.

There is one dispatcher, :mod:`sekret.sops.keysources` over a
:class:`~sekret.sops.keysources.Keyring`; services only change what a key type does:

* :func:`through` makes the keyring of a command with remote services: each key type
  becomes a :class:`ThroughServices`, which asks the local keyring's type first (when
  the local service is on) and then each remote service, so the decryption order,
  Shamir and the error report stay the keyring's;
* :class:`LocalService` is the other way round, a keyring as a key service: what
  ``sekret keyservice`` answers with (every type the keyring knows: age, pgp…).

Pure: the remote services (gRPC) are handed in by the command line as objects with
:class:`KeyService`'s two methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sekret._dates import UTC, datetime
from sekret._record import field, record
from sekret.errors import SekretError, SopsError
from sekret.sops.keysources import Keyring
from sekret.sops.masterkeys import Entry, KeyUnavailable, MasterKeyType
from sekret.sops.metadata import AgeKey, OtherKey, format_lastmodified

#: the key types sops knows: with remote services, any of them may be served
SOPS_TYPES = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")
#: metadata fields that are the wrapped key and its date, not the key's name
_NOT_NAME = frozenset({"enc", "created_at"})
#: fields sops writes after ``enc`` (its kms entry); the other names come before
#: ``created_at``, except in pgp entries, which start with them (sops's stores structs)
_AFTER_ENC = ("aws_profile",)


class ServiceError(SopsError):
    """A key service could not wrap or unwrap for one key (its reason, never a secret)."""


@record
class KeyRef:
    """One master key as a key service is told about it: its sops type and its name
    fields as the metadata spells them (``recipient``, ``fp``, ``arn``…)."""

    type: str
    fields: dict[str, object] = field(default_factory=dict)

    def describe(self) -> str:
        """The key for messages: type and identifier."""
        for name in ("recipient", "fp", "arn", "resource_id", "vault_url", "key_id"):
            if name in self.fields:
                return f"{self.type} {self.fields[name]}"
        if self.type == "hc_vault":
            f = self.fields
            return f"hc_vault {f.get('vault_address')}/v1/{f.get('engine_path')}/keys/" \
                f"{f.get('key_name')}"
        return self.type


class KeyService(Protocol):
    """What sops's KeyService gRPC service does: wrap or unwrap for one key."""

    name: str

    def encrypt(self, key: KeyRef, plaintext: bytes) -> bytes:
        """The key's ``enc`` for ``plaintext``; raises :class:`ServiceError`."""
        ...

    def decrypt(self, key: KeyRef, ciphertext: bytes) -> bytes:
        """What ``ciphertext`` (the key's ``enc``) wraps; raises :class:`ServiceError`."""
        ...


def ref_of(entry: Entry) -> KeyRef:
    """The :class:`KeyRef` of a metadata key entry (without its ``enc``)."""
    if isinstance(entry, AgeKey):
        return KeyRef("age", {"recipient": entry.recipient})
    return KeyRef(entry.type, {k: v for k, v in entry.fields.items() if k not in _NOT_NAME})


def _entry_of(key: KeyRef, enc: str = "") -> Entry:
    """A metadata entry for ``key`` (holding ``enc``), for the keyring's types."""
    if key.type == "age":
        return AgeKey(str(key.fields.get("recipient", "")), enc)
    fields = dict(key.fields)
    if enc:
        fields["enc"] = enc
    return OtherKey(key.type, fields)


def _enc_of(entry: Entry) -> str:
    if isinstance(entry, AgeKey):
        return entry.enc
    return str(entry.fields.get("enc") or "")


class LocalService:
    """A keyring as a key service: sops's local key service, and what ``sekret
    keyservice`` answers with (every type the keyring has)."""

    name = "local"

    def __init__(self, keys: Keyring) -> None:
        self._keys = keys

    def _type(self, key: KeyRef) -> MasterKeyType:
        kind = self._keys.types.get(key.type)
        if kind is None:
            raise ServiceError(f"sekret cannot use {key.type} keys itself")
        return kind

    def encrypt(self, key: KeyRef, plaintext: bytes) -> bytes:
        """Wrap ``plaintext`` with the keyring's type for ``key``."""
        entry = _entry_of(key)
        try:
            self._type(key).wrap(entry, plaintext)
        except SekretError as exc:
            raise ServiceError(exc.message) from None
        return _enc_of(entry).encode()

    def decrypt(self, key: KeyRef, ciphertext: bytes) -> bytes:
        """Unwrap ``ciphertext`` with the keyring's type for ``key``."""
        entry = _entry_of(key, ciphertext.decode(errors="replace"))
        try:
            return self._type(key).unwrap(entry)
        except SekretError as exc:
            raise ServiceError(exc.message) from None


class ThroughServices:
    """One key type of a command with key services: the local keyring's type first
    (``local``; None when the local service is off or lacks the type), then each remote
    service in order. A :class:`~sekret.sops.masterkeys.MasterKeyType` itself."""

    def __init__(
        self,
        name: str,
        local: MasterKeyType | None,
        remotes: Sequence[KeyService],
        *,
        local_enabled: bool = True,
        now: datetime | None = None,
    ) -> None:
        self.name = name
        self.local = local
        self.remotes = list(remotes)
        self.local_enabled = local_enabled
        self.now = now

    def _local_reason(self) -> list[str]:
        if self.local_enabled and self.local is None:
            return [f"local: sekret cannot use {self.name} keys itself"]
        return []

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Wrap with the first service that can (sops: UpdateMasterKeysWithKeyServices)."""
        if not self.local_enabled and not self.remotes:
            # sops's words
            raise SopsError(
                "Could not generate data key: [no key services provided, cannot update "
                "master keys]",
                hint="enable the local key service or name one with --keyservice",
            )
        reasons = self._local_reason()
        if self.local is not None:
            try:
                self.local.wrap(entry, secret)
                return
            except SekretError as exc:
                reasons.append(f"local: {exc}")
        ref = ref_of(entry)
        for service in self.remotes:
            try:
                enc = service.encrypt(ref, secret)
            except ServiceError as exc:
                reasons.append(f"{service.name}: {exc.message}")
                continue
            self._set_enc(entry, enc.decode(errors="replace"))
            return
        raise SopsError(
            f"Could not generate data key: cannot wrap it for {ref.describe()} "
            f"({'; '.join(reasons)})",
            hint="check that a key service can use each key (the local one: this "
            "machine's keys; --keyservice names others)",
        )

    def _set_enc(self, entry: Entry, enc: str) -> None:
        if isinstance(entry, AgeKey):
            entry.enc = enc
            return
        when = format_lastmodified(self.now if self.now is not None else datetime.now(UTC))
        names = {k: v for k, v in entry.fields.items() if k not in _NOT_NAME}
        stamp = {"created_at": entry.fields.get("created_at", when), "enc": enc}
        if entry.type == "pgp":
            entry.fields = {**stamp, **names}
            return
        tail = {k: names.pop(k) for k in _AFTER_ENC if k in names}
        entry.fields = {**names, **stamp, **tail}

    def unwrap(self, entry: Entry) -> bytes:
        """Unwrap with the first service that can (sops: decryptKeyGroup)."""
        reasons = self._local_reason()
        if self.local is not None:
            try:
                return self.local.unwrap(entry)
            except SekretError as exc:
                reasons.append(f"local: {exc}")
        ref = ref_of(entry)
        enc = _enc_of(entry).encode()
        for service in self.remotes:
            try:
                return service.decrypt(ref, enc)
            except ServiceError as exc:
                reasons.append(f"{service.name}: {exc.message}")
        raise KeyUnavailable("; ".join(reasons) or "no key service to ask")

    def advice(self, entries: list[Entry]) -> str:
        """The local type's advice, and the services asked."""
        if not self.local_enabled and not self.remotes:
            return "no key service to ask: the local one is off and no --keyservice is given"
        lines = [self.local.advice(entries)] if self.local is not None else []
        if self.remotes:
            names = ", ".join(["local"] * self.local_enabled + [s.name for s in self.remotes])
            lines.append(f"{self.name}: no key service could unwrap it (services asked: {names})")
        return "\n".join(lines)


def through(
    keys: Keyring, remotes: Sequence[KeyService], *, local: bool = True,
    now: datetime | None = None,
) -> Keyring:  # fmt: skip
    """``keys`` (the local service, unless ``local`` is false) and then ``remotes``, as
    one keyring with the same decryption order, covering every type sops knows."""
    names = [*keys.types, *(t for t in SOPS_TYPES if t not in keys.types)]
    types: dict[str, MasterKeyType] = {
        name: ThroughServices(
            name, keys.types.get(name) if local else None, remotes, local_enabled=local,
            now=now,
        )
        for name in names
    }
    return Keyring(types, keys.order)


@record
class Chain:
    """The key services of one command: the local one on or off, then the remote ones
    in the order they are asked."""

    local: bool
    remotes: list[KeyService] = field(default_factory=list)

    def keyring(self, keys: Keyring) -> Keyring:
        """The command's keyring: ``keys`` through these services."""
        return through(keys, self.remotes, local=self.local)


__all__ = [
    "Chain", "KeyRef", "KeyService", "LocalService", "ServiceError", "ThroughServices",
    "ref_of", "through",
]
