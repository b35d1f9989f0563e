"""Where two document trees differ, ignoring source spans: for verify-before-replace.

The answer names a position (``doc 0: ["db"]["port"]: ...``) and the kind of difference,
never a value or a comment's text: the trees hold decrypted secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekret.sops import tree as t


def first_difference(
    a: Sequence[t.Mapping],
    b: Sequence[t.Mapping],
    *,
    comments: bool = True,
    loose_numbers: bool = False,
) -> str | None:
    """The first place where documents ``a`` and ``b`` differ, or None if they are equal.

    ``comments=False`` ignores comments (a format that cannot hold them);
    ``loose_numbers`` lets an int equal a float of the same value (YAML writes the float
    ``1.0`` as ``1``, which reads back as an int, as sops does).
    """
    if len(a) != len(b):
        return f"{len(a)} documents written as {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        found = _node(x, y, f"doc {i}: ", comments, loose_numbers)
        if found is not None:
            return found
    return None


def _items(node: t.Mapping | t.Sequence, comments: bool) -> list[object]:
    return [i for i in node.items if comments or not isinstance(i, t.Comment)]


def _node(x: object, y: object, where: str, comments: bool, loose: bool) -> str | None:
    x, y = t.unwrap(x), t.unwrap(y)  # type: ignore[arg-type]
    for kind in (t.Mapping, t.Sequence):
        if isinstance(x, kind) and isinstance(y, kind):
            xs, ys = _items(x, comments), _items(y, comments)
            return _children(xs, ys, where, comments, loose, kind is t.Mapping)
        if isinstance(x, kind) or isinstance(y, kind):
            return f"{where or 'top'}: a {_kind(x)} became a {_kind(y)}"
    if _same_scalar(x, y, loose):
        return None
    if type(x) is not type(y):
        return f"{where or 'top'}: a {_kind(x)} became a {_kind(y)}"
    return f"{where or 'top'}: a different {_kind(x)} value"


def _children(
    xs: list[object], ys: list[object], where: str, comments: bool, loose: bool, mapping: bool
) -> str | None:
    if len(xs) != len(ys):
        return f"{where or 'top'}: {len(xs)} entries written as {len(ys)}"
    for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if isinstance(x, t.Comment) or isinstance(y, t.Comment):
            if not (isinstance(x, t.Comment) and isinstance(y, t.Comment)):
                return f"{where}entry {n}: a comment and a value"
            if x.text != y.text:
                return f"{where}entry {n}: a different comment"
            continue
        if mapping:
            assert isinstance(x, tuple) and isinstance(y, tuple)
            if x[0] != y[0] or type(x[0]) is not type(y[0]):
                return f"{where}entry {n}: a different key"
            found = _node(x[1], y[1], f"{where}[{x[0]!r}]", comments, loose)
        else:
            found = _node(x, y, f"{where}[{n}]", comments, loose)
        if found is not None:
            return found
    return None


def _same_scalar(x: object, y: object, loose: bool) -> bool:
    if type(x) is type(y):
        if isinstance(x, float) and isinstance(y, float) and x != x and y != y:
            return True  # NaN
        return x == y
    if loose and isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return not isinstance(x, bool) and not isinstance(y, bool) and float(x) == float(y)
    return False


def _kind(v: object) -> str:
    if isinstance(v, t.Mapping):
        return "mapping"
    if isinstance(v, t.Sequence):
        return "list"
    return "null" if v is None else type(v).__name__
