"""Never write over an input: the one check every command with an output file makes.

An output that is also an input of the same command would be destroyed: the command
would replace the file it still has to read (or a key file it was given) with its
result. :func:`clashing_input` finds such an input before anything is read or asked
for; a file counts as the same when its path resolves to the same place (``./x``,
``dir/../x``, a symbolic link) or when it is the same file on disk (a hard link: same
device and inode).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sekret.errors import SekretError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.cli._env import Environment

#: What is not a file path: standard input or output.
_STREAMS = ("", "-")


def _identity(env: Environment, name: str) -> tuple[str, tuple[int, int] | None]:
    """(resolved path, (device, inode) when the file exists) of ``name``."""
    full = env.path(name)
    try:
        st = os.stat(full)
        key: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except (OSError, ValueError):
        key = None
    return os.path.realpath(full), key


def same_file(env: Environment, a: str, b: str) -> bool:
    """Whether the paths ``a`` and ``b`` name one file (standard streams never do)."""
    if a in _STREAMS or b in _STREAMS:
        return False
    path_a, key_a = _identity(env, a)
    path_b, key_b = _identity(env, b)
    return path_a == path_b or (key_a is not None and key_a == key_b)


def clashing_input(env: Environment, output: str | None, inputs: Iterable[str]) -> str | None:
    """The first of ``inputs`` that ``output`` would overwrite, or ``None``."""
    if output is None or output in _STREAMS:
        return None
    out = _identity(env, output)
    for name in inputs:
        if name in _STREAMS:
            continue
        path, key = _identity(env, name)
        if path == out[0] or (key is not None and key == out[1]):
            return name
    return None


class SameFileError(SekretError):
    """The output file is one of the command's inputs."""


def check_output(
    env: Environment,
    output: str | None,
    inputs: Iterable[str],
    *,
    error: type[SekretError] = SameFileError,
    hint: str = "write the output to another file: the input would be overwritten",
) -> None:
    """Refuse an ``output`` that is one of ``inputs`` (the input is left untouched)."""
    clash = clashing_input(env, output, inputs)
    if clash is None:
        return
    what = "input and output file are the same"
    detail = repr(output) if clash == output else f"{output!r} is {clash!r}"
    raise error(f"{what}: {detail}", hint=hint)
