"""Deeply nested documents: room on Python's stack for what sops reads, and a clear error
past it.

go-yaml and Go's encoding/json read up to 10,000 levels of nesting, so a file sops
writes may be that deep. sekret's tree walks recurse a few Python frames per level, far
past Python's default limit of 1,000 frames; :func:`room` raises the limit for the work
and turns a RecursionError into the same :class:`StoreError`-like message everywhere.
(CPython 3.11+ runs Python-to-Python calls without growing the C stack, so the higher
limit is safe for sekret's own recursion; the tests walk 10,000 levels both ways.)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from sekret.errors import SopsError

#: the deepest nesting sops's parsers accept (go-yaml's max_indents, encoding/json)
MAX_DEPTH = 10_000
_FRAMES = 12 * MAX_DEPTH  # generous: a few frames per level, in every walk

P = ParamSpec("P")
R = TypeVar("R")


class TooDeepError(SopsError):
    """A document nested more deeply than sops itself reads (sops exit 2)."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(
            f"the document is nested too deeply (sops reads at most {MAX_DEPTH:,} levels)",
            hint="flatten the structure",
        )


@contextlib.contextmanager
def room() -> Iterator[None]:
    """Run a block with stack room for :data:`MAX_DEPTH` levels of nesting."""
    old = sys.getrecursionlimit()
    if old < _FRAMES:
        sys.setrecursionlimit(_FRAMES)
    try:
        yield
    except RecursionError:
        raise TooDeepError() from None
    finally:
        if old < _FRAMES:
            sys.setrecursionlimit(old)


def with_room(func: Callable[P, R]) -> Callable[P, R]:
    """:func:`room` around every call of ``func``."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with room():
            return func(*args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    return wrapper
