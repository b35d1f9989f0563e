"""Wrapping the data key for, and recovering it from, the file's key groups.

Only age keys are used (through :mod:`sekret.age`); entries of other types are carried
along untouched. With two or more groups the data key is split with Shamir's scheme and
each group wraps its own share; any ``shamir_threshold`` groups recover it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sekret import age
from sekret._record import field, record
from sekret.errors import AgeError, NoIdentityMatchError, SopsError
from sekret.sops.metadata import AgeKey, Metadata

if TYPE_CHECKING:
    from sekret.sops.services import Chain

DATA_KEY_SIZE = 32
#: Identities to try for one age recipient (lets SOPS_AGE_KEY_CMD see the recipient).
IdentitySource = Callable[[str], Sequence[age.Identity]]
#: The key services of the running command (sops --keyservice); None: the local keys
#: only, without the service loop (sekret.sops.services).
KEY_SERVICES: ContextVar[Chain | None] = ContextVar("key_services", default=None)


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


def wrap_data_key(data_key: bytes, meta: Metadata) -> None:
    """Set every age key's ``enc`` for ``data_key`` (split by Shamir for 2+ groups)."""
    chain = KEY_SERVICES.get()
    if chain is not None:
        from sekret.sops import services

        return services.wrap(data_key, meta, chain)
    parts = split_for_groups(data_key, meta)
    groups = meta.key_groups
    others = sorted({o.type for g in groups for o in g.others})
    if others:
        # An entry without its wrapped data key makes a file sops cannot read at all.
        raise SopsError(
            f"cannot encrypt to {', '.join(others)} keys: sekret wraps the data key for "
            "age keys only",
            hint="remove those keys from the creation rule (or the key groups), "
            "or use sops for this file",
        )
    for group, part in zip(groups, parts, strict=True):
        for key in group.age:
            key.enc = wrap_for_age(part, key.recipient)


def split_for_groups(data_key: bytes, meta: Metadata) -> list[bytes]:
    """What each key group wraps: the data key, or its Shamir shares for 2+ groups."""
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
    return parts


def unwrap_age(enc: str, identities: Sequence[age.Identity]) -> bytes:
    """What the armored age file ``enc`` wraps, opened with ``identities``."""
    out = io.BytesIO()
    age.decrypt_stream(io.BytesIO(enc.encode()), out, list(identities))
    return out.getvalue()


def _unwrap(key: AgeKey, identities: Sequence[age.Identity]) -> bytes:
    return unwrap_age(key.enc, identities)


def recover_data_key(meta: Metadata, identities_for: IdentitySource) -> bytes:
    """Try every group (all of them, in order, as sops does) and combine what worked."""
    chain = KEY_SERVICES.get()
    if chain is not None:
        from sekret.sops import services

        return services.recover(meta, identities_for, chain)
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
            if not result.ok:
                result.attempts.append(
                    KeyAttempt(
                        f"{other.type} {other.identifier()}", False, "not supported by sekret"
                    )
                )
        results.append(result)
    return combine_parts(
        meta,
        parts,
        results,
        hint="no master key was able to decrypt the file: set SOPS_AGE_KEY_FILE "
        "(or SOPS_AGE_KEY, SOPS_AGE_KEY_CMD) to an identity of one of the recipients",
    )


def combine_parts(
    meta: Metadata, parts: list[bytes], results: list[GroupResult], *, hint: str
) -> bytes:
    """The data key from the groups' parts (Shamir for 2+ groups), or DataKeyError."""
    if len(meta.key_groups) <= 1:
        if parts and len(parts[0]) == DATA_KEY_SIZE:
            return parts[0]
        raise DataKeyError(
            "failed to get the data key required to decrypt the SOPS file", results, hint=hint
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
