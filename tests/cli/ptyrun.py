"""Run a program on a fresh pseudo-terminal and type passphrases at its prompts.

age (and sekret) read passphrases from ``/dev/tty``, never from a pipe, so interop
tests give the child a controlling terminal with :func:`pty.fork` and answer each
``…passphrase…: `` prompt in turn.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass

PROMPT = re.compile(rb"(?i)passphrase[^\r\n]*?: ")


@dataclass
class PtyResult:
    """Exit status and everything the child wrote to its terminal."""

    status: int
    output: bytes
    prompts: int


def run_in_pty(
    argv: Sequence[str], answers: Sequence[str] = (), *, cwd: str, timeout: float = 120
) -> PtyResult:
    """Run ``argv`` in ``cwd`` with a pty as stdin/stdout/stderr and controlling tty."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover (child)
        try:
            os.chdir(cwd)
            os.execvp(argv[0], list(argv))
        finally:
            os._exit(127)
    output = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            seen = len(PROMPT.findall(output))
            if seen > answered and answered < len(answers):
                time.sleep(0.05)  # let the child switch echo off before typing
                os.write(fd, answers[answered].encode() + b"\n")
                answered += 1
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return PtyResult(os.waitstatus_to_exitcode(status), output, len(PROMPT.findall(output)))
