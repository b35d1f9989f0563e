"""Wrapping the data key for, and recovering it from, the file's key groups.

Each master-key type is a small module of :mod:`sekret.sops.masterkeys` behind one
interface (wrap an entry, unwrap an entry, advise); a :class:`Keyring` says which types
this run can use, with what they need (age identities, a ``gpg``…). Entries of a type
the keyring lacks are carried along untouched on decryption and refused on encryption.
With two or more groups the data key is split with Shamir's scheme and each group wraps
its own share; any ``shamir_threshold`` groups recover it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from sekret._record import field, record
from sekret.errors import SekretError, SopsError
from sekret.sops.masterkeys import Entry, MasterKeyType, entry_id, entry_type
from sekret.sops.masterkeys.age import AgeKeys, IdentitySource, wrap_for_age
from sekret.sops.metadata import KeyGroup, Metadata

__all__ = ["DataKeyError", "IdentitySource", "Keyring", "wrap_for_age"]

DATA_KEY_SIZE = 32
#: sops's default order of key types within a group (``--decryption-order``)
DEFAULT_ORDER = ("age", "pgp")


@record
class Keyring:
    """The master-key types this run can use, by name, and the decryption order."""

    types: Mapping[str, MasterKeyType]
    order: Sequence[str] = DEFAULT_ORDER


def keyring_of(keys: Keyring | IdentitySource | None) -> Keyring:
    """A keyring as given, or the age-only one of an identity source."""
    if isinstance(keys, Keyring):
        return keys
    return Keyring({"age": AgeKeys(keys) if keys is not None else AgeKeys()})


def entries(group: KeyGroup) -> list[Entry]:
    """A group's entries in file order: age first, then the others as read."""
    return [*group.age, *group.others]


def ordered(group: KeyGroup, order: Sequence[str]) -> list[Entry]:
    """The entries in decryption order: the types named first (in that order), then the
    rest in file order, as sops sorts a group's keys."""
    rank = {name: i for i, name in enumerate(order)}
    found = entries(group)
    return sorted(found, key=lambda e: rank.get(entry_type(e), len(rank)))


@record
class KeyAttempt:
    """One key tried while recovering the data key, for the error report."""

    key: str
    ok: bool
    reason: str = ""


@record
class GroupResult:
    """What happened in one key group."""

    index: int
    ok: bool
    attempts: list[KeyAttempt] = field(default_factory=list)


class DataKeyError(SopsError):
    """No (or not enough) keys could recover the data key (sops exit 128)."""

    exit_code = 128

    def __init__(
        self,
        message: str,
        groups: list[GroupResult],
        *,
        hint: str | None,
        key_types: Sequence[str] = ("age",),
    ) -> None:
        tried = [
            f"{'group ' + str(g.index + 1) + ': ' if len(groups) > 1 else ''}"
            f"{_short(a.key)}: {a.reason or 'failed'}"
            for g in groups
            for a in g.attempts
            if not a.ok
        ]
        super().__init__(message, hint="\n".join([*(f"tried {t}" for t in tried), hint or ""]))
        self.group_results = groups
        #: the master-key types the file has (which next steps apply)
        self.key_types = list(key_types)

    def diagnostics(self) -> str:
        lines = [self.message]
        for g in self.group_results:
            lines.append(f"group {g.index}: {'SUCCESS' if g.ok else 'FAILED'}")
            for a in g.attempts:
                shown = a.key if len(a.key) < 80 else a.key[:60] + "…"
                lines.append(
                    f"  {shown}: {'ok' if a.ok else 'FAILED'}{' - ' + a.reason if a.reason else ''}"
                )
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


def _listed(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _short(key: str) -> str:
    return key if len(key) <= 70 else key[:60] + "…"


def new_data_key(*, rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh random 32-byte data key."""
    return rng(DATA_KEY_SIZE)


def wrap_data_key(data_key: bytes, meta: Metadata, keys: Keyring | None = None) -> None:
    """Set every entry's ``enc`` for ``data_key`` (split by Shamir for 2+ groups)."""
    ring = keyring_of(keys)
    groups = meta.key_groups
    if not groups or any(g.is_empty() for g in groups):
        # sops's own words, which its functional tests pin byte for byte
        raise SopsError(
            "Could not generate data key: [empty key group provided]",
            hint="give every key group at least one key (in .sops.yaml or with --age)",
        )
    missing = sorted({entry_type(e) for g in groups for e in entries(g)} - set(ring.types))
    if missing:
        # An entry without its wrapped data key makes a file sops cannot read at all.
        raise SopsError(
            f"cannot encrypt to {', '.join(missing)} keys: sekret wraps the data key for "
            f"{_listed(sorted(ring.types))} keys only",
            hint="remove those keys from the creation rule (or the key groups), "
            "or use sops for this file",
        )
    if len(groups) > 1:
        if not meta.shamir_threshold:
            meta.shamir_threshold = len(groups)
        from sekret.sops import shamir  # 2+ key groups only: not every start-up's cost

        parts = shamir.split(data_key, len(groups), meta.shamir_threshold)
    else:
        parts = [data_key]
    failures: list[SekretError] = []
    for group, part in zip(groups, parts, strict=True):
        for entry in entries(group):
            try:
                ring.types[entry_type(entry)].wrap(entry, part)
            except SekretError as exc:  # every key is tried, as sops reports them all
                failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        prefix = "Could not generate data key: "
        said = "; ".join(str(exc).removeprefix(prefix) for exc in failures)
        hints = list(dict.fromkeys(exc.hint for exc in failures if exc.hint))
        raise SopsError(f"{prefix}[{said}]", hint="\n".join(hints) or None)


def _try_group(index: int, group: KeyGroup, ring: Keyring) -> tuple[GroupResult, bytes | None]:
    result = GroupResult(index, False)
    for entry in ordered(group, ring.order):
        kind = ring.types.get(entry_type(entry))
        label = entry_id(entry) if kind is not None and kind.name == "age" else (
            f"{entry_type(entry)} {entry_id(entry)}"
        )
        if kind is None:
            result.attempts.append(KeyAttempt(label, False, "not supported by sekret"))
            continue
        try:
            part = kind.unwrap(entry)
        except SekretError as exc:
            result.attempts.append(KeyAttempt(label, False, str(exc)))
            continue
        result.attempts.append(KeyAttempt(label, True))
        result.ok = True
        return result, part
    return result, None


def advice(meta: Metadata, ring: Keyring) -> str:
    """One next step per key type present in the file."""
    by_type: dict[str, list[Entry]] = {}
    for group in meta.key_groups:
        for entry in entries(group):
            by_type.setdefault(entry_type(entry), []).append(entry)
    lines = []
    for name, found in sorted(by_type.items(), key=lambda kv: (kv[0] != "age", kv[0])):
        kind = ring.types.get(name)
        if kind is not None:
            lines.append(kind.advice(found))
        else:
            lines.append(f"{name}: sekret cannot use {name} keys; decrypt this file with sops")
    return "\n".join(lines)


def recover_data_key(meta: Metadata, keys: Keyring | IdentitySource) -> bytes:
    """Try every group (all of them, in order, as sops does) and combine what worked."""
    ring = keyring_of(keys)
    results: list[GroupResult] = []
    parts: list[bytes] = []
    for index, group in enumerate(meta.key_groups):
        result, part = _try_group(index, group, ring)
        results.append(result)
        if part is not None:
            parts.append(part)
    types = sorted({entry_type(e) for g in meta.key_groups for e in entries(g)})
    if len(meta.key_groups) <= 1:
        if parts and len(parts[0]) == DATA_KEY_SIZE:
            return parts[0]
        raise DataKeyError(
            "failed to get the data key required to decrypt the SOPS file",
            results,
            key_types=types,
            hint=f"no master key was able to decrypt the file (its keys: "
            f"{', '.join(types)}):\n{advice(meta, ring)}",
        )
    threshold = meta.shamir_threshold or len(meta.key_groups)
    if len(parts) < threshold:
        raise DataKeyError(
            "failed to get the data key required to decrypt the SOPS file",
            results,
            key_types=types,
            hint=f"the file needs {threshold} key groups (Shamir threshold) but only "
            f"{len(parts)} could be opened with the keys available:\n{advice(meta, ring)}",
        )
    from sekret.sops import shamir

    return shamir.combine(parts)
