"""Key file, blob and filter functions against git-crypt 0.7's vectors and rules."""

from __future__ import annotations

import base64
import io
import struct

import pytest

from sekret.gitcrypt import blob, filters, keyfile, process
from sekret.gitcrypt.errors import (
    GitCryptError,
    KeyFileIncompatible,
    KeyFileMalformed,
    NotUnlockedError,
    TamperedError,
)
from tests.gitcrypt.vectors import BLOBS, DEFAULT_KEY, TEAM_A_KEY

SECRET_HEX = "dc3b28f2625285299d14"  # a piece of the default key's AES key


def test_parse_and_serialise_round_trip() -> None:
    for raw, name in ((DEFAULT_KEY, None), (TEAM_A_KEY, "team_a")):
        key = keyfile.parse(raw)
        assert key.name == name
        assert [e.version for e in key.entries] == [0]
        assert len(key.latest.aes_key) == 32 and len(key.latest.hmac_key) == 64
        assert keyfile.serialize(key) == raw
    assert len(DEFAULT_KEY) == 148 and len(TEAM_A_KEY) == 162


def test_repr_hides_key_material() -> None:
    key = keyfile.parse(DEFAULT_KEY)
    assert SECRET_HEX not in repr(key) and "dc3b" not in repr(key.latest)


@pytest.mark.parametrize(("key", "plaintext", "expected"), BLOBS)
def test_blob_vectors(key: bytes, plaintext: bytes, expected: str) -> None:
    k = keyfile.parse(key)
    out = blob.encrypt(k.latest, plaintext)
    assert out.hex() == expected
    assert len(out) == len(plaintext) + 22
    assert blob.decrypt(k.latest, out) == plaintext
    assert filters.clean(k, plaintext) == out
    assert filters.smudge(k, out) == filters.Smudged(plaintext, True)


def test_tamper_detected_everywhere() -> None:
    k = keyfile.parse(DEFAULT_KEY)
    good = blob.encrypt(k.latest, b"hello world\n")
    for i in range(10, len(good)):  # every nonce and body byte
        bad = bytearray(good)
        bad[i] ^= 1
        with pytest.raises(TamperedError) as info:
            blob.decrypt(k.entries, bytes(bad))
        assert "hello" not in str(info.value)
    other = keyfile.parse(TEAM_A_KEY)
    with pytest.raises(TamperedError):
        filters.smudge(other, good)


@pytest.mark.parametrize("size", [0, 1, 21, 22, 23, 100])
def test_non_encrypted_input_passes_through_whole(size: int) -> None:
    k = keyfile.parse(DEFAULT_KEY)
    data = bytes(range(1, size + 1))
    assert filters.smudge(k, data) == filters.Smudged(data, False)
    assert filters.textconv(k, data) == data
    assert filters.textconv(None, data) == data
    # a short prefix of the magic is still not encrypted
    assert filters.smudge(k, blob.MAGIC[:size]).data == blob.MAGIC[:size]


def test_textconv_needs_key_for_ciphertext() -> None:
    k = keyfile.parse(DEFAULT_KEY)
    with pytest.raises(NotUnlockedError):
        filters.textconv(None, blob.encrypt(k.latest, b"x"))
    assert filters.textconv(k, blob.encrypt(k.latest, b"x")) == b"x"


def test_large_binary_round_trip() -> None:
    k = keyfile.generate(rng=lambda n: bytes(range(n)))
    data = bytes(range(256)) * 40_000 + b"tail"
    out = filters.clean(k, data)
    assert len(out) == len(data) + 22
    assert filters.smudge(k, out).data == data


def test_skip_empty_key() -> None:
    k = keyfile.generate(skip_empty=True)
    assert filters.clean(k, b"") == b""
    assert filters.smudge(k, b"").data == b""
    assert len(filters.clean(k, b"a")) == 23
    raw = keyfile.serialize(k)
    assert raw[16:24] == struct.pack(">II", 3, 0)
    assert keyfile.parse(raw).skip_empty


def test_generate_named_and_rotate() -> None:
    k = keyfile.generate("team_a")
    assert len(keyfile.serialize(k)) == 162
    r = keyfile.rotate(k)
    assert [e.version for e in r.entries] == [1, 0]
    again = keyfile.parse(keyfile.serialize(r))
    assert again == r and again.multi_version
    old = blob.encrypt(k.latest, b"old")
    new = filters.clean(r, b"new")
    assert filters.smudge(r, old).data == b"old"
    assert filters.smudge(r, new).data == b"new"
    assert r.only_latest().entries == r.entries[:1]


def _swap(raw: bytes, offset: int, value: bytes) -> bytes:
    return raw[:offset] + value + raw[offset + len(value):]


def test_malformed_vs_incompatible() -> None:
    raw = DEFAULT_KEY
    with pytest.raises(KeyFileIncompatible):
        keyfile.parse(_swap(raw, 12, struct.pack(">I", 3)))
    # unknown odd header field: incompatible (git-crypt says "please upgrade")
    with pytest.raises(KeyFileIncompatible):
        keyfile.parse(raw[:16] + struct.pack(">II", 7, 0) + raw[16:])
    # unknown even header / entry field: skipped
    even = raw[:16] + struct.pack(">II", 8, 3) + b"abc" + raw[16:]
    assert keyfile.parse(even).latest == keyfile.parse(raw).latest
    even_entry = raw[:20] + struct.pack(">II", 6, 1) + b"z" + raw[20:]
    assert keyfile.parse(even_entry).latest == keyfile.parse(raw).latest
    with pytest.raises(KeyFileIncompatible):
        keyfile.parse(raw[:20] + struct.pack(">II", 9, 0) + raw[20:])
    for bad in (raw[:-1], raw[:100], raw[:15], b"garbage", raw[:20],
                _swap(raw, 36, struct.pack(">I", 31)),  # AES key length
                raw[:16] + struct.pack(">II", 8, 1 << 21) + raw[16:],
                raw[:16] + struct.pack(">II", 1, 7) + b"default" + raw[16:],
                raw[:16] + struct.pack(">II", 1, 2) + b"a!" + raw[16:],
                raw + raw[20:]):  # version 0 twice
        with pytest.raises(KeyFileMalformed) as info:
            keyfile.parse(bad)
        assert SECRET_HEX not in info.value.diagnostics()
    assert issubclass(KeyFileMalformed, GitCryptError)


def test_parse_any_base64_and_binary() -> None:
    b64 = keyfile.to_base64(keyfile.parse(TEAM_A_KEY))
    assert base64.b64decode(b64) == TEAM_A_KEY
    wrapped = b64[:40] + b"\n" + b64[40:] + b"\r\n"
    assert keyfile.serialize(keyfile.parse_any(wrapped)) == TEAM_A_KEY
    assert keyfile.serialize(keyfile.parse_any(TEAM_A_KEY)) == TEAM_A_KEY
    for bad in (b"", b"aGVsbG8=", b"\xff\xfe", b"not base64 !"):
        with pytest.raises(KeyFileMalformed):
            keyfile.parse_any(bad)
    legacy = keyfile.parse(DEFAULT_KEY).latest
    k = keyfile.parse_legacy(legacy.aes_key.expose() + legacy.hmac_key.expose())
    assert keyfile.serialize(k) == DEFAULT_KEY


def test_key_names() -> None:
    for bad in ("", "default", "a b", "x" * 129, "é"):
        with pytest.raises(GitCryptError):
            keyfile.validate_key_name(bad)
    keyfile.validate_key_name("Team-A_1")


def _pkt(*lines: str) -> bytes:
    return process._text(*lines)


def test_process_protocol() -> None:
    k = keyfile.parse(DEFAULT_KEY)
    big = bytes(200_000)

    def handler(command: str, path: str, data: bytes) -> bytes:
        if command == "clean":
            return filters.clean(k, data)
        return filters.smudge(k, data).data

    enc = blob.encrypt(k.latest, b"hello world\n")
    src = io.BytesIO(
        _pkt("git-filter-client", "version=2")
        + _pkt("capability=clean", "capability=smudge", "capability=delay")
        + _pkt("command=clean", "pathname=a") + process._content(b"hello world\n")
        + _pkt("command=smudge", "pathname=b", "blob=00") + process._content(enc[:5] + b"x")
        + _pkt("command=smudge", "pathname=c") + process._content(big)
        + _pkt("command=clean", "pathname=e") + process._content(b"")
    )
    dst = io.BytesIO()
    errors: list[str] = []
    n = process.serve(src, dst, handler, lambda p, m: errors.append(p))
    assert n == 4 and errors == []
    out = io.BytesIO(dst.getvalue())
    assert process._read_text_list(out) == ["git-filter-server", "version=2"]
    assert process._read_text_list(out) == ["capability=clean", "capability=smudge"]
    assert process._read_text_list(out) == ["status=success"]
    assert process._read_content(out) == enc
    assert process._read_text_list(out) == []
    assert process._read_text_list(out) == ["status=success"]
    assert process._read_content(out) == enc[:5] + b"x"  # not encrypted: passes through
    process._read_text_list(out)
    assert process._read_text_list(out) == ["status=success"]
    assert process._read_content(out) == big
    process._read_text_list(out)
    assert process._read_text_list(out) == ["status=success"]
    assert len(process._read_content(out)) == 22


def test_process_error_status() -> None:
    k = keyfile.parse(DEFAULT_KEY)
    bad = bytearray(blob.encrypt(k.latest, b"secret"))
    bad[-1] ^= 1

    def handler(command: str, path: str, data: bytes) -> bytes:
        return filters.smudge(k, data).data

    src = io.BytesIO(_pkt("git-filter-client", "version=2") + _pkt("capability=smudge")
                     + _pkt("command=smudge", "pathname=s") + process._content(bytes(bad)))
    dst = io.BytesIO()
    errors: list[tuple[str, str]] = []
    process.serve(src, dst, handler, lambda p, m: errors.append((p, m)))
    assert dst.getvalue().endswith(_pkt("status=error"))
    assert b"secret" not in dst.getvalue()
    assert errors and errors[0][0] == "s"
    with pytest.raises(process.ProtocolError):
        process.serve(io.BytesIO(_pkt("hello")), io.BytesIO(), handler)
