"""sops-nix's PGP scenarios against ``sekret install``: ``main_test.go``'s testGPG and
testSSHKey (manifests shaped as its Go encoder writes them), and the ``pgp-keys`` and
``ssh-keys`` VM checks of ``checks/nixos-test.nix`` on the manifests its real module
renders. The secrets are sops-nix's PGP test files; the oracle for their plaintext is
the real sops with the same keys."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sekret.cli import sops_install_secrets as sis
from tests.cli.helpers import Result, fake_env
from tests.conftest import vendored
from tests.install.gomanifest import write_manifest
from tests.install.pgphelpers import GnuPG, gnupg, sops_binary
from tests.install.sopsnix import nixos_test, run, use_nss
from tests.nixeval import relocate_text

__all__ = ["gnupg"]  # the fixture, used by name

ASSETS = vendored("sops-nix-assets")
SSH_FPR = "2504791468B153B8A3963CC97BA53D1919C5DFD4"
GPG_FPR = "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0"


def _run(tmp_path: Path, manifest: Path, environ: dict[str, str] | None = None) -> Result:
    env = fake_env(tmp_path, environ=environ or {})
    status = sis.main([str(manifest)], env, mount=False, activation_dir=str(tmp_path / "nixos"))
    return Result(status, env.stdout.getvalue(), env.stderr.getvalue())  # type: ignore[attr-defined]


def _secret(name: str, sops_file: str, path: Path, **fields: object) -> dict[str, object]:
    """main_test.go's yamlSecret, then its per-format copies."""
    s: dict[str, object] = {
        "name": name, "key": "test_key", "path": str(path), "owner": "nobody", "uid": 0,
        "group": "nogroup", "gid": 0, "sopsFile": str(ASSETS / sops_file), "format": "",
        "mode": "0400", "restartUnits": ["affected-service"],
        "reloadUnits": ["affected-reload-service"]}
    s.update(fields)
    return s


_manifest = write_manifest  # main_test.go's writeManifest


def _sops_decrypt(home: Path, name: str, fmt: str) -> bytes:
    """What the real sops decrypts of a test file with the keys of ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env.update(GNUPGHOME=str(home), SOPS_DISABLE_VERSION_CHECK="1")
    proc = subprocess.run([sops_binary(), "decrypt", "--input-type", fmt, "--output-type", fmt,
                           str(ASSETS / name)], env=env, capture_output=True, timeout=120,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _five_secrets(tmp_path: Path) -> list[dict[str, object]]:
    """testGPG's yaml, json, binary, dotenv and ini secrets."""
    d = tmp_path / "secrets.d"
    return [
        _secret("test", "secrets.yaml", tmp_path / "test-target"),
        _secret("test2", "secrets.json", d / "test2", owner="root", group="root",
                format="json", mode="0700"),
        _secret("test3", "secrets.bin", d / "test3", format="binary"),
        _secret("test4", "secrets.env", d / "test4", owner="root", group="root",
                format="dotenv"),
        _secret("test5", "secrets.ini", d / "test5", owner="root", group="root", format="ini"),
    ]


def test_main_test_gpg(tmp_path: Path, gnupg: GnuPG) -> None:
    """testGPG: key.asc imported into a fresh GNUPGHOME (gpg --import), gnupgHome."""
    home = gnupg.home(tmp_path / "gpg-home")
    gnupg.run(home, "--import", str(ASSETS / "key.asc"))
    manifest = _manifest(tmp_path, _five_secrets(tmp_path), gnupgHome=str(home))
    r = _run(tmp_path, manifest)
    assert (r.status, r.out, r.err) == (0, "", "")
    link = tmp_path / "test-target"
    assert link.is_symlink() and link.read_bytes() == b"test_value"
    st = link.stat()
    assert stat.S_IMODE(st.st_mode) == 0o400
    assert pwd.getpwuid(st.st_uid).pw_name == "nobody"
    assert grp.getgrgid(st.st_gid).gr_name == "nogroup"
    j = (tmp_path / "secrets" / "test2").stat()
    assert (stat.S_IMODE(j.st_mode), j.st_uid, j.st_gid) == (0o700, 0, 0)
    assert len((tmp_path / "secrets" / "test3").read_bytes()) == 13
    # the whole-file formats: what the real sops decrypts, byte for byte
    assert (tmp_path / "secrets" / "test3").read_bytes() == _sops_decrypt(home, "secrets.bin",
                                                                          "binary")
    assert (tmp_path / "secrets" / "test4").read_bytes() == _sops_decrypt(home, "secrets.env",
                                                                          "dotenv")
    assert (tmp_path / "secrets" / "test5").read_bytes() == _sops_decrypt(home, "secrets.ini",
                                                                          "ini")
    assert _run(tmp_path, manifest).status == 0
    assert os.readlink(tmp_path / "secrets") == str(tmp_path / "secrets.d" / "2")


def test_main_test_ssh_key(tmp_path: Path, gnupg: GnuPG) -> None:
    """testSSHKey (secrets.yaml through ssh-key), and the PGP-only dotenv and ini files
    (age cannot help there), compared with the real sops given the converted key."""
    target = tmp_path / "existing-target"
    target.touch()
    d = tmp_path / "secrets.d"
    secrets = [
        _secret("test", "secrets.yaml", target),
        _secret("test4", "secrets.env", d / "test4", format="dotenv"),
        _secret("test5", "secrets.ini", d / "test5", format="ini"),
    ]
    manifest = _manifest(tmp_path, secrets, sshKeyPaths=[str(ASSETS / "ssh-key")],
                         logging={"keyImport": True, "secretChanges": False})
    r = _run(tmp_path, manifest)
    assert r.status == 0, r.err
    assert r.err == (f"sekret: info: imported {ASSETS / 'ssh-key'} as GPG key with "
                     f"fingerprint {SSH_FPR.lower()}\n")  # and no warning
    assert target.is_symlink() and target.read_bytes() == b"test_value"
    oracle = gnupg.home(tmp_path / "oracle")
    gnupg.run(oracle, "--import", str(ASSETS / "ssh-key.asc"))  # sops-nix's converted key
    assert (tmp_path / "secrets/test4").read_bytes() == _sops_decrypt(oracle, "secrets.env",
                                                                      "dotenv")
    assert (tmp_path / "secrets/test5").read_bytes() == _sops_decrypt(oracle, "secrets.ini",
                                                                      "ini")
    # the throwaway GnuPG home (made in the mount point) is gone, its agent stopped
    assert not [n for n in os.listdir(d) if n.startswith("gpg")]


def test_pgp_only_file_without_a_matching_key(tmp_path: Path) -> None:
    """secrets.json is for key.asc only: the RSA host key cannot open it. One error, the
    key types present, what was tried and the next step; nothing installed."""
    manifest = _manifest(tmp_path, [_secret("test2", "secrets.json", tmp_path / "t",
                                            format="json")],
                         sshKeyPaths=[str(ASSETS / "ssh-key")])
    r = _run(tmp_path, manifest)
    assert r.status == 1 and r.err.count("error:") == 1 and "Traceback" not in r.err
    assert "failed to decrypt" in r.err and "secrets.json" in r.err
    assert f"tried pgp {GPG_FPR}: not one of the sshKeyPaths keys ({SSH_FPR})" in r.err
    assert f"pgp: the file is encrypted to {GPG_FPR}; the sshKeyPaths keys are {SSH_FPR}" in r.err
    assert "SOPS_AGE_KEY_FILE" not in r.err  # no age advice for a file without age keys
    assert not (tmp_path / "secrets").exists()
    assert sorted(os.listdir(tmp_path / "secrets.d")) == []  # throwaway home removed


def test_pgp_only_file_without_pgp_keys(tmp_path: Path) -> None:
    age_keys = str(ASSETS / "age-keys.txt")
    manifest = _manifest(tmp_path, [_secret("test4", "secrets.env", tmp_path / "t",
                                            format="dotenv")], ageKeyFile=age_keys)
    r = _run(tmp_path, manifest)
    assert r.status == 1 and r.err.count("error:") == 1
    assert "the manifest has neither sshKeyPaths nor gnupgHome" in r.err
    assert "set sops.gnupg.home to a GnuPG home with one of those keys" in r.err


def test_unreadable_and_unusable_ssh_keys(tmp_path: Path) -> None:
    """A missing key and an ed25519 key are warnings (as in sops-install-secrets); the
    RSA key after them still opens the file."""
    missing = str(tmp_path / "nope")
    manifest = _manifest(tmp_path, [_secret("test4", "secrets.env", tmp_path / "t",
                                            format="dotenv")],
                         sshKeyPaths=[missing, str(ASSETS / "ssh-ed25519-key"),
                                      str(ASSETS / "ssh-key")])  # fmt: skip
    r = _run(tmp_path, manifest)
    assert r.status == 0, r.err
    assert f"cannot read ssh key '{missing}'" in r.err
    assert "only RSA keys are supported right now, got: ssh-ed25519" in r.err
    assert b"\nhello=Welcome to SOPS!" in (tmp_path / "t").read_bytes()


def test_age_files_never_touch_the_rsa_key(tmp_path: Path) -> None:
    """An age-keyed file with sshKeyPaths (a default openssh host): the RSA key is not
    read, so a broken one costs nothing and says nothing."""
    manifest = _manifest(tmp_path, [_secret("test", "secrets.yaml", tmp_path / "t")],
                         ageKeyFile=str(ASSETS / "age-keys.txt"),
                         sshKeyPaths=[str(tmp_path / "missing-rsa-key")])
    r = _run(tmp_path, manifest)
    assert (r.status, r.err) == (0, "")
    assert (tmp_path / "t").read_bytes() == b"test_value"


def test_ssh_keys_vm_check(tmp_path: Path) -> None:
    """checks/nixos-test.nix ssh-keys: openssh's RSA host key (hostKeys) is the key."""
    m = nixos_test(tmp_path, "ssh-keys", node="server")
    snippet = m.ev.activation["setupSecrets"]["text"]
    p = m.bash(snippet)
    assert p.returncode == 0, p.stderr
    assert "cannot" not in p.stderr and "warning" not in p.stderr
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    assert os.listdir(m.path("/run/secrets.d")) == ["1"]


def test_pgp_keys_vm_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           gnupg: GnuPG) -> None:
    """checks/nixos-test.nix pgp-keys: its gnupghome activation snippet copies the test
    keyring to /run/gpghome, then sops.gnupg.home is used through the real gpg
    (SOPS_GPG_EXEC, the module's gnupg package)."""
    m = nixos_test(tmp_path, "pgp-keys", node="server")
    nss = use_nss(monkeypatch, m)
    acts = m.ev.activation
    p = m.bash(acts["gnupghome"]["text"])
    assert p.returncode == 0, p.stderr
    gnupg.homes.append(m.path("/run/gpghome"))
    snippet = acts["setupSecrets"]["text"]
    m.package_bin(relocate_text(snippet, m.root))  # the gnupg package's bin/gpg
    cmd = m.command(snippet)
    assert cmd.environ["SOPS_GPG_EXEC"].endswith("-gnupg/bin/gpg")
    r = run(m, cmd)
    assert r.status == 0, r.err
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
    assert m.path("/run/secrets/test_key").stat().st_uid == nss.uids["someuser"]
    assert m.path("/run/secrets/nested/test/file").read_bytes() == b"another value"
    assert os.path.realpath(m.path("/run/existing-file")) == str(
        m.path("/run/secrets.d/1/existing-file"))
    # a first boot again, through the other front (sekret install)
    shutil.rmtree(m.path("/run/secrets.d"))
    m.path("/run/secrets").unlink()
    r = run(m, cmd, front="sekret install")
    assert r.status == 0, r.err
    assert m.path("/run/secrets/test_key").read_bytes() == b"test_value"
