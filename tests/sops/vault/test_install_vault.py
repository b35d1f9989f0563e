"""``sekret install`` (sops-install-secrets) opens hc_vault entries, as the real
sops-install-secrets does when sops-nix's ``sops.environment`` gives it ``VAULT_TOKEN``.

The secrets file is written by the real sops against the real OpenBao server; the
installed value must be what the real sops decrypts. Without a token the install fails
whole, with a clear error, and installs nothing.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sekret.cli import sops_install_secrets as sis
from tests.cli.helpers import fake_env
from tests.install.gomanifest import write_manifest
from tests.sops.conftest import sops
from tests.sops.vault.conftest import Bao

pytestmark = pytest.mark.interop


def _manifest(tmp_path: Path, sops_file: Path) -> Path:
    secret = {
        "name": "db-password", "key": "db/password", "path": str(tmp_path / "out" / "pw"),
        "owner": "root", "uid": 0, "group": "root", "gid": 0, "sopsFile": str(sops_file),
        "format": "yaml", "mode": "0400", "restartUnits": [], "reloadUnits": [],
    }  # fmt: skip
    return write_manifest(tmp_path, [secret], symlinkPath=str(tmp_path / "s"))


def _sops_file(bao: Bao, env: dict[str, str], tmp_path: Path) -> Path:
    plain = tmp_path / "plain.yaml"
    plain.write_text("db:\n    password: hunter2\n")
    res = sops(["encrypt", "--hc-vault-transit", bao.uri("k1"), str(plain)], tmp_path, env)
    assert res.status == 0, res.err
    enc = tmp_path / "secrets.yaml"
    enc.write_bytes(res.out)
    check = sops(["decrypt", "--extract", '["db"]["password"]', str(enc)], tmp_path, env)
    assert check.status == 0 and check.out == b"hunter2", check.err  # the oracle
    return enc


def test_install_opens_vault_entries(bao: Bao, vault_env: dict[str, str], tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, _sops_file(bao, vault_env, tmp_path))
    env = fake_env(tmp_path, environ={"VAULT_TOKEN": bao.token, "HOME": vault_env["HOME"]})
    status = sis.main([str(manifest)], env, mount=False, activation_dir=str(tmp_path / "nixos"))
    assert status == 0, env.stderr.getvalue()  # type: ignore[attr-defined]
    out = tmp_path / "out" / "pw"
    assert out.read_bytes() == b"hunter2"
    assert stat.S_IMODE(out.stat().st_mode) == 0o400


def test_install_without_token_fails_whole(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, _sops_file(bao, vault_env, tmp_path))
    env = fake_env(tmp_path, environ={"HOME": vault_env["HOME"]})  # no VAULT_TOKEN, no file
    status = sis.main([str(manifest)], env, mount=False, activation_dir=str(tmp_path / "nixos"))
    err = env.stderr.getvalue().decode()  # type: ignore[attr-defined]
    assert status != 0
    assert "Traceback" not in err and "secrets.yaml" in err and "hc_vault" in err, err
    assert "hunter2" not in err
    assert not (tmp_path / "out" / "pw").exists()
    assert not (tmp_path / "s").exists()  # no generation was linked
