"""Fixtures for installer tests: an age key, sops files made by sekret or by real sops,
manifests whose every path points into ``tmp_path``, and in-process ``sekret install``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from sekret.age.x25519 import X25519Identity
from sekret.files import document
from sekret.sops.metadata import AgeKey, KeyGroup
from sekret.stores import get_store
from tests.cli.helpers import Result, fake_env
from tests.conftest import require_tool


@dataclass
class Kit:
    """A temporary root with an age key and helpers to make sources and manifests."""

    root: Path
    key_file: Path
    recipient: str

    def sops_file(self, name: str, plain: bytes, fmt: str, *, recipient: str = "") -> Path:
        """A sops file encrypted by sekret."""
        path = self.root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        opts = document.EncryptOptions([KeyGroup([AgeKey(recipient or self.recipient)])])
        path.write_bytes(document.encrypt(plain, get_store(fmt), opts))
        return path

    def real_sops_file(self, name: str, plain: bytes, fmt: str) -> Path:
        """A sops file encrypted by the real sops binary."""
        cand = Path(sys.executable).parent / "sops"
        sops = str(cand) if cand.exists() else require_tool("sops")
        path = self.root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        plain_path = self.root / "src" / ("plain-" + name)
        plain_path.write_bytes(plain)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
        env["SOPS_DISABLE_VERSION_CHECK"] = "1"
        out = subprocess.run(
            [sops, "encrypt", "--age", self.recipient, "--input-type", fmt,
             "--output-type", fmt, str(plain_path)],
            capture_output=True, env=env, check=True)
        plain_path.unlink()
        path.write_bytes(out.stdout)
        return path

    def secret(self, name: str, source: Path, **fields: object) -> dict[str, object]:
        """A secret object shaped like the NixOS module's output."""
        obj: dict[str, object] = {
            "name": name, "key": name, "path": str(self.root / "secrets" / name),
            "owner": None, "uid": 0, "group": None, "gid": 0,
            "sopsFile": str(source), "format": "yaml", "mode": "0400",
            "restartUnits": [], "reloadUnits": [], "neededForUsers": False,
        }
        obj.update(fields)
        return obj

    def manifest(self, secrets: list[dict[str, object]], name: str = "manifest.json",
                 **top: object) -> Path:
        """Write a manifest with paths under the root; ``top`` overrides fields."""
        data: dict[str, object] = {
            "secrets": secrets, "templates": [], "placeholderBySecretName": {},
            "secretsMountPoint": str(self.root / "secrets.d"),
            "symlinkPath": str(self.root / "secrets"),
            "keepGenerations": 1, "gnupgHome": None, "sshKeyPaths": [],
            "ageKeyFile": str(self.key_file), "ageSshKeyPaths": [],
            "useTmpfs": False, "userMode": False,
            "logging": {"keyImport": True, "secretChanges": True},
        }
        data.update(top)
        path = self.root / name
        path.write_text(json.dumps(data))
        return path

    def install(self, manifest: Path, *args: str,
                environ: Mapping[str, str] | None = None) -> Result:
        """``sekret install --no-mount --activation-dir ROOT/nixos [ARGS] MANIFEST``."""
        from sekret.cli import main

        env = fake_env(self.root, environ=dict(environ or {}))
        status = main(["install", "--no-mount", "--activation-dir",
                       str(self.root / "nixos"), *args, str(manifest)], env)
        out = env.stdout.getvalue()  # type: ignore[attr-defined]
        err = env.stderr.getvalue()  # type: ignore[attr-defined]
        return Result(status, out, err)

    def link(self) -> str:
        """Where the stable symlink points."""
        return os.readlink(self.root / "secrets")


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    ident = X25519Identity.generate()
    key_file = tmp_path / "keys" / "age-keys.txt"
    key_file.parent.mkdir()
    key_file.write_text(ident.to_string() + "\n")
    (tmp_path / "nixos").mkdir()
    return Kit(tmp_path, key_file, str(ident.recipient()))
