"""How sops's Go code turns values into text, for the stores that need it.

* :func:`json_number` — Go ``encoding/json`` float64 output (JavaScript-like: ``1e+21``,
  ``1e-7``, ``-0``, integers without ``.0``);
* :func:`json_quote_fixup` — the escapes Go's JSON writer adds on top of Python's
  (``<>&``, U+2028/U+2029, invalid UTF-8 → ``\\ufffd``), applied once to a whole output;
* :func:`val_to_string` — sops's ``ValToString``, used by dotenv and INI for values that
  are not strings (``true``, ``1.0``, ``1E+06``, RFC 3339 times, ``<nil>``);
* :data:`GO_SPACE` — the characters Go's ``unicode.IsSpace`` trims.
"""

from __future__ import annotations

import math
import re

from sekret._dates import UTC, datetime, timedelta
from sekret._lazy_re import lazy
from sekret.sops.tree import Comment, Leaf, Mapping, Node, Sequence
from sekret.sops.values import format_float

#: Go's unicode.IsSpace (Python's str.strip() would also remove U+001C..U+001F).
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_JSON_FIXUP = lazy("[<>&\u2028\u2029\ud800-\udfff]")
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _fix(m: re.Match[str]) -> str:
    # Lone surrogates stand for bytes that were not UTF-8 (surrogateescape) or for a
    # "\ud800" escape in the input: Go writes U+FFFD for both.
    return _JSON_ESCAPES.get(m.group(), "\\ufffd")


def json_quote_fixup(text: str) -> str:
    """Apply Go's extra JSON string escapes to text built with Python's escaper.

    Safe on a whole document: the characters concerned only occur inside strings.
    """
    if _JSON_FIXUP.search(text) is None:
        return text
    return _JSON_FIXUP.sub(_fix, text)


def _digits(f: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``abs(f) > 0`` and the decimal point position ``dp``.

    ``abs(f) == 0.d1d2... * 10**dp`` (Go's ``decimalSlice`` ``d`` and ``dp``).
    """
    from decimal import Decimal  # only floats need it

    _, digit_tuple, exponent = Decimal(repr(abs(f))).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digit_tuple))
    stripped = text.rstrip("0")
    exponent += len(text) - len(stripped)
    stripped = stripped.lstrip("0")
    return stripped, len(stripped) + exponent


def _exp_form(f: float, upper: bool) -> str:
    """Go ``FormatFloat(f, 'e'|'E', -1, 64)``: ``d.ddde±XX`` with the shortest digits."""
    digits, dp = _digits(f)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    e = "E" if upper else "e"
    return f"{'-' if f < 0 else ''}{mantissa}{e}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def json_number(f: float) -> str:
    """A float64 as Go ``encoding/json`` writes it. NaN and infinities raise ValueError."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError("unsupported float")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = _exp_form(f, upper=False)
        # Go shortens a two-digit negative exponent: 1e-07 -> 1e-7
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    if a < 9007199254740992.0 and f.is_integer():  # exact below 2**53: the fast path
        return "-0" if f == 0 and math.copysign(1.0, f) < 0 else str(int(f))
    return format_float(f)


def go_g(f: float) -> str:
    """Go ``strconv.FormatFloat(f, 'G', -1, 64)``."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    exp = _digits(f)[1] - 1
    # shortest formatting: the exponent form is used below 1e-4 and from 1e6 (Go's eprec 6)
    if exp < -4 or exp >= 6:
        return _exp_form(f, upper=True)
    return format_float(f)


def _float_to_string(f: float) -> str:
    s = go_g(f)
    if "." not in s and "E" not in s:
        # sops adds one decimal so that the value cannot be mistaken for an integer
        if math.isnan(f) or math.isinf(f):
            return s
        return s + ".0"
    return s


def rfc3339(t: datetime) -> str:
    """Go ``time.Format(time.RFC3339)``: seconds precision, ``Z`` for UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    offset = t.utcoffset() or timedelta(0)
    if not offset:
        return base + "Z"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{base}{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def val_to_string(value: object) -> str:
    """sops's ``ValToString``: how dotenv and INI write a value that is not a string."""
    if isinstance(value, Leaf):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_to_string(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if value is None:
        return "<nil>"
    if isinstance(value, bytes):
        return "[" + " ".join(str(b) for b in value) + "]"  # Go's %v of a []byte
    if isinstance(value, Comment):
        return value.text
    raise TypeError(f"cannot write a {type(value).__name__} as a string")


def is_complex(value: Node | Leaf) -> bool:
    """Whether ``value`` is a mapping or a sequence (sops ``IsComplexValue``)."""
    return isinstance(value, (Mapping, Sequence))
