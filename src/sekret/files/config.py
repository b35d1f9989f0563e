"""``.sops.yaml``: upward lookup, ``creation_rules`` and their matching, as sops 3.11.

The search starts in the working directory (not the file's) and goes up to ``/``;
``path_regex`` is searched (unanchored) in the file's path relative to the config's
directory; the first matching rule wins. A config with rules but no match is an error
even when keys are given on the command line (sops #611) — sekret keeps that behaviour
so that scripts behave the same under both tools.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sekret._record import field, record
from sekret.errors import SopsError
from sekret.sops.metadata import CRYPT_RULES, AgeKey, KeyGroup, OtherKey

CONFIG_NAME = ".sops.yaml"


class ConfigError(SopsError):
    """The config file is unreadable or invalid, or no rule matches."""


@record
class CreationRule:
    """One ``creation_rules`` entry, resolved."""

    path_regex: str = ""
    key_groups: list[KeyGroup] = field(default_factory=list)
    shamir_threshold: int = 0
    crypt_rule: tuple[str, str] | None = None
    mac_only_encrypted: bool = False


@record
class Config:
    """A loaded config: where it is and its rules (``stores`` options are kept raw)."""

    path: Path | None
    rules: list[CreationRule]
    stores: dict[str, object] = field(default_factory=dict)

    def match(self, file_path: str) -> CreationRule | None:
        """The first rule matching ``file_path``; None if there are no rules at all.

        Raises :class:`ConfigError` when rules exist but none matches.
        """
        if not self.rules:
            return None
        rel = os.path.abspath(file_path)
        if self.path is not None:
            base = str(self.path.parent.resolve()) + os.sep
            if rel.startswith(base):
                rel = rel[len(base) :]
        for rule in self.rules:
            if not rule.path_regex or re.search(rule.path_regex, rel):
                return rule
        raise ConfigError(
            "no matching creation rules found",
            hint=f"add a rule whose path_regex matches {rel!r} to {self.path}",
        )


def find(start: Path, warn: list[str] | None = None) -> Path | None:
    """The nearest ``.sops.yaml`` from ``start`` upwards (``.sops.yml`` only warns)."""
    d = start.resolve()
    for _ in range(100):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (d / ".sops.yml").is_file() and warn is not None:
            warn.append(f'ignoring ".sops.yml" in {d}: the config file must be called ".sops.yaml"')
        if d.parent == d:
            return None
        d = d.parent
    return None


def _key_list(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [p.strip() for v in value for p in v.split(",") if p.strip()]
    raise ConfigError(f"invalid {what} key configuration")


_OTHER_FIELDS = {
    "pgp": "pgp",
    "kms": "kms",
    "gcp_kms": "gcp_kms",
    "azure_keyvault": "azure_kv",
    "hc_vault_transit_uri": "hc_vault",
    "hckms": "hckms",
}


def _vault_entry(uri: object) -> OtherKey:
    from sekret.sops.masterkeys import hc_vault

    if not isinstance(uri, str):
        raise ConfigError("invalid vault key configuration: a transit key URI must be a string")
    return hc_vault.new_entry(uri)


def _group(raw: dict[str, object], *, top_level: bool) -> KeyGroup:
    group = KeyGroup()
    seen: set[tuple[str, str]] = set()
    if not top_level:
        for nested in raw.get("merge") or []:  # type: ignore[attr-defined]
            if isinstance(nested, dict):
                merged = _group(nested, top_level=False)
                group.age.extend(merged.age)
                group.others.extend(merged.others)
    for recipient in _key_list(raw.get("age"), "age"):
        if ("age", recipient) not in seen:
            seen.add(("age", recipient))
            group.age.append(AgeKey(recipient))
    for field_name, key_type in _OTHER_FIELDS.items():
        if key_type == "hc_vault":  # top level: hc_vault_transit_uri; in a group: hc_vault
            field_name = field_name if top_level else "hc_vault"
        value = raw.get(field_name)
        if value is None:
            continue
        entries = value if isinstance(value, list) else _key_list(value, field_name)
        for entry in entries:
            ident = str(entry)
            if (key_type, ident) in seen:
                continue
            seen.add((key_type, ident))
            if key_type == "hc_vault":
                group.others.append(_vault_entry(entry))
                continue
            if key_type == "pgp":
                group.others.append(OtherKey("pgp", {"fp": ident.replace(" ", "")}))
                continue
            fields = entry if isinstance(entry, dict) else {"id": entry}
            group.others.append(OtherKey(key_type, dict(fields)))
    return group


def _rule(raw: object, index: int) -> CreationRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"creation rule {index} is not a mapping")
    rule = CreationRule(path_regex=str(raw.get("path_regex") or ""))
    if rule.path_regex:
        try:
            re.compile(rule.path_regex)
        except re.error as exc:
            raise ConfigError(f"can not compile regexp {rule.path_regex!r}: {exc}") from None
    if raw.get("key_groups"):
        groups = raw["key_groups"]
        if not isinstance(groups, list):
            raise ConfigError(f"creation rule {index}: key_groups must be a list")
        rule.key_groups = [_group(g, top_level=False) for g in groups if isinstance(g, dict)]
    else:
        group = _group(raw, top_level=True)
        rule.key_groups = [] if group.is_empty() else [group]
    threshold = raw.get("shamir_threshold") or 0
    if not isinstance(threshold, int):
        raise ConfigError(f"creation rule {index}: shamir_threshold must be an integer")
    rule.shamir_threshold = threshold
    rules = [(n, str(raw[n])) for n in CRYPT_RULES if raw.get(n) not in (None, "")]
    if len(rules) > 1:
        raise ConfigError(
            f"creation rule {index} sets more than one of " + ", ".join(n for n, _ in rules),
            hint="only one of the suffix and regex options may be used",
        )
    rule.crypt_rule = rules[0] if rules else None
    rule.mac_only_encrypted = bool(raw.get("mac_only_encrypted"))
    return rule


def parse(text: str, path: Path | None) -> Config:
    """Parse the text of a ``.sops.yaml``."""
    import yaml

    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"error loading config: could not parse {path or CONFIG_NAME}: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"error loading config: {path or CONFIG_NAME} is not a mapping")
    rules_raw = raw.get("creation_rules") or []
    if not isinstance(rules_raw, list):
        raise ConfigError("error loading config: creation_rules must be a list")
    stores = raw.get("stores") or {}
    return Config(
        path,
        [_rule(r, i) for i, r in enumerate(rules_raw)],
        stores if isinstance(stores, dict) else {},
    )


def load(explicit: str | None, cwd: Path, warnings: list[str] | None = None) -> Config:
    """The config named by ``--config``/``SOPS_CONFIG``, or the nearest one, or none."""
    path = Path(explicit) if explicit else find(cwd, warnings)
    if path is None:
        return Config(None, [])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"error loading config {str(path)!r}: {exc.strerror}") from None
    return parse(text, path)
