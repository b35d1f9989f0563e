"""The flat form of the ``sops`` metadata used by the dotenv and INI stores.

sops writes nested metadata as one line per scalar: a map key adds ``__map_<key>``, a
list element ``__list_<index>`` (``age__list_0__map_recipient``). Nulls and empty lists
or maps produce no line; booleans and numbers become strings (``true``, ``2``). Reading
splits the keys back on those separators; list indices are numbers, so ``__list_10``
lands after ``__list_9`` whatever order the lines come in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sekret.sops.metadata import MetadataError
from sekret.stores._gofmt import val_to_string

MAP_SEPARATOR = "__map_"
LIST_SEPARATOR = "__list_"
_SPLIT = re.compile(f"({MAP_SEPARATOR}|{LIST_SEPARATOR})")
_ATOI = re.compile(r"[+-]?[0-9]+")


def flatten(metadata: dict[str, object]) -> list[tuple[str, str]]:
    """The ``(flat key, string value)`` pairs of ``metadata``, sorted byte-wise by key."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(prefix + MAP_SEPARATOR + str(k), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{prefix}{LIST_SEPARATOR}{i}", v)
        elif value is not None:
            if prefix in out:
                raise MetadataError(f"key collision {prefix!r} while flattening the sops metadata")
            out[prefix] = val_to_string(value)

    for key, value in metadata.items():
        walk(key, value)
    # str order is code point order, which is UTF-8 byte order (Go's sort.Strings)
    return sorted(out.items())


def _tokens(key: str) -> list[str | int]:
    parts = _SPLIT.split(key)
    tokens: list[str | int] = [parts[0]]
    for sep, text in zip(parts[1::2], parts[2::2], strict=True):
        if sep == MAP_SEPARATOR:
            tokens.append(text)
        else:
            # Go's strconv.Atoi with the error ignored: anything not a number is 0
            index = int(text) if _ATOI.fullmatch(text) else 0
            if index < 0 or index > 1_000_000:
                raise MetadataError(f"malformed sops metadata: bad list index in {key!r}")
            tokens.append(index)
    return tokens


_Node = dict[str | int, object]


class _List(_Node):
    """A list under construction: index → value (holes become None)."""


def unflatten(pairs: Iterable[tuple[str, object]]) -> dict[str, object]:
    """Rebuild nested metadata from flat ``(key, value)`` pairs (a repeated key: last wins)."""
    root: _Node = {}
    for key, value in pairs:
        tokens = _tokens(key)
        node = root
        for i, token in enumerate(tokens):
            if isinstance(node, _List) is isinstance(token, str):
                raise MetadataError(f"malformed sops metadata: {key!r} mixes lists and maps")
            if i == len(tokens) - 1:
                existing = node.get(token)
                if isinstance(existing, (dict, _List)):
                    raise MetadataError(f"malformed sops metadata: {key!r} is also a parent key")
                node[token] = value
                break
            nxt = tokens[i + 1]
            child = node.get(token)
            if child is None:
                child = _List() if isinstance(nxt, int) else {}
                node[token] = child
            if not isinstance(child, (dict, _List)):
                raise MetadataError(f"malformed sops metadata: {key!r} is below a value")
            node = child
    result = _convert(root)
    assert isinstance(result, dict)
    return result


def _convert(node: object) -> object:
    if isinstance(node, _List):
        indices = {int(k): v for k, v in node.items()}
        out: list[object] = [None] * (max(indices) + 1 if indices else 0)
        for index, value in indices.items():
            out[index] = _convert(value)
        return out
    if isinstance(node, dict):
        return {str(k): _convert(node[k]) for k in sorted(node, key=str)}
    return node
