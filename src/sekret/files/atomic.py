"""Atomic file writes: a temp file in the same directory, fsync, rename over the target.

A crash, a full disk or an exception at any point leaves either the old file or the new
one, never a half-written or empty one. The mode of an existing file is kept; new files
get 0600 unless told otherwise.
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

    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o600
    name = os.path.basename(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
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
