"""The binary store: any bytes as one ``data`` string in a JSON envelope; interop with sops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sekret.sops.metadata import from_dict, to_dict
from sekret.sops.tree import Mapping, Sequence
from sekret.sops.values import Cipher, serialise
from sekret.stores.base import StoreError, format_for_path, get_store
from sekret.stores.binary import BinaryStore
from tests.stores.conftest import (
    NIX_ASSETS,
    Identity,
    run_sops,
    seal,
    sops_decrypt,
    sops_encrypt,
    unseal,
)

ODD_BYTES = [
    b"",
    b"raw bytes\n",
    b"no newline",
    b"\x00\x01\x02\xff\xfe\x80 invalid utf-8 \xc3\x28 \xed\xa0\x80",
    bytes(range(256)),
    "ünïcødé ✓ 😀\r\n".encode(),
]


@pytest.mark.parametrize("data", ODD_BYTES)
def test_plain_round_trip_of_any_bytes(data: bytes) -> None:
    store = BinaryStore()
    docs = store.load_plain(data)
    assert docs[0].keys() == ["data"]
    value = docs[0].get("data")
    assert isinstance(value, str)
    assert serialise(value) == (data, "str")  # what gets encrypted: the exact bytes
    assert store.emit_plain(docs) == data


@pytest.mark.parametrize("data", ODD_BYTES)
def test_value_codec_round_trip(data: bytes) -> None:
    store = BinaryStore()
    value = store.load_plain(data)[0].get("data")
    cipher = Cipher(bytes(32))
    back, _ = cipher.decrypt(cipher.encrypt(value, "data:"), "data:")  # type: ignore[arg-type]
    assert store.emit_plain([Mapping([("data", back)])]) == data  # type: ignore[list-item]


def test_emit_plain_needs_a_data_string() -> None:
    store = BinaryStore()
    for docs in ([Mapping([("other", "x")])], [Mapping([("data", 1.5)])], [], [Mapping()] * 2):
        with pytest.raises(StoreError) as e:
            store.emit_plain(docs)
        assert e.value.exit_code == 4
        assert e.value.hint and "likely not an encrypted binary file" in e.value.hint
    assert store.emit_plain([Mapping([("data", b"raw\xff")])]) == b"raw\xff"


def test_emit_value() -> None:
    store = BinaryStore()
    assert store.emit_value("raw\udcff") == b"raw\xff"  # --extract '["data"]' prints the bytes
    for value in (1.5, True, None, Sequence([])):
        with pytest.raises(StoreError, match="not structured") as e:
            store.emit_value(value)  # type: ignore[arg-type]
        assert e.value.exit_code == 4


def test_envelope_layout_and_no_metadata_detection() -> None:
    store = BinaryStore()
    meta = {"age": [{"recipient": "age1x", "enc": "e\n"}], "lastmodified": "t", "mac": "m"}
    meta["version"] = "3.11.0"
    out = store.emit_encrypted([Mapping([("data", "ENC[x]")])], meta)
    assert out.decode() == (
        "{\n"
        '\t"data": "ENC[x]",\n'
        '\t"sops": {\n'
        '\t\t"age": [\n'
        "\t\t\t{\n"
        '\t\t\t\t"recipient": "age1x",\n'
        '\t\t\t\t"enc": "e\\n"\n'
        "\t\t\t}\n"
        "\t\t],\n"
        '\t\t"lastmodified": "t",\n'
        '\t\t"mac": "m",\n'
        '\t\t"version": "3.11.0"\n'
        "\t}\n"
        "}\n"
    )
    assert store.load_encrypted(out) == ([Mapping([("data", "ENC[x]")])], meta)
    # sops never looks for metadata in a binary file: encrypting one again is allowed
    assert not store.has_metadata(out)


def test_registry_and_extension() -> None:
    assert isinstance(get_store("binary"), BinaryStore)
    assert format_for_path("secrets.env.local") == "binary"


def test_sops_nix_pgp_asset_loads_and_keeps_pgp_keys() -> None:
    data = (NIX_ASSETS / "secrets.bin").read_bytes()
    docs, raw = BinaryStore().load_encrypted(data)
    assert docs[0].keys() == ["data"]
    meta = from_dict(raw)
    assert [k.type for k in meta.key_groups[0].others] == ["pgp"]
    out = BinaryStore().emit_encrypted(docs, to_dict(meta))
    assert json.loads(out)["sops"]["pgp"] == json.loads(data)["sops"]["pgp"]
    assert json.loads(out)["data"] == json.loads(data)["data"]


# --- interop with the real sops ----------------------------------------------------------


@pytest.mark.parametrize("data", [ODD_BYTES[0], ODD_BYTES[3], ODD_BYTES[4]])
def test_sekret_encrypts_sops_decrypts(tmp_path: Path, age_key: Identity, data: bytes) -> None:
    store = BinaryStore()
    enc = seal(store, store.load_plain(data), age_key, rule=None)
    assert "unencrypted_suffix" not in json.loads(enc)["sops"]
    assert sops_decrypt(tmp_path, "s.bin", enc, age_key) == data


@pytest.mark.parametrize("data", [ODD_BYTES[0], ODD_BYTES[3], ODD_BYTES[4]])
def test_sops_encrypts_sekret_decrypts(tmp_path: Path, age_key: Identity, data: bytes) -> None:
    enc = sops_encrypt(tmp_path, "s.bin", data, age_key)
    store = BinaryStore()
    docs, meta = unseal(store, enc, age_key)
    assert meta.crypt_rule is None
    assert store.emit_plain(docs) == data
    assert store.emit_encrypted(*store.load_encrypted(enc)) == enc
    (tmp_path / "e.bin").write_bytes(enc)
    extracted = run_sops(["decrypt", "--extract", '["data"]', "e.bin"], tmp_path, age_key)
    assert extracted.status == 0 and extracted.out == data
    assert store.emit_value(docs[0].items[0][1]) == data  # type: ignore[index]
