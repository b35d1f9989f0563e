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

__all__ = ["UTC", "datetime", "timedelta", "timezone"]
