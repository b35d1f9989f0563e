"""Property: a structural edit made in place reads back as the whole re-emission does.

Random YAML documents (the generator of ``tests/sops/test_differential.py``: block and
flow collections, indented and indentless lists, comments everywhere, anchors, block
scalars, several documents) and a random ``set`` or ``unset`` on the first: the text the
YAML store writes in place (without the verify-before-replace safety net) must parse
to the intended tree, comments and their places included, exactly as the whole
re-emission does, and the change is one place of the old text: between its first and
last changed lines only comment and blank lines stay (the edited entry's comments,
which the tree keeps), every other line byte-identical.
Checked where the structural edit was made in place, in one-document files (several
documents are pinned by the cases of ``yaml_splice_cases.toml``); elsewhere the
store's older paths, and verify-before-replace, decide.
"""

from __future__ import annotations

import difflib
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from sekret.cli.sops_set import parse_value, set_value, unset_value
from sekret.errors import SekretError
from sekret.sops import tree as t
from sekret.sops.treediff import first_difference
from sekret.stores.yaml import YamlStore
from tests.sops.test_differential import yaml_texts

VALUES = [
    '"v"',
    "1",
    "true",
    "null",
    "{}",
    '{"a": "b"}',
    '{"a": {"b": ["x", {"c": "d"}]}, "e": []}',
    '"two\\nlines"',
]


def _paths(node: t.Node | t.Leaf, prefix: list[Any]) -> list[tuple[list[Any], object]]:
    """Every path in a tree with the node there (iteratively bounded by the generator)."""
    out: list[tuple[list[Any], object]] = []
    inner = t.unwrap(node)
    if isinstance(inner, t.Mapping):
        for item in inner.items:
            if not isinstance(item, t.Comment) and isinstance(item[0], str):
                path = [*prefix, item[0]]
                out.append((path, item[1]))  # (a Leaf keeps its span)
                out += _paths(item[1], path)
    elif isinstance(inner, t.Sequence):
        values = [i for i in inner.items if not isinstance(i, t.Comment)]
        for n, value in enumerate(values):
            out.append(([*prefix, n], value))
            out += _paths(value, [*prefix, n])
    return out


class Recording(YamlStore):
    """The YAML store, noting whether a structural edit in place was tried and made."""

    def __init__(self) -> None:
        super().__init__()
        self.spliced: list[bool] = []

    def _splice(self, index: int, new: t.Mapping) -> Any:
        made = super()._splice(index, new)
        self.spliced.append(made is not None)
        return made


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=yaml_texts(), data=st.data())
def test_in_place_reads_as_whole(text: bytes, data: st.DataObject) -> None:
    store = Recording()
    try:
        docs = store.load_plain(text)
    except SekretError:
        assume(False)
    source = store._text  # (CRLF folded, byte order mark dropped)
    paths = _paths(docs[0], [])
    kind = data.draw(st.sampled_from(["unset", "set-new", "set-over", "set-append"]))
    old_node: object = None
    try:
        if kind == "unset":
            assume(paths)
            path, old_node = data.draw(st.sampled_from(paths))
            unset_value(docs[0], path)
        else:
            value = parse_value(data.draw(st.sampled_from(VALUES)))
            if kind == "set-over":
                assume(paths)
                path, old_node = data.draw(st.sampled_from(paths))
            else:
                holders = [([], docs[0])] + [
                    (p, n) for p, n in paths if isinstance(n, (t.Mapping, t.Sequence))
                ]
                where, node = data.draw(st.sampled_from(holders))
                if isinstance(node, t.Sequence):
                    path = [*where, 99]
                else:
                    extra = ["deep"] if data.draw(st.booleans()) else []
                    path = [*where, "newkey", *extra]
            set_value(docs[0], path, value)
    except SekretError:
        assume(False)
    assume(docs[0].keys())  # (an emptied plaintext document is written "{}", not in place)
    out = store.emit_plain(docs)
    store.forget_source()
    whole = store.emit_plain(docs)
    if store.spliced != [True] or len(docs) != 1:
        event("not a structural edit in place")
        return  # (or other documents written whole)
    event(f"in place: {kind}")
    back = YamlStore().load_plain(out)
    assert first_difference(docs, back, comments=True, loose_numbers=True) is None
    try:
        back_whole = YamlStore().load_plain(whole)
    except SekretError:
        back_whole = []  # (the whole writer's own limits are not this test's subject)
    if first_difference(docs, back_whole, comments=True, loose_numbers=True) is None:
        assert first_difference(back_whole, back, comments=True, loose_numbers=True) is None
    old_lines, new_lines = source.splitlines(), out.decode().splitlines()
    m = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    ops = m.get_opcodes()
    changed = [n for n, op in enumerate(ops) if op[0] != "equal"]
    # one place: between the first and the last change, only lines of the edited entry
    # (a line of its old value the new one happens to repeat, its comments, which stay
    # in the tree) and blank lines
    last = _last_line(source, old_node)
    for tag, i1, i2, _, _ in ops[changed[0] : changed[-1] + 1] if changed else []:
        if tag == "equal" and i2 - 1 > last:
            kept = old_lines[i1:i2]
            assert all(not ln.strip() or ln.lstrip().startswith("#") for ln in kept), ops


def _last_line(source: str, node: object) -> int:
    """The last line (0-based) of the old value of the edited entry (-1: none)."""
    ends = [n.span[1] for n in _spans(node)]
    return source.count("\n", 0, max(ends) - 1) if ends else -1


def _spans(node: object) -> list[t.Leaf | t.Comment]:
    if isinstance(node, (t.Leaf, t.Comment)):
        return [node] if node.span is not None else []
    inner = node
    if isinstance(inner, t.Mapping):
        return [x for i in inner.items for x in _spans(i if isinstance(i, t.Comment) else i[1])]
    if isinstance(inner, t.Sequence):
        return [x for i in inner.items for x in _spans(i)]
    return []
