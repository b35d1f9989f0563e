"""The OpenPGP key sops-nix derives from an RSA SSH key (sekret.pgp.sshrsa), checked
against sops-nix's own assets and against the real gpg and sops.

``ssh-key.asc`` in sops-nix's test assets is what its converter made of ``ssh-key``;
the fingerprint 2504…DFD4 is the one the test files' metadata name.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from sekret.pgp import sshrsa
from tests.conftest import require_tool, vendored
from tests.install.pgphelpers import GnuPG, dearmor, first_packet, gnupg, sops_binary

__all__ = ["gnupg"]  # the fixture, used by name

ASSETS = vendored("sops-nix-assets")
SSH_FPR = "2504791468B153B8A3963CC97BA53D1919C5DFD4"  # ssh-key, in secrets.{yaml,env,ini}
GPG_FPR = "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0"  # key.asc


def _metadata_fprs(name: str) -> set[str]:
    text = (ASSETS / name).read_text()
    if name.endswith(".json"):
        return {k["fp"] for k in json.loads(text)["sops"]["pgp"]}
    return {ln.split("=", 1)[1].strip() for ln in text.splitlines()
            if "pgp__list_" in ln and "_map_fp" in ln} | {
        ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.strip().startswith("fp:")}


def test_fingerprint_is_the_one_sops_nix_assets_name() -> None:
    key = sshrsa.derive((ASSETS / "ssh-key").read_bytes())
    assert key.fingerprint == SSH_FPR
    for name in ("secrets.yaml", "secrets.env", "secrets.ini"):
        assert _metadata_fprs(name) == {SSH_FPR, GPG_FPR}, name
    assert _metadata_fprs("secrets.json") == {GPG_FPR}
    assert SSH_FPR not in repr(key) or "redacted" in repr(key)


def test_secret_key_packet_is_the_one_sops_nix_made() -> None:
    """Byte for byte: version 4, RSA, created at the epoch, the same secret MPIs in the
    same order (d, p, q, u as Go writes them) with the same checksum. (The user ID and
    signature of ssh-key.asc come from an older converter: see sshrsa's docstring.)"""
    theirs = first_packet(dearmor((ASSETS / "ssh-key.asc").read_text()))
    ours = first_packet(sshrsa.derive((ASSETS / "ssh-key").read_bytes()).secret_key.expose())
    assert theirs[0] == 5 and ours == theirs  # a secret-key packet, the same bytes


def test_real_gpg_accepts_the_key_and_its_self_signature(tmp_path: Path, gnupg: GnuPG) -> None:
    key = sshrsa.derive((ASSETS / "ssh-key").read_bytes())
    home = gnupg.home(tmp_path / "gnupg")
    gnupg.run(home, "--import", stdin=key.secret_key.expose())
    assert gnupg.fingerprints(home, secret=True) == [SSH_FPR]
    sigs = gnupg.run(home, "--check-sigs", "--with-colons").stdout.decode()
    assert "sig:!:" in sigs  # "!": the self-signature verified
    assert "uid:" in sigs and "root (Imported from SSH) <root@localhost>" in sigs
    listing = gnupg.run(home, "--with-colons", "--list-keys").stdout.decode()
    pub = next(ln for ln in listing.splitlines() if ln.startswith("pub:")).split(":")
    assert (pub[2], pub[3], pub[5], pub[11]) == ("3072", "1", "0", "escESC")  # RSA, epoch
    # the public form is what gpg exports of it
    exported = gnupg.run(home, "--export", "--export-options", "export-minimal", SSH_FPR)
    assert first_packet(exported.stdout) == first_packet(key.public_key)


def test_a_new_host_key_round_trips_with_real_gpg_and_sops(tmp_path: Path, gnupg: GnuPG) -> None:
    """The workflow of a sops-nix user: ssh-keygen's RSA host key, its public OpenPGP key
    given to sops (``ssh-to-pgp`` → ``.sops.yaml``), then the host decrypts in memory."""
    ssh_keygen = require_tool("ssh-keygen")
    host_key = tmp_path / "ssh_host_rsa_key"
    subprocess.run([ssh_keygen, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(host_key)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    key = sshrsa.derive(host_key.read_bytes())
    assert sshrsa.derive(host_key.read_bytes()) == key  # reproducible, as sops-nix wants
    home = gnupg.home(tmp_path / "admin")  # the admin's keyring: the public key only
    gnupg.run(home, "--import", stdin=key.public_key)
    assert gnupg.fingerprints(home) == [key.fingerprint]
    assert gnupg.fingerprints(home, secret=True) == []
    plain = tmp_path / "s.yaml"
    plain.write_text("password: hunter2\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env.update(GNUPGHOME=str(home), SOPS_DISABLE_VERSION_CHECK="1")
    out = subprocess.run([sops_binary(), "encrypt", "--pgp", key.fingerprint, str(plain)],
                         env=env, capture_output=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    enc = next(ln for ln in out.stdout.decode().splitlines() if "BEGIN PGP MESSAGE" in ln)
    assert enc  # sops wrapped the data key for the derived key
    import yaml

    entry = yaml.safe_load(out.stdout)["sops"]["pgp"][0]
    assert entry["fp"] == key.fingerprint
    # gpg chose 3DES (the key states no preferences, as sops-nix's do not): the reason
    # the installer decrypts with gpg and not with Sequoia (see sekret.install.pgpkeys)
    host_home = gnupg.home(tmp_path / "host")
    gnupg.run(host_home, "--import", stdin=key.secret_key.expose())
    dec = gnupg.run(host_home, "-d", "--status-fd", "2", stdin=entry["enc"].encode())
    assert len(dec.stdout) == 32
    assert "DECRYPTION_INFO 2 2" in dec.stderr.decode()  # MDC with SHA-1, cipher 2 = 3DES


@pytest.mark.parametrize(("name", "message"), [
    ("ssh-ed25519-key", "only RSA keys are supported right now, got: ssh-ed25519"),
    ("age-keys.txt", "failed to parse private ssh key"),
])  # fmt: skip
def test_keys_that_cannot_be_converted(name: str, message: str) -> None:
    with pytest.raises(sshrsa.SSHKeyConversionError) as info:
        sshrsa.derive((ASSETS / name).read_bytes())
    assert message in str(info.value)
    assert "AGE-SECRET-KEY" not in info.value.diagnostics()
