"""P-256 HPKE and the MLKEM768-P256 hybrid KEM, against the HPKE vectors (tests/data/hpke-pq).

``hybrid_p256`` puts a KEM that pyca lacks together from pyca's primitives, so it is
checked against the draft-ietf-hpke-pq vectors: public key from the private seed,
decapsulation, key schedule, and the first message of each context (opened here with
pyca's AES-128-GCM, the vectors' AEAD). ``DeriveKeyPair``, which sekret itself never
needs, is written out here from RFC 9180 §7.1.3 and the draft to check the vectors'
seeds and to derive age's tagged test keys (tests/age/test_tag.py).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sekret.crypto import aead, hpke, hybrid_p256, p256
from tests.conftest import vendored

DATA = vendored("hpke-pq")
HYBRID = json.loads((DATA / "mlkem768-p256.json").read_text())
CLASSIC = json.loads((DATA / "rfc9180-p256-chacha.json").read_text())


def derive_p256(ikm: bytes) -> bytes:
    """DeriveKeyPair of DHKEM(P-256, HKDF-SHA256): the private scalar."""
    suite = hpke.kem_suite_id(0x0010)
    prk = hpke.labeled_extract(suite, b"", b"dkp_prk", ikm)
    for counter in range(256):
        candidate = hpke.labeled_expand(suite, prk, b"candidate", bytes([counter]), 32)
        if p256.valid_scalar(candidate):
            return candidate
    raise AssertionError("unreachable")


def derive_hybrid(ikm: bytes) -> bytes:
    """DeriveKeyPair of MLKEM768-P256: SHAKE256 LabeledDerive of the 32-byte seed."""
    label = b"DeriveKeyPair"
    h = hashes.Hash(hashes.SHAKE256(32))
    h.update(
        ikm
        + b"HPKE-v1"
        + hpke.kem_suite_id(hybrid_p256.KEM_ID)
        + len(label).to_bytes(2, "big")
        + label
        + (32).to_bytes(2, "big")
    )
    return h.finalize()


def _hex(v: dict[str, Any], key: str) -> bytes:
    return bytes.fromhex(v[key])


def test_vectors_are_the_expected_suites() -> None:
    assert [(v["kem_id"], v["kdf_id"]) for v in HYBRID] == [(0x50, 1), (0x50, 0x10)]
    assert [(v["kem_id"], v["kdf_id"], v["aead_id"]) for v in CLASSIC] == [(0x10, 1, 3)]


@pytest.mark.parametrize("v", HYBRID, ids=lambda v: f"kdf{v['kdf_id']}")
def test_hybrid_kem_known_answers(v: dict[str, Any]) -> None:
    seed = _hex(v, "skRm")
    assert derive_hybrid(_hex(v, "ikmR")) == seed
    assert hybrid_p256.public_from_seed(seed) == _hex(v, "pkRm")
    assert hybrid_p256.decapsulate(seed, _hex(v, "enc")) == _hex(v, "shared_secret")


def test_hpke_key_schedule_known_answer() -> None:
    (v,) = [v for v in HYBRID if v["kdf_id"] == hpke.KDF_HKDF_SHA256]
    key, nonce = hpke.key_schedule(
        _hex(v, "shared_secret"), hybrid_p256.KEM_ID, _hex(v, "info"), aead_id=v["aead_id"]
    )
    assert (key, nonce) == (_hex(v, "key"), _hex(v, "base_nonce"))
    first = v["encryptions"][0]
    assert bytes.fromhex(first["nonce"]) == nonce  # sequence number 0
    pt = AESGCM(key).decrypt(nonce, bytes.fromhex(first["ct"]), bytes.fromhex(first["aad"]))
    assert pt == bytes.fromhex(first["pt"])


def test_p256_known_answer_keys() -> None:
    (v,) = CLASSIC
    scalar = derive_p256(_hex(v, "ikmR"))
    assert scalar == _hex(v, "skRm")
    assert p256.public_from_scalar(scalar) == _hex(v, "pkRm")
    assert p256.uncompress(p256.compress(_hex(v, "pkRm"))) == _hex(v, "pkRm")


def test_p256_seal_open_roundtrip() -> None:
    scalar = derive_p256(os.urandom(32))
    point = p256.public_from_scalar(scalar)
    enc, ct = p256.seal(point, b"file key 16 byte", b"info")
    assert len(enc) == p256.ENC_SIZE and len(ct) == 32
    assert p256.open_(scalar, enc, ct, b"info") == b"file key 16 byte"
    with pytest.raises(aead.AuthenticationError):
        p256.open_(scalar, enc, ct, b"other info")
    with pytest.raises(aead.AuthenticationError):
        p256.open_(derive_p256(b"another"), enc, ct, b"info")


def test_hybrid_seal_open_roundtrip() -> None:
    seed = os.urandom(32)
    public = hybrid_p256.public_from_seed(seed)
    enc, ct = hybrid_p256.seal(public, b"file key 16 byte", b"info")
    assert len(enc) == hybrid_p256.ENC_SIZE and len(ct) == 32
    assert hybrid_p256.open_(seed, enc, ct, b"info") == b"file key 16 byte"
    with pytest.raises(aead.AuthenticationError):
        hybrid_p256.open_(seed, enc, ct, b"other info")
    with pytest.raises(aead.AuthenticationError):
        hybrid_p256.open_(os.urandom(32), enc, ct, b"info")
    bad_share = enc[: hybrid_p256.MLKEM_CIPHERTEXT_SIZE] + b"\x04" + bytes(64)
    with pytest.raises(hybrid_p256.InvalidKeyError):
        hybrid_p256.open_(seed, bad_share, ct, b"info")


@pytest.mark.parametrize(
    "point",
    [
        b"",
        b"\x02" + b"\xff" * 32,  # x beyond the field: no such point
        b"\x04" + bytes(64),  # uncompressed where compressed is expected
        b"\x05" + bytes(32),
        bytes(33),
    ],
)
def test_invalid_compressed_points_are_refused(point: bytes) -> None:
    with pytest.raises(p256.InvalidKeyError):
        p256.uncompress(point)


def test_invalid_uncompressed_points_are_refused() -> None:
    good = p256.public_from_scalar(derive_p256(b"x"))
    for bad in (good[:-1], b"\x04" + bytes(64), p256.compress(good), b"\x02" + good[1:]):
        with pytest.raises(p256.InvalidKeyError):
            p256.check_uncompressed(bad)
        with pytest.raises(p256.InvalidKeyError):
            p256.seal(bad, b"k", b"")


def test_scalars_out_of_range() -> None:
    order = bytes.fromhex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
    assert not p256.valid_scalar(bytes(32))
    assert not p256.valid_scalar(order)
    assert not p256.valid_scalar(b"\x01" * 31)
    assert p256.valid_scalar(order[:-1] + bytes([order[-1] - 1]))


def test_hybrid_public_key_checks() -> None:
    good = hybrid_p256.public_from_seed(os.urandom(32))
    hybrid_p256.check_public(good)
    bad_mlkem = b"\xff" * hybrid_p256.MLKEM_PUBLIC_SIZE + good[hybrid_p256.MLKEM_PUBLIC_SIZE :]
    compressed_t = good[: hybrid_p256.MLKEM_PUBLIC_SIZE] + p256.compress(
        good[hybrid_p256.MLKEM_PUBLIC_SIZE :]
    )
    for bad in (good[:-1], bad_mlkem, compressed_t, good[:-64] + bytes(64)):
        with pytest.raises(hybrid_p256.InvalidKeyError):
            hybrid_p256.check_public(bad)
    with pytest.raises(hybrid_p256.InvalidKeyError):
        hybrid_p256.decapsulate(os.urandom(32), bytes(hybrid_p256.ENC_SIZE - 1))
    with pytest.raises(hybrid_p256.InvalidKeyError):
        hybrid_p256.public_from_seed(bytes(31))
