"""sops-nix's own scenarios, with the manifests and command lines its real modules render.

``checks/nixos-test.nix`` is evaluated as it is (each test's node, with
``sops.package = sekret``), ``checks/home-manager.nix`` likewise; the rendered activation
snippets, units and build checks run below ``tmp_path`` (:mod:`tests.nixeval`), and the
assertions are the VM tests' own. The PGP cases (``ssh-keys``, ``pgp-keys``) are in
``test_sopsnix_pgp.py``.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.install.sopsnix import nixos, nixos_test, run, use_nss
from tests.nixeval import SOPS_NIX_ASSETS, Machine, evaluate, sops_nix_checkout

AGE_KEYS = SOPS_NIX_ASSETS / "age-keys.txt"
YAML = SOPS_NIX_ASSETS / "secrets.yaml"


def _seed_key(m: Machine, where: str = "/run/age-keys.txt") -> None:
    """What the tests' initrd does: ``cp age-keys.txt /run/age-keys.txt``."""
    dest = m.path(where)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(AGE_KEYS, dest)
    dest.chmod(0o700)


def _ids(p: Path) -> tuple[int, int]:
    st = p.stat()
    return st.st_uid, st.st_gid


def _lists(m: Machine, prefix: str = "") -> tuple[str, str]:
    def read(kind: str) -> str:
        p = m.path(f"/run/nixos/{prefix}activation-{kind}-list")
        return p.read_text() if p.exists() else ""
    return read("restart"), read("reload")


def test_age_keys_by_bash(tmp_path: Path) -> None:
    """age-keys: ownership by uid/gid, and /run/secrets made a directory in the initrd
    replaced by the symlink. The rendered activation snippet runs with bash."""
    m = nixos_test(tmp_path, "age-keys")
    _seed_key(m)
    m.path("/run/secrets").mkdir()
    p = m.bash(m.ev.activation["setupSecrets"]["text"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "setting up secrets...\n"  # a first boot: no change log
    s = m.path("/run/secrets")
    assert s.is_symlink() and os.readlink(s) == str(m.path("/run/secrets.d/1"))
    assert (s / "test_key").read_bytes() == b"test_value"
    assert _ids(s / "test_key_someuser_somegroup") == (1000, 1000)
    assert _ids(s / "test_key_someuser_root") == (1000, 0)
    assert _ids(s / "test_key_1001_1001") == (1001, 1001)
    assert _ids(s / "test_key_root_root") == (0, 0)
    assert not list(m.path("/run/nixos").iterdir())  # nothing to restart after boot


def test_pruning(tmp_path: Path) -> None:
    m = nixos_test(tmp_path, "pruning")
    _seed_key(m)
    d = m.path("/run/secrets.d")
    for n in [*range(2, 100), "non-numeric"]:
        (d / str(n)).mkdir(parents=True)
    os.symlink(d / "99", m.path("/run/secrets"))
    cmd = m.command(m.ev.activation["setupSecrets"]["text"])
    assert run(m, cmd).status == 0
    assert (d / "100").is_dir() and (d / "90").is_dir() and (d / "non-numeric").is_dir()
    special = Machine(m.ev.specialisation("pruning"))
    assert special.ev.manifest(special.ev.build["sops-nix-manifest"])["keepGenerations"] == 10
    r = run(special, special.command(special.ev.activation["setupSecrets"]["text"]))
    assert r.status == 0, r.err
    assert os.readlink(m.path("/run/secrets")) == str(d / "101")
    assert not (d / "91").exists() and (d / "92").is_dir() and (d / "non-numeric").is_dir()


def test_age_ssh_keys_with_generated_key(tmp_path: Path) -> None:
    """age-ssh-keys: an ed25519 host key plus a key made by generate-age-key (run with
    bash: the snippet calls the age package's age-keygen, here sekret's)."""
    m = nixos_test(tmp_path, "age-ssh-keys")
    acts = m.ev.activation
    assert acts["setupSecrets"]["deps"] == ["specialfs", "users", "groups", "generate-age-key"]
    p = m.bash(acts["generate-age-key"]["text"])
    assert p.returncode == 0, p.stderr
    key = m.path("/tmp/testkey")
    assert key.read_text().count("AGE-SECRET-KEY-1") == 1
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    p = m.bash(acts["setupSecrets"]["text"])
    assert p.returncode == 0, p.stderr
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    assert "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs" in p.stderr


@pytest.mark.parametrize("front", ["sops-install-secrets", "sekret install"])
def test_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, front: str) -> None:
    m = nixos_test(tmp_path, "templates")
    nss = use_nss(monkeypatch, m)
    _seed_key(m)
    acts = m.ev.activation
    assert acts["users"]["deps"] == ["setupSecretsForUsers"]
    r = run(m, m.command(acts["setupSecretsForUsers"]["text"]), front=front)
    assert r.status == 0, r.err
    assert m.path("/run/secrets-for-users/nested/test/file").read_bytes() == b"another value"
    r = run(m, m.command(acts["setupSecrets"]["text"]), front=front)
    assert r.status == 0, r.err
    rendered = m.path("/run/secrets/rendered")
    assert _ids(rendered / "test_template") == (nss.uids["someuser"], nss.gids["somegroup"])
    assert _ids(rendered / "test_default") == (0, 0)
    assert _ids(rendered / "test_uid_gid") == (420, 420)
    assert (rendered / "test_template").read_text() == (
        "This line is not modified.\nThe next value will be replaced by test_value\n"
        "This line is also not modified.\n")
    assert (rendered / "test_default").read_text() == "Test value: test_value\n"
    assert os.path.realpath(m.path("/etc/externally/linked")) == str(
        m.path("/run/secrets.d/1/rendered/test_default"))
    # dry-activate after an unchanged switch: nothing to report, nothing queued, and
    # the owners are resolved as in a real run (someuser's template is not "modified")
    r = run(m, m.command(acts["setupSecrets"]["text"]), environ={"NIXOS_ACTION": "dry-activate"},
            front=front)
    assert (r.status, r.out) == (0, ""), r.err
    assert _lists(m, "dry-") == ("", "") and _lists(m) == ("", "")


def test_restart_and_reload(tmp_path: Path) -> None:
    """restart-and-reload, step by step as its test script (switch-to-configuration test
    runs the activation snippet; the unit lists are what it then restarts/reloads)."""
    m = nixos_test(tmp_path, "restart-and-reload")
    _seed_key(m)
    cmd = m.command(m.ev.activation["setupSecrets"]["text"])
    lists = m.path("/run/nixos")
    secrets = m.path("/run/secrets")

    def switch(*, dry: bool = False) -> list[str]:
        r = run(m, cmd, environ={"NIXOS_ACTION": "dry-activate"} if dry else None)
        assert r.status == 0, r.err
        return r.out.splitlines()

    def restarted() -> tuple[str, str]:
        found = _lists(m)
        for p in lists.iterdir():
            p.unlink()
        return found

    assert switch() == [] and restarted() == ("", "")  # boot: nothing to restart
    assert switch() == [] and restarted() == ("", "")  # unchanged
    (secrets / "test_key").write_bytes(b"")
    assert switch() == ["modifying secret: test_key"]
    assert restarted() == ("restart-unit.service\nreload-unit.service\n",
                           "reload-trigger.service\n")
    (secrets / "rendered/test_template").write_bytes(b"")
    assert switch() == ["modifying rendered secret: test_template"]
    assert restarted() == ("restart-unit.service\nreload-unit.service\n",
                           "reload-trigger.service\n")
    # change detection
    (secrets / "test_key").unlink()
    (secrets / "rendered/test_template").unlink()
    assert switch() == ["adding secret: test_key", "adding rendered secret: test_template"]
    (secrets / "test_key").write_bytes(b"")
    (secrets / "rendered/test_template").write_bytes(b"")
    assert switch() == ["modifying secret: test_key", "modifying rendered secret: test_template"]
    (secrets / "another_key").write_bytes(b"")
    (secrets / "rendered/another_template").write_bytes(b"")
    assert switch() == ["removing secret: another_key",
                        "removing rendered secret: another_template"]
    restarted()
    # dry activation
    (secrets / "test_key").unlink()
    (secrets / "rendered/test_template").unlink()
    (secrets / "another_key").write_bytes(b"")
    (secrets / "rendered/another_template").write_bytes(b"")
    assert switch(dry=True) == ["would add secret: test_key", "would remove secret: another_key",
                                "would add rendered secret: test_template",
                                "would remove rendered secret: another_template"]
    assert not (secrets / "test_key").exists() and not (secrets / "rendered/test_template").exists()
    assert (secrets / "another_key").exists() and (secrets / "rendered/another_template").exists()
    assert _lists(m) == ("", "")  # nothing restarted (only the dry-activation lists)
    switch()
    assert (secrets / "test_key").exists() and not (secrets / "another_key").exists()
    restarted()
    (secrets / "test_key").write_bytes(b"")
    assert switch(dry=True) == ["would modify secret: test_key"]
    assert (secrets / "test_key").read_bytes() == b""
    assert _lists(m) == ("", "")


@pytest.mark.parametrize("variant", ["user-passwords", "user-passwords-sysusers",
                                     "user-passwords-userborn"])
def test_user_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    m = nixos_test(tmp_path, variant)
    nss = use_nss(monkeypatch, m)
    _seed_key(m)
    if variant == "user-passwords":
        acts = m.ev.activation
        for_users = m.command(acts["setupSecretsForUsers"]["text"])
        regular = m.command(acts["setupSecrets"]["text"])
    else:  # systemd activation: the units' ExecStart and environment
        units = m.ev.data["services"]
        assert "setupSecrets" not in m.ev.activation
        for_users, regular = (
            m.command(units[name]["serviceConfig"]["ExecStart"][0])
            for name in ("sops-install-secrets-for-users", "sops-install-secrets"))
        for c, name in ((for_users, "sops-install-secrets-for-users"),
                        (regular, "sops-install-secrets")):
            c.environ.update(units[name]["environment"])
        assert regular.environ["SOPS_RESTART_UNITS_VIA_SYSTEMCTL"] == "1"
    assert for_users.args[0] == "-ignore-passwd"
    for c in (for_users, regular, for_users, regular):  # boot, then a switch
        r = run(m, c)
        assert r.status == 0, r.err
    assert m.path("/run/secrets-for-users/test_key").read_bytes() == b"test_value"
    f = m.path("/run/secrets/nested/test/file")
    assert f.read_bytes() == b"another value"
    assert f.stat().st_uid == nss.uids["example-user"]


def test_home_manager_check(tmp_path: Path) -> None:
    """checks/home-manager.nix: the build's -check-mode runs without XDG_RUNTIME_DIR (the
    manifest's secretsMountPoint is "%r/secrets.d"), then the user service installs."""
    checkout = sops_nix_checkout(tmp_path)
    m = Machine(evaluate("home-manager", [f"{checkout}/checks/home-manager.nix"],
                         tmp_path / "hm"))
    script_path = m.ev.data["userServices"]["sops-nix"]["Service"]["ExecStart"]
    manifest = next(w for w in m.ev.text(script_path).split() if w.endswith("manifest.json"))
    for mode in ("sopsfile", "manifest"):
        check = m.ev.check_phase(manifest).replace("-check-mode=sopsfile", f"-check-mode={mode}")
        p = m.bash(check, environ={"out": str(m.ev.real(manifest))})
        assert (p.returncode, p.stderr) == (0, "")
    _seed_key(m, "/home/sops-user/.age-key.txt")  # else generateKey makes a new one
    p = m.bash(m.ev.text(script_path))  # no XDG_RUNTIME_DIR at install time: refused
    assert p.returncode == 1 and "$XDG_RUNTIME_DIR is not set" in p.stderr
    assert p.stderr.count("error:") == 1 and "Traceback" not in p.stderr
    run_dir = m.runtime_dir()
    p = m.bash(m.ev.text(script_path), environ={"XDG_RUNTIME_DIR": str(run_dir)})
    assert p.returncode == 0, p.stderr
    secrets = m.path("/home/sops-user/.config/sops-nix/secrets")
    assert os.readlink(secrets) == str(run_dir / "secrets.d/1")
    assert (secrets / "test_key").read_bytes() == b"test_value"
    assert (secrets / "rendered/template.toml").read_text() == 'password = "test_value";\n'


def test_home_manager_generates_key(tmp_path: Path) -> None:
    """The service script's generateKey part (age-keygen from the age package)."""
    checkout = sops_nix_checkout(tmp_path)
    m = Machine(evaluate("home-manager", [f"{checkout}/checks/home-manager.nix"],
                         tmp_path / "hm"))
    script = m.ev.text(m.ev.data["userServices"]["sops-nix"]["Service"]["ExecStart"])
    p = m.bash(script, environ={"XDG_RUNTIME_DIR": str(m.runtime_dir())})
    assert "generating machine-specific age key..." in p.stdout
    assert m.path("/home/sops-user/.age-key.txt").read_text().count("AGE-SECRET-KEY-1") == 1
    # a new key cannot read the test secrets: the install fails, all or nothing
    assert p.returncode == 1 and "failed to decrypt" in p.stderr
    assert not m.path("/home/sops-user/.config/sops-nix/secrets").exists()


def _env_case(tmp_path: Path, env_nix: str, extra: str = "") -> Machine:
    return nixos(tmp_path, f"""{{ sops.defaultSopsFile = {YAML}; sops.secrets.test_key = {{ }};
        services.openssh.enable = true; sops.environment = {env_nix}; {extra} }}""")


def test_environment_age_key_cmd_by_bash(tmp_path: Path) -> None:
    """sops.environment.SOPS_AGE_KEY_CMD, exported by the rendered snippet; the host key
    (openssh's default, missing here) gives nothing."""
    m = _env_case(tmp_path, '{ SOPS_AGE_KEY_CMD = "/bin/cat /run/keys/age.txt"; }')
    _seed_key(m, "/run/keys/age.txt")
    p = m.bash(m.ev.activation["setupSecrets"]["text"])
    assert p.returncode == 0, p.stderr
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    assert "cannot read ssh key" in p.stderr


def test_environment_age_key(tmp_path: Path) -> None:
    key = next(ln for ln in AGE_KEYS.read_text().splitlines() if ln.startswith("AGE-SECRET"))
    m = _env_case(tmp_path, f'{{ SOPS_AGE_KEY = "{key}"; }}')
    r = run(m, m.command(m.ev.activation["setupSecrets"]["text"]))
    assert r.status == 0, r.err
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    assert key not in r.err


def test_environment_age_key_file(tmp_path: Path) -> None:
    """SOPS_AGE_KEY_FILE is sops's when the manifest names no age key (here gnupg.home,
    a PGP home that is not there); with manifest age keys the installer's keys replace it,
    as sops-install-secrets points the variable at the keys it imported."""
    m = _env_case(tmp_path, '{ SOPS_AGE_KEY_FILE = "/run/keys/age.txt"; }',
                  'sops.gnupg.home = "/run/gpghome"; sops.gnupg.sshKeyPaths = [ ]; '
                  'sops.age.sshKeyPaths = [ ];')
    _seed_key(m, "/run/keys/age.txt")
    cmd = m.command(m.ev.activation["setupSecrets"]["text"])
    assert cmd.environ["SOPS_AGE_KEY_FILE"] == str(m.path("/run/keys/age.txt"))
    r = run(m, cmd)
    assert r.status == 0, r.err
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    m2 = _env_case(tmp_path / "2", '{ SOPS_AGE_KEY_FILE = "/run/keys/age.txt"; }')
    _seed_key(m2, "/run/keys/age.txt")
    r = run(m2, m2.command(m2.ev.activation["setupSecrets"]["text"]))
    assert r.status == 1 and "failed to decrypt" in r.err


def test_setuid_mode_fails_the_build(tmp_path: Path) -> None:
    m = nixos(tmp_path, f"""{{ sops.defaultSopsFile = {YAML}; sops.age.keyFile = "/run/k";
        sops.secrets.test_key.mode = "04440"; }}""")
    manifest = m.ev.build["sops-nix-manifest"]
    p = m.bash(m.ev.check_phase(manifest), environ={"out": str(m.ev.real(manifest))})
    assert p.returncode == 1
    assert "secrets[0].mode: mode 4440 sets setuid, setgid or sticky bits" in p.stderr
    assert 'use "0440"' in p.stderr and "Traceback" not in p.stderr


def test_missing_activation_dir_is_reported(tmp_path: Path) -> None:
    m = nixos_test(tmp_path, "restart-and-reload")
    _seed_key(m)
    cmd = m.command(m.ev.activation["setupSecrets"]["text"])
    assert run(m, cmd).status == 0
    m.path("/run/secrets/test_key").write_bytes(b"")
    shutil.rmtree(m.path("/run/nixos"))
    r = run(m, cmd)
    assert r.status == 0
    assert (f"{m.path('/run/nixos')} does not exist: restart-unit.service, reload-unit.service, "
            "reload-trigger.service not queued for restart/reload") in r.err
