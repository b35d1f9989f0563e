"""The scenario agenix's module tests run in: agenix's integration machine (its example
secrets and keys) in a temporary root, plus cases of our own."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import vendored

EXAMPLE = vendored("agenix-example")
PLAIN = {
    "secret1.age": b"hello\n",
    "secret2.age": b"world!\n",
    "armored-secret.age": b"Hello World!\n",
    "-leading-hyphen-filename.age": b"filename started with hyphen\n",
}


def owner() -> tuple[str, str]:
    """A user and group other than root when running as root (chown must work)."""
    if os.geteuid() == 0:
        return "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def make_root(base: Path, binary: str) -> tuple[Path, str]:
    """A root with agenix's example secrets in src/ and keys in etc/ssh and home/user1."""
    root = base / "root"
    (root / "src").mkdir(parents=True)
    for f in (EXAMPLE / "example").iterdir():
        shutil.copyfile(f, root / "src" / f.name)
    ssh = root / "etc/ssh"
    ssh.mkdir(parents=True)
    for name, key in (("ssh_host_ed25519_key", "system1"), ("ssh_host_rsa_key", None)):
        (ssh / name).write_bytes((EXAMPLE / "example_keys" / key).read_bytes() if key else b"")
        (ssh / name).chmod(0o600)
    home_ssh = root / "home/user1/.ssh"
    home_ssh.mkdir(parents=True)
    (home_ssh / "id_ed25519").write_bytes((EXAMPLE / "example_keys/user1").read_bytes())
    (home_ssh / "id_ed25519").chmod(0o600)
    # ageDir/bin/age for the home-manager module's age.package
    bindir = base / "age/bin"
    bindir.mkdir(parents=True)
    (bindir / "age").symlink_to(binary)
    # mount(8) stub: the script mounts ramfs on the mount point when /proc/mounts has none
    stub = base / "stub-bin"
    stub.mkdir()
    (stub / "mount").write_text('#!/bin/sh\necho "mount $*" >> "$(dirname "$0")/log"\n')
    (stub / "mount").chmod(0o755)
    return root, str(base / "age")


def nixos_config(root: Path, age_bin: str, *, extra: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """agenix's integration test machine, with every path under ``root``, plus cases of
    our own: a nested name, mode/owner/group (numeric and named), symlink = false with a
    chmod-style mode, a custom path, and a secret the host cannot decrypt."""
    user, group = owner()
    src = root / "src"
    secrets: dict[str, Any] = {
        "passwordfile-user1": {"file": str(src / "passwordfile-user1.age")},
        "leading-hyphen": {"file": str(src / "-leading-hyphen-filename.age"),
                           "path": str(root / "etc/leading-hyphen")},
        "secret1": {"file": str(src / "secret1.age"), "mode": "0440", "owner": user,
                    "group": group},
        "numeric": {"file": str(src / "secret1.age"), "name": "nested/dir/numeric",
                    "owner": str(pwd.getpwnam(user).pw_uid), "mode": "u=r,g=r"},
        "copy": {"file": str(src / "secret1.age"), "symlink": False,
                 "path": str(root / "var/lib/app/secret1"), "mode": "g+r,o-rwx",
                 "owner": user},
        "for-user1-only": {"file": str(src / "secret2.age")},
    }
    config: dict[str, Any] = {
        "age": {
            "ageBin": age_bin,
            "secretsDir": str(root / "run/agenix"),
            "secretsMountPoint": str(root / "run/agenix.d"),
            "secrets": secrets,
        },
        "services": {"openssh": {"enable": True, "hostKeys": [
            {"type": "rsa", "path": str(root / "etc/ssh/ssh_host_rsa_key")},
            {"type": "ed25519", "path": str(root / "etc/ssh/ssh_host_ed25519_key")},
        ]}},
        "users": {"users": {user: {"group": group}}},
    }
    for key, value in (extra or {}).items():
        config[key] = {**config.get(key, {}), **value}
    return config


def identity_paths(root: Path) -> list[str]:
    """The default (from openssh's host keys) plus a missing one, as the integration test."""
    return [str(root / "etc/ssh/ssh_host_rsa_key"), str(root / "etc/ssh/ssh_host_ed25519_key"),
            str(root / "etc/ssh/this_key_wont_exist")]
