"""``publish``: a SOPS file's values into a Vault/OpenBao KV store, as sops 3.11 does.

``.sops.yaml``'s ``destination_rules`` name where each file goes: the first rule whose
``path_regex`` is searched (unanchored) in the file's path as given, or that has none,
wins. A Vault rule (``vault_path``) writes the decrypted values of the file, as one
secret, to ``<mount>/<vault_path><name>`` on KV v1 or ``<mount>/data/<vault_path><name>``
on KV v2 (the default; ``vault_kv_mount_name`` defaults to ``secret/``), on
``vault_address`` or else ``VAULT_ADDR``. A KV v2 secret that already holds the same
values is left as it is (no new version). S3 and GCS buckets (``s3_bucket``,
``gcs_bucket``) are destinations sekret does not reach: such rules are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sekret._record import record
from sekret.errors import SopsError
from sekret.files.vault import VaultClient


class PublishError(SopsError):
    """No destination, a destination sekret cannot reach, or a failed upload."""


@record
class VaultDestination:
    """A KV store path on a Vault/OpenBao server (sops's ``NewVaultDestination``)."""

    address: str
    path: str
    mount: str
    version: int

    def secret_path(self, name: str) -> str:
        """The API path of the secret named ``name`` (below ``/v1/``)."""
        if self.version == 1:
            return f"{self.mount}{self.path}{name}"
        return f"{self.mount}data/{self.path}{name}"


@record
class Destination:
    """The matched rule: where to publish, and whether to drop the file's extension."""

    vault: VaultDestination
    omit_extensions: bool = False


def _vault(rule: Mapping[str, object]) -> VaultDestination:
    path = str(rule.get("vault_path") or "")
    mount = str(rule.get("vault_kv_mount_name") or "") or "secret/"
    version = rule.get("vault_kv_version")
    return VaultDestination(
        address=str(rule.get("vault_address") or ""),
        path=path if path.endswith("/") else path + "/",
        mount=mount if mount.endswith("/") else mount + "/",
        version=version if isinstance(version, int) and version in (1, 2) else 2,
    )


def match(config_text: str, file_path: str, config_name: str) -> Destination:
    """The destination of ``file_path`` from the text of a ``.sops.yaml``."""
    import yaml

    try:
        raw = yaml.safe_load(config_text) or {}
    except yaml.YAMLError as exc:
        raise PublishError(f"error loading config: could not parse {config_name}: {exc}") from None
    rules = raw.get("destination_rules") if isinstance(raw, dict) else None
    chosen: Mapping[str, object] | None = None
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        regex = str(rule.get("path_regex") or "")
        if not regex or re.search(regex, file_path):
            chosen = rule
            break
    if chosen is None:
        raise PublishError(
            "error loading config: no matching destination found in config",
            hint=f"add a destination_rules entry whose path_regex matches {file_path!r} "
            f"to {config_name}",
        )
    kinds = [k for k in ("s3_bucket", "gcs_bucket", "vault_path") if chosen.get(k)]
    if len(kinds) > 1:
        raise PublishError(
            "error loading config: more than one destinations were found in a single "
            "destination rule, you can only use one per rule"
        )
    if not kinds:
        raise PublishError("no destination configured for this file")
    if kinds[0] != "vault_path":
        where = "S3" if kinds[0] == "s3_bucket" else "Google Cloud Storage"
        raise PublishError(
            f"cannot publish to {where} ({kinds[0]}: {chosen[kinds[0]]}): sekret publishes "
            "to Vault/OpenBao KV stores only",
            hint="use sops publish for bucket destinations, or a vault_path rule",
        )
    return Destination(_vault(chosen), bool(chosen.get("omit_extensions")))


def upload(
    client: VaultClient, dest: VaultDestination, name: str, data: dict[str, object]
) -> bool:
    """Write ``data`` as the secret ``name``; False if a KV v2 secret already held it."""
    address = dest.address or client.default_address
    path = dest.secret_path(name)
    if dest.version == 2:
        try:
            existing = client.read(address, path)
        except SopsError:
            existing = None  # sops warns and writes a new version anyway
        if existing is not None and existing.get("data") == data:
            return False
    client.write(address, path, data if dest.version == 1 else {"data": data})
    return True


def url(client: VaultClient, dest: VaultDestination, name: str) -> str:
    """Where the secret goes, as sops's prompt shows it."""
    return f"{dest.address or client.default_address}/v1/{dest.secret_path(name)}"
