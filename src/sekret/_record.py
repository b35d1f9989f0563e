"""``@record``: the part of ``@dataclass`` sekret uses, without its start-up cost.

:mod:`dataclasses` imports :mod:`inspect` (and with it ``ast``, ``dis``, ``tokenize``)
and compiles generated code for every class: 30-45 ms before a command can start, as
much as the rest of a small ``sekret decrypt``. A record gets the same behaviour from
plain functions: an ``__init__`` taking the annotated fields in order (positional or by
name, defaults and ``field(default_factory=…)``, then ``__post_init__``), ``__eq__``
over the fields, a ``__repr__`` that leaves out ``field(repr=False)`` fields, and with
``frozen=True`` no assignment after creation and a ``__hash__``. Type checkers read it
as a dataclass (:func:`typing.dataclass_transform`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING: Any = object()


class _Field:
    __slots__ = ("default", "factory", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, repr: bool) -> None:
        self.default = default
        self.factory = factory
        self.repr = repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    repr: bool = True,
) -> Any:
    """A field's default (or factory making one per instance) and whether repr shows it."""
    return _Field(default, default_factory, repr)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """Make ``cls`` a record (see the module docstring)."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def _make(cls: type[T], frozen: bool) -> type[T]:
    fields: list[tuple[str, _Field]] = []
    # (not inspect.get_annotations: importing inspect is the cost this module avoids)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        spec = cls.__dict__.get(name, _MISSING)
        if not isinstance(spec, _Field):
            spec = _Field(spec, None, True)
        if spec.default is _MISSING:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, spec.default)
        fields.append((name, spec))
    names = tuple(name for name, _ in fields)
    shown = tuple(name for name, spec in fields if spec.repr)
    set_ = object.__setattr__
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments, {len(args)} given")
        for i, (name, spec) in enumerate(fields):
            if i < len(args):
                if name in kwargs:
                    raise TypeError(f"{cls.__name__}() got {name!r} twice")
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif spec.factory is not None:
                value = spec.factory()
            elif spec.default is not _MISSING:
                value = spec.default
            else:
                raise TypeError(f"{cls.__name__}() missing argument {name!r}")
            set_(self, name, value)
        if kwargs:
            raise TypeError(f"{cls.__name__}() got unexpected arguments {sorted(kwargs)}")
        if post_init is not None:
            post_init(self)

    def values(self: Any) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in names)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{cls.__qualname__}({inner})"

    setattr(cls, "__init__", __init__)  # noqa: B010 (mypy rejects assigning methods)
    setattr(cls, "__eq__", __eq__)  # noqa: B010
    if "__repr__" not in cls.__dict__:
        setattr(cls, "__repr__", __repr__)  # noqa: B010
    if frozen:

        def __setattr__(self: Any, name: str, value: object) -> None:
            raise AttributeError(f"{cls.__name__} is immutable")

        def __delattr__(self: Any, name: str) -> None:
            raise AttributeError(f"{cls.__name__} is immutable")

        setattr(cls, "__setattr__", __setattr__)  # noqa: B010
        setattr(cls, "__delattr__", __delattr__)  # noqa: B010
        setattr(cls, "__hash__", lambda self: hash(values(self)))  # noqa: B010
    else:
        setattr(cls, "__hash__", None)  # noqa: B010  (mutable and equal by value)
    return cls
