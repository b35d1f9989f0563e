"""sekret.crypto._pyca hands out pyca/cryptography's very objects, by the cheap route."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from sekret.crypto import _pyca


def test_binding_route_is_taken() -> None:
    # If a cryptography release moves these, sekret still works (public API), but
    # start-up gets slower: this test is the signal to look again.
    assert _pyca.FAST


def test_aeads_are_the_public_classes() -> None:
    assert _pyca.AESGCM is AESGCM
    assert _pyca.ChaCha20Poly1305 is ChaCha20Poly1305


def test_x25519_keys_are_the_public_types_and_agree() -> None:
    a, b = os.urandom(32), os.urandom(32)
    priv = _pyca.x25519_private(a)
    assert isinstance(priv, X25519PrivateKey)
    ref = X25519PrivateKey.from_private_bytes(a)
    assert priv.public_key().public_bytes_raw() == ref.public_key().public_bytes_raw()
    peer = X25519PrivateKey.from_private_bytes(b).public_key().public_bytes_raw()
    pub = _pyca.x25519_public(peer)
    assert isinstance(pub, X25519PublicKey)
    assert priv.exchange(pub) == ref.exchange(X25519PublicKey.from_public_bytes(peer))
