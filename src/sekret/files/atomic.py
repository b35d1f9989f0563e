"""Atomic file writes: a temp file in the same directory, fsync, rename over the target.

A crash, a full disk or an exception at any point leaves either the old file or the new
one, never a half-written or empty one. The mode and owner of an existing file are kept
and a symlink's target is what gets replaced; new files get 0600 unless told otherwise.
(A file with other hard links gets a new inode: the other names keep the old content,
the price of never writing a file in place.)
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO, cast


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[BinaryIO]:
    """A file to write that replaces ``path`` only if the ``with`` body succeeds.

    The temporary file is created 0600 (then given ``mode``, or the existing file's
    mode) in the target's directory, synced, and renamed over the target; on any
    exception it is removed and the target is untouched.
    """
    import tempfile  # only when writing: it costs a read-only command's start-up

    # A symlink is followed: its target is replaced (in the target's directory), the
    # link stays a link, as when a file is written through it.
    target = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(target) or "."
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o600
    name = os.path.basename(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        if old is not None and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
            # the new file keeps the old one's owner (possible for root; others keep
            # what they may: their own files' group)
            with contextlib.suppress(PermissionError):
                os.fchown(fd, old.st_uid, old.st_gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            yield cast(BinaryIO, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename in ``directory`` durable (best effort)."""
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with atomic_output(path, mode=mode) as f:
        f.write(data)
