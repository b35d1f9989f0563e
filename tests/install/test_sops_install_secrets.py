"""The ``sops-install-secrets`` entry point: Go's flag syntax, exit statuses, and the
age cases of sops-nix's ``main_test.go`` (TestAge, TestAgeWithSSH, TestValidateManifest)
with manifests shaped as its Go encoder writes them. (testGPG and testSSHKey are in
``test_sopsnix_pgp.py``.)"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from sekret.cli import sops_install_secrets as sis
from tests.cli.helpers import Result, fake_env
from tests.conftest import vendored
from tests.install.gomanifest import write_manifest

ASSETS = vendored("sops-nix-assets")


def _run(tmp_path: Path, *argv: str) -> Result:
    env = fake_env(tmp_path)
    status = sis.main(list(argv), env, mount=False, activation_dir=str(tmp_path / "nixos"))
    return Result(status, env.stdout.getvalue(), env.stderr.getvalue())  # type: ignore[attr-defined]


def _go_manifest(tmp_path: Path, **top: object) -> Path:
    """What main_test.go's writeManifest encodes: every struct field, Go zero values."""
    target = tmp_path / "existing-target"
    target.touch()
    secret = {"name": "test", "key": "test_key", "path": str(target), "owner": "nobody",
              "uid": 0, "group": "nogroup", "gid": 0, "sopsFile": str(ASSETS / "secrets.yaml"),
              "format": "", "mode": "0400", "restartUnits": ["affected-service"],
              "reloadUnits": ["affected-reload-service"]}
    return write_manifest(tmp_path, [secret], **top)


@pytest.mark.parametrize("keys", [{"ageKeyFile": str(ASSETS / "age-keys.txt")},
                                  {"ageSshKeyPaths": [str(ASSETS / "ssh-ed25519-key")]}],
                         ids=["TestAge", "TestAgeWithSSH"])
def test_main_test_age(tmp_path: Path, keys: dict[str, object]) -> None:
    manifest = _go_manifest(tmp_path, **keys)
    r = _run(tmp_path, str(manifest))
    assert (r.status, r.out) == (0, ""), r.err
    target = tmp_path / "existing-target"  # an existing empty file, replaced by the link
    assert target.is_symlink() and target.read_bytes() == b"test_value"
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o400 and st.st_uid == pwd.getpwnam("nobody").pw_uid
    assert _run(tmp_path, str(manifest)).status == 0
    assert os.readlink(tmp_path / "secrets") == str(tmp_path / "secrets.d" / "2")


def test_main_test_validate_manifest(tmp_path: Path) -> None:
    """No key access and no user lookups in a check mode (the key does not exist)."""
    manifest = _go_manifest(tmp_path, sshKeyPaths=["non-existing-key"])
    for mode in ("manifest", "sopsfile"):
        for argv in ([f"-check-mode={mode}"], ["-check-mode", mode], [f"--check-mode={mode}"]):
            r = _run(tmp_path, *argv, str(manifest))
            assert (r.status, r.err) == (0, "")
    assert not (tmp_path / "secrets.d").exists()


def test_flags_and_exit_statuses(tmp_path: Path) -> None:
    manifest = _go_manifest(tmp_path, ageKeyFile=str(ASSETS / "age-keys.txt"))
    r = _run(tmp_path, "-h")
    assert r.status == 0 and r.err.startswith("Usage: sops-install-secrets [OPTION] manifest.json")
    r = _run(tmp_path, "-check-mode=bogus", str(manifest))
    assert r.status == 1 and "invalid value provided for -check-mode flag: bogus" in r.err
    r = _run(tmp_path, "-nope", str(manifest))
    assert r.status == 1 and "flag provided but not defined: -nope" in r.err
    for argv in ([], [str(manifest), str(manifest)]):
        r = _run(tmp_path, *argv)
        assert r.status == 1 and "expected exactly one manifest path" in r.err
    r = _run(tmp_path, "-ignore-passwd=false", "-ignore-passwd", str(manifest))
    assert r.status == 0, r.err
    assert (tmp_path / "secrets/test").stat().st_uid == 0  # -ignore-passwd: root
    r = _run(tmp_path, str(manifest), "-ignore-passwd")  # a flag after the manifest: an argument
    assert r.status == 1 and "expected exactly one manifest path, got 2" in r.err
    r = _run(tmp_path, str(tmp_path / "missing.json"))
    assert r.status == 1 and r.err.count("error:") == 1 and "Traceback" not in r.err
