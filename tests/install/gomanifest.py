"""sops-nix's ``main_test.go`` ``writeManifest``: a manifest as its Go encoder writes it,
every struct field present, Go zero values where a test sets nothing."""

from __future__ import annotations

import json
from pathlib import Path


def write_manifest(tmp_path: Path, secrets: list[dict[str, object]], **top: object) -> Path:
    """``tmp_path/manifest.json`` holding ``secrets`` and the ``top`` fields given."""
    data = {"secrets": secrets, "templates": None, "placeholderBySecretName": None,
            "secretsMountPoint": str(tmp_path / "secrets.d"),
            "symlinkPath": str(tmp_path / "secrets"), "keepGenerations": 0,
            "sshKeyPaths": None, "gnupgHome": "", "ageKeyFile": "", "ageSshKeyPaths": None,
            "useTmpfs": False, "userMode": False,
            "logging": {"keyImport": False, "secretChanges": False}, **top}  # fmt: skip
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    return path
