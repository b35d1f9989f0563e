"""``sekret._record.record``: behaves as the ``@dataclass`` features sekret relies on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sekret._record import field, record


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    secret: bytes = field(default=b"", repr=False)


@record(frozen=True)
class Pair:
    a: str
    b: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.a:
            raise ValueError("empty")


def test_init_by_position_name_and_default() -> None:
    p = Point(1, tags=["t"])
    assert (p.x, p.y, p.tags, p.secret) == (1, 0, ["t"], b"")
    assert Point(x=3, y=4).y == 4


def test_factory_makes_one_value_per_instance() -> None:
    p, q = Point(1), Point(1)
    p.tags.append("only p")
    assert q.tags == []


def test_bad_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError, match="missing argument 'x'"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected"):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="twice"):
        Point(1, x=2)  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 4 arguments"):
        Point(1, 2, [], b"", 5)  # type: ignore[call-arg]


def test_eq_repr_and_hash() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(1, 3)
    assert Point(1) != Pair("a", ())  # type: ignore[comparison-overlap]
    assert repr(Point(1, 2, secret=b"hunter2")) == "Point(x=1, y=2, tags=[])"
    with pytest.raises(TypeError):
        hash(Point(1))  # mutable records are not hashable, as dataclasses
    assert hash(Pair("a", (1,))) == hash(Pair("a", (1,)))
    assert len({Pair("a", (1,)), Pair("a", (1,)), Pair("b", ())}) == 2


def test_frozen_and_post_init() -> None:
    pair = Pair("a", (1,))
    with pytest.raises(AttributeError, match="immutable"):
        pair.a = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del pair.a
    with pytest.raises(ValueError, match="empty"):
        Pair("", ())


def test_start_up_does_not_import_dataclasses() -> None:
    """The point of the module: a SOPS decrypt's imports leave dataclasses out."""
    code = (
        "import sys, sekret.cli.sops_ops, sekret.stores.yaml, sekret.age;"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
