"""agenix end to end with the real ``age``: files it made for rules shaped like agenix's
example decrypt with ``sekret agenix -d``, install in the /run/agenix layout, and after
``sekret agenix -r`` with a new key in the rules, real ``age`` decrypts every file with it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli
from tests.conftest import require_tool
from tests.install.conftest import Kit

PLAIN = {
    "secret1.age": b"hello\n",
    "secret2.age": b"world!\n",
    "passwordfile-user1.age": b"$6$salt$notarealhashbutthesameshape\n",
    "armored-secret.age": b"Hello World!\n",
    "-leading-hyphen-filename.age": b"filename started with hyphen\n",
}
BOTH = ("secret1.age", "passwordfile-user1.age", "-leading-hyphen-filename.age")
RULES = """let
  user1 = "{user1}";
  system1 = "{system1}";{extra_let}
in
{{
  "secret1.age".publicKeys = [ user1 system1{extra} ];
  "secret2.age".publicKeys = [ user1{extra} ];
  "passwordfile-user1.age".publicKeys = [
    user1
    system1{extra}
  ];
  "-leading-hyphen-filename.age".publicKeys = [ user1 system1{extra} ];
  "armored-secret.age" = {{
    publicKeys = [ user1{extra} ];
    armor = true;
  }};
}}
"""


def _ssh_key(path: Path) -> str:
    keygen = require_tool("ssh-keygen")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return path.with_suffix(".pub").read_text().strip()


def _rules(user1: str, system1: str, new: str = "") -> str:
    extra_let = f'\n  new = "{new}";' if new else ""
    return RULES.format(user1=user1, system1=system1, extra_let=extra_let,
                        extra=" new" if new else "")


def _environ(kit: Kit, reader: str) -> dict[str, str]:
    if reader == "nix":
        return {"PATH": os.path.dirname(require_tool("nix-instantiate"))}
    (kit.root / "no-nix").mkdir(exist_ok=True)
    return {"PATH": str(kit.root / "no-nix")}


@pytest.mark.parametrize("reader", ["nix", "builtin"])
def test_real_age_files_decrypt_install_and_rekey(kit: Kit, reader: str) -> None:
    age_bin = require_tool("age")
    keygen = require_tool("age-keygen")
    keys = kit.root / "keys"
    user1 = _ssh_key(keys / "user1")
    system1 = _ssh_key(keys / "system1")
    repo = kit.root / "repo"
    repo.mkdir()
    (repo / "secrets.nix").write_text(_rules(user1, system1))
    for name, plain in PLAIN.items():
        argv = [age_bin, "-e", "-r", user1] + (["-r", system1] if name in BOTH else [])
        argv += ["-a"] if name == "armored-secret.age" else []
        subprocess.run([*argv, "-o", str(repo / name)], input=plain, check=True)
    environ = _environ(kit, reader)

    # sekret agenix -d, with -i and with the default ~/.ssh/id_ed25519
    home = kit.root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_bytes((keys / "user1").read_bytes())
    for name, plain in PLAIN.items():
        r = run_cli(["agenix", "-d", name, "-i", str(keys / "user1")], repo,
                    environ={**environ, "HOME": "/nonexistent"})
        assert (r.status, r.stdout) == (0, plain), r.err
        r = run_cli(["agenix", "-d", name], repo, environ={**environ, "HOME": str(home)})
        assert (r.status, r.stdout) == (0, plain), r.err

    # sekret install with ageFile entries, in the /run/agenix layout, as the host (system1)
    (kit.root / "etc/ssh").mkdir(parents=True)
    host_key = kit.root / "etc/ssh/ssh_host_ed25519_key"
    host_key.write_bytes((keys / "system1").read_bytes())
    (kit.root / "etc/ssh/ssh_host_rsa_key").write_bytes(b"")  # empty: skipped, as agenix does
    run = kit.root / "run"
    entries: list[dict[str, object]] = [
        {"name": "secret1", "ageFile": str(repo / "secret1.age"), "mode": "0400",
         "owner": "nobody", "group": "nogroup"},
        {"name": "passwordfile-user1", "ageFile": str(repo / "passwordfile-user1.age"),
         "mode": "0440"},
        {"name": "leading-hyphen", "ageFile": str(repo / "-leading-hyphen-filename.age"),
         "path": str(kit.root / "etc/leading-hyphen")},
    ]
    manifest = kit.manifest(
        entries, secretsMountPoint=str(run / "agenix.d"), symlinkPath=str(run / "agenix"),
        ageKeyFile=None, keepGenerations=1,
        identityPaths=[str(host_key), str(kit.root / "etc/ssh/ssh_host_rsa_key"),
                       str(kit.root / "etc/ssh/this_key_wont_exist")])
    r = kit.install(manifest)
    assert r.status == 0, r.err
    assert os.readlink(run / "agenix") == str(run / "agenix.d" / "1")
    assert stat.S_IMODE((run / "agenix.d").stat().st_mode) == 0o751
    assert stat.S_IMODE((run / "agenix.d/1").stat().st_mode) == 0o751
    assert (run / "agenix/secret1").read_bytes() == PLAIN["secret1.age"]
    assert stat.S_IMODE((run / "agenix/secret1").stat().st_mode) == 0o400
    assert (run / "agenix/secret1").stat().st_uid != 0
    assert stat.S_IMODE((run / "agenix/passwordfile-user1").stat().st_mode) == 0o440
    link = kit.root / "etc/leading-hyphen"
    assert os.readlink(link) == str(run / "agenix/leading-hyphen")  # the stable path
    assert link.read_bytes() == PLAIN["-leading-hyphen-filename.age"]
    assert "this_key_wont_exist" in r.err

    # a new key in the rules; sekret agenix -r; the real age reads every file with it
    new_key = keys / "new.txt"
    subprocess.run([keygen, "-o", str(new_key)], check=True, capture_output=True)
    new = subprocess.run([keygen, "-y", str(new_key)], check=True,
                         capture_output=True).stdout.decode().strip()
    (repo / "secrets.nix").write_text(_rules(user1, system1, new))
    r = run_cli(["agenix", "-r", "-i", str(keys / "user1")], repo,
                environ={**environ, "HOME": "/nonexistent"})
    assert r.status == 0, r.err
    for name, plain in PLAIN.items():
        got = subprocess.run([age_bin, "-d", "-i", str(new_key), str(repo / name)],
                             capture_output=True, check=True).stdout
        assert got == plain, name
        got = subprocess.run([age_bin, "-d", "-i", str(keys / "user1"), str(repo / name)],
                             capture_output=True, check=True).stdout
        assert got == plain, name
    assert (repo / "armored-secret.age").read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED")

    # the host installs the rekeyed files as generation 2; generation 1 is removed (N-1)
    r = kit.install(manifest)
    assert r.status == 0, r.err
    assert os.readlink(run / "agenix") == str(run / "agenix.d" / "2")
    assert not (run / "agenix.d/1").exists()
    assert (run / "agenix/secret1").read_bytes() == PLAIN["secret1.age"]
