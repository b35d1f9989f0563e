"""The sops-nix reference cases (spec §3), with fixtures made by sekret and by real sops."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

import pytest

from tests.conftest import vendored
from tests.install.conftest import Kit

YAML = b"test_key: test_value\na_list:\n- e1\n- e3\nnested:\n  test:\n    file: another value\n"
ASSETS = vendored("sops-nix-assets")


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


@pytest.mark.parametrize("maker", ["sekret", "sops"])
def test_all_formats(kit: Kit, maker: str) -> None:
    make = kit.sops_file if maker == "sekret" else kit.real_sops_file
    y = make("s.yaml", YAML, "yaml")
    j = make("s.json", b'{"test_key": "test_value", "a": {"b": "nested json"}}', "json")
    b = make("s.bin", b"binary_value\n", "binary")
    e = make("s.env", b"hello=Welcome to SOPS\nexample_key=example_value\n", "dotenv")
    i = make("s.ini", b"[Welcome!]\nhello = world\n", "ini")
    m = kit.manifest([
        kit.secret("test", y, key="test_key", owner="nobody", group="nogroup",
                   path=str(kit.root / "test-target")),
        kit.secret("nested/test/file", y, mode="0440"),
        kit.secret("whole.yaml", y, key=""),
        kit.secret("test2", j, key="test_key", format="json", mode="0700"),
        kit.secret("nestedjson", j, key="a/b", format="json"),
        kit.secret("test3", b, format="binary"),
        kit.secret("test4", e, format="dotenv"),
        kit.secret("test5", i, format="ini"),
    ])
    r = kit.install(m)
    assert r.status == 0, r.err
    s = kit.root / "secrets"
    target = kit.root / "test-target"
    assert target.is_symlink() and os.readlink(target) == str(s / "test")
    assert target.read_bytes() == b"test_value" and _mode(s / "test") == 0o400
    st = (s / "test").stat()
    assert st.st_uid == pwd.getpwnam("nobody").pw_uid
    assert st.st_gid == grp.getgrnam("nogroup").gr_gid
    assert (s / "nested/test/file").read_bytes() == b"another value"
    assert _mode(s / "nested/test/file") == 0o440
    assert _mode(s / "nested") == 0o751
    assert b"test_key: test_value" in (s / "whole.yaml").read_bytes()
    assert b"sops" not in (s / "whole.yaml").read_bytes()
    assert (s / "test2").read_bytes() == b"test_value" and _mode(s / "test2") == 0o700
    assert (s / "nestedjson").read_bytes() == b"nested json"
    assert (s / "test3").read_bytes() == b"binary_value\n"
    assert (s / "test4").read_bytes() == b"hello=Welcome to SOPS\nexample_key=example_value\n"
    assert b"hello" in (s / "test5").read_bytes() and b"[Welcome!]" in (s / "test5").read_bytes()
    assert kit.link() == str(kit.root / "secrets.d" / "1")
    assert kit.install(m).status == 0
    assert kit.link() == str(kit.root / "secrets.d" / "2")


def test_reference_assets_age_and_ssh(kit: Kit) -> None:
    """secrets.yaml of sops-nix: TestAge (ageKeyFile) and TestAgeWithSSH (ageSshKeyPaths)."""
    src = ASSETS / "secrets.yaml"
    for top in ({"ageKeyFile": str(ASSETS / "age-keys.txt")},
                {"ageKeyFile": None, "ageSshKeyPaths": [str(ASSETS / "ssh-ed25519-key")]}):
        m = kit.manifest([kit.secret("test_key", src), kit.secret("nested/test/file", src)],
                         **top)
        r = kit.install(m)
        assert r.status == 0, r.err
        assert (kit.root / "secrets/test_key").read_bytes() == b"test_value"
    assert "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs" in r.err


def test_owner_by_id_and_mode_exact_despite_umask(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    daemon = pwd.getpwnam("daemon")
    m = kit.manifest([kit.secret("test_key", y, uid=1001, gid=1001, mode="0660"),
                      kit.secret("nested/test/file", y, owner="daemon", group="daemon")])
    old = os.umask(0o077)
    try:
        assert kit.install(m).status == 0
    finally:
        os.umask(old)
    st = (kit.root / "secrets/test_key").stat()
    assert (st.st_uid, st.st_gid, _mode(kit.root / "secrets/test_key")) == (1001, 1001, 0o660)
    st = (kit.root / "secrets/nested/test/file").stat()
    assert (st.st_uid, st.st_gid) == (daemon.pw_uid, grp.getgrnam("daemon").gr_gid)
    assert _mode(kit.root / "secrets.d/1") == 0o751


def test_unknown_user_fails_before_anything(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    r = kit.install(kit.manifest([kit.secret("test_key", y, owner="no-such-user-xyz")]))
    assert r.status != 0 and "failed to lookup user 'no-such-user-xyz'" in r.err
    assert not (kit.root / "secrets.d").exists()
    r = kit.install(kit.manifest([kit.secret("test_key", y, owner="no-such-user-xyz")]),
                    "--ignore-passwd")
    assert r.status == 0 and (kit.root / "secrets/test_key").stat().st_uid == 0


def test_templates(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    tfile = kit.root / "tpl.txt"
    tfile.write_text("file: <PH-B>\n")
    m = kit.manifest(
        [kit.secret("test_key", y), kit.secret("nested/test/file", y)],
        templates=[
            {"name": "test_default", "content": "The next value will be replaced by <PH-A>",
             "path": str(kit.root / "etc/externally/linked"), "mode": "0400",
             "owner": "daemon", "uid": 0, "group": None, "gid": 0},
            {"name": "from_file", "content": "", "file": str(tfile), "mode": "0440",
             "owner": None, "uid": 420, "group": None, "gid": 420,
             "path": str(kit.root / "secrets/rendered/from_file")},
        ],
        placeholderBySecretName={"test_key": "<PH-A>", "nested/test/file": "<PH-B>"},
    )
    assert kit.install(m).status == 0
    linked = kit.root / "etc/externally/linked"
    assert linked.read_bytes() == b"The next value will be replaced by test_value"
    assert os.path.realpath(linked) == str(kit.root / "secrets.d/1/rendered/test_default")
    out = kit.root / "secrets/rendered/from_file"
    assert out.read_bytes() == b"file: another value\n"
    assert (out.stat().st_uid, out.stat().st_gid, _mode(out)) == (420, 420, 0o440)
    # no placeholder for a secret while templates exist
    bad = kit.manifest([kit.secret("test_key", y)], templates=[{"name": "t", "content": "x"}])
    r = kit.install(bad)
    assert r.status != 0 and "placeholder for test_key not found in manifest" in r.err


def test_pruning(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    d = kit.root / "secrets.d"
    for n in range(2, 100):
        (d / str(n)).mkdir(parents=True)
    (d / "non-numeric").mkdir()
    os.symlink(d / "99", kit.root / "secrets")
    m0 = kit.manifest([kit.secret("test_key", y)], keepGenerations=0)
    assert kit.install(m0).status == 0
    assert kit.link() == str(d / "100") and (d / "2").exists()
    (d / "101").mkdir()  # a leftover of an interrupted run: replaced
    m10 = kit.manifest([kit.secret("test_key", y)], keepGenerations=10)
    assert kit.install(m10).status == 0
    assert kit.link() == str(d / "101") and (kit.root / "secrets/test_key").exists()
    assert not (d / "91").exists() and (d / "92").exists() and (d / "non-numeric").exists()
    assert not (d / "2").exists()


def test_symlink_path_was_a_directory(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    (kit.root / "secrets").mkdir()
    (kit.root / "secrets" / "junk").write_text("x")
    assert kit.install(kit.manifest([kit.secret("test_key", y)])).status == 0
    assert kit.link() == str(kit.root / "secrets.d/1")
    assert (kit.root / "secrets/test_key").read_bytes() == b"test_value"


def _lists(kit: Kit, prefix: str = "") -> tuple[str, str]:
    def read(kind: str) -> str:
        p = kit.root / "nixos" / f"{prefix}activation-{kind}-list"
        return p.read_text() if p.exists() else ""
    return read("restart"), read("reload")


def test_restart_reload_and_change_log(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    y2 = kit.sops_file("s2.yaml", YAML.replace(b"test_value", b"other"), "yaml")
    units = {"restartUnits": ["a.service"], "reloadUnits": ["b.service"]}
    tpl = {"name": "test_template", "content": "<P1>", "restartUnits": ["t.service"]}
    ph = {"test_key": "<P1>", "another_key": "<P2>"}
    m = kit.manifest([kit.secret("test_key", y, **units),
                      kit.secret("another_key", y, key="test_key")],
                     templates=[tpl, {"name": "another_template", "content": "x"}],
                     placeholderBySecretName=ph)
    r = kit.install(m)  # first activation: no lists, no log
    assert r.status == 0 and r.out == "" and _lists(kit) == ("", "")
    assert kit.install(m).out == "" and _lists(kit) == ("", "")  # unchanged
    m2 = kit.manifest([kit.secret("test_key", y2, **units)], templates=[tpl],
                      placeholderBySecretName={"test_key": "<P1>"})
    dry = kit.install(m2, environ={"NIXOS_ACTION": "dry-activate"})
    assert dry.status == 0
    assert dry.out.splitlines() == [
        "would modify secret: test_key", "would remove secret: another_key",
        "would modify rendered secret: test_template",
        "would remove rendered secret: another_template"]
    assert _lists(kit) == ("", "") and _lists(kit, "dry-") == ("a.service\nt.service\n",
                                                               "b.service\n")
    assert kit.link().endswith("/2") and not (kit.root / "secrets.d/3").exists()
    r = kit.install(m2)
    assert r.out.splitlines() == ["modifying secret: test_key", "removing secret: another_key",
                                  "modifying rendered secret: test_template",
                                  "removing rendered secret: another_template"]
    assert _lists(kit) == ("a.service\nt.service\n", "b.service\n")
    (kit.root / "nixos/activation-restart-list").unlink()
    m3 = kit.manifest([kit.secret("test_key", y2, **units),
                       kit.secret("new_one", y, key="test_key")],
                      templates=[tpl], placeholderBySecretName={**ph, "new_one": "<P3>"})
    r = kit.install(m3)
    assert r.out.splitlines() == ["adding secret: new_one"]
    # owner/mode changes count (sops-nix #220)
    m4 = kit.manifest([kit.secret("test_key", y2, mode="0440", **units),
                       kit.secret("new_one", y, key="test_key")],
                      templates=[tpl], placeholderBySecretName={**ph, "new_one": "<P3>"})
    r = kit.install(m4)
    assert r.out.splitlines() == ["modifying secret: test_key"]
    assert _lists(kit)[0] == "a.service\n"


def test_restart_via_systemctl_dry(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret("test_key", y, restartUnits=["a.service"])])
    assert kit.install(m).status == 0
    y2 = kit.sops_file("s.yaml", YAML.replace(b"test_value", b"new"), "yaml")
    env = {"NIXOS_ACTION": "dry-activate", "SOPS_RESTART_UNITS_VIA_SYSTEMCTL": "1"}
    r = kit.install(kit.manifest([kit.secret("test_key", y2, restartUnits=["a.service"])]),
                    environ=env)
    assert r.status == 0 and "would restart a.service" in r.err
    assert (kit.root / "secrets/test_key").read_bytes() == b"test_value"


def test_check_modes(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret("test_key", y, owner="no-such-user-xyz")],
                     sshKeyPaths=["non-existing-key"], ageKeyFile=None)
    for mode in ("manifest", "sopsfile"):
        r = kit.install(m, f"-check-mode={mode}")
        assert r.status == 0, r.err
    assert not (kit.root / "secrets.d").exists()
    bad = kit.manifest([kit.secret("nope", y)])
    assert kit.install(bad, "--check-mode=manifest").status == 0
    r = kit.install(bad, "--check-mode=sopsfile")
    assert r.status != 0 and "the key 'nope' cannot be found" in r.err
    r = kit.install(kit.manifest([kit.secret("x", y, format="toml")]), "--check-mode=manifest")
    assert r.status != 0 and "secrets[0].format" in r.err


def test_user_mode(kit: Kit, tmp_path: Path) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    run = tmp_path / "run-user"
    run.mkdir()
    m = kit.manifest([kit.secret("test_key", y, path="%r/links/test_key")], userMode=True,
                     secretsMountPoint="%r/secrets.d", symlinkPath=str(kit.root / "cfg/secrets"))
    r = kit.install(m, environ={"XDG_RUNTIME_DIR": str(run)})
    assert r.status == 0, r.err
    assert (run / "links/test_key").read_bytes() == b"test_value"
    assert os.readlink(kit.root / "cfg/secrets") == str(run / "secrets.d/1")
    r = kit.install(m)
    assert r.status != 0 and "XDG_RUNTIME_DIR is not set" in r.err


def test_secrets_for_users_manifest(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret("test_key", y, owner="no-such-user-xyz",
                                 neededForUsers=True,
                                 path=str(kit.root / "secrets-for-users/test_key"))],
                     secretsMountPoint=str(kit.root / "secrets-for-users.d"),
                     symlinkPath=str(kit.root / "secrets-for-users"))
    r = kit.install(m, "-ignore-passwd")
    assert r.status == 0, r.err
    f = kit.root / "secrets-for-users/test_key"
    assert f.read_bytes() == b"test_value" and f.stat().st_uid == 0


def test_generate_key(kit: Kit) -> None:
    key = kit.root / "gen" / "key.txt"
    first = kit.install(kit.manifest([], ageKeyFile=str(key), generateKey=True))
    assert first.status == 0 and _mode(key) == 0o600
    recipient = next(ln for ln in key.read_text().splitlines() if "public key" in ln).split()[-1]
    y = kit.sops_file("s.yaml", YAML, "yaml", recipient=recipient)
    m = kit.manifest([kit.secret("test_key", y)], ageKeyFile=str(key), generateKey=True,
                     ageSshKeyPaths=[str(ASSETS / "ssh-ed25519-key")])
    before = key.read_bytes()
    assert kit.install(m).status == 0 and key.read_bytes() == before
    assert (kit.root / "secrets/test_key").read_bytes() == b"test_value"


def test_print_credentials(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret("nested/test/file", y, restartUnits=["web.service"]),
                      kit.secret("test_key", y)])
    r = kit.install(m, "--print-credentials", "web.service")
    assert r.status == 0
    assert r.out == f"LoadCredential=nested_test_file:{kit.root}/secrets/nested/test/file\n"
