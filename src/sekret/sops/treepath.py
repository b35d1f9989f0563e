"""Tree paths as sops writes them (``["db"]["hosts"][0]``) and set/unset/extract on trees.

Map keys are quoted (``"k"`` or ``'k'``), list indices are bare integers. ``set``
creates missing keys and appends when an index is past the end; ``unset`` removes a
key or a list element.
"""

from __future__ import annotations

from sekret._lazy_re import lazy
from sekret.errors import SopsError
from sekret.sops import tree as t

PathPart = str | int
_COMPONENT = lazy(r"""\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+))\s*\]""")


class TreePathError(SopsError):
    """A malformed tree path (sops: exit 91 for --extract, 7 for set/unset)."""

    exit_code = 91


class KeyNotFoundError(SopsError):
    """The path does not exist in the tree."""


def parse(path: str) -> list[PathPart]:
    """Parse ``["a"][0]["b"]`` into ``["a", 0, "b"]``."""
    parts: list[PathPart] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _COMPONENT.match(text, pos)
        if not m:
            raise TreePathError(
                f"invalid tree path {path!r}",
                hint='write it as ["key"]["nested"][0]: quoted keys, bare list indices',
            )
        if m.group(3) is not None:
            parts.append(int(m.group(3)))
        else:
            raw = m.group(1) if m.group(1) is not None else m.group(2)
            parts.append(raw.replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\"))
        pos = m.end()
    if not parts:
        raise TreePathError(f"invalid tree path {path!r}", hint='for example ["key"]')
    return parts


def get(root: t.Mapping, parts: list[PathPart]) -> t.Node | t.Leaf:
    """The value at ``parts``; raises :class:`KeyNotFoundError`."""
    node: t.Node | t.Leaf = root
    for part in parts:
        inner = t.unwrap(node)
        if isinstance(part, str) and isinstance(inner, t.Mapping):
            found = inner.get(part)
            if found is None and part not in inner.keys():
                raise KeyNotFoundError(f"key not found: {part!r}")
            node = found
        elif isinstance(part, int) and isinstance(inner, t.Sequence):
            values = [v for v in inner.items if not isinstance(v, t.Comment)]
            if not -len(values) <= part < len(values):
                raise KeyNotFoundError(f"index {part} out of range")
            node = values[part]
        else:
            raise KeyNotFoundError(f"component {part!r} does not fit the tree")
    return node


def _build(parts: list[PathPart], value: t.Node) -> t.Node:
    for part in reversed(parts):
        value = t.Sequence([value]) if isinstance(part, int) else t.Mapping([(part, value)])
    return value


def set_value(root: t.Mapping, parts: list[PathPart], value: t.Node) -> bool:
    """Set ``parts`` to ``value`` (creating what is missing); return whether it changed."""
    node: t.Node = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, str):
            if not isinstance(node, t.Mapping):
                raise KeyNotFoundError(f"cannot set key {part!r}: the parent is not a mapping")
            for n, item in enumerate(node.items):
                if not isinstance(item, t.Comment) and item[0] == part:
                    if last:
                        old = t.unwrap(item[1])
                        if _same(old, value):
                            return False
                        span = item[1].span if isinstance(item[1], t.Leaf) else None
                        new: t.Node | t.Leaf = value
                        if span and _is_scalar(value):
                            new = t.Leaf(value, span)  # type: ignore[arg-type]
                        node.items[n] = (part, new)
                        return True
                    node = t.unwrap(item[1])
                    break
            else:
                node.items.append((part, _build(parts[i + 1 :], value)))
                return True
        else:
            if not isinstance(node, t.Sequence):
                raise KeyNotFoundError(f"cannot set index {part}: the parent is not a list")
            slots = [n for n, v in enumerate(node.items) if not isinstance(v, t.Comment)]
            if part >= len(slots) or part < 0:
                node.items.append(_build(parts[i + 1 :], value))
                return True
            n = slots[part]
            if last:
                old_item = node.items[n]
                assert not isinstance(old_item, t.Comment)
                if _same(t.unwrap(old_item), value):
                    return False
                span = old_item.span if isinstance(old_item, t.Leaf) else None
                node.items[n] = t.Leaf(value, span) if span and _is_scalar(value) else value  # type: ignore[arg-type]
                return True
            child = node.items[n]
            assert not isinstance(child, t.Comment)
            node = t.unwrap(child)
    return False  # pragma: no cover - the loop always returns


def unset(root: t.Mapping, parts: list[PathPart]) -> None:
    """Remove the key or list element at ``parts``; raises :class:`KeyNotFoundError`."""
    parent = get(root, parts[:-1]) if len(parts) > 1 else root
    inner = t.unwrap(parent)
    last = parts[-1]
    if isinstance(last, str) and isinstance(inner, t.Mapping):
        for n, item in enumerate(inner.items):
            if not isinstance(item, t.Comment) and item[0] == last:
                del inner.items[n]
                return
    elif isinstance(last, int) and isinstance(inner, t.Sequence):
        slots = [n for n, v in enumerate(inner.items) if not isinstance(v, t.Comment)]
        if -len(slots) <= last < len(slots):
            del inner.items[slots[last]]
            return
    raise KeyNotFoundError(f"key not found: {last!r}")


def value_from_json(text: str) -> t.Node:
    """A ``set`` value: JSON, where numbers become floats as in sops."""
    try:
        import json  # only ``set`` needs it

        data = json.loads(text, parse_int=float, object_pairs_hook=_Pairs)
    except ValueError as exc:
        raise TreePathError(f"the value is not valid JSON: {exc.args[0]}") from None
    return _from_pairs(data)


class _Pairs(list[tuple[str, object]]):
    """A JSON object as its ordered pairs (duplicates kept)."""


def _from_pairs(data: object) -> t.Node:
    if isinstance(data, _Pairs):
        return t.Mapping([(str(k), _from_pairs(v)) for k, v in data])
    if isinstance(data, list):
        return t.Sequence([_from_pairs(v) for v in data])
    return t.from_python(data)


def _is_scalar(value: t.Node) -> bool:
    return not isinstance(value, (t.Mapping, t.Sequence))


def _same(a: t.Node, b: t.Node) -> bool:
    if _is_scalar(a) and _is_scalar(b):
        return type(a) is type(b) and a == b
    return t.to_python(a) == t.to_python(b) and type(a) is type(b)
