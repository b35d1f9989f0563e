"""pyca/cryptography's AEADs and X25519, reached without the import cost of its packages.

The public modules hand out Rust objects: ``ciphers.aead.AESGCM`` *is*
``bindings._rust.openssl.aead.AESGCM``. But importing the public module first runs
``ciphers/__init__`` (every cipher, mode and the "decrepit" ones), and
``X25519PrivateKey.from_private_bytes`` loads the whole OpenSSL backend (RSA, EC,
threading, random) to ask whether X25519 is supported before calling the Rust function.
Together that was 30M of the 248M CPU instructions of a 50-value ``sekret decrypt``
(cachegrind), ~12 ms of its wall time. So the same Rust objects are taken from the
binding directly.

Nothing is reimplemented or reconfigured: these are the objects the public API returns,
and ``tests/crypto/test_pyca.py`` checks that they still are. If a future cryptography
moves them, the public API is used instead (slower to import, same behaviour).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the public names, for the type checker
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

    FAST: bool  # whether the binding itself was found

    def x25519_private(data: bytes) -> X25519PrivateKey:
        """An X25519 private key from its 32 raw bytes."""

    def x25519_public(data: bytes) -> X25519PublicKey:
        """An X25519 public key from its 32 raw bytes."""

else:
    try:
        from cryptography.hazmat.bindings._rust import openssl as _rust

        AESGCM = _rust.aead.AESGCM
        ChaCha20Poly1305 = _rust.aead.ChaCha20Poly1305
        x25519_private = _rust.x25519.from_private_bytes
        x25519_public = _rust.x25519.from_public_bytes
        FAST = True
    except (ImportError, AttributeError):  # a cryptography that moved them: public API
        from cryptography.hazmat.primitives.asymmetric.x25519 import (
            X25519PrivateKey,
            X25519PublicKey,
        )
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

        x25519_private = X25519PrivateKey.from_private_bytes
        x25519_public = X25519PublicKey.from_public_bytes
        FAST = False

__all__ = ["AESGCM", "ChaCha20Poly1305", "x25519_private", "x25519_public"]
