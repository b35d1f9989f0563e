"""Regular expressions compiled on first use, not at import.

:mod:`re` compiles in Python: the 25 patterns a ``sekret decrypt`` module set defines
cost about as many CPU instructions as the rest of their modules' imports together,
and most of them (timestamps, numbers, quoting rules, ``--extract`` paths) are never
needed for a given file. :func:`lazy` returns a stand-in that compiles the pattern on
the first method call and then keeps the compiled pattern's bound methods as its own
attributes, so later calls cost what a compiled pattern's do.
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer")


class _Lazy:
    """A pattern source and flags, compiled by the first attribute lookup."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not yet set, i.e. before the first compile. Private
        # and dunder names (copy's and pickle's probes, or ``_source`` on an instance
        # made without __init__) are not pattern attributes: no compile, no recursion.
        if name.startswith("_"):
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        for attr in ("pattern", "flags", "groups", "groupindex"):
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A :class:`re.Pattern` for ``pattern`` that is compiled when first used.

    It offers the methods and attributes of a compiled pattern (``match``, ``fullmatch``,
    ``search``, ``sub``, ``split``, ``findall``, ``finditer``, ``pattern``, ``groups``);
    it is not an instance of :class:`re.Pattern`.
    """
    return cast("re.Pattern[str]", _Lazy(pattern, flags))
