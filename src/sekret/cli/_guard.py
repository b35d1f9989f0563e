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


def no_core_dumps() -> None:
    """Forbid core dumps of this process (and its children's rlimit); never fails."""
    global _hardened
    if _hardened:
        return
    _hardened = True
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError):
        pass
    _set_not_dumpable()


def _set_not_dumpable() -> None:
    """``prctl(PR_SET_DUMPABLE, 0)`` through the C library, on Linux only.

    :mod:`_ctypes` is used directly: importing :mod:`ctypes` itself costs about 2 ms of
    every decrypt's start-up (its ``__init__`` builds every C type), the call needs one.
    """
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import _ctypes
        from typing import Any

        ct: Any = _ctypes  # the private module has no complete stubs

        class _Int(ct._SimpleCData):  # type: ignore[misc]
            _type_ = "i"

        class _Func(ct.CFuncPtr):  # type: ignore[misc]
            _flags_ = ct.FUNCFLAG_CDECL
            _restype_ = _Int

        class _Libc:
            _handle = ct.dlopen(None, 0)

        prctl = _Func(("prctl", _Libc()))
        prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (ImportError, AttributeError, OSError, TypeError, ValueError):
        pass  # no C library to call: the rlimit still holds
