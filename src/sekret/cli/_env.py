"""The outside world as the CLI sees it: streams, terminal, environment, files.

Everything a command touches goes through one :class:`Environment`, so tests run
commands in-process with byte buffers and scripted passphrases (httpie's
``Environment``). :meth:`Environment.system` builds the real one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO

from sekret._record import field, record
from sekret.errors import SekretError

#: Reads one secret line from the terminal without echo; ``None`` means no terminal.
SecretReader = Callable[[str], "str | None"]
#: Shows text on the terminal only (not on stderr); ``False`` means no terminal.
TerminalWriter = Callable[[str], bool]

_HINTS = {
    errno.ENOENT: "check the path; the file does not exist",
    errno.EISDIR: "give a file, not a directory (archive a directory with tar first)",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EACCES: "check the file's permissions",
    errno.EPERM: "check the file's permissions",
    errno.ELOOP: "the path is a symbolic link loop",
    errno.EEXIST: "choose another name, or remove the file first",
}


def file_error(what: str, path: str, exc: OSError) -> SekretError:
    """A one-line error for a failed file operation, with a hint by errno."""
    reason = (exc.strerror or type(exc).__name__).lower()
    return SekretError(f"cannot {what} {path!r}: {reason}", hint=_HINTS.get(exc.errno or 0))


@record
class Environment:
    """Binary streams, terminal flags, environment variables, working directory."""

    stdin: BinaryIO
    stdout: BinaryIO
    stderr: BinaryIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "."
    #: Asks for a secret on the terminal; ``None`` when there is no terminal at all.
    read_secret: SecretReader | None = None
    #: Shows text to the user on the terminal only; ``None`` when there is no terminal.
    write_terminal: TerminalWriter | None = None

    @classmethod
    def system(cls) -> Environment:
        """The real process: ``sys.std*`` buffers, ``os.environ``, ``/dev/tty``."""
        def tty(stream: object) -> bool:
            try:
                return bool(stream.isatty())  # type: ignore[attr-defined]
            except (AttributeError, ValueError):
                return False

        stdin: BinaryIO = sys.stdin.buffer
        stdin_isatty = tty(sys.stdin)
        if stdin_isatty:  # typed input ends at the first Ctrl-D, as age's does
            from sekret.cli._tty import terminal_stdin

            stdin = terminal_stdin(stdin)
        return cls(
            stdin=stdin,
            stdout=sys.stdout.buffer,
            stderr=sys.stderr.buffer,
            stdin_isatty=stdin_isatty,
            stdout_isatty=tty(sys.stdout),
            stderr_isatty=tty(sys.stderr),
            environ=os.environ,
            cwd=os.getcwd(),
            read_secret=read_secret_from_tty,
            write_terminal=write_to_tty,
        )

    def path(self, name: str) -> str:
        """``name`` resolved against the working directory."""
        return os.path.join(self.cwd, name)

    def open_input(self, name: str | None) -> BinaryIO:
        """The named file opened for reading, or standard input for ``None``/``-``."""
        if name is None or name == "-":
            return self.stdin
        try:
            f = open(self.path(name), "rb")
            if stat.S_ISDIR(os.fstat(f.fileno()).st_mode):  # pragma: no cover (Linux: EISDIR)
                f.close()
                raise IsADirectoryError(errno.EISDIR, "Is a directory")
        except OSError as exc:
            raise file_error("open input file", name, exc) from None
        return f

    def read_file(self, name: str, *, what: str = "read", limit: int = 16 << 20) -> bytes:
        """All of a (small) file, or of standard input for ``-``; refuse more than ``limit``."""
        f = self.open_input(name)
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise file_error(what, name, exc) from None
        finally:
            if f is not self.stdin:
                f.close()
        if len(data) > limit:
            raise SekretError(f"{name!r} is too large (more than {limit >> 10} KiB)")
        return data

    @contextlib.contextmanager
    def output(
        self, name: str | None, *, mode: int = 0o600, keep_mode: bool = False
    ) -> Iterator[BinaryIO]:
        """Write standard output (``None``/``-``) or a file, all or nothing.

        A file is written to a temporary file beside it (created 0600), synced and
        renamed over ``name`` only when the body succeeds; on any failure it is
        removed, so no truncated output is ever left. Existing non-regular files
        (``/dev/null``, FIFOs) are written in place. A new file gets ``mode`` (less the
        umask unless it is 0600); an existing one gets ``mode`` too, or keeps its own
        mode with ``keep_mode`` (as writing over it in place would).
        """
        if name is None or name == "-":
            yield self.stdout
            self.stdout.flush()
            return
        # Through a symlink, replace its target and keep the link (as writing in place would).
        full = os.path.realpath(self.path(name))
        try:
            st = os.stat(full)
        except OSError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise file_error("write output file", name, IsADirectoryError(
                    errno.EISDIR, "Is a directory"))
            with self._open_plain(name, full) as f:
                yield f
            return
        from sekret.files.atomic import atomic_output

        new_mode: int | None = mode if mode == 0o600 else mode & ~_umask()
        if keep_mode and st is not None:
            new_mode = None  # atomic_output keeps the existing file's mode
        with contextlib.ExitStack() as stack:
            try:
                f = stack.enter_context(atomic_output(full, mode=new_mode))
            except OSError as exc:
                raise file_error("create output file", name, exc) from None
            yield f

    @contextlib.contextmanager
    def _open_plain(self, name: str, full: str) -> Iterator[BinaryIO]:
        try:
            f = open(full, "wb")
        except OSError as exc:
            raise file_error("write output file", name, exc) from None
        with f:
            yield f

    def create_exclusive(self, name: str, data: bytes, *, mode: int = 0o600) -> None:
        """Create ``name`` with ``data``; never overwrite (O_EXCL); remove it on failure."""
        full = self.path(name)
        try:
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except OSError as exc:
            raise file_error("create output file", name, exc) from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(full)
            raise

    def stdout_world_readable(self) -> bool:
        """Whether standard output is a regular file others can read."""
        try:
            st = os.fstat(self.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            return False
        return stat.S_ISREG(st.st_mode) and bool(st.st_mode & stat.S_IROTH)


def _umask() -> int:
    current = os.umask(0o077)
    os.umask(current)
    return current


def read_secret_from_tty(prompt: str) -> str | None:
    """Ask on the controlling terminal with echo off, as age does; ``None`` without one.

    ``/dev/tty`` is used even when standard input is redirected, so a passphrase
    never comes from a pipe (see :mod:`sekret.cli._tty`).
    """
    from sekret.cli._tty import read_secret

    return read_secret(prompt)


def write_to_tty(text: str) -> bool:
    """Show ``text`` on the controlling terminal only; ``False`` without one."""
    from sekret.cli._tty import write_terminal

    return write_terminal(text)
