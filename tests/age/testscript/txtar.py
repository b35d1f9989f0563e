"""The txtar archive format (golang.org/x/tools/txtar) that testscript files use.

An archive is a comment (here: the script) followed by files, each introduced by a
marker line ``-- NAME --``. A file's data runs up to the next marker line; the comment
and the last file get a final newline added when they lack one, as Go's parser does.
"""

from __future__ import annotations

from dataclasses import dataclass

_MARKER = b"-- "
_MARKER_END = b" --"
_NEWLINE_MARKER = b"\n-- "


@dataclass(frozen=True)
class Archive:
    """A parsed archive: the leading comment and the files in order."""

    comment: bytes
    files: tuple[tuple[str, bytes], ...]


def _is_marker(data: bytes) -> tuple[str, bytes] | None:
    """``(name, rest)`` when ``data`` starts with a marker line, else ``None``."""
    if not data.startswith(_MARKER):
        return None
    line, sep, after = data.partition(b"\n")
    if not sep:
        after = b""
    if not (line.endswith(_MARKER_END) and len(line) >= len(_MARKER) + len(_MARKER_END)):
        return None
    name = line[len(_MARKER) : len(line) - len(_MARKER_END)].decode().strip()
    return (name, after) if name else None


def _fix_nl(data: bytes) -> bytes:
    return data if not data or data.endswith(b"\n") else data + b"\n"


def _next_marker(data: bytes) -> tuple[bytes, str, bytes]:
    """``(before, name, after)`` around the next marker; ``name`` is empty at the end."""
    i = 0
    while True:
        found = _is_marker(data[i:])
        if found is not None:
            return data[:i], found[0], found[1]
        j = data.find(_NEWLINE_MARKER, i)
        if j < 0:
            return _fix_nl(data), "", b""
        i = j + 1


def parse(data: bytes) -> Archive:
    """Split ``data`` into its comment and files."""
    comment, name, rest = _next_marker(data)
    files: list[tuple[str, bytes]] = []
    while name:
        body, next_name, rest = _next_marker(rest)
        files.append((name, body))
        name = next_name
    return Archive(comment, tuple(files))
