"""X25519 with the all-zero shared-secret check age requires."""

from __future__ import annotations

import os

from sekret.crypto._pyca import x25519_private, x25519_public


class LowOrderPointError(ValueError):
    """The exchange produced the all-zero shared secret (a low-order or identity point)."""


def public_from_private(scalar: bytes) -> bytes:
    """The 32-byte X25519 public key (u-coordinate) for a 32-byte scalar."""
    return x25519_private(scalar).public_key().public_bytes_raw()


def exchange(scalar: bytes, peer_public: bytes) -> bytes:
    """X25519(scalar, peer); raise :class:`LowOrderPointError` for an all-zero result."""
    try:
        shared = x25519_private(scalar).exchange(
            x25519_public(peer_public)
        )
    except ValueError:  # pyca refuses the all-zero output itself
        raise LowOrderPointError("low-order point") from None
    if shared == bytes(32):
        raise LowOrderPointError("low-order point")
    return shared


def random_scalar(rng: bytes | None = None) -> bytes:
    """32 random bytes for a new X25519 key (``rng`` fixes them for known-answer tests)."""
    return rng if rng is not None else os.urandom(32)
