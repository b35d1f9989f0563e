"""The data key through key services, as sops does with ``--keyservice``.

A key service wraps and unwraps a data key (or a Shamir share) for one master key it is
told about (:class:`KeyRef`). sops keeps a list of them: the local one (this process's
own keys, unless ``--enable-local-keyservice=false``) and then each ``--keyservice``
URI in order. Every key is wrapped by the first service that can; a key group is opened
by its first key (in the decryption order) that any service can unwrap, the services
asked in order. This module is that loop, pure: the remote services (gRPC) are handed
in by the command line as objects with :class:`KeyService`'s two methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sekret._dates import UTC, datetime
from sekret._record import field, record
from sekret.errors import AgeError, NoIdentityMatchError, SopsError
from sekret.sops import keysources
from sekret.sops.keysources import DataKeyError, GroupResult, KeyAttempt
from sekret.sops.metadata import AgeKey, KeyGroup, Metadata, OtherKey

#: the order sops tries a group's key types in without --decryption-order
DEFAULT_ORDER = ("age", "pgp")
#: how sops lists a group's keys before that sort (stores.go internalGroupFrom)
_INTERNAL_ORDER = ("kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age")
#: metadata fields that are the wrapped key and its date, not the key's name
_NOT_NAME = frozenset({"enc", "created_at"})


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


def ref_of(entry: AgeKey | OtherKey) -> KeyRef:
    """The :class:`KeyRef` of a metadata key entry (without its ``enc``)."""
    if isinstance(entry, AgeKey):
        return KeyRef("age", {"recipient": entry.recipient})
    return KeyRef(entry.type, {k: v for k, v in entry.fields.items() if k not in _NOT_NAME})


def _enc_of(entry: AgeKey | OtherKey) -> bytes:
    if isinstance(entry, AgeKey):
        return entry.enc.encode()
    return str(entry.fields.get("enc") or "").encode()


class LocalService:
    """This process's own keys: sops's local key service (age; the hook for the rest)."""

    name = "local"

    def __init__(self, identities_for: keysources.IdentitySource | None = None) -> None:
        self._identities_for = identities_for

    def encrypt(self, key: KeyRef, plaintext: bytes) -> bytes:
        """Wrap for an age recipient (the other key types: see :func:`_unsupported`)."""
        if key.type != "age":
            raise _unsupported(key)
        try:
            return keysources.wrap_for_age(plaintext, str(key.fields["recipient"])).encode()
        except SopsError as exc:
            raise ServiceError(exc.message) from None

    def decrypt(self, key: KeyRef, ciphertext: bytes) -> bytes:
        """Unwrap with the age identities found for the recipient."""
        if key.type != "age":
            raise _unsupported(key)
        recipient = str(key.fields["recipient"])
        ids = self._identities_for(recipient) if self._identities_for else []
        if not ids:
            raise ServiceError("no identity matched")
        try:
            return keysources.unwrap_age(ciphertext.decode(errors="replace"), ids)
        except NoIdentityMatchError:
            raise ServiceError("no identity matched") from None
        except AgeError as exc:
            raise ServiceError(str(exc)) from None


def _unsupported(key: KeyRef) -> ServiceError:
    return ServiceError(f"sekret cannot use {key.type} keys itself")


@record
class Chain:
    """The key services of one command, in the order they are asked, and the decryption
    order of key types. ``None`` in ``services`` stands for the local service."""

    services: list[KeyService | None]
    order: list[str] = field(default_factory=list)

    def resolved(self, identities_for: keysources.IdentitySource | None) -> list[KeyService]:
        """The services, the local one given ``identities_for``."""
        return [s if s is not None else LocalService(identities_for) for s in self.services]


def _entries(group: KeyGroup) -> list[AgeKey | OtherKey]:
    return [*group.age, *group.others]


def wrap(data_key: bytes, meta: Metadata, chain: Chain, *, now: datetime | None = None) -> None:
    """Set every key's ``enc`` through the services (the first that can, per key)."""
    services = chain.resolved(None)
    if not services:
        raise SopsError(
            "Could not generate data key: [no key services provided, cannot update master keys]",
            hint="enable the local key service or name one with --keyservice",
        )
    parts = keysources.split_for_groups(data_key, meta)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    errors: list[str] = []
    for group, part in zip(meta.key_groups, parts, strict=True):
        for entry in _entries(group):
            ref = ref_of(entry)
            tried: list[str] = []
            for service in services:
                try:
                    enc = service.encrypt(ref, part)
                except ServiceError as exc:
                    tried.append(f"{service.name}: {exc.message}")
                    continue
                _set_enc(entry, enc.decode(errors="replace"), stamp)
                break
            else:
                errors.append(f"{ref.describe()} ({'; '.join(tried)})")
    if errors:
        raise SopsError(
            "Could not generate data key: cannot wrap it for " + ", ".join(errors),
            hint="check that a key service can reach each key (the local one uses the "
            "age recipients; --keyservice names others)",
        )


def _set_enc(entry: AgeKey | OtherKey, enc: str, stamp: str) -> None:
    if isinstance(entry, AgeKey):
        entry.enc = enc
        return
    entry.fields.setdefault("created_at", stamp)
    entry.fields["enc"] = enc


def _ordered(group: KeyGroup, order: Sequence[str]) -> list[AgeKey | OtherKey]:
    entries = sorted(_entries(group), key=lambda e: _INTERNAL_ORDER.index(ref_of(e).type)
                     if ref_of(e).type in _INTERNAL_ORDER else len(_INTERNAL_ORDER))
    rank = {t: i for i, t in enumerate(order)}
    return sorted(entries, key=lambda e: rank.get(ref_of(e).type, len(rank)))


def recover(
    meta: Metadata, identities_for: keysources.IdentitySource, chain: Chain
) -> bytes:
    """The data key, each group opened by its first key any service unwraps."""
    services = chain.resolved(identities_for)
    order = chain.order or list(DEFAULT_ORDER)
    results: list[GroupResult] = []
    parts: list[bytes] = []
    for index, group in enumerate(meta.key_groups):
        result = GroupResult(index, False)
        for entry in _ordered(group, order):
            ref = ref_of(entry)
            reasons: list[str] = []
            for service in services:
                try:
                    part = service.decrypt(ref, _enc_of(entry))
                except ServiceError as exc:
                    reasons.append(f"{service.name}: {exc.message}")
                    continue
                parts.append(part)
                result.ok = True
                break
            result.attempts.append(KeyAttempt(ref.describe(), result.ok, "; ".join(reasons)))
            if result.ok:
                break
        results.append(result)
    return keysources.combine_parts(meta, parts, results, hint=_hint(services))


def _hint(services: Sequence[KeyService]) -> str:
    if not services:
        return "no key service to ask: the local one is off and no --keyservice is given"
    names = ", ".join(s.name for s in services)
    return f"no key service could unwrap the data key (services asked: {names})"


__all__ = [
    "Chain", "DataKeyError", "KeyRef", "KeyService", "LocalService", "ServiceError",
    "recover", "ref_of", "wrap",
]
