"""``sekret install`` keeps each tool's failure rule: agenix entries (ageFile) one by one,
sops-nix entries all or nothing; agenix's owner/group "0" and chmod-style modes.

The age files and keys are agenix's own example (tests/data/agenix-example): the host key
``system1`` reads secret1, passwordfile-user1 and -leading-hyphen-filename, not secret2.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
from pathlib import Path

import pytest

from sekret.install import agenix
from tests.conftest import vendored
from tests.install.conftest import Kit

EXAMPLE = vendored("agenix-example")


def _setup(kit: Kit) -> Path:
    src = kit.root / "src"
    src.mkdir(exist_ok=True)
    for f in (EXAMPLE / "example").iterdir():
        shutil.copyfile(f, src / f.name)
    host_key = kit.root / "ssh_host_ed25519_key"
    host_key.write_bytes((EXAMPLE / "example_keys/system1").read_bytes())
    return src


def _manifest(kit: Kit, entries: list[dict[str, object]]) -> Path:
    return kit.manifest(entries, ageKeyFile=None, secretsMountPoint=str(kit.root / "agenix.d"),
                        symlinkPath=str(kit.root / "agenix"),
                        identityPaths=[str(kit.root / "ssh_host_ed25519_key")])


def _age(name: str, file: Path, **fields: object) -> dict[str, object]:
    return {"name": name, "ageFile": str(file), **fields}


def test_agenix_entries_install_what_decrypts_and_report_the_rest(kit: Kit) -> None:
    src = _setup(kit)
    sops = kit.sops_file("s.yaml", b"db: s3cr3t\n", "yaml", recipient=str(
        kit.recipient))
    kit.key_file.rename(kit.root / "age.txt")  # the sops file's key, as an identity path
    entries = [
        _age("secret1", src / "secret1.age"),
        _age("for-user1-only", src / "secret2.age", path=str(kit.root / "etc/user1")),
        _age("missing", src / "nope.age"),
        _age("bad-owner", src / "secret1.age", owner="no-such-user-here"),
        _age("passwordfile-user1", src / "passwordfile-user1.age"),
        kit.secret("db", sops),
    ]
    manifest = kit.manifest(
        entries, ageKeyFile=None, secretsMountPoint=str(kit.root / "agenix.d"),
        symlinkPath=str(kit.root / "agenix"),
        identityPaths=[str(kit.root / "ssh_host_ed25519_key"), str(kit.root / "age.txt")])
    r = kit.install(manifest)
    assert r.status != 0
    assert "3 of 5 agenix secrets could not be installed: bad-owner, for-user1-only, " \
           "missing; the other 2 are installed in generation 1" in r.err
    for name in ("bad-owner", "for-user1-only", "missing"):
        assert f"cannot install agenix secret {name}:" in r.err
    live = kit.root / "agenix"
    assert os.readlink(live) == str(kit.root / "agenix.d/1")
    assert sorted(os.listdir(live)) == ["db", "passwordfile-user1", "secret1"]
    assert (live / "secret1").read_bytes() == b"hello\n"
    assert (live / "db").read_bytes() == b"s3cr3t"
    assert not (kit.root / "etc/user1").exists()

    # the next activation, with the key that reads secret2: everything, generation 2
    user1 = kit.root / "id_user1"
    user1.write_bytes((EXAMPLE / "example_keys/user1").read_bytes())
    entries[3] = _age("bad-owner", src / "secret1.age", owner="0")
    entries[2] = _age("missing", src / "secret1.age")
    manifest = kit.manifest(
        entries, ageKeyFile=None, secretsMountPoint=str(kit.root / "agenix.d"),
        symlinkPath=str(kit.root / "agenix"),
        identityPaths=[str(kit.root / "ssh_host_ed25519_key"), str(kit.root / "age.txt"),
                       str(user1)])
    r = kit.install(manifest)
    assert r.status == 0, r.err
    assert len(os.listdir(live)) == 6
    assert os.readlink(kit.root / "etc/user1") == str(live / "for-user1-only")
    assert (kit.root / "etc/user1").read_bytes() == b"world!\n"


def test_a_sops_failure_still_changes_nothing(kit: Kit) -> None:
    """sops-nix's entries stay all or nothing, agenix entries beside them included."""
    src = _setup(kit)
    r = kit.install(_manifest(kit, [_age("secret1", src / "secret1.age")]))
    assert r.status == 0, r.err
    broken = kit.root / "broken.yaml"
    broken.write_text("not: encrypted\n")
    r = kit.install(_manifest(kit, [_age("secret1", src / "secret1.age"),
                                    _age("more", src / "secret2.age"),
                                    kit.secret("db", broken)]))
    assert r.status != 0 and f"failed to decrypt '{broken}'" in r.err
    assert os.readlink(kit.root / "agenix") == str(kit.root / "agenix.d/1")
    assert sorted(os.listdir(kit.root / "agenix.d")) == ["1"]


def test_a_truncated_age_file_is_never_half_installed(kit: Kit) -> None:
    """agenix moves age's partial output into place when a payload fails midway; sekret
    decrypts each file whole before writing anything."""
    src = _setup(kit)
    big = os.urandom(200_000)
    from sekret import age

    recipient = (EXAMPLE / "example_keys/system1.pub").read_text().strip()
    whole = age.encrypt(big, [age.parse_recipient(recipient)])
    (src / "big.age").write_bytes(whole[: len(whole) - 1000])
    copy = kit.root / "var/big"
    r = kit.install(_manifest(kit, [_age("big", src / "big.age"),
                                    _age("big-copy", src / "big.age", symlink=False,
                                         path=str(copy)),
                                    _age("secret1", src / "secret1.age")]))
    assert r.status != 0 and "could not be installed: big, big-copy" in r.err
    assert not copy.exists()
    for dirpath, _dirs, files in os.walk(kit.root):
        for name in files:
            data = (Path(dirpath) / name).read_bytes()
            assert big[:4096] not in data, name


def _ids(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def test_agenix_owners_groups_and_modes(kit: Kit) -> None:
    src = _setup(kit)
    me = pwd.getpwuid(os.getuid())
    f = src / "secret1.age"
    entries = [
        _age("default", f),
        _age("zero", f, owner="0", group="0"),
        _age("numeric", f, owner=str(me.pw_uid), group=str(os.getgid()), mode="u=r,g=r"),
        _age("login-group", f, owner=me.pw_name, group="", mode="g+r"),
        _age("named", f, owner=me.pw_name, group=grp.getgrgid(me.pw_gid).gr_name,
             mode="440"),
        _age("relative", f, mode="u+w,o+r"),
    ]
    r = kit.install(_manifest(kit, entries))
    assert r.status == 0, r.err
    live = kit.root / "agenix"
    assert _ids(live / "default") == (0, 0, 0o400)
    assert _ids(live / "zero") == (0, 0, 0o400)
    assert _ids(live / "numeric") == (me.pw_uid, os.getgid(), 0o440)
    assert _ids(live / "login-group") == (me.pw_uid, me.pw_gid, 0o440)
    assert _ids(live / "named") == (me.pw_uid, me.pw_gid, 0o440)
    assert _ids(live / "relative") == (0, 0, 0o604)


@pytest.mark.parametrize("mode", ["u=r,", "0o400", "rw", "10000", "u=gr"])
def test_an_invalid_agenix_mode_is_one_error_line(kit: Kit, mode: str) -> None:
    src = _setup(kit)
    r = kit.install(_manifest(kit, [_age("a", src / "secret1.age", mode=mode)]))
    assert r.status != 0 and "Traceback" not in r.err
    assert r.err.splitlines()[0] == (
        f"sekret: error: manifest is not valid: secrets[0].mode: invalid mode: {mode!r}")
    assert r.err.splitlines()[1].startswith("sekret: hint:")


def test_sops_entries_keep_sops_install_secrets_octal_modes(kit: Kit) -> None:
    """sops-install-secrets parses mode as an octal number: "u=r" is refused there."""
    y = kit.sops_file("s.yaml", b"k: v\n", "yaml")
    r = kit.install(kit.manifest([kit.secret("k", y, mode="u=r")]))
    assert r.status != 0 and "invalid number in mode: 'u=r'" in r.err


def test_not_installed_wording() -> None:
    from sekret.install.errors import DecryptError

    failed = {"b": DecryptError("x"), "a": DecryptError("y")}
    assert str(agenix.not_installed(failed, 2, generation=None)) == (
        "2 of 2 agenix secrets could not be installed: a, b; a dry run: nothing was installed")
    assert str(agenix.not_installed(failed, 3, generation=4)).endswith(
        "a, b; the other 1 is installed in generation 4")
    assert str(agenix.not_installed(failed, 2, generation=4)).endswith(
        "a, b; generation 4 has none of them")


def test_a_dry_run_reports_the_agenix_secrets_it_could_not_install(kit: Kit) -> None:
    src = _setup(kit)
    r = kit.install(_manifest(kit, [_age("secret1", src / "secret1.age"),
                                    _age("for-user1-only", src / "secret2.age")]),
                    environ={"NIXOS_ACTION": "dry-activate"})
    assert r.status == 1
    assert "1 of 2 agenix secrets could not be installed: for-user1-only; a dry run" in r.err
    assert not (kit.root / "agenix").exists()
