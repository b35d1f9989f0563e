"""Shamir secret sharing of the data key across key groups, byte-compatible with sops.

GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1; one random polynomial per secret byte
with that byte as constant term; share *i* is evaluated at x = i + 1 and serialised as
the y bytes followed by the x byte. Recovery is Lagrange interpolation at 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from sekret.errors import SopsError


def _build_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        # multiply by the generator 3 in GF(2^8) mod 0x11B
        x ^= (x << 1) ^ (0x11B if x & 0x80 else 0)
        x &= 0xFF
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _build_tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[(_LOG[a] - _LOG[b]) % 255]


def split(
    secret: bytes, parts: int, threshold: int, *, rng: Callable[[int], bytes] = os.urandom
) -> list[bytes]:
    """Split ``secret`` into ``parts`` shares, any ``threshold`` of which recover it."""
    if threshold < 2:
        raise SopsError("could not split the data key: the Shamir threshold must be at least 2")
    if parts < threshold:
        raise SopsError("could not split the data key: parts cannot be less than the threshold")
    if parts > 255:
        raise SopsError("could not split the data key: at most 255 parts")
    shares = [bytearray(len(secret) + 1) for _ in range(parts)]
    for i, share in enumerate(shares):
        share[-1] = i + 1
    for j, byte in enumerate(secret):
        coeffs = [byte, *rng(threshold - 1)]
        for i in range(parts):
            x = i + 1
            y = 0
            for c in reversed(coeffs):  # Horner
                y = _mul(y, x) ^ c
            shares[i][j] = y
    return [bytes(s) for s in shares]


def combine(shares: Sequence[bytes]) -> bytes:
    """Recover the secret from shares (y bytes + x byte each)."""
    if len(shares) < 2:
        raise SopsError("at least two Shamir parts are needed to recover the data key")
    length = len(shares[0])
    if length < 2 or any(len(s) != length for s in shares):
        raise SopsError("the Shamir parts have different or invalid lengths")
    xs = [s[-1] for s in shares]
    if len(set(xs)) != len(xs):
        raise SopsError("duplicate Shamir part")
    secret = bytearray(length - 1)
    for j in range(length - 1):
        acc = 0
        for i, xi in enumerate(xs):
            num, den = 1, 1
            for k, xk in enumerate(xs):
                if k != i:
                    num = _mul(num, xk)
                    den = _mul(den, xi ^ xk)
            acc ^= _mul(shares[i][j], _div(num, den))
        secret[j] = acc
    return bytes(secret)
