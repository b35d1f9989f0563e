"""The ``ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`` value codec, exactly as sops writes it.

Each value is AES-256-GCM with a 32-byte random IV under the file's data key; the AAD
is the value's key path (``a:b:``). The plaintext is the value's sops serialisation
(§1.4 of the spec): ``True``/``False`` for booleans, Go's shortest positional float
format, RFC 3339 (nano) for times, raw UTF-8 for strings.
"""

from __future__ import annotations

import binascii
import math
import os
import re
from collections.abc import Callable

from sekret._dates import UTC, Time, datetime, timedelta, timezone
from sekret._lazy_re import lazy
from sekret.crypto import aead
from sekret.errors import SopsError
from sekret.sops.tree import Comment, Scalar

IV_SIZE = 32
_ENC = lazy(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.S)
_ENC_PREFIX = "ENC[AES256_GCM,data:"
_INT = lazy(r"[+-]?[0-9]+")
_BOOL_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_BOOL_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


class ValueDecryptError(SopsError):
    """A value could not be decrypted (wrong key, tampered, or moved to another path)."""

    exit_code = 25


class ValueEncryptError(SopsError):
    """A value cannot be encrypted (e.g. an integer outside int64)."""

    exit_code = 23


def is_encrypted(value: object) -> bool:
    """Whether ``value`` is an ``ENC[AES256_GCM,…]`` string."""
    return isinstance(value, str) and value.startswith("ENC[AES256_GCM,")


def format_float(f: float) -> str:
    """Go ``strconv.FormatFloat(f, 'f', -1, 64)``: shortest digits, never an exponent."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    from decimal import Decimal  # only floats need it

    s = format(Decimal(repr(f)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def format_time(t: datetime) -> str:
    """Go ``time.MarshalText`` (RFC 3339 with nanoseconds, trailing zeros dropped)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    nano = getattr(t, "nanosecond", 0)
    if t.microsecond or nano:
        base += ("." + f"{t.microsecond:06d}{nano:03d}").rstrip("0")
    offset = t.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return base + "Z"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{base}{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


_RFC3339 = lazy(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_time(s: str) -> datetime:
    """Parse RFC 3339 (as Go ``time.Parse(time.RFC3339, s)``)."""
    m = _RFC3339.fullmatch(s)
    if not m:
        raise ValueError(f"invalid time {s!r}")
    year, mon, day, hh, mm, ss = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    if m.group(8):
        tz: timezone = UTC
    else:
        delta = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        tz = timezone(delta if m.group(9) == "+" else -delta)
    nano = int((frac + "000000000")[6:9]) if len(frac) > 6 else 0
    if nano:
        return Time(year, mon, day, hh, mm, ss, micro, tz, nanosecond=nano)
    return datetime(year, mon, day, hh, mm, ss, micro, tzinfo=tz)


def serialise(value: Scalar | Comment) -> tuple[bytes, str]:
    """The plaintext bytes sops encrypts for ``value``, and its type name."""
    if isinstance(value, Comment):
        return value.text.encode(), "comment"
    if isinstance(value, bool):
        return (b"True" if value else b"False"), "bool"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueEncryptError(
                "cannot encrypt an integer outside the 64-bit range",
                hint="quote it to store it as a string",
            )
        return str(value).encode(), "int"
    if isinstance(value, float):
        return format_float(value).encode(), "float"
    if isinstance(value, datetime):
        return format_time(value).encode(), "time"
    if isinstance(value, bytes):
        return value, "str"
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape"), "str"
    raise ValueEncryptError(f"cannot encrypt a value of type {type(value).__name__}")


def mac_bytes(value: Scalar) -> bytes:
    """What a value contributes to the MAC: its serialisation (nothing for None)."""
    if value is None:
        return b""
    return serialise(value)[0]


def deserialise(plaintext: bytes, type_name: str) -> Scalar | Comment:
    """Turn decrypted bytes back into a typed value."""
    try:
        if type_name == "str":
            return plaintext.decode("utf-8", "surrogateescape")
        if type_name == "int":
            text = plaintext.decode()
            if not _INT.fullmatch(text):
                raise ValueError(text)
            return int(text)
        if type_name == "float":
            text = plaintext.decode()
            special = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan, "Inf": math.inf}
            return special[text] if text in special else float(text)
        if type_name == "bool":
            text = plaintext.decode()
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
            raise ValueError(text)
        if type_name == "time":
            return parse_time(plaintext.decode())
        if type_name == "comment":
            return Comment(plaintext.decode("utf-8", "surrogateescape"))
        if type_name == "bytes":
            return plaintext
    except (ValueError, UnicodeDecodeError):
        raise ValueDecryptError(f"cannot parse a decrypted {type_name} value") from None
    raise ValueDecryptError(f"unknown datatype {type_name!r}")


#: IVs drawn from ``rng`` per call: one getrandom() per 128 new values, not one per value
#: (the syscall was 8% of sealing a value). IVs are public; the pool holds nothing secret.
_IV_POOL = 128 * IV_SIZE


class Cipher:
    """Encrypts and decrypts values under one data key (one AES object, reused).

    ``rng(n)`` gives ``n`` random bytes; new IVs are cut from its output, ``IV_SIZE``
    bytes each, in order.
    """

    def __init__(self, data_key: bytes, *, rng: Callable[[int], bytes] = os.urandom) -> None:
        if len(data_key) != 32:
            raise SopsError("the data key must be 32 bytes")
        self._key = data_key
        self._rng = rng
        self._ivs = b""
        self._iv_at = 0

        self._seal = aead.aes_gcm_sealer(data_key)
        self._open = aead.aes_gcm_opener(data_key)

    def encrypt(
        self,
        value: Scalar | Comment,
        aad: str,
        *,
        iv: bytes | None = None,
        raw: tuple[bytes, str] | None = None,
    ) -> str:
        """``ENC[…]`` for ``value`` at path ``aad`` (``iv`` reuses a stashed IV; ``raw``
        is ``serialise(value)`` when the caller has it already).

        An empty string stays empty, as sops leaves it.
        """
        if isinstance(value, str) and value == "":
            return ""
        plaintext, type_name = raw if raw is not None else serialise(value)
        return self.seal(plaintext, type_name, aad, iv)

    def seal(self, plaintext: bytes, type_name: str, aad: str, iv: bytes | None = None) -> str:
        """``ENC[…]`` for a serialised value (the engine's per-value path: no checks)."""
        if iv is None:
            at = self._iv_at
            if at == len(self._ivs):
                self._ivs, at = self._rng(_IV_POOL), 0
                if len(self._ivs) != _IV_POOL:
                    raise SopsError("the random source returned too few bytes")
            iv = self._ivs[at : at + IV_SIZE]
            self._iv_at = at + IV_SIZE
        sealed = self._seal(iv, plaintext, aad.encode())
        b64 = binascii.b2a_base64
        return (
            f"ENC[AES256_GCM,data:{b64(sealed[:-16], newline=False).decode()},"
            f"iv:{b64(iv, newline=False).decode()},"
            f"tag:{b64(sealed[-16:], newline=False).decode()},type:{type_name}]"
        )

    def decrypt(self, text: str, aad: str) -> tuple[Scalar | Comment, bytes]:
        """Decrypt an ``ENC[…]`` string at path ``aad``; return (value, its IV)."""
        if text == "":
            return "", b""
        _, iv, value = self.decrypt_raw(text, aad)
        return value, iv

    def decrypt_raw(self, text: str, aad: str) -> tuple[bytes, bytes, Scalar | Comment]:
        """Decrypt an ``ENC[…]`` string: (plaintext bytes, IV, typed value)."""
        fields = _fields(text)
        if fields is None:
            raise ValueDecryptError(
                "a value does not match sops' data format",
                hint="an encrypted value was replaced by a clear one",
            )
        data_b64, iv_b64, tag_b64, type_name = fields
        b64 = binascii.a2b_base64
        try:
            iv = b64(iv_b64, strict_mode=True)
            tag = b64(tag_b64, strict_mode=True)
            sealed = b64(data_b64, strict_mode=True) + tag
        except ValueError:  # binascii.Error, or a non-ASCII character
            raise ValueDecryptError("an encrypted value has invalid base64") from None
        if len(tag) != 16 or not iv:
            raise ValueDecryptError("an encrypted value has a malformed tag or iv")
        try:
            plaintext = self._open(iv, sealed, aad.encode())
        except aead.AuthenticationError:
            raise ValueDecryptError(
                f"could not decrypt the value at {aad[:-1]!r}: authentication failed",
                hint="the value was tampered with, moved to another key, or the data key is wrong",
            ) from None
        if type_name == "str":
            return plaintext, iv, plaintext.decode("utf-8", "surrogateescape")
        return plaintext, iv, deserialise(plaintext, type_name)


def _fields(text: str) -> tuple[str, str, str, str] | None:
    """data, iv, tag and type of an ``ENC[…]`` string (sops's regex, unanchored at the
    end), or None.

    The shape sops writes (no field holds a comma or "]") is split by hand: the same
    fields as the regex, and compiling the regex alone cost 1% of a small decrypt.
    """
    if text.startswith(_ENC_PREFIX) and text.endswith("]"):
        body = text[20:-1]
        parts = body.split(",")
        if len(parts) == 4 and "]" not in body:
            data, iv, tag, kind = parts
            if iv[:3] == "iv:" and tag[:4] == "tag:" and kind[:5] == "type:":
                fields = data, iv[3:], tag[4:], kind[5:]
                if all(fields):
                    return fields
    m = _ENC.match(text)
    return None if m is None else m.groups()  # type: ignore[return-value]
