"""Run one script command, optionally with a pseudo-terminal as its controlling terminal.

This is testscript's ``exec`` with its ``ttyin``: the tty input is written to the pty's
master side *at once*, as typed-ahead input, followed by an EOT (Ctrl-D), while the
command starts; everything that reaches the master side (the command's prompts and
the line discipline's echo) is the ``ttyout``. The command gets the pty as its
controlling terminal (a new session, so it can open ``/dev/tty``); with ``-stdin``
the pty is its standard input too. Its standard output and error are always pipes.

A command run without ``ttyin`` gets a new session with no controlling terminal at
all, so it behaves the same under a developer's terminal and in CI.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import termios
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EOT = b"\x04"


@dataclass(frozen=True)
class ExecResult:
    """What one command did: exit status (``None`` if it could not start), output."""

    status: int | None
    stdout: bytes
    stderr: bytes
    ttyout: bytes | None  # None: the command had no terminal
    timed_out: bool = False
    error: str = ""  # why it could not start

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.timed_out


def _become_tty_session(slave_path: str) -> None:  # pragma: no cover (runs in the child)
    """In the child, after setsid(): make the pty its controlling terminal."""
    fd = os.open(slave_path, os.O_RDWR)
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    os.close(fd)


def _drain(fd: int, sink: bytearray) -> None:
    """Read the pty master until the slave side is closed everywhere (EIO)."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        sink += chunk


def _type_ahead(fd: int, data: bytes) -> None:
    """Write all the tty input at once, then an EOT, as testscript does."""
    try:
        view = memoryview(data + EOT)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError:
        pass


def run(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    stdin: bytes = b"",
    ttyin: bytes | None = None,
    stdin_is_tty: bool = False,
    timeout: float = 10.0,
) -> ExecResult:
    """Run ``argv``; see the module docstring for the terminal."""
    master = slave = -1
    ttybuf = bytearray()
    threads: list[threading.Thread] = []
    preexec = None
    if ttyin is not None:
        master, slave = os.openpty()
        slave_path = os.ttyname(slave)

        def preexec() -> None:  # pragma: no cover (runs in the child)
            _become_tty_session(slave_path)
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=slave if stdin_is_tty and ttyin is not None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=preexec,
        )
    except OSError as exc:
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)
        return ExecResult(None, b"", b"", None, error=str(exc))
    if ttyin is not None:
        threads = [
            threading.Thread(target=_drain, args=(master, ttybuf), daemon=True),
            threading.Thread(target=_type_ahead, args=(master, ttyin), daemon=True),
        ]
        for t in threads:
            t.start()
    timed_out = False
    feed = None if stdin_is_tty and ttyin is not None else stdin
    try:
        out, err = proc.communicate(input=feed, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the command's own session and group
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    if ttyin is not None:
        os.close(slave)  # now the master reads EIO once the pty's output is drained
        threads[0].join(timeout=5)
        os.close(master)
        threads[1].join(timeout=5)
    return ExecResult(
        proc.returncode,
        out,
        err,
        bytes(ttybuf) if ttyin is not None else None,
        timed_out=timed_out,
    )
