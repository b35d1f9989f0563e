"""The evaluation harness against sops-nix's real modules: what they render with
``sops.package = sekret`` (the manifest exactly as ``manifestFor`` writes it, and the
command lines that run it), and every ``.nix`` file parses."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, require_tool
from tests.nixeval import HERE, SOPS_NIX, SOPS_NIX_ASSETS, EvalError, evaluate, nix_string

NIXOS = str(SOPS_NIX / "modules" / "sops")
HM = str(SOPS_NIX / "modules" / "home-manager" / "sops.nix")
YAML = SOPS_NIX_ASSETS / "secrets.yaml"
SEKRET = "/nix/store/" + hashlib.sha256(b"sekret").hexdigest()[:32] + "-sekret"


def _nix_files() -> list[Path]:
    return sorted([*HERE.glob("*.nix"), *(DATA / "sops-nix-modules").rglob("*.nix"),
                   *(DATA / "agenix-modules").rglob("*.nix")])


@pytest.mark.parametrize("path", _nix_files(), ids=lambda p: str(p.relative_to(DATA.parent)))
def test_every_nix_file_parses(path: Path) -> None:
    nix = require_tool("nix-instantiate")
    proc = subprocess.run([nix, "--parse", str(path)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def _store_path(path: Path) -> str:
    """The store path ``"${./file}"`` gives (Nix's own answer, not recomputed here)."""
    nix = require_tool("nix-instantiate")
    out = subprocess.run([nix, "--readonly-mode", "--eval", "--json", "-E",
                          f'"${{{path}}}"'], capture_output=True, text=True, check=True)
    value: str = json.loads(out.stdout)
    return value


def test_nixos_manifest_as_manifest_for_renders_it(tmp_path: Path) -> None:
    ev = evaluate("nixos", [NIXOS, f"""{{ config, ... }}: {{
        sops.age.keyFile = "/var/lib/sops-nix/key.txt";
        sops.defaultSopsFile = {YAML};
        sops.secrets."github/token" = {{ owner = "gitea"; restartUnits = [ "gitea.service" ]; }};
        sops.secrets.krb5 = {{ format = "binary"; sopsFile = {SOPS_NIX_ASSETS}/secrets.bin;
                               mode = "0440"; uid = 286; path = "/etc/krb5.keytab"; }};
        sops.templates."app.toml".content = "token = ${{config.sops.placeholder.krb5}}";
        users.users.gitea = {{ isSystemUser = true; group = "gitea"; }};
        users.groups.gitea = {{ }}; }}"""], tmp_path)
    manifest_path = ev.build["sops-nix-manifest"]
    m = ev.manifest(manifest_path)
    yaml, binary = _store_path(YAML), _store_path(SOPS_NIX_ASSETS / "secrets.bin")
    assert ev.real(yaml).read_bytes() == YAML.read_bytes()
    placeholder = {n: f"<SOPS:{hashlib.sha256(n.encode()).hexdigest()}:PLACEHOLDER>"
                   for n in ("github/token", "krb5")}
    tpl_file = m["templates"][0].pop("file")
    assert ev.text(tpl_file) == f"token = {placeholder['krb5']}"
    assert m == {
        "ageKeyFile": "/var/lib/sops-nix/key.txt", "ageSshKeyPaths": [], "gnupgHome": None,
        "keepGenerations": 1, "logging": {"keyImport": True, "secretChanges": True},
        "placeholderBySecretName": placeholder,
        "secrets": [
            {"format": "yaml", "gid": 0, "group": "gitea", "key": "github/token",
             "mode": "0400", "name": "github/token", "neededForUsers": False,
             "owner": "gitea", "path": "/run/secrets/github/token", "reloadUnits": [],
             "restartUnits": ["gitea.service"], "sopsFile": yaml,
             "sopsFileHash": hashlib.sha256(YAML.read_bytes()).hexdigest(), "uid": 0},
            {"format": "binary", "gid": 0, "group": None, "key": "krb5", "mode": "0440",
             "name": "krb5", "neededForUsers": False, "owner": None,
             "path": "/etc/krb5.keytab", "reloadUnits": [], "restartUnits": [],
             "sopsFile": binary,
             "sopsFileHash": hashlib.sha256(
                 (SOPS_NIX_ASSETS / "secrets.bin").read_bytes()).hexdigest(), "uid": 286},
        ],
        "templates": [
            {"content": f"token = {placeholder['krb5']}", "gid": 0, "group": None,
             "mode": "0400", "name": "app.toml", "owner": None,
             "path": "/run/secrets/rendered/app.toml", "reloadUnits": [], "restartUnits": [],
             "uid": 0},
        ],
        "secretsMountPoint": "/run/secrets.d", "sshKeyPaths": [], "symlinkPath": "/run/secrets",
        "useTmpfs": False, "userMode": False,
    }
    # the build checks the manifest with the validation package (= sops.package)
    assert ev.check_phase(manifest_path).strip() == (
        f'{SEKRET}/bin/sops-install-secrets -check-mode=sopsfile "$out"')
    snippet = ev.activation["setupSecrets"]
    assert snippet["supportsDryActivation"] is True
    assert snippet["deps"] == ["specialfs", "users", "groups"]
    assert f"{SEKRET}/bin/sops-install-secrets {manifest_path}\n" in snippet["text"]


def test_nixos_environment_users_and_systemd_activation(tmp_path: Path) -> None:
    ev = evaluate("nixos", [NIXOS, f"""{{ sops.age.keyFile = "/run/k.txt";
        sops.defaultSopsFile = {YAML}; sops.validateSopsFiles = false;
        sops.environment.SOPS_AGE_KEY_CMD = "/bin/cat /run/k.txt";
        sops.secrets.pw.neededForUsers = true; sops.secrets.test_key = {{ }};
        systemd.sysusers.enable = true; }}"""], tmp_path)
    assert "setupSecrets" not in ev.activation  # systemd activation instead
    unit = ev.data["services"]["sops-install-secrets"]
    users_unit = ev.data["services"]["sops-install-secrets-for-users"]
    assert unit["serviceConfig"]["ExecStart"] == [
        f"{SEKRET}/bin/sops-install-secrets {ev.build['sops-nix-manifest']}"]
    assert users_unit["serviceConfig"]["ExecStart"] == [
        f"{SEKRET}/bin/sops-install-secrets -ignore-passwd {ev.build['sops-nix-users-manifest']}"]
    assert unit["environment"] == {"SOPS_AGE_KEY_CMD": "/bin/cat /run/k.txt",
                                   "SOPS_RESTART_UNITS_VIA_SYSTEMCTL": "1"}
    users = ev.manifest(ev.build["sops-nix-users-manifest"])
    assert users["secretsMountPoint"] == "/run/secrets-for-users.d"
    assert [s["path"] for s in users["secrets"]] == ["/run/secrets-for-users/pw"]
    assert ev.check_phase(ev.build["sops-nix-manifest"]).strip().endswith(
        '-check-mode=manifest "$out"')


def test_home_manager_renders_user_mode_and_build_check(tmp_path: Path) -> None:
    ev = evaluate("home-manager", [HM, f"""{{ config, ... }}: {{
        sops.age.keyFile = "/home/sops-user/.age-key.txt";
        sops.defaultSopsFile = {YAML}; sops.secrets.test_key = {{ }};
        sops.environment.SOPS_AGE_KEY = "AGE-SECRET-KEY-1XYZ"; }}"""], tmp_path)
    service = ev.data["userServices"]["sops-nix"]["Service"]
    script = ev.text(service["ExecStart"])
    assert script.startswith("#!/bin/bash\n")
    call = next(ln for ln in script.splitlines() if "sops-install-secrets" in ln)
    manifest_path = call.split()[-1]
    assert call.split()[:2] == [f"{SEKRET}/bin/sops-install-secrets", "-ignore-passwd"]
    assert service["Environment"] == "'PATH=' 'SOPS_AGE_KEY=AGE-SECRET-KEY-1XYZ'"
    m = ev.manifest(manifest_path)
    assert (m["userMode"], m["secretsMountPoint"], m["symlinkPath"]) == (
        True, "%r/secrets.d", "/home/sops-user/.config/sops-nix/secrets")
    assert m["secrets"] == [{"format": "yaml", "key": "test_key", "mode": "0400",
                             "name": "test_key",
                             "path": "/home/sops-user/.config/sops-nix/secrets/test_key",
                             "sopsFile": _store_path(YAML)}]
    assert ev.check_phase(manifest_path).strip() == (
        f'{SEKRET}/bin/sops-install-secrets -check-mode=sopsfile "$out"')


def test_failed_assertion_is_an_evaluation_error(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="No key source configured for sops"):
        evaluate("nixos", [NIXOS, f"{{ sops.defaultSopsFile = {YAML}; sops.secrets.x = {{}}; }}"],
                 tmp_path)


def test_nix_string_quotes() -> None:
    nix = require_tool("nix-instantiate")
    text = 'a "b" \\ ${c} $d'
    out = subprocess.run([nix, "--readonly-mode", "--eval", "--json", "-E", nix_string(text)],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == text
