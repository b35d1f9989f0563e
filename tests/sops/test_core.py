"""sops core: value codec, float/time formats, Shamir, MAC, crypt rules, tree walk."""

from __future__ import annotations

import itertools
import math
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sekret.errors import SopsError
from sekret.sops import engine, shamir, values
from sekret.sops import tree as t
from sekret.sops.rules import CryptRules, RuleError
from sekret.sops.values import Cipher, ValueDecryptError, format_float, format_time, parse_time


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.14, "3.14"),
        (1.0, "1"),
        (42.0, "42"),
        (1e21, "1000000000000000000000"),
        (1.5e-7, "0.00000015"),
        (-0.0, "-0"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
        (12345678901234567890.0, "12345678901234567000"),
    ],
)
def test_go_float_format(value: float, text: str) -> None:
    assert format_float(value) == text


def test_time_format_and_parse() -> None:
    assert format_time(datetime(2024, 1, 2, tzinfo=UTC)) == "2024-01-02T00:00:00Z"
    plus2 = timezone(timedelta(hours=2))
    assert format_time(datetime(2024, 1, 1, 10, tzinfo=plus2)) == "2024-01-01T10:00:00+02:00"
    t1 = datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=timezone(-timedelta(hours=5)))
    assert format_time(t1) == "2001-12-14T21:59:43.1-05:00"
    assert parse_time(format_time(t1)) == t1
    with pytest.raises(ValueError):
        parse_time("2024-01-02")


@pytest.mark.parametrize("value", ["s", "", "ünï", 5, -7, 1.5, True, False])
def test_value_roundtrip_and_aad(value: object) -> None:
    c = Cipher(os.urandom(32))
    enc = c.encrypt(value, "a:b:")  # type: ignore[arg-type]
    if value == "":
        assert enc == ""  # sops never encrypts empty strings
        return
    assert enc.startswith("ENC[AES256_GCM,data:") and ",iv:" in enc
    assert c.decrypt(enc, "a:b:")[0] == value
    with pytest.raises(ValueDecryptError):
        c.decrypt(enc, "a:c:")  # moved to another key


def test_new_ivs_are_consecutive_slices_of_the_random_source() -> None:
    calls: list[int] = []
    stream = itertools.count()

    def rng(n: int) -> bytes:
        calls.append(n)
        return bytes(next(stream) % 256 for _ in range(n))

    c = Cipher(os.urandom(32), rng=rng)
    ivs = [c.decrypt(c.encrypt(f"v{i}", "k:"), "k:")[1] for i in range(300)]
    assert all(len(iv) == values.IV_SIZE for iv in ivs)
    drawn = bytes(i % 256 for i in range(sum(calls)))
    assert ivs == [drawn[i * 32 : i * 32 + 32] for i in range(300)]
    assert len(calls) == 3  # 128 IVs per draw, not one call per value
    real = Cipher(os.urandom(32))  # os.urandom: every IV new, across pool refills
    assert len({real.decrypt(real.encrypt("x", "k:"), "k:")[1] for _ in range(300)}) == 300


def test_short_random_source_is_refused() -> None:
    c = Cipher(os.urandom(32), rng=lambda n: bytes(n - 1))
    with pytest.raises(SopsError, match="too few bytes"):
        c.encrypt("x", "k:")


def test_value_tamper_and_format_errors() -> None:
    c = Cipher(os.urandom(32))
    enc = c.encrypt("secret", "k:")
    data = enc.split("data:")[1].split(",")[0]
    flipped = enc.replace(data, ("A" if data[0] != "A" else "B") + data[1:])
    with pytest.raises(ValueDecryptError) as info:
        c.decrypt(flipped, "k:")
    assert "secret" not in str(info.value)
    with pytest.raises(ValueDecryptError):
        c.decrypt("plain text", "k:")


def test_shamir_any_two_of_three() -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, 3, 2)
    assert [s[-1] for s in shares] == [1, 2, 3]
    for pair in itertools.combinations(shares, 2):
        assert shamir.combine(list(pair)) == secret
    with pytest.raises(SopsError):
        shamir.split(secret, 1, 2)


def test_shamir_known_answer() -> None:
    """Fixed coefficients: y(x) = s + c·x in GF(2^8) with the AES polynomial."""
    rng = iter([bytes([0x02])] * 3)
    shares = shamir.split(b"\x01", 2, 2, rng=lambda n: next(rng))
    # x=1: 0x01 ^ (0x02·0x01) = 0x03; x=2: 0x01 ^ (0x02·0x02) = 0x05
    assert shares == [b"\x03\x01", b"\x05\x02"]


def _doc() -> t.Mapping:
    return t.Mapping(
        [
            t.Comment(" top"),
            ("db", t.Mapping([("user", "admin"), ("pass_unencrypted", "clear"), ("port", 5432)])),
            ("list", t.Sequence([t.Comment(" in list"), "a", 1.5, True, None, ""])),
        ]
    )


def test_engine_roundtrip_mac_and_stash() -> None:
    c = Cipher(os.urandom(32))
    rules = CryptRules(None)
    [enc], mac = engine.encrypt_documents([_doc()], c, rules)
    db = enc.get("db")
    assert isinstance(db, t.Mapping)
    assert str(db.get("user")).startswith("ENC[")
    assert db.get("pass_unencrypted") == "clear"
    [dec], result = engine.decrypt_documents([enc], c, rules)
    assert result.mac == mac
    assert t.to_python(dec) == t.to_python(_doc())
    [again], mac2 = engine.encrypt_documents([dec], c, rules, stash=result.stash)
    assert t.to_python(again) == t.to_python(enc)  # unchanged values keep IV and ciphertext
    assert mac2 == mac


@pytest.mark.parametrize(
    ("rule", "path", "stack", "is_comment", "expected"),
    [
        (("encrypted_regex", "^pass"), ["db", "password"], [], False, True),
        (("encrypted_regex", "^pass"), ["db", "user"], [], False, False),
        (("unencrypted_regex", "^pub"), ["public"], [], False, False),
        (("encrypted_suffix", "_enc"), ["x_enc", "y"], [], False, True),
        (("unencrypted_comment_regex", "clear"), ["a"], [["keep clear"]], False, False),
        (("encrypted_comment_regex", "sops:enc"), ["a"], [[" sops:enc"]], False, True),
        (("encrypted_comment_regex", "sops:enc"), ["a"], [[" sops:enc"]], True, False),
        (("encrypted_comment_regex", "sops:enc"), ["a"], [[" sops:enc", "next"]], True, True),
    ],
)
def test_crypt_rules(
    rule: tuple[str, str], path: list[str], stack: list[list[str]], is_comment: bool, expected: bool
) -> None:
    assert CryptRules(rule).should_encrypt(path, stack, is_comment) is expected


def test_bad_regex_is_a_clear_error() -> None:
    with pytest.raises(RuleError):
        CryptRules(("encrypted_regex", "("))


@given(
    st.lists(
        st.sampled_from(
            ["ENC[AES256_GCM,", "data:", "iv:", "tag:", "type:", "str", "AA==", ",", "]", "[",
             "\n", "ENC[AES256_GCM,data:"]
        ),
        max_size=14,
    )
)
def test_enc_fields_fast_path_agrees_with_sops_regex(parts: list[str]) -> None:
    text = "".join(parts)
    if len(parts) > 2 and parts[0] != "ENC[AES256_GCM,":
        text = "ENC[AES256_GCM,data:" + text  # mostly near-valid shapes
    m = values._ENC.match(text)
    assert values._fields(text) == (None if m is None else m.groups())


@pytest.mark.parametrize("only_encrypted", [False, True])
def test_mac_is_sha512_of_the_values_across_batches(only_encrypted: bool) -> None:
    import hashlib

    from sekret.sops.mac import MAC_ONLY_ENCRYPTED_PREFIX, MacBuilder

    mac = MacBuilder(mac_only_encrypted=only_encrypted)
    fed = [f"v{i}".encode() for i in range(2500)]  # more than two batches
    for i, p in enumerate(fed):
        mac.add(p, encrypted=i % 3 != 0)
    counted = [p for i, p in enumerate(fed) if not only_encrypted or i % 3 != 0]
    prefix = MAC_ONLY_ENCRYPTED_PREFIX if only_encrypted else b""
    want = hashlib.sha512(prefix + b"".join(counted)).hexdigest().upper()
    assert mac.hexdigest() == want
    assert mac.hexdigest() == want  # stable once finalized
