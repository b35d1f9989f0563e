"""Editing decrypted text safely: a private tmpfs directory, an editor, a validation loop.

The plaintext lives only in a fresh 0700 directory, on tmpfs where the machine has one
(``/dev/shm``, then ``$XDG_RUNTIME_DIR``), in a 0600 file named like the target (so the
editor picks the right syntax). Both are removed whatever happens. An edit that does not
parse re-opens the editor when there is a terminal; otherwise (or when the user gives up,
or the editor fails) the text is handed to a *rescue* callback, which keeps it without
writing plaintext to disk. SIGTERM, SIGHUP and SIGQUIT during the edit unwind like
Ctrl-C (:class:`Terminated`): the editor is stopped and the directory removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sekret.errors import SekretError

T = TypeVar("T")


class EditorError(SekretError):
    """The editor could not be run or failed (sops exit 201)."""

    exit_code = 201


class NotModified(SekretError):
    """The user left the file unchanged (sops exit 200)."""

    exit_code = 200


class Terminated(KeyboardInterrupt):
    """SIGTERM, SIGHUP or SIGQUIT arrived while plaintext was on disk.

    A :class:`KeyboardInterrupt`, so that it unwinds as Ctrl-C does: ``subprocess``
    kills the editor, the ``finally`` blocks remove the plaintext, and the CLI exits
    with ``exit_status`` (128 + the signal's number, what a shell reports for it).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
        self.exit_status = 128 + signum


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block SIGTERM, SIGHUP and SIGQUIT raise :class:`Terminated` (SIGINT
    raises KeyboardInterrupt already), instead of ending the process on the spot with
    the plaintext left behind; the previous handlers come back afterwards.

    A signal set to be ignored (``nohup``) stays ignored; outside the main thread,
    where Python cannot set handlers, this does nothing.
    """
    import signal

    previous: list[tuple[signal.Signals, Any]] = []
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            old = signal.getsignal(signum)
            if old is signal.SIG_IGN:
                continue
            signal.signal(signum, _raise_terminated)
            previous.append((signum, old))
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, old in previous:
            signal.signal(signum, old)


def _tmpfs_base(environ: Mapping[str, str]) -> str | None:
    for cand in ("/dev/shm", environ.get("XDG_RUNTIME_DIR", "")):
        if cand and os.path.isdir(cand) and os.access(cand, os.W_OK | os.X_OK):
            return cand
    return None


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM, SIGHUP and SIGQUIT during the block (a cleanup that
    must run to its end); one that arrived meanwhile is delivered right after it."""
    import signal

    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def private_dir(environ: Mapping[str, str]) -> Iterator[Path]:
    """A fresh 0700 directory (on tmpfs when possible), removed on exit.

    The removal runs with the terminating signals held back, so a second Ctrl-C or a
    SIGTERM cannot cut it short and leave plaintext behind.
    """
    d = tempfile.mkdtemp(prefix="sekret-", dir=_tmpfs_base(environ))
    try:
        os.chmod(d, 0o700)
        yield Path(d)
    finally:
        with signals_deferred():
            _remove(d)


def _remove(d: str) -> None:
    """Overwrite the files of ``d`` (best effort), then remove it."""
    for f in Path(d).iterdir() if os.path.isdir(d) else []:
        with contextlib.suppress(OSError):
            if f.is_file() and not f.is_symlink():
                size = f.stat().st_size
                with open(f, "r+b") as fh:  # best effort: overwrite before unlinking
                    fh.write(b"\0" * size)
    shutil.rmtree(d, ignore_errors=True)


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """``$SOPS_EDITOR``, else ``$EDITOR`` (shell-like split, no shell), else vim/nano/vi."""
    for var in ("SOPS_EDITOR", "EDITOR"):
        if environ.get(var):
            try:
                parts = shlex.split(environ[var])
            except ValueError:
                raise EditorError(f"cannot parse ${var}") from None
            if parts:
                return parts
    for name in ("vim", "nano", "vi"):
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return [found]
    raise EditorError(
        "no editor found", hint="set $SOPS_EDITOR or $EDITOR to your editor's command"
    )


def edit(
    text: bytes,
    filename: str,
    environ: Mapping[str, str],
    *,
    parse: Callable[[bytes], T],
    rescue: Callable[[bytes], str],
    ask_retry: Callable[[str], bool] | None,
) -> T:
    """Let the user edit ``text``; return ``parse(new text)``.

    Raises :class:`NotModified` when nothing changed, :class:`EditorError` when the
    editor fails, and re-raises ``parse``'s error when the user cannot or will not fix
    it; in those failure cases a changed text is first passed to ``rescue``.
    """
    command = editor_command(environ)
    with signals_as_exceptions(), private_dir(environ) as d:
        path = d / (Path(filename).name or "secrets")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(text)
        before = hashlib.sha256(text).digest()
        while True:
            try:
                proc = subprocess.run([*command, str(path)], env=dict(environ), check=False)
            except OSError as exc:
                raise EditorError(
                    f"could not run the editor {command[0]!r}: {exc.strerror}",
                    hint="set $SOPS_EDITOR or $EDITOR to your editor's command",
                ) from None
            new = path.read_bytes() if path.exists() else b""
            changed = hashlib.sha256(new).digest() != before
            if proc.returncode != 0:
                where = rescue(new) if changed else ""
                raise EditorError(
                    f"the editor exited with status {proc.returncode}; the file was not changed",
                    hint=where or None,
                )
            if not changed:
                raise NotModified("file has not changed, exiting")
            try:
                return parse(new)
            except SekretError as exc:
                if ask_retry is not None and ask_retry(str(exc)):
                    before = hashlib.sha256(b"\0invalid").digest()
                    continue
                where = rescue(new)
                exc.hint = "; ".join(h for h in (exc.hint, where) if h) or None
                raise
