"""``sekret set`` and ``sekret unset`` (and ``sekret --set``), with sops's rules.

The path is parsed as sops parses it (``["key"]``/``['key']`` taken verbatim between the
quotes, bare integers as indices); the value is JSON as Go's ``encoding/json`` reads it
(numbers are floats, ``NaN`` and out-of-range numbers are not JSON, an array is not a
value sops can set, what is not UTF-8 becomes U+FFFD). Setting walks the tree as sops
does: a missing key is added, an index past the end appends, a scalar standing where
the path goes on is replaced by the rest of the path. Unsetting a missing key fails
unless ``--idempotent``. Exit statuses are sops's: 7 for a bad path or value, 100 for
a wrong number of arguments, 2 for a file that cannot be read.
"""

from __future__ import annotations

from sekret.cli import sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError
from sekret.files import document
from sekret.sops import tree as t

PathPart = str | int


class SetFormatError(SopsError):
    """A malformed set/unset path or set value (sops exit 7)."""

    exit_code = 7


class KeyNotFoundError(SopsError):
    """unset: the path is not in the file (``--idempotent`` makes it a success)."""


def parse_path(text: str, what: str) -> list[PathPart]:
    """``["a"][0]`` → ``["a", 0]``, as sops's parseTreePath reads it."""
    parts: list[PathPart] = []
    for component in text.split("["):
        if not component:
            continue
        if not component.endswith("]") or len(component) < 2:
            raise _bad_path(what)
        inner = component[:-1]
        if inner[0] in "\"'":
            if len(inner) < 2:
                raise _bad_path(what)
            parts.append(inner[1:-1])
        else:
            try:
                parts.append(int(inner, 10))
            except ValueError:
                raise _bad_path(what) from None
            if inner.strip() != inner or "_" in inner:
                raise _bad_path(what)  # Go's Atoi takes neither spaces nor '_'
    if not parts:
        raise _bad_path(what)
    return parts


def _bad_path(what: str) -> SetFormatError:
    return SetFormatError(
        f"invalid {what} index format",
        hint='write the path as ["key"]["nested"][0]: quoted keys, bare list indices',
    )


def parse_value(text: str) -> t.Node:
    """A set value: JSON; an object becomes a sub-tree (keys in order)."""
    import json
    import math

    def reject(name: str) -> object:
        raise ValueError(name)

    try:
        value = json.loads(
            text, parse_int=float, parse_constant=reject, object_pairs_hook=_Pairs
        )
    except (ValueError, RecursionError):
        raise SetFormatError(
            "value for --set is not valid JSON", hint='a JSON value, e.g. \'"text"\', 5 or true'
        ) from None
    if isinstance(value, list) and not isinstance(value, _Pairs):
        raise SetFormatError(
            "invalid --set value format: a JSON array cannot be set (as in sops)",
            hint='set its elements one by one, e.g. ["list"][0], or wrap it in an object',
        )

    def convert(v: object) -> t.Node:
        if isinstance(v, _Pairs):
            keys = [k for k, _ in v]
            if len(set(keys)) != len(keys):
                raise SetFormatError(
                    "invalid --set value format: an object has a key twice",
                    hint="sops would write the key twice; give each key once",
                )
            return t.Mapping([(_go_string(k), convert(x)) for k, x in v])
        if isinstance(v, list):
            return t.Sequence([convert(x) for x in v])
        if isinstance(v, float) and not math.isfinite(v):
            raise SetFormatError("value for --set is not valid JSON: a number out of range")
        if isinstance(v, str):
            return _go_string(v)
        return v  # type: ignore[return-value]

    return convert(value)


class _Pairs(list[tuple[str, object]]):
    """A JSON object as its ordered pairs."""


def _go_string(s: str) -> str:
    """What Go reads: U+FFFD for a lone surrogate (``\\ud800``) or bytes not UTF-8."""
    if any("\ud800" <= c <= "\udfff" for c in s):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)
    return s


def equals(a: object, b: object) -> bool:
    """sops's equality: same structure, same keys in order, same types and values."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, t.Mapping):
        if not isinstance(b, t.Mapping) or len(a.items) != len(b.items):
            return False
        return all(_item_equals(x, y) for x, y in zip(a.items, b.items, strict=True))
    if isinstance(a, t.Sequence):
        if not isinstance(b, t.Sequence) or len(a.items) != len(b.items):
            return False
        return all(equals(x, y) for x, y in zip(a.items, b.items, strict=True))
    if isinstance(a, t.Comment):
        return isinstance(b, t.Comment) and a.text == b.text
    return type(a) is type(b) and a == b


def _plain(v: object) -> object:
    return v.value if isinstance(v, t.Leaf) else v


def _item_equals(x: object, y: object) -> bool:
    if isinstance(x, t.Comment) or isinstance(y, t.Comment):
        return equals(x, y)
    assert isinstance(x, tuple) and isinstance(y, tuple)
    return bool(x[0] == y[0]) and equals(x[1], y[1])


def _build(parts: list[PathPart], value: t.Node) -> t.Node:
    for part in reversed(parts):
        value = t.Sequence([value]) if isinstance(part, int) else t.Mapping([(part, value)])
    return value


def _keep_span(old: object, value: t.Node) -> t.Node | t.Leaf:
    """A new scalar where a scalar was keeps its place in the text (in-place YAML)."""
    if isinstance(old, t.Leaf) and old.span and not isinstance(value, (t.Mapping, t.Sequence)):
        return t.Leaf(value, old.span)
    return value


def set_value(
    node: t.Node | t.Leaf, parts: list[PathPart], value: t.Node
) -> tuple[t.Node | t.Leaf, bool]:
    """sops's set: the new node and whether anything changed."""
    inner = _plain(node)
    head = parts[0]
    if isinstance(inner, t.Mapping):
        for i, item in enumerate(inner.items):
            if isinstance(item, t.Comment) or item[0] != head:
                continue
            if len(parts) == 1:
                changed = not equals(item[1], value)
                inner.items[i] = (item[0], _keep_span(item[1], value))
            else:
                sub, changed = set_value(item[1], parts[1:], value)
                inner.items[i] = (item[0], sub)
            return node, changed
        built = _build(parts, value)
        if isinstance(built, t.Mapping):
            inner.items.append(built.items[0])
        return node, True  # an index on a mapping adds nothing, as in sops
    if isinstance(inner, t.Sequence):
        if not isinstance(head, int) or head < 0:
            raise SopsError(
                f"cannot set {head!r} in a list: the path needs an index from 0 there",
                hint="sops stops with a Go panic here (exit 2)",
            )
        slots = [n for n, v in enumerate(inner.items) if not isinstance(v, t.Comment)]
        if head >= len(slots):
            inner.items.append(value if len(parts) == 1 else _build(parts[1:], value))
            return node, True
        n = slots[head]
        if len(parts) == 1:
            changed = not equals(inner.items[n], value)
            inner.items[n] = _keep_span(inner.items[n], value)
            return node, changed
        child = inner.items[n]
        assert not isinstance(child, t.Comment)
        sub, changed = set_value(child, parts[1:], value)
        inner.items[n] = sub
        return node, changed
    built = _build(parts, value)
    return built, not equals(inner, built)


def unset_value(node: t.Node | t.Leaf, parts: list[PathPart]) -> None:
    """sops's unset (in place); :class:`KeyNotFoundError` when the path is missing."""
    inner = _plain(node)
    head = parts[0]
    if isinstance(inner, t.Mapping):
        for i, item in enumerate(inner.items):
            if isinstance(item, t.Comment) or item[0] != head:
                continue
            if len(parts) == 1:
                del inner.items[i]
            else:
                unset_value(item[1], parts[1:])
            return
        raise KeyNotFoundError(f"key not found: {head!r}" if isinstance(head, str)
                               else f"key not found: {head}")
    if isinstance(inner, t.Sequence):
        if not isinstance(head, int) or head < 0:
            raise SopsError(
                f"cannot unset {head!r} in a list: the path needs an index from 0 there",
                hint="sops stops with a Go panic here (exit 2)",
            )
        slots = [n for n, v in enumerate(inner.items) if not isinstance(v, t.Comment)]
        if head >= len(slots):
            raise KeyNotFoundError(f"index {head} out of bounds")
        if len(parts) == 1:
            del inner.items[slots[head]]
        else:
            child = inner.items[slots[head]]
            assert not isinstance(child, t.Comment)
            unset_value(child, parts[1:])
        return
    raise SopsError(f"unsupported type: {type(inner).__name__} for item {head!r}")


def set_(args: Namespace, env: Environment) -> int:
    """``sekret set FILE PATH VALUE`` (``--value-file``, ``--value-stdin``)."""
    if args.value_file and args.value_stdin:
        raise SopsError("cannot use both --value-file and --value-stdin")
    want = 2 if args.value_stdin else 3
    if len(args.args) != want:
        raise sops_ops.NoFileSpecified(
            "no file specified, or index and value are missing: set takes precisely "
            + ("2 positional arguments with --value-stdin" if want == 2 else
               "3 positional arguments"),
            hint="sekret set FILE '[\"key\"]' VALUE  (or FILE PATH --value-stdin)",
        )
    path = str(args.args[0])
    parts = parse_path(args.args[1], "set")
    if args.value_stdin:
        text = env.stdin.read().decode("utf-8", "surrogateescape")
    elif args.value_file:
        text = env.read_file(args.args[2]).decode("utf-8", "surrogateescape")  # exit 1
    else:
        text = args.args[2]
    value = parse_value(text)
    opened = sops_ops.open_file(args, env, path, missing=sops_ops.ReadError)
    if not opened.docs:
        opened.docs.append(t.Mapping())
    _, changed = set_value(opened.docs[0], parts, value)
    if not changed and args.idempotent:
        sops_ops.verbose(env, args, "file not written: the value is already set")
        return 0
    sops_ops.to_output(opened, args, env, path)
    sops_ops.write_in_place(env, args, path, document.reseal(opened, opened.docs))
    return 0


def unset(args: Namespace, env: Environment) -> int:
    """``sekret unset FILE PATH`` (``--idempotent``)."""
    if len(args.args) != 2:
        raise sops_ops.NoFileSpecified(
            "no file specified, or index is missing: unset takes FILE and PATH",
            hint="sekret unset FILE '[\"key\"]'",
        )
    path = str(args.args[0])
    parts = parse_path(args.args[1], "unset")
    opened = sops_ops.open_file(args, env, path, missing=sops_ops.ReadError)
    try:
        unset_value(opened.docs[0] if opened.docs else t.Mapping(), parts)
    except KeyNotFoundError:
        if args.idempotent:
            sops_ops.verbose(env, args, "file not written: the key is not there")
            return 0
        raise
    sops_ops.to_output(opened, args, env, path)
    sops_ops.write_in_place(env, args, path, document.reseal(opened, opened.docs))
    return 0

