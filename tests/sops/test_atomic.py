"""Atomic writes keep what the file was: its mode, its owner, the symlink that names it;
a failure leaves the old file and no temporary file."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from sekret.files.atomic import atomic_output, atomic_write
from tests.sops.conftest import Key, clean_env, sekret


def test_replaces_whole_and_keeps_the_mode(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"old")
    f.chmod(0o640)
    atomic_write(f, b"new")
    assert f.read_bytes() == b"new"
    assert f.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_new_file_is_0600(tmp_path: Path) -> None:
    atomic_write(tmp_path / "n", b"x")
    assert (tmp_path / "n").stat().st_mode & 0o777 == 0o600


def test_a_failure_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(f) as out:
        out.write(b"half")
        raise RuntimeError("boom")
    assert f.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_a_symlink_stays_a_link_to_the_new_content(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "secrets.yaml"
    target.write_bytes(b"old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.is_symlink() and link.read_bytes() == b"new"
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["secrets.yaml"]


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_root_keeps_the_owner(tmp_path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    f = tmp_path / "f"
    f.write_bytes(b"old")
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    atomic_write(f, b"new")
    st = f.stat()
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)


def test_set_through_a_symlink_keeps_the_link(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "s.yaml").write_text("a: 1\n")
    (tmp_path / "s.yaml").symlink_to(tmp_path / "store" / "s.yaml")
    assert sekret(["encrypt", "-i", "--age", key.recipient, "s.yaml"], tmp_path, env).status == 0
    assert sekret(["set", "s.yaml", '["a"]', "2"], tmp_path, env).status == 0
    assert (tmp_path / "s.yaml").is_symlink()
    out = sekret(["decrypt", "store/s.yaml"], tmp_path, env)
    assert out.out == b"a: 2\n"
