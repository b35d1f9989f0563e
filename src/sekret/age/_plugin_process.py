"""Start and stop ``age-plugin-NAME`` programs: the one module that runs plugins.

Everything about the protocol lives in :mod:`sekret.age.plugin`, which talks to the
child through the two binary pipes of :class:`PluginProcess`. This module only finds the
program, starts it safely and ends it:

* the program is looked up in ``$PATH`` only; a lookup that resolves to a relative path
  (an empty or ``.`` entry in ``$PATH``) is refused, so a file dropped in the current
  directory can never run;
* the child runs in a fresh empty temporary directory, so it cannot pick up files from
  ours by accident;
* its standard error is discarded unless ``AGEDEBUG=plugin`` is set, which also traces
  the messages of both sides (command lines and body sizes only, never bodies) to our
  standard error;
* closing closes both pipes, interrupts the child if it is still running and waits for
  it, killing it if it does not end in time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import IO, BinaryIO, cast

from sekret.errors import PluginError

#: Seconds to wait for a plugin to end after its pipes are closed and it was interrupted.
EXIT_TIMEOUT = 5.0


def debug_enabled() -> bool:
    """Whether ``AGEDEBUG=plugin`` asks for the plugin's stderr and a message trace."""
    return os.environ.get("AGEDEBUG") == "plugin"


def find_plugin(name: str) -> str:
    """The absolute path of ``age-plugin-NAME`` found in ``$PATH``.

    Raises :class:`PluginError` when it is not found, or when ``$PATH`` would resolve
    it in the current directory.
    """
    program = f"age-plugin-{name}"
    path = shutil.which(program, path=os.environ.get("PATH", os.defpath))
    if path is None:
        raise PluginError(
            f"plugin {program!r} not found",
            hint=f"install {program} and make sure it is in $PATH",
        )
    if not os.path.isabs(path):
        raise PluginError(
            f"refusing to run {program!r} from the current directory",
            hint="remove relative entries (such as '.' or an empty one) from $PATH",
        )
    return path


class _Tracer:
    """A write-through view of a pipe that logs each message line sent or read."""

    def __init__(self, stream: IO[bytes], direction: str, program: str) -> None:
        self._stream = stream
        self._prefix = f"{program} {direction} "
        self._in_body = 0

    def _note(self, line: bytes) -> None:
        if line.startswith(b"->"):
            if self._in_body:
                sys.stderr.write(f"{self._prefix}  ({self._in_body} base64 chars)\n")
            self._in_body = 0
            sys.stderr.write(self._prefix + line.rstrip(b"\n").decode("ascii", "replace") + "\n")
        else:
            self._in_body += len(line.rstrip(b"\n"))

    def write(self, data: bytes) -> int:
        for line in data.splitlines(keepends=True):
            self._note(line)
        return self._stream.write(data)

    def readline(self, limit: int = -1) -> bytes:
        line = self._stream.readline(limit)
        self._note(line)
        return line

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


class PluginProcess:
    """A running ``age-plugin-NAME --age-plugin=STATE_MACHINE``.

    ``stdin`` and ``stdout`` are the child's pipes as binary streams. Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, name: str, state_machine: str) -> None:
        path = find_plugin(name)
        self.program = f"age-plugin-{name}"
        self._workdir = tempfile.TemporaryDirectory(prefix="sekret-plugin-")
        debug = debug_enabled()
        try:
            self._proc = subprocess.Popen(
                [path, f"--age-plugin={state_machine}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None if debug else subprocess.DEVNULL,
                cwd=self._workdir.name,
                close_fds=True,
            )
        except OSError as exc:
            self._workdir.cleanup()
            raise PluginError(
                f"could not start {self.program!r}: {exc.strerror or 'unknown error'}"
            ) from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        stdin: IO[bytes] = self._proc.stdin
        stdout: IO[bytes] = self._proc.stdout
        if debug:
            stdin = cast(IO[bytes], _Tracer(stdin, "<-", self.program))
            stdout = cast(IO[bytes], _Tracer(stdout, "->", self.program))
        self.stdin = cast(BinaryIO, stdin)
        self.stdout = cast(BinaryIO, stdout)

    def __enter__(self) -> PluginProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pipes, interrupt the plugin if it still runs, and wait for it."""
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass  # a broken pipe on the final flush: the plugin is already gone
        proc = self._proc
        try:
            if proc.poll() is None:
                try:
                    proc.wait(timeout=0.05)  # most plugins exit by themselves after "done"
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGINT)
                    try:
                        proc.wait(timeout=EXIT_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
        finally:
            self._workdir.cleanup()


def start(name: str, state_machine: str) -> PluginProcess:
    """Start ``age-plugin-NAME`` for ``state_machine`` (``recipient-v1``/``identity-v1``)."""
    return PluginProcess(name, state_machine)
