"""Help text: sekret's declarations replayed into a real :mod:`argparse` parser.

Imported only for ``-h`` (and by the tests, which use the same parser as the reference
for :mod:`sekret.cli._args`), so that no other command pays for argparse.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from sekret.errors import UsageError


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, its width found without :mod:`shutil` (which argparse
    imports for it): ``$COLUMNS``, else the terminal's width, else 80, as
    ``shutil.get_terminal_size`` decides."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)


def _columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class HelpParser(argparse.ArgumentParser):
    """argparse set up as sekret's parsers are: no automatic ``-h``, no abbreviations,
    and a :class:`UsageError` instead of printing and exiting."""

    def __init__(self, prog: str, usage: str, description: str, epilog: str = "") -> None:
        super().__init__(
            prog=prog,
            usage=usage,
            description=description,
            epilog=epilog,
            add_help=False,
            allow_abbrev=False,
            formatter_class=_Formatter,
        )

    def error(self, message: str) -> NoReturn:
        """Turn argparse's complaint into a usage error with a pointer to --help."""
        raise UsageError(message, hint=f"run '{self.prog} --help' for usage")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        """Never exit the process from inside a parse."""
        raise UsageError((message or "invalid arguments").strip())
