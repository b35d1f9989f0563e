"""Bech32 (BIP-173 checksum) encode/decode, strict and without the 90-character limit.

age uses Bech32 for its keys: ``age1…`` recipients (lower case) and
``AGE-SECRET-KEY-1…`` identities (upper case). Post-quantum recipients are far longer
than BIP-173's 90 characters, so, as age does, no length limit is applied.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_REV = {c: i for i, c in enumerate(CHARSET)}
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    """The string is not valid Bech32."""


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise Bech32Error("invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` under ``hrp``; the result has the case of ``hrp``'s letters."""
    upper = hrp != hrp.lower()
    lhrp = hrp.lower()
    values = _convert(data, 8, 5, True)
    check = _polymod([*_hrp_expand(lhrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(check >> 5 * (5 - i)) & 31 for i in range(6)]
    s = lhrp + "1" + "".join(CHARSET[v] for v in values + checksum)
    return s.upper() if upper else s


def decode(s: str) -> tuple[str, bytes]:
    """Decode a Bech32 string into (hrp as written, data). Rejects mixed case."""
    if s.lower() != s and s.upper() != s:
        raise Bech32Error("mixed case")
    if any(ord(c) < 33 or ord(c) > 126 for c in s):
        raise Bech32Error("invalid character")
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        raise Bech32Error("separator '1' at invalid position")
    hrp = s[:pos]
    low = s.lower()
    try:
        values = [_REV[c] for c in low[pos + 1 :]]
    except KeyError:
        raise Bech32Error("invalid character in data part") from None
    if _polymod([*_hrp_expand(hrp.lower()), *values]) != 1:
        raise Bech32Error("invalid checksum")
    data = bytes(_convert(values[:-6], 5, 8, False))
    return hrp, data
