"""RSA private-key numbers and PKCS #1 v1.5 signatures, for keys pyca has loaded.

OpenPGP stores an RSA secret key as its numbers and signs with RSASSA-PKCS1-v1_5
(RFC 4880 §5.2.2, §5.5.3); both come from pyca here, so nothing above this package
imports ``cryptography``.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sekret._record import record


@record(frozen=True)
class RSANumbers:
    """The numbers of an RSA private key; ``iqmp`` is q⁻¹ mod p (pyca's, PKCS #1's)."""

    n: int
    e: int
    d: int
    p: int
    q: int
    iqmp: int

    def __repr__(self) -> str:
        return f"RSANumbers(<{self.n.bit_length()} bits, redacted>)"


def private_numbers(key: rsa.RSAPrivateKey) -> RSANumbers:
    """The numbers of ``key``."""
    pn = key.private_numbers()
    return RSANumbers(pn.public_numbers.n, pn.public_numbers.e, pn.d, pn.p, pn.q, pn.iqmp)


def sign_pkcs1v15_sha256(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 over SHA-256(``message``): deterministic, ``n``'s size in bytes."""
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
