"""Transaction: every staged file in place, or none; nothing left behind either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sekret.files.transaction import Transaction


def test_commit_and_modes(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.write_bytes(b"before")
    old.chmod(0o640)
    with Transaction() as tx:
        tx.makedirs(str(tmp_path / "a" / "b"))
        tx.stage(str(old), b"after")
        tx.stage(str(tmp_path / "a" / "b" / "key"), b"k", mode=0o600, new=True)
        assert old.read_bytes() == b"before"  # staged, not yet in place
        tx.commit()
    assert old.read_bytes() == b"after" and (old.stat().st_mode & 0o777) == 0o640
    assert (tmp_path / "a" / "b" / "key").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "old"]


def test_a_file_appearing_before_commit_undoes_everything(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.write_bytes(b"before")
    with pytest.raises(FileExistsError), Transaction() as tx:
        tx.makedirs(str(tmp_path / "d"))
        tx.stage(str(old), b"after")
        tx.stage(str(tmp_path / "d" / "new"), b"n", new=True)
        (tmp_path / "d" / "new").write_bytes(b"someone else's")
        tx.commit()
    assert old.read_bytes() == b"before"
    assert (tmp_path / "d" / "new").read_bytes() == b"someone else's"
    assert sorted(os.listdir(tmp_path)) == ["d", "old"] and os.listdir(tmp_path / "d") == ["new"]


def test_never_over_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "k").write_bytes(b"mine")
    with pytest.raises(FileExistsError), Transaction() as tx:
        tx.stage(str(tmp_path / "k"), b"x", new=True)
    assert os.listdir(tmp_path) == ["k"]


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    with Transaction() as tx:
        tx.makedirs(str(tmp_path / "x" / "y"))
        tx.stage(str(tmp_path / "x" / "y" / "f"), b"data")
    assert os.listdir(tmp_path) == []
