"""sekret._dates hands out the stdlib's own date and time types."""

from __future__ import annotations

import datetime as std

from sekret import _dates


def test_same_types_as_datetime() -> None:
    assert _dates.datetime is std.datetime
    assert _dates.timedelta is std.timedelta
    assert _dates.timezone is std.timezone
    assert _dates.UTC is std.UTC
