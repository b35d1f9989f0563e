"""No core dumps for the commands that hold plaintext.

:func:`no_core_dumps` is called once, early, by decrypt, edit, set, unset, rotate,
exec-env and exec-file (and the legacy forms): a crash must not write decrypted values
to a core file. ``RLIMIT_CORE`` is set to 0, hard limit included (inherited by the
commands exec-env and exec-file run, which hold the same values), and
``PR_SET_DUMPABLE`` to 0 on Linux, which also stops core dumps piped to a handler
(``core_pattern`` ``|…``, e.g. systemd-coredump, ignores the rlimit) and ptrace by other
processes of the same user. The flag is reset by ``execve``, so children are not
affected by it. (Signals during an edit: :mod:`sekret.files.editor`.)
"""

from __future__ import annotations

_PR_SET_DUMPABLE = 4
_hardened = False
_whole_process = False


def own_process() -> None:
    """Declare that sekret is the whole process (the console script, ``python -m``).

    Only then does :func:`no_core_dumps` change process-wide limits: a program or test
    runner that calls :func:`sekret.cli.main` in-process keeps its own (lowering a hard
    limit cannot be undone without ``CAP_SYS_RESOURCE``).
    """
    global _whole_process
    _whole_process = True


def no_core_dumps() -> None:
    """Forbid core dumps of this process (and its children's rlimit); never fails."""
    global _hardened
    if _hardened or not _whole_process:
        return
    _hardened = True
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError):
        pass
    _set_not_dumpable()


def _set_not_dumpable() -> None:
    """``prctl(PR_SET_DUMPABLE, 0)`` through the C library, on Linux only."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (ImportError, AttributeError, OSError):
        pass  # no C library to call: the rlimit still holds
