"""What agenix's real modules render, evaluated with nixpkgs' lib: the defaults sekret's
installer must honour (owner/group "0", mode "0400", /run/agenix), the assertion, the
renamed option, and that every .nix file here and in the vendored copy parses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool, vendored
from tests.nixeval_agenix import HERE, evaluate, script, sekret_age

MODULES = vendored("agenix-modules")
NIX_FILES = sorted([*HERE.glob("*.nix"), *MODULES.rglob("*.nix")])


@pytest.mark.parametrize("path", NIX_FILES, ids=lambda p: p.name)
def test_every_nix_file_parses(path: Path) -> None:
    nix = require_tool("nix-instantiate")
    proc = subprocess.run([nix, "--parse", str(path)], capture_output=True, check=False,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr.decode()


def test_nixos_defaults() -> None:
    got = evaluate("nixos", {
        "age": {"secrets": {"a": {"file": "/src/a.age"},
                            "b": {"file": "/src/b.age", "owner": "alice"},
                            "c": {"file": "/src/c.age", "owner": "bob"}},
                "identityPaths": ["/k"]},
        "users": {"users": {"alice": {"group": "staff"}, "bob": {}}},
    })
    assert got["secretsDir"] == "/run/agenix"
    assert got["secretsMountPoint"] == "/run/agenix.d"
    assert got["ageBin"] == "/nixeval-stub/age/bin/age"
    assert got["secrets"]["a"] == {"name": "a", "file": "/src/a.age", "path": "/run/agenix/a",
                                   "mode": "0400", "owner": "0", "group": "0",
                                   "symlink": True}
    assert got["secrets"]["b"]["group"] == "staff"  # the owner's group in users.users
    assert got["secrets"]["c"]["group"] == ""  # NixOS's default: chown bob: (login group)
    chown = got["snippets"]["agenixChown"]["text"]
    for who in ("0:0", "alice:staff", "bob:"):
        assert f'chown {who} "$_truePath"' in chown
    assert got["snippets"]["users"]["deps"] == ["agenixInstall"]  # before users: passwords


def test_nixos_identity_paths_from_openssh_and_the_assertion() -> None:
    got = evaluate("nixos", {"age": {"secrets": {"a": {"file": "/src/a.age"}}},
                             "services": {"openssh": {"enable": True}}})
    assert got["identityPaths"] == ["/etc/ssh/ssh_host_rsa_key",
                                    "/etc/ssh/ssh_host_ed25519_key"]
    assert got["failed"] == []
    got = evaluate("nixos", {"age": {"secrets": {"a": {"file": "/src/a.age"}}}})
    assert got["failed"] == ["age.identityPaths must be set, for example by enabling openssh."]


def test_nixos_renamed_ssh_key_paths() -> None:
    got = evaluate("nixos", {"age": {"sshKeyPaths": ["/old/key"],
                                     "secrets": {"a": {"file": "/src/a.age"}}}})
    assert got["identityPaths"] == ["/old/key"]
    assert any("age.sshKeyPaths" in w for w in got["warnings"])


def test_nixos_no_secrets_renders_nothing() -> None:
    got = evaluate("nixos", {"age": {}})
    assert got["activation"] is None
    assert set(got["snippets"]) == {"specialfs", "users", "groups"}


def test_nixos_sekret_as_age_bin() -> None:
    """The one line a user writes: ``age.ageBin = "${sekret}/bin/sekret-age";``."""
    binary = sekret_age()
    got = evaluate("nixos", {"age": {"ageBin": binary, "identityPaths": ["/k"],
                                     "secrets": {"a": {"file": "/src/a.age"}}}})
    assert f'LANG=C {binary} --decrypt "${{IDENTITIES[@]}}" -o "$TMP_FILE" "/src/a.age"' in (
        got["activation"])


def test_home_manager_defaults() -> None:
    got = evaluate("home", {"home": {"homeDirectory": "/home/u"},
                            "age": {"secrets": {"a": {"file": "/src/a.age"}}}},
                   age_dir="/opt/age")
    assert got["secretsDir"] == "${XDG_RUNTIME_DIR}/agenix"
    assert got["secretsMountPoint"] == "${XDG_RUNTIME_DIR}/agenix.d"
    assert got["identityPaths"] == ["/home/u/.ssh/id_ed25519", "/home/u/.ssh/id_rsa"]
    assert got["secrets"]["a"] == {"name": "a", "file": "/src/a.age",
                                   "path": "${XDG_RUNTIME_DIR}/agenix/a", "mode": "0400",
                                   "symlink": True}  # no owner or group in home-manager
    service = script(got["service"]["Service"]["ExecStart"])
    assert service.name == "agenix-home-manager-mount-secrets"
    assert "/opt/age/bin/age --decrypt" in service.text
    assert service.text.rstrip().endswith("exit 0")
    assert got["service"]["Install"]["WantedBy"] == ["default.target"]


def test_sekret_age_version() -> None:
    """agenix's wrapper prints ``age version: $(ageBin --version)``: one line, status 0."""
    for flag in ("--version", "-version"):
        proc = subprocess.run([sekret_age(), flag], capture_output=True, check=False)
        assert proc.returncode == 0 and proc.stderr == b""
        assert proc.stdout.decode().count("\n") == 1
        assert proc.stdout.decode().split()[-1][0].isdigit()
