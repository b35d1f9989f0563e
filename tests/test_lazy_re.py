"""Lazily compiled regexes behave as compiled ones, and compile only when used."""

from __future__ import annotations

import re

import pytest

from sekret._lazy_re import lazy

PATTERN = r"(?P<word>[a-z]+)-(\d+)"


def test_not_compiled_until_first_use() -> None:
    p = lazy(PATTERN)
    assert "match" not in vars(p)
    assert repr(p) == f"lazy({PATTERN!r})"  # repr does not compile either
    assert "match" not in vars(p)
    assert p.fullmatch("abc-12") is not None
    assert "match" in vars(p) and "search" in vars(p)


@pytest.mark.parametrize("text", ["abc-12", "x abc-12 y", "ABC-1", "", "a-1 b-2 c-3"])
def test_same_results_as_re_compile(text: str) -> None:
    p, q = lazy(PATTERN), re.compile(PATTERN)
    for method in ("match", "fullmatch", "search", "findall", "split"):
        got, want = getattr(p, method)(text), getattr(q, method)(text)
        if isinstance(want, re.Match):
            assert isinstance(got, re.Match) and got.groups() == want.groups()
        else:
            assert got == want
    assert p.sub("<\\2>", text) == q.sub("<\\2>", text)
    assert [m.span() for m in p.finditer(text)] == [m.span() for m in q.finditer(text)]
    assert (p.pattern, p.groups, dict(p.groupindex)) == (q.pattern, q.groups, dict(q.groupindex))


def test_flags_are_applied() -> None:
    assert lazy(r"a.b", re.S).fullmatch("a\nb") is not None
    assert lazy(r"a.b").fullmatch("a\nb") is None


def test_invalid_pattern_fails_at_first_use() -> None:
    p = lazy(r"(unclosed")
    with pytest.raises(re.error):
        p.match("x")


def test_dunder_probes_do_not_compile() -> None:
    p = lazy(r"(unclosed")  # would raise if compiled
    assert not hasattr(p, "__wrapped__")
    assert not hasattr(p, "__deepcopy__")


def test_private_names_are_not_pattern_attributes() -> None:
    p = lazy(r"(unclosed")
    assert not hasattr(p, "_missing")
    bare = object.__new__(type(p))  # as copy/pickle make one: no _source
    assert not hasattr(bare, "match")
