"""The dotenv store: sops's line rules, flattened ``sops_`` metadata, interop with sops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sekret.sops.metadata import MetadataError, MetadataNotFoundError, from_dict, to_dict
from sekret.sops.tree import Comment, Mapping, Sequence
from sekret.stores.base import StoreError
from sekret.stores.dotenv import DotenvStore
from tests.stores.conftest import (
    NIX_ASSETS,
    Identity,
    seal,
    sops_decrypt,
    sops_encrypt,
    unseal,
)

PLUS2 = timezone(timedelta(hours=2))


def load(data: bytes) -> Mapping:
    return DotenvStore().load_plain(data)[0]


def emit(doc: Mapping) -> bytes:
    return DotenvStore().emit_plain([doc])


def test_line_rules() -> None:
    doc = load(
        b'# comment\n\nUSER=admin\nSPACED = x \nQ="quoted value"\nexport FOO=1\n'
        b"ML=a\\nb\nEQ=a=b\nEMPTY=\nCR=v\r\nUSER=again\n#\n"
    )
    assert doc.items == [
        Comment(" comment"),
        ("USER", "admin"),
        ("SPACED ", " x "),
        ("Q", '"quoted value"'),
        ("export FOO", "1"),
        ("ML", "a\nb"),
        ("EQ", "a=b"),
        ("EMPTY", ""),
        ("CR", "v\r"),
        ("USER", "again"),
        Comment(""),
    ]


def test_round_trip_drops_only_blank_lines() -> None:
    text = b'#c\nA=1\n\n\nB="x y"\nC=multi\\nline\nA=dup\nD=v\r\n'
    assert emit(load(text)) == text.replace(b"\n\n\n", b"\n")


def test_missing_equals_gives_line_number_not_content() -> None:
    with pytest.raises(StoreError) as e:
        load(b"A=1\n\nhunter2\n")
    assert e.value.exit_code == 2
    assert e.value.line == 3
    assert "hunter2" not in str(e.value)


def test_non_utf8_round_trips() -> None:
    data = b"K\xff=v\xfe\x00\n"
    assert emit(load(data)) == data


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (1.0, "1.0"),
        (42.0, "42.0"),
        (100000.0, "100000.0"),
        (1e6, "1E+06"),
        (1.23456789012e11, "1.23456789012E+11"),
        (1e-5, "1E-05"),
        (1.5e-7, "1.5E-07"),
        (0.0001, "0.0001"),
        (-0.0, "-0.0"),
        (1.5, "1.5"),
        (1e21, "1E+21"),
        (float("nan"), "NaN"),
        (float("inf"), "+Inf"),
        (None, "<nil>"),
        (
            datetime(2024, 1, 1, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-01T10:00:00+02:00",
        ),
        (datetime(2024, 1, 2, tzinfo=UTC), "2024-01-02T00:00:00Z"),
    ],
)
def test_non_strings_are_stringified_like_sops(value: object, text: str) -> None:
    assert emit(Mapping([("k", value)])) == f"k={text}\n".encode()  # type: ignore[list-item]


@pytest.mark.parametrize("value", [Mapping([("x", "1")]), Sequence(["a"])])
def test_complex_values_are_refused(value: object) -> None:
    with pytest.raises(StoreError) as e:
        emit(Mapping([("ok", "1"), ("nested", value)]))  # type: ignore[list-item]
    assert e.value.exit_code == 4
    assert str(e.value) == "cannot use complex value in dotenv file; offending key nested"


def test_emit_value() -> None:
    store = DotenvStore()
    assert store.emit_value("a\nb") == b"a\nb"
    assert store.emit_value(Mapping([("A", "1")])) == b"A=1\n"
    for value in (True, 1.5, None, Sequence([])):
        with pytest.raises(StoreError) as e:
            store.emit_value(value)  # type: ignore[arg-type]
        assert e.value.exit_code == 4


def test_has_metadata() -> None:
    store = DotenvStore()
    assert store.has_metadata(b"A=1\nsops_version=3.11.0\n")
    assert not store.has_metadata(b"A=1\n#sops_version=3\nXsops_=1\n")
    assert not store.has_metadata(b"")


def test_no_metadata() -> None:
    with pytest.raises(MetadataNotFoundError):
        DotenvStore().load_encrypted(b"A=1\n# sops_x=1\n")


META = {
    "key_groups": [
        {"hc_vault": None, "age": [{"recipient": f"age1r{i}", "enc": f"E{i}\nL2\n"}]}
        for i in range(12)
    ],
    "shamir_threshold": 11,
    "lastmodified": "2026-01-01T00:00:00Z",
    "mac": "ENC[m]",
    "encrypted_regex": "^pass",
    "mac_only_encrypted": True,
    "version": "3.11.0",
}


def test_metadata_lines_are_flattened_sorted_and_round_trip() -> None:
    meta = from_dict(META)
    out = DotenvStore().emit_encrypted([Mapping([Comment("c"), ("A", "ENC[a]")])], to_dict(meta))
    lines = out.decode().splitlines()
    assert lines[:2] == ["#c", "A=ENC[a]"]
    keys = [line.split("=", 1)[0] for line in lines[2:]]
    assert keys == sorted(keys)
    # byte-wise order: group 10 and 11 come before group 2
    assert keys[:6] == [
        "sops_encrypted_regex",
        "sops_key_groups__list_0__map_age__list_0__map_enc",
        "sops_key_groups__list_0__map_age__list_0__map_recipient",
        "sops_key_groups__list_10__map_age__list_0__map_enc",
        "sops_key_groups__list_10__map_age__list_0__map_recipient",
        "sops_key_groups__list_11__map_age__list_0__map_enc",
    ]
    assert "sops_key_groups__list_0__map_age__list_0__map_enc=E0\\nL2\\n" in lines
    assert "sops_mac_only_encrypted=true" in lines
    assert "sops_shamir_threshold=11" in lines
    assert not any("hc_vault" in k for k in keys)  # nulls are dropped
    docs, raw = DotenvStore().load_encrypted(out)
    assert docs == [Mapping([Comment("c"), ("A", "ENC[a]")])]
    again = from_dict(raw)
    assert again == meta
    assert [g.age[0].recipient for g in again.key_groups] == [f"age1r{i}" for i in range(12)]
    # any line order is accepted
    shuffled = b"\n".join(reversed(out.split(b"\n")))
    assert from_dict(DotenvStore().load_encrypted(shuffled)[1]) == meta


def test_mac_only_encrypted_needs_exactly_true() -> None:
    raw = DotenvStore().load_encrypted(b"sops_mac_only_encrypted=True\nsops_version=1\n")[1]
    assert raw["mac_only_encrypted"] is False


def test_malformed_flat_keys() -> None:
    with pytest.raises(MetadataError, match="mixes lists and maps"):
        DotenvStore().load_encrypted(b"sops_age__list_0=x\nsops_age__map_y=z\n")
    with pytest.raises(MetadataError, match="is also a parent key"):
        DotenvStore().load_encrypted(b"sops_age__list_0__map_a=x\nsops_age__list_0=z\n")
    with pytest.raises(MetadataError, match="is below a value"):
        DotenvStore().load_encrypted(b"sops_age__list_0=z\nsops_age__list_0__map_a=x\n")


def test_sops_nix_pgp_asset_loads_and_keeps_pgp_keys() -> None:
    data = (NIX_ASSETS / "secrets.env").read_bytes()
    docs, raw = DotenvStore().load_encrypted(data)
    assert docs[0].keys() == ["hello", "example_key", "example_multiline", "never_gonna"]
    assert isinstance(docs[0].items[0], Comment)
    meta = from_dict(raw)
    (group,) = meta.key_groups
    assert [k.identifier() for k in group.others] == [
        "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0",
        "2504791468B153B8A3963CC97BA53D1919C5DFD4",
    ]
    assert group.others[1].fields["enc"].startswith("-----BEGIN PGP MESSAGE-----\n\nhQGMA3ulPR")  # type: ignore[union-attr]
    out = DotenvStore().emit_encrypted(docs, to_dict(meta))
    original = set(data.decode().splitlines())
    assert set(out.decode().splitlines()) == original


PLAIN = (
    b"# a comment\n"
    b"USER=admin\n"
    b"PASSWORD=hunter2\n"
    b'QUOTED="with quotes"\n'
    b"SPACED = x \n"
    b"MULTI=line one\\nline two\n"
    b"EMPTY=\n"
    b"USER=duplicate\n"
    b"UNICODE=\xc3\xbcn\xc3\xaf \xe2\x9c\x93\n"
    b"PUBLIC_unencrypted=visible\n"
)


def test_sekret_encrypts_sops_decrypts(tmp_path: Path, age_key: Identity) -> None:
    store = DotenvStore()
    enc = seal(store, store.load_plain(PLAIN), age_key)
    assert b"PUBLIC_unencrypted=visible\n" in enc and b"EMPTY=\n" in enc
    assert sops_decrypt(tmp_path, "s.env", enc, age_key) == PLAIN


def test_sops_encrypts_sekret_decrypts(tmp_path: Path, age_key: Identity) -> None:
    enc = sops_encrypt(tmp_path, "s.env", PLAIN, age_key)
    store = DotenvStore()
    docs, _ = unseal(store, enc, age_key)
    assert docs[0].get("SPACED ") == " x "
    assert docs[0].get("MULTI") == "line one\nline two"
    assert store.emit_plain(docs) == PLAIN == sops_decrypt(tmp_path, "s.env", enc, age_key)
    # sops writes exactly what we write for the same tree and metadata
    assert store.emit_encrypted(*store.load_encrypted(enc)) == enc
