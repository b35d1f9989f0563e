"""The ``sekret`` console script and ``python -m sekret``: one command, one process.

What only a whole process may decide lives here, not in :func:`sekret.cli.main` (which
also runs inside tests and other programs):

- the cyclic garbage collector is off from the first import: the modules a command
  imports make no garbage cycles, and the collections during those imports cost 3% of a
  small ``sekret decrypt``'s CPU instructions (:func:`~sekret.cli.main` keeps it off for
  the command; long-running ones, like git-crypt's filter process, turn it back on);
- at exit the objects still alive are frozen (:func:`gc.freeze`), so the interpreter's
  final full collection does not walk every module of the process again: another 8%.
  Everything else about exiting stays as usual: atexit handlers run, streams are
  flushed, modules are torn down.
"""

from __future__ import annotations

import gc

gc.disable()

from sekret.cli import _guard, main  # noqa: E402 (after the collector is paused)


def run() -> int:
    """Run ``sekret`` with ``sys.argv``; return the exit status for :func:`sys.exit`."""
    _guard.own_process()
    try:
        return main()
    finally:
        gc.freeze()


def run_age() -> int:
    """The ``sekret-age`` console script: ``sekret age`` under the name of a program.

    agenix's ``age.ageBin`` (and anything else that wants an ``age`` executable) gets a
    path to one program that takes age's own flags: ``sekret-age -d -i KEY -o OUT FILE``
    is ``sekret age -d -i KEY -o OUT FILE``, ``--version`` included.
    """
    import sys

    _guard.own_process()
    try:
        return main(["age", *sys.argv[1:]])
    finally:
        gc.freeze()


if __name__ == "__main__":
    raise SystemExit(run())
