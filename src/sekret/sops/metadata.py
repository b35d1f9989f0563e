"""The ``sops`` metadata block as typed data ↔ the plain, ordered dict sops serialises.

Field order and omission rules follow sops 3.11 (spec §3.1). Key entries other than age
(pgp, kms, gcp_kms, azure_kv, hc_vault, hckms) are kept verbatim as :class:`OtherKey`
(type + fields in file order) so a rewrite never drops them; the types sekret can use
(hc_vault: :mod:`sekret.sops.masterkeys.hc_vault`) read and write those fields.
"""

from __future__ import annotations

from sekret._dates import UTC, datetime
from sekret._record import field, record
from sekret.errors import SopsError

VERSION = "3.11.0"
#: The non-age key types, in sops's serialisation order within a group.
OTHER_TYPES = ("pgp", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault")
_FLAT_ORDER_BEFORE_AGE = ("kms", "gcp_kms", "hckms", "azure_kv", "hc_vault")
CRYPT_RULES = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


class MetadataNotFoundError(SopsError):
    """The file has no ``sops`` metadata: it is not a SOPS file."""

    def __init__(self, message: str = "sops metadata not found", **kw: str | None) -> None:
        super().__init__(message, hint=kw.get("hint") or "is this file encrypted with sops?")


class MetadataError(SopsError):
    """The ``sops`` metadata is present but malformed."""


@record
class AgeKey:
    """An age recipient and the armored age file wrapping the data key (or share) to it."""

    recipient: str
    enc: str = ""


@record
class OtherKey:
    """A key entry of a type sekret does not use, kept exactly as read."""

    type: str
    fields: dict[str, object]

    def identifier(self) -> str:
        """A short identifier for messages (fingerprint, ARN, URL…)."""
        if self.type == "hc_vault" and "key_name" in self.fields:  # sops's ToString: the URI
            f = self.fields
            return f"{f.get('vault_address')}/v1/{f.get('engine_path')}/keys/{f['key_name']}"
        for name in ("fp", "arn", "resource_id", "vault_url", "key_id", "vault_address"):
            if name in self.fields:
                return str(self.fields[name])
        return self.type


@record
class KeyGroup:
    """One key group: any of its keys recovers the group's data key (or share)."""

    age: list[AgeKey] = field(default_factory=list)
    others: list[OtherKey] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Whether the group has no keys at all."""
        return not self.age and not self.others


@record
class Metadata:
    """Everything in the ``sops`` block."""

    key_groups: list[KeyGroup]
    lastmodified: str = ""
    mac: str = ""
    version: str = VERSION
    shamir_threshold: int = 0
    mac_only_encrypted: bool = False
    #: the crypt rule in force: (name, value), e.g. ("unencrypted_suffix", "_unencrypted")
    crypt_rule: tuple[str, str] | None = None

    def rule(self) -> tuple[str, str]:
        """The crypt rule, or sops's default (``unencrypted_suffix: _unencrypted``)."""
        return self.crypt_rule or ("unencrypted_suffix", DEFAULT_UNENCRYPTED_SUFFIX)


def format_lastmodified(t: datetime) -> str:
    """RFC 3339 in UTC with second precision, as sops writes ``lastmodified``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_keys(raw: dict[str, object], where: str) -> KeyGroup:
    group = KeyGroup()
    age = raw.get("age")
    if age is not None:
        if not isinstance(age, list):
            raise MetadataError(f"malformed sops metadata: {where}age is not a list")
        for entry in age:
            if not isinstance(entry, dict) or not isinstance(entry.get("recipient"), str):
                raise MetadataError(f"malformed sops metadata: {where}age entry")
            group.age.append(AgeKey(str(entry["recipient"]).strip(), str(entry.get("enc") or "")))
    for t in OTHER_TYPES:
        entries = raw.get(t)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise MetadataError(f"malformed sops metadata: {where}{t} is not a list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise MetadataError(f"malformed sops metadata: {where}{t} entry")
            group.others.append(OtherKey(t, dict(entry)))
    return group


def _to_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise MetadataError(f"malformed sops metadata: {name}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, str) and value.replace(".0", "", 1).isdigit():
        return int(float(value))
    raise MetadataError(f"malformed sops metadata: {name} is not an integer")


def from_dict(raw: object) -> Metadata:
    """Read the plain ``sops`` dict of any store (strings for numbers/bools allowed)."""
    if not isinstance(raw, dict):
        raise MetadataNotFoundError()
    version = raw.get("version")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        raise MetadataError(
            "this file was made by sops 1.x, which is not supported",
            hint="decrypt it with sops 1.x and encrypt it again",
        )
    flat = _parse_keys(raw, "")
    groups: list[KeyGroup]
    if not flat.is_empty():
        groups = [flat]
    else:
        raw_groups = raw.get("key_groups") or []
        if not isinstance(raw_groups, list):
            raise MetadataError("malformed sops metadata: key_groups is not a list")
        groups = []
        for i, g in enumerate(raw_groups):
            if not isinstance(g, dict):
                raise MetadataError(f"malformed sops metadata: key group {i}")
            groups.append(_parse_keys(g, f"key_groups[{i}]."))
    if not groups or all(g.is_empty() for g in groups):
        raise MetadataError("no keys found in the file's sops metadata")
    rules = [(name, raw[name]) for name in CRYPT_RULES if raw.get(name) not in (None, "")]
    if len(rules) > 1:
        raise MetadataError("the sops metadata has more than one crypt rule (suffix or regex)")
    lastmodified = raw.get("lastmodified", "")
    if isinstance(lastmodified, datetime):
        lastmodified = format_lastmodified(lastmodified)
    mac_only = raw.get("mac_only_encrypted", False)
    if isinstance(mac_only, str):
        mac_only = mac_only.strip().lower() == "true"
    threshold = raw.get("shamir_threshold")
    return Metadata(
        key_groups=groups,
        lastmodified=str(lastmodified or ""),
        mac=str(raw.get("mac") or ""),
        version=str(version or ""),
        shamir_threshold=_to_int(threshold, "shamir_threshold") if threshold else 0,
        mac_only_encrypted=bool(mac_only),
        crypt_rule=(rules[0][0], str(rules[0][1])) if rules else None,
    )


def _group_dict(group: KeyGroup, *, in_key_groups: bool) -> dict[str, object]:
    out: dict[str, object] = {}
    others: dict[str, list[dict[str, object]]] = {}
    for key in group.others:
        others.setdefault(key.type, []).append(key.fields)
    order = (
        ("pgp", "kms", "gcp_kms", "hckms", "azure_kv") if in_key_groups else _FLAT_ORDER_BEFORE_AGE
    )
    for t in order:
        if others.get(t):
            out[t] = others[t]
    if in_key_groups:
        out["hc_vault"] = others.get("hc_vault") or None
        out["age"] = [{"recipient": k.recipient, "enc": k.enc} for k in group.age] or None
    else:
        if others.get("hc_vault"):
            out["hc_vault"] = others["hc_vault"]
        if group.age:
            out["age"] = [{"recipient": k.recipient, "enc": k.enc} for k in group.age]
    return out


def to_dict(meta: Metadata) -> dict[str, object]:
    """The ordered plain dict sops writes (``None`` marks sops's always-present nulls)."""
    out: dict[str, object] = {}
    if meta.shamir_threshold:
        out["shamir_threshold"] = meta.shamir_threshold
    if len(meta.key_groups) > 1:
        out["key_groups"] = [_group_dict(g, in_key_groups=True) for g in meta.key_groups]
        pgp: object = None
    else:
        group = meta.key_groups[0]
        flat = _group_dict(group, in_key_groups=False)
        # flat layout: sops writes the pgp list after the mac
        pgp = [k.fields for k in group.others if k.type == "pgp"] or None
        out.update(flat)
    out["lastmodified"] = meta.lastmodified
    out["mac"] = meta.mac
    if pgp:
        out["pgp"] = pgp
    if meta.crypt_rule:
        out[meta.crypt_rule[0]] = meta.crypt_rule[1]
    if meta.mac_only_encrypted:
        out["mac_only_encrypted"] = True
    out["version"] = meta.version
    return out
