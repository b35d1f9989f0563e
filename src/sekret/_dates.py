"""The stdlib's date and time types, without :mod:`datetime`'s import cost.

``datetime.py`` defines the whole pure-Python implementation and then replaces it
with the C module ``_datetime``: 5.7M CPU instructions on its own (3M of a small
``sekret decrypt``, the rest being imports it shares), for classes thrown away. These
are the very same types (``datetime.datetime is
_datetime.datetime``); an interpreter without the C module gets the Python ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typeshed describes them under their public name
    from datetime import UTC, datetime, timedelta, timezone
else:
    try:
        from _datetime import UTC, datetime, timedelta, timezone
    except ImportError:  # an interpreter without the C module
        from datetime import UTC, datetime, timedelta, timezone

__all__ = ["UTC", "Time", "datetime", "timedelta", "timezone"]


class Time(datetime):
    """A datetime with nanoseconds: Go's ``time.Time`` (and so a sops ``type:time``
    value) has them, ``datetime`` stops at microseconds. Only made for a time that has
    digits past the microsecond; ``nanosecond`` is what lies below it (0-999)."""

    nanosecond: int

    def __new__(cls, *args: object, nanosecond: int = 0, **kw: object) -> Time:
        self = super().__new__(cls, *args, **kw)  # type: ignore[arg-type]
        self.nanosecond = nanosecond
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return datetime.__eq__(self, other) and self.nanosecond == getattr(
            other, "nanosecond", 0
        )

    __hash__ = datetime.__hash__

    def __reduce__(self) -> tuple[object, ...]:  # copies and pickles keep the nanoseconds
        return (_time, (tuple(self.timetuple())[:6], self.microsecond, self.tzinfo,
                        self.nanosecond))


def _time(ymdhms: tuple[int, ...], micro: int, tz: object, nano: int) -> Time:
    return Time(*ymdhms, micro, tz, nanosecond=nano)
