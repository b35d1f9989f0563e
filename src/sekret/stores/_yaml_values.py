"""YAML scalars as sops (go-yaml v3) types them, and how go-yaml writes them back.

Plain scalars follow the YAML 1.2 core schema as go-yaml applies it: ``yes``/``no``/
``on``/``off`` are strings, ``010`` is octal, ``0x1F``/``0o17``/``0b11`` and ``1_000``
are integers, timestamps are times. Quoted and block scalars are strings; explicit
tags are honoured and then dropped.
"""

from __future__ import annotations

import binascii
import math
import re

from sekret._dates import UTC, Time, datetime, timedelta, timezone
from sekret._lazy_re import lazy
from sekret.sops.tree import Scalar
from sekret.sops.values import format_float, format_time
from sekret.stores import _yaml_goemit as goemit
from sekret.stores._gofmt import _digits, _exp_form

STR = "tag:yaml.org,2002:str"
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = lazy(r"[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)")
_FLOAT = lazy(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = lazy(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = lazy(r"\.(?:nan|NaN|NAN)")
# go-yaml v3 reads a plain scalar as a time only in these layouts (Go's time.Parse:
# 1-2 digit month, day, hour, minute, second; a 4-digit year): "2006-1-2T15:4:5.9Z07:00"
# (T or t, and a zone: Z or +hh:mm), "2006-1-2 15:4:5.9" (spaces, no zone), "2006-1-2".
_TIMESTAMP = lazy(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[-+]\d{2}:\d{2}))"
    r"|(?: +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?))?"
)


def _int(text: str) -> int:
    t = text.replace("_", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    if t.startswith(("0b", "0o", "0x")):
        return sign * int(t, 0)
    if len(t) > 1 and t.startswith("0"):
        return sign * int(t, 8)  # go-yaml reads a leading 0 as octal
    return sign * int(t)


def _timestamp(m: re.Match[str]) -> datetime:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m.group(4) is not None:  # the T layout, with a zone
        hms, frac, z = m.group(4, 5, 6), m.group(7), m.group(8)
    elif m.group(9) is not None:  # the space layout: no zone, read as UTC
        hms, frac, z = m.group(9, 10, 11), m.group(12), "Z"
    else:
        return datetime(y, mo, d, tzinfo=UTC)
    tz: timezone = UTC
    if z != "Z":
        sign = -1 if z[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(z[1:3]), minutes=int(z[4:6])))
    digits = (frac or "") + "000000000"
    micro, nano = int(digits[:6]), int(digits[6:9])  # Go keeps nanoseconds, cuts the rest
    h, mi, s = (int(x) for x in hms)
    if nano:
        return Time(y, mo, d, h, mi, s, micro, tz, nanosecond=nano)
    return datetime(y, mo, d, h, mi, s, micro, tzinfo=tz)


_WORDLIKE = lazy(r"[A-Za-z_][\w./@-]*")
_SPECIAL = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}
_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"}


#: How every plain scalar that is not a string starts (null, bools, numbers, times).
TYPED_START = frozenset("0123456789+-.~nNtTfF")


def resolve_plain(text: str) -> Scalar:
    """The typed value of a plain (unquoted, untagged) scalar."""
    if text and text[0] not in TYPED_START:
        return text  # e.g. every ENC[…] value
    if _WORDLIKE.fullmatch(text) and text not in _SPECIAL and text[:2] not in ("0x", "0o", "0b"):
        return text  # the common case: an identifier-like word is a string
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    # Each regex below is tried only where it could match (the cheap tests first keep
    # e.g. the metadata's "version: 3.11.0" from compiling all five of them).
    dots = text.count(".")
    if not dots and _INT.fullmatch(text):
        try:
            return _int(text)
        except ValueError:
            return text
    if dots <= 1 and _FLOAT.fullmatch(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    if text[-1] in "fF" and _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if text[-1] in "nN" and _NAN.fullmatch(text):
        return math.nan
    m = _TIMESTAMP.fullmatch(text) if text[4:5] == "-" else None
    if m:
        try:
            return _timestamp(m)
        except ValueError:
            return text
    return text


def resolve_tagged(tag: str, text: str) -> Scalar:
    """The value of a scalar with an explicit tag (custom tags give strings)."""
    short = tag.rsplit(":", 1)[-1]
    if short == "str":
        return text
    if short == "binary":
        try:
            import base64  # !!binary only

            return base64.b64decode("".join(text.split())).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError):
            return text
    if short in ("int", "float", "bool", "null", "timestamp"):
        value = resolve_plain(text)
        if short == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value
    return text


# --- writing -------------------------------------------------------------------------

_SIMPLE = lazy(r"[A-Za-z_/][A-Za-z0-9_./@+-]*(?: [A-Za-z0-9_./@+-]+)*")
#: bytes that were not UTF-8 (kept as surrogates, e.g. from !!binary): go-yaml writes
#: such a string as !!binary
_NOT_UTF8 = lazy("[\\udc80-\\udcff]")


def render_string(s: str, *, key: bool = False) -> str:
    """A one-line string as go-yaml writes it: plain, single or double quoted (a
    string that needs a block, i.e. holds a line break, comes out double-quoted here:
    blocks are :func:`sekret.stores._yaml_render.literal`'s)."""
    if s.startswith("ENC[AES256_GCM,"):
        return s
    if _SIMPLE.fullmatch(s) and s.lower() not in _YAML11_WORDS:
        return s  # fast path: words, paths, hostnames (plain for go-yaml too)
    if _NOT_UTF8.search(s):
        import base64  # only for such strings

        return "!!binary " + base64.b64encode(s.encode("utf-8", "surrogateescape")).decode()
    how = goemit.style(s, isinstance(resolve_plain(s), str), key=key)
    if how == goemit.PLAIN:
        return s
    if how == goemit.SINGLE:
        return goemit.single_quoted(s)
    return goemit.double_quoted(s)


def double_quote(s: str) -> str:
    """A YAML double-quoted scalar, with go-yaml's escapes."""
    return goemit.double_quoted(s)


def go_yaml_float(f: float) -> str:
    """go-yaml's float output: Go ``'g'`` shortest, ``.inf``/``.nan``."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    exp = _digits(f)[1] - 1
    if exp < -4 or exp >= 6:  # Go's shortest 'g' switches to the exponent form here
        return _exp_form(f, upper=False)
    return format_float(f)


def render_scalar(value: Scalar) -> str:
    """Any leaf value as a flow scalar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_yaml_float(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, bytes):
        return render_string(value.decode("utf-8", "surrogateescape"))
    return render_string(value)
