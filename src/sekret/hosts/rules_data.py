"""agenix rules as data (``secrets.toml``, ``secrets.json``): a host's key in, or out.

JSON has no comments to keep: the file is re-emitted with its own indentation and key
order. TOML is edited as text: the key is added at the end of each chosen
``publicKeys = [ … ]`` array (which secret an array belongs to is found by parsing a
copy with a marker in it, so tables, dotted keys and inline tables all work) and
removed with its comma. Both are checked by the caller, who parses the result.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable

from sekret.install import agenix_rules as ar

_ARRAY = re.compile(r"publicKeys\s*=\s*\[")


def _json_indent(text: str) -> int:
    m = re.search(r"\n( +)\S", text)
    return len(m.group(1)) if m else 2


def add_json(text: str, key: str, select: Callable[[str], bool]) -> tuple[str, list[str]]:
    """Add ``key`` to the chosen secrets of a ``secrets.json``."""
    data = json.loads(text)
    changed = []
    for name, value in data.items():
        keys = value.get("publicKeys") if isinstance(value, dict) else None
        if select(name) and isinstance(keys, list) and key not in keys:
            keys.append(key)
            changed.append(name)
    out = json.dumps(data, indent=_json_indent(text), ensure_ascii=False)
    return out + ("\n" if text.endswith("\n") else ""), changed


def remove_json(text: str, key: str) -> tuple[str, list[str]]:
    """Remove ``key`` from every secret of a ``secrets.json``."""
    data = json.loads(text)
    changed = []
    for name, value in data.items():
        keys = value.get("publicKeys") if isinstance(value, dict) else None
        if isinstance(keys, list) and key in keys:
            value["publicKeys"] = [k for k in keys if k != key]
            changed.append(name)
    out = json.dumps(data, indent=_json_indent(text), ensure_ascii=False)
    return out + ("\n" if text.endswith("\n") else ""), changed


def _close(text: str, pos: int) -> int:
    """The ``]`` closing the array whose ``[`` is just before ``pos``."""
    depth, i = 1, pos
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            i = text.index(ch, i + 1) if ch == "'" else _basic_end(text, i)
        elif ch == "#":
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ar.RulesError("an unterminated publicKeys array")


def _basic_end(text: str, i: int) -> int:
    i += 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i


def add_toml(text: str, key: str, select: Callable[[str], bool]) -> tuple[str, list[str]]:
    """Add ``key`` at the end of the chosen secrets' ``publicKeys`` in a ``secrets.toml``."""
    rules = ar.parse_toml(text, "secrets.toml")
    quoted = json.dumps(key)  # a TOML basic string is JSON's string syntax for a key
    inserts: list[tuple[int, str]] = []
    changed = []
    for m in _ARRAY.finditer(text):
        close = _close(text, m.end())
        marker = '"sekret-marker"'
        probe = text[:m.end()] + marker + ("," if text[m.end():close].strip() else "") + \
            text[m.end():]
        owner = [n for n, r in ar.parse_toml(probe, "secrets.toml").items()
                 if "sekret-marker" in r.public_keys]
        if len(owner) != 1 or not select(owner[0]) or key in rules[owner[0]].public_keys:
            continue
        body = text[m.end():close].rstrip()
        at = m.end() + len(body)
        new = quoted if not body.strip() else f" {quoted}," if body.endswith(",") \
            else f", {quoted}"
        inserts.append((at, new))
        changed.append(owner[0])
    for at, new in reversed(inserts):
        text = text[:at] + new + text[at:]
    return text, changed


def remove_toml(text: str, key: str) -> tuple[str, list[str]]:
    """Remove ``key`` from every ``publicKeys`` array of a ``secrets.toml``."""
    rules = ar.parse_toml(text, "secrets.toml")
    changed = [n for n, r in rules.items() if key in r.public_keys]
    quoted = re.escape(json.dumps(key))
    text = re.sub(rf",\s*{quoted}|{quoted}\s*,?[ \t]*", "", text)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ar.RulesError(f"cannot remove the key from secrets.toml: {exc}") from None
    return text, changed
