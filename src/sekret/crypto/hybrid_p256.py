"""HPKE with the ML-KEM-768 + P-256 hybrid KEM, as age's ``mlkem768p256tag`` uses it.

The KEM is MLKEM768-P256 (id 0x0050) of draft-ietf-hpke-pq, which pyca's HPKE does not
offer; it is put together here from pyca's ML-KEM-768, P-256 ECDH and SHA3-256, and the
key schedule of :mod:`sekret.crypto.hpke` (HKDF-SHA256, ChaCha20-Poly1305):

* public key: the ML-KEM-768 encapsulation key (1184 bytes) then an uncompressed
  P-256 point (65 bytes);
* encapsulation: ML-KEM gives ``(ss_PQ, ct_PQ)``; a fresh P-256 key gives ``ss_T``
  (ECDH x-coordinate) and ``ct_T`` (its uncompressed point); ``enc = ct_PQ || ct_T``
  and the shared secret is
  ``SHA3-256(ss_PQ || ss_T || ct_T || pk_T || "MLKEM768-P256")``;
* private key: a 32-byte seed; SHAKE256(seed) gives the 64-byte ML-KEM seed, then
  32-byte candidates for the P-256 scalar, of which the first in range is taken.

Nothing is hand-rolled below pyca's primitives; the known-answer tests are the
draft's vectors (``tests/data/hpke-pq``).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import mlkem

from sekret.crypto import hpke, kdf, p256

KEM_ID = 0x0050
SEED_SIZE = 32
MLKEM_PUBLIC_SIZE = 1184
MLKEM_CIPHERTEXT_SIZE = 1088
MLKEM_SEED_SIZE = 64
PUBLIC_SIZE = MLKEM_PUBLIC_SIZE + p256.UNCOMPRESSED_SIZE
ENC_SIZE = MLKEM_CIPHERTEXT_SIZE + p256.UNCOMPRESSED_SIZE
_LABEL = b"MLKEM768-P256"
#: P-256 scalar candidates drawn from SHAKE256 before giving up: each is out of range
#: with probability below 2^-32, so four are never all rejected in practice.
_CANDIDATES = 4


class InvalidKeyError(ValueError):
    """The public key, seed or encapsulation is malformed."""


def _combine(ss_pq: bytes, ss_t: bytes, ct_t: bytes, pk_t: bytes) -> bytes:
    return kdf.sha3_256(ss_pq + ss_t + ct_t + pk_t + _LABEL)


def check_public(public: bytes) -> None:
    """Raise :class:`InvalidKeyError` unless ``public`` is a valid hybrid public key."""
    if len(public) != PUBLIC_SIZE:
        raise InvalidKeyError("invalid hybrid public key size")
    try:
        mlkem.MLKEM768PublicKey.from_public_bytes(public[:MLKEM_PUBLIC_SIZE])
        p256.check_uncompressed(public[MLKEM_PUBLIC_SIZE:])
    except ValueError:  # p256.InvalidKeyError is one too
        raise InvalidKeyError("invalid hybrid public key") from None


def encapsulate(public: bytes) -> tuple[bytes, bytes]:
    """Encap(pkR): (shared secret, enc)."""
    check_public(public)
    pk_t = public[MLKEM_PUBLIC_SIZE:]
    ss_t, ct_t = p256.ephemeral_exchange(pk_t)
    pq = mlkem.MLKEM768PublicKey.from_public_bytes(public[:MLKEM_PUBLIC_SIZE])
    ss_pq, ct_pq = pq.encapsulate()
    return _combine(ss_pq, ss_t, ct_t, pk_t), ct_pq + ct_t


def _expand(seed: bytes) -> tuple[mlkem.MLKEM768PrivateKey, bytes]:
    if len(seed) != SEED_SIZE:
        raise InvalidKeyError("a hybrid private key is a 32-byte seed")
    stream = kdf.shake256(seed, MLKEM_SEED_SIZE + _CANDIDATES * p256.SCALAR_SIZE)
    pq = mlkem.MLKEM768PrivateKey.from_seed_bytes(stream[:MLKEM_SEED_SIZE])
    for start in range(MLKEM_SEED_SIZE, len(stream), p256.SCALAR_SIZE):
        scalar = stream[start : start + p256.SCALAR_SIZE]
        if p256.valid_scalar(scalar):
            return pq, scalar
    raise InvalidKeyError("no P-256 scalar in the seed's expansion")  # pragma: no cover


def public_from_seed(seed: bytes) -> bytes:
    """The 1249-byte public key of a 32-byte seed."""
    pq, scalar = _expand(seed)
    return pq.public_key().public_bytes_raw() + p256.public_from_scalar(scalar)


def decapsulate(seed: bytes, enc: bytes) -> bytes:
    """Decap(enc, skR): the shared secret."""
    if len(enc) != ENC_SIZE:
        raise InvalidKeyError("invalid encapsulation size")
    pq, scalar = _expand(seed)
    ct_t = enc[MLKEM_CIPHERTEXT_SIZE:]
    try:
        ss_t = p256.exchange(scalar, ct_t)
    except p256.InvalidKeyError:
        raise InvalidKeyError("invalid P-256 share in the encapsulation") from None
    ss_pq = pq.decapsulate(enc[:MLKEM_CIPHERTEXT_SIZE])
    return _combine(ss_pq, ss_t, ct_t, p256.public_from_scalar(scalar))


def seal(public: bytes, plaintext: bytes, info: bytes) -> tuple[bytes, bytes]:
    """HPKE SealBase to ``public``: returns (enc, ciphertext)."""
    shared, enc = encapsulate(public)
    return enc, hpke.seal(shared, KEM_ID, plaintext, info)


def open_(seed: bytes, enc: bytes, ciphertext: bytes, info: bytes) -> bytes:
    """HPKE OpenBase with the key of ``seed``; raises
    :class:`~sekret.crypto.aead.AuthenticationError` if it fails."""
    return hpke.open_(decapsulate(seed, enc), KEM_ID, ciphertext, info)
