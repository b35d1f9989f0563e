"""Many files replaced together: all of them, or none.

Each new content is first written to a temporary file beside its target (0600 while
being written, then the target's mode and owner), synced and read back. Only when every
file is staged does :meth:`Transaction.commit` rename them into place, keeping a hard
link to each old file; if a rename fails, the ones already done are undone from those
links, in reverse order, and the error is raised. New files (a host key) are linked
into place, so an existing file is never overwritten. Nothing is left behind either
way: temporary files and backups are removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from types import TracebackType

from sekret._record import record
from sekret.files.atomic import fsync_dir


@record
class _Staged:
    tmp: str
    target: str
    new: bool  # a file that must not exist yet
    backup: str = ""
    done: bool = False


class Transaction:
    """Stage files with :meth:`stage`, then :meth:`commit`; leaving a ``with`` block
    without committing removes what was staged."""

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self._made_dirs: list[str] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.abort()

    def __len__(self) -> int:
        return len(self._staged)

    def makedirs(self, directory: str, mode: int = 0o755) -> None:
        """Make ``directory`` and its missing parents; :meth:`abort` removes them again
        (when still empty)."""
        missing = []
        d = os.path.abspath(directory)
        while not os.path.isdir(d):
            missing.append(d)
            d = os.path.dirname(d)
        for d in reversed(missing):
            os.mkdir(d, mode)
            self._made_dirs.append(d)

    def stage(self, path: str, data: bytes, *, mode: int | None = None,
              new: bool = False) -> None:
        """Write ``data`` beside ``path`` (not yet in place). ``new``: ``path`` must not
        exist (checked now and again, atomically, at commit). ``mode`` defaults to the
        existing file's, else 0600."""
        target = os.path.realpath(path)
        try:
            old: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            old = None
        if new and old is not None:
            raise FileExistsError(17, "file exists", path)
        if mode is None:
            mode = stat.S_IMODE(old.st_mode) if old is not None else 0o600
        directory = os.path.dirname(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                   dir=directory)
        self._staged.append(_Staged(tmp, target, new))
        with os.fdopen(fd, "wb") as f:
            if old is not None and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                with contextlib.suppress(PermissionError):
                    os.fchown(f.fileno(), old.st_uid, old.st_gid)
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with open(tmp, "rb") as f:
            if f.read() != data:
                raise OSError(5, "the staged file does not read back as written", tmp)

    def commit(self) -> None:
        """Put every staged file in place, or (on an error, which is raised) none."""
        try:
            for s in self._staged:
                if s.new:
                    os.link(s.tmp, s.target)
                    os.unlink(s.tmp)
                else:
                    if os.path.exists(s.target):
                        s.backup = s.tmp + ".old"
                        os.link(s.target, s.backup)
                    os.replace(s.tmp, s.target)
                s.done = True
        except BaseException:
            self._undo()
            raise
        for s in self._staged:
            if s.backup:
                with contextlib.suppress(OSError):
                    os.unlink(s.backup)
        for d in dict.fromkeys(os.path.dirname(s.target) for s in self._staged):
            fsync_dir(d)
        self._staged.clear()
        self._made_dirs.clear()

    def _undo(self) -> None:
        for s in reversed(self._staged):
            if not s.done:
                continue
            with contextlib.suppress(OSError):
                if s.new:
                    os.unlink(s.target)
                elif s.backup:
                    os.replace(s.backup, s.target)
                    s.backup = ""
                else:
                    os.unlink(s.target)
            s.done = False

    def abort(self) -> None:
        """Remove every staged file and backup not committed, and the directories made."""
        for s in self._staged:
            for name in (s.tmp, s.backup):
                if name:
                    with contextlib.suppress(OSError):
                        os.unlink(name)
        self._staged.clear()
        for d in reversed(self._made_dirs):
            with contextlib.suppress(OSError):
                os.rmdir(d)
        self._made_dirs.clear()
