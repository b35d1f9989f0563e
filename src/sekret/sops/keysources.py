"""Wrapping the data key for, and recovering it from, the file's key groups.

age keys are used through :mod:`sekret.age`; entries of other types through the
:class:`OtherKeyType` the caller gives for them (``keys``: e.g. ``hc_vault``, see
:mod:`sekret.sops.vault_transit`), or are carried along untouched. With two or more
groups the data key is split with Shamir's scheme and each group wraps its own share;
any ``shamir_threshold`` groups recover it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from sekret import age
from sekret._record import field, record
from sekret.errors import AgeError, NoIdentityMatchError, SopsError
from sekret.sops.metadata import AgeKey, Metadata, OtherKey

DATA_KEY_SIZE = 32
#: Identities to try for one age recipient (lets SOPS_AGE_KEY_CMD see the recipient).
IdentitySource = Callable[[str], Sequence[age.Identity]]


class OtherKeyType(Protocol):
    """A master-key type besides age: wraps a secret into an entry, unwraps it again."""

    def wrap(self, entry: OtherKey, secret: bytes) -> None:
        """Set the entry's ``enc`` (and what sops writes with it) for ``secret``."""
        ...

    def unwrap(self, entry: OtherKey) -> bytes:
        """The secret wrapped in the entry (a :class:`SopsError` if not here)."""
        ...

    def advice(self, entries: list[OtherKey]) -> str:
        """The next step when none of ``entries`` (all of this type) could be used."""
        ...


#: the master-key types besides age a run can use, by metadata type name
OtherKeys = Mapping[str, OtherKeyType]


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

    def __init__(self, message: str, groups: list[GroupResult], *, hint: str | None) -> None:
        tried = [
            f"{'group ' + str(g.index + 1) + ': ' if len(groups) > 1 else ''}"
            f"{_short(a.key)}: {a.reason or 'failed'}"
            for g in groups
            for a in g.attempts
            if not a.ok
        ]
        super().__init__(message, hint="\n".join([*(f"tried {t}" for t in tried), hint or ""]))
        self.group_results = groups

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


def _short(key: str) -> str:
    return key if len(key) <= 70 else key[:60] + "…"


def new_data_key(*, rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """A fresh random 32-byte data key."""
    return rng(DATA_KEY_SIZE)


def wrap_for_age(secret: bytes, recipient: str) -> str:
    """The armored age file of ``secret`` for ``recipient``, as sops stores in ``enc``."""
    try:
        return age.encrypt(secret, [recipient], armor=True).decode()
    except AgeError as exc:
        raise SopsError(f"invalid age recipient {recipient[:40]!r}: {exc}", hint=exc.hint) from None


def wrap_data_key(data_key: bytes, meta: Metadata, keys: OtherKeys | None = None) -> None:
    """Set every key's ``enc`` for ``data_key`` (split by Shamir for 2+ groups)."""
    keys = keys or {}
    groups = meta.key_groups
    if not groups or any(g.is_empty() for g in groups):
        # sops's own words, which its functional tests pin byte for byte
        raise SopsError(
            "Could not generate data key: [empty key group provided]",
            hint="give every key group at least one key (in .sops.yaml or with --age)",
        )
    if len(groups) > 1:
        if not meta.shamir_threshold:
            meta.shamir_threshold = len(groups)
        from sekret.sops import shamir  # 2+ key groups only: not every start-up's cost

        parts = shamir.split(data_key, len(groups), meta.shamir_threshold)
    else:
        parts = [data_key]
    others = sorted({o.type for g in groups for o in g.others if o.type not in keys})
    if others:
        # An entry without its wrapped data key makes a file sops cannot read at all.
        raise SopsError(
            f"cannot encrypt to {', '.join(others)} keys: sekret wraps the data key for "
            f"{' and '.join(['age', *sorted(keys)])} keys only",
            hint="remove those keys from the creation rule (or the key groups), "
            "or use sops for this file",
        )
    for group, part in zip(groups, parts, strict=True):
        for key in group.age:
            key.enc = wrap_for_age(part, key.recipient)
        for other in group.others:
            keys[other.type].wrap(other, part)


def _unwrap(key: AgeKey, identities: Sequence[age.Identity]) -> bytes:
    out = io.BytesIO()
    age.decrypt_stream(io.BytesIO(key.enc.encode()), out, list(identities))
    return out.getvalue()


def recover_data_key(
    meta: Metadata, identities_for: IdentitySource, keys: OtherKeys | None = None
) -> bytes:
    """Try every group (all of them, in order, as sops does) and combine what worked."""
    keys = keys or {}
    results: list[GroupResult] = []
    parts: list[bytes] = []
    for index, group in enumerate(meta.key_groups):
        result = GroupResult(index, False)
        for key in group.age:
            try:
                ids = identities_for(key.recipient)
                if not ids:
                    raise NoIdentityMatchError("no age identities available")
                part = _unwrap(key, ids)
            except NoIdentityMatchError:
                result.attempts.append(KeyAttempt(key.recipient, False, "no identity matched"))
                continue
            except (AgeError, SopsError) as exc:
                result.attempts.append(KeyAttempt(key.recipient, False, str(exc)))
                continue
            result.attempts.append(KeyAttempt(key.recipient, True))
            result.ok = True
            parts.append(part)
            break
        for other in group.others:
            if result.ok:
                break
            label = f"{other.type} {other.identifier()}"
            if other.type not in keys:
                result.attempts.append(KeyAttempt(label, False, "not supported by sekret"))
                continue
            try:
                part = keys[other.type].unwrap(other)
            except SopsError as exc:
                result.attempts.append(KeyAttempt(label, False, str(exc)))
                continue
            result.attempts.append(KeyAttempt(label, True))
            result.ok = True
            parts.append(part)
        results.append(result)
    if len(meta.key_groups) <= 1:
        if parts and len(parts[0]) == DATA_KEY_SIZE:
            return parts[0]
        raise DataKeyError(
            "failed to get the data key required to decrypt the SOPS file",
            results,
            hint=_advice(meta, keys),
        )
    threshold = meta.shamir_threshold or len(meta.key_groups)
    if len(parts) < threshold:
        raise DataKeyError(
            "failed to get the data key required to decrypt the SOPS file",
            results,
            hint=f"the file needs {threshold} key groups (Shamir threshold) but only "
            f"{len(parts)} could be opened with the identities available",
        )
    from sekret.sops import shamir

    return shamir.combine(parts)


def _advice(meta: Metadata, keys: OtherKeys) -> str:
    """The next step for each key type the file has."""
    lines = []
    if any(g.age for g in meta.key_groups):
        lines.append(
            "age: set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_KEY_CMD) to an identity "
            "of one of the recipients"
        )
    by_type: dict[str, list[OtherKey]] = {}
    for group in meta.key_groups:
        for other in group.others:
            by_type.setdefault(other.type, []).append(other)
    for name, found in sorted(by_type.items()):
        if name in keys:
            lines.append(keys[name].advice(found))
        else:
            lines.append(f"{name}: sekret cannot use {name} keys; decrypt this file with sops")
    return "no master key was able to decrypt the file:\n" + "\n".join(lines)
