"""The JSON store: sops's parsing rules, Go's writer byte for byte, and interop with sops."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sekret.sops.metadata import MetadataNotFoundError, OtherKey, from_dict, to_dict
from sekret.sops.tree import Comment, Mapping, Sequence
from sekret.stores.base import StoreError, get_store
from sekret.stores.json import JSONStore
from tests.stores.conftest import (
    NIX_ASSETS,
    Identity,
    seal,
    sops_decrypt,
    sops_encrypt,
    unseal,
)


def load(text: str | bytes) -> Mapping:
    data = text.encode() if isinstance(text, str) else text
    return JSONStore().load_plain(data)[0]


def emit(doc: Mapping) -> str:
    return JSONStore().emit_plain([doc]).decode()


# --- reading -------------------------------------------------------------------------


def test_order_duplicates_and_types() -> None:
    doc = load('{"b": 1, "a": {"x": [1, [2, {"y": null}]], "x": true}, "b": "again"}')
    assert doc.keys() == ["b", "a", "b"]
    assert doc.items[0] == ("b", 1.0)
    assert isinstance(doc.items[0][1], float)
    inner = doc.get("a")
    assert isinstance(inner, Mapping) and inner.keys() == ["x", "x"]
    seq = inner.items[0][1]
    assert isinstance(seq, Sequence)
    assert seq.items[0] == 1.0
    nested = seq.items[1]
    assert isinstance(nested, Sequence)
    assert nested.items[1] == Mapping([("y", None)])
    assert doc.items[2] == ("b", "again")


def test_every_number_is_a_float64() -> None:
    doc = load('{"i": 42, "big": 12345678901234567890, "neg": -0, "e": 1E3}')
    values = [item[1] for item in doc.items]  # type: ignore[index]
    assert all(isinstance(v, float) for v in values)
    assert values[1] == 12345678901234567890.0
    assert str(values[2]) == "-0.0"
    assert emit(doc) == (
        '{\n\t"i": 42,\n\t"big": 12345678901234567000,\n\t"neg": -0,\n\t"e": 1000\n}\n'
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [("[1, 2]", "an array"), ('"str"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_top_level_must_be_an_object(text: str, kind: str) -> None:
    with pytest.raises(StoreError) as e:
        load(text)
    assert e.value.exit_code == 2
    assert f"must be an object, not {kind}" in str(e.value)


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_empty_file(text: str) -> None:
    with pytest.raises(StoreError, match="empty") as e:
        load(text)
    assert e.value.exit_code == 2


def test_syntax_error_has_line_and_no_secret() -> None:
    with pytest.raises(StoreError) as e:
        load('{\n"a": "hunter2",\n"b": "s3cret" "c"\n}')
    assert e.value.line == 3
    assert e.value.exit_code == 2
    assert "hunter2" not in str(e.value) and "s3cret" not in str(e.value)


@pytest.mark.parametrize("const", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_rejected(const: str) -> None:
    with pytest.raises(StoreError):
        load('{"a": ' + const + "}")


def test_trailing_data_is_ignored_in_plaintext_like_sops() -> None:
    # sops reads plaintext token by token and stops after the top-level object
    assert load('{"a": "b"} trailing').keys() == ["a"]
    with pytest.raises(StoreError, match="extra data"):
        JSONStore().load_encrypted(b'{"a": "b", "sops": {"version": "3.11.0"}} x')


def test_invalid_utf8_becomes_replacement_characters_per_byte() -> None:
    # as Go decodes it (sops writes the two U+FFFD raw, as UTF-8)
    doc = load(b'{"k": "a\xff\xfeb"}')
    assert emit(doc) == '{\n\t"k": "a\ufffd\ufffdb"\n}\n'


# --- writing -------------------------------------------------------------------------


def test_layout_is_go_json_indent_with_tabs() -> None:
    doc = load('{"a":{"b":[1,"x",{"c":[]}],"e":{}},"l":[[]]}')
    assert emit(doc) == (
        "{\n"
        '\t"a": {\n'
        '\t\t"b": [\n'
        "\t\t\t1,\n"
        '\t\t\t"x",\n'
        "\t\t\t{\n"
        '\t\t\t\t"c": []\n'
        "\t\t\t}\n"
        "\t\t],\n"
        '\t\t"e": {}\n'
        "\t},\n"
        '\t"l": [\n'
        "\t\t[]\n"
        "\t]\n"
        "}\n"
    )
    assert emit(Mapping()) == "{}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a href='x'>&</a>", "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\""),
        ("line\u2028para\u2029", '"line\\u2028para\\u2029"'),
        ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
        ("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"'),
        ("del\x7f", '"del\x7f"'),
        ("ünï ✓ 😀", '"ünï ✓ 😀"'),
        ('a/b\\c"d', '"a/b\\\\c\\"d"'),
        ("bad\udcff", '"bad\\ufffd"'),  # a non-UTF-8 byte (surrogateescape)
        ("lone\ud800", '"lone\\ufffd"'),
    ],
)
def test_go_string_escaping(value: str, expected: str) -> None:
    assert emit(Mapping([("k", value)])) == '{\n\t"k": ' + expected + "\n}\n"


def test_keys_are_escaped_too() -> None:
    assert emit(Mapping([("k<>", "v")])) == '{\n\t"k\\u003c\\u003e": "v"\n}\n'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42.0, "42"),
        (1.5, "1.5"),
        (-0.0, "-0"),
        (0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (1e-100, "1e-100"),
        (1.5e300, "1.5e+300"),
        (123456789.125, "123456789.125"),
        (2.0**53 + 2, "9007199254740994"),
        (12345678901234567890.0, "12345678901234567000"),
        (7, "7"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (datetime(2024, 1, 2, tzinfo=UTC), '"2024-01-02T00:00:00Z"'),
        (
            datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=timezone(-timedelta(hours=5))),
            '"2001-12-14T21:59:43.1-05:00"',
        ),
        (b"hi", '"aGk="'),
    ],
)
def test_scalars_as_go_marshals_them(value: object, expected: str) -> None:
    assert emit(Mapping([("k", value)])) == '{\n\t"k": ' + expected + "\n}\n"  # type: ignore[list-item]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_cannot_be_written(value: float) -> None:
    with pytest.raises(StoreError) as e:
        emit(Mapping([("k", value)]))
    assert e.value.exit_code == 4


def test_comments_are_dropped() -> None:
    doc = Mapping([Comment(" top"), ("a", Sequence([Comment("c"), "x"])), Comment("end")])
    assert emit(doc) == '{\n\t"a": [\n\t\t"x"\n\t]\n}\n'
    assert emit(Mapping([("m", Mapping([Comment("only")]))])) == '{\n\t"m": {}\n}\n'


def test_only_the_first_document_is_written() -> None:
    out = JSONStore().emit_plain([Mapping([("a", "1")]), Mapping([("b", "2")])])
    assert out == b'{\n\t"a": "1"\n}\n'


def test_round_trip_is_byte_exact_for_canonical_text() -> None:
    text = '{\n\t"a": [\n\t\t1.5,\n\t\ttrue,\n\t\tnull\n\t],\n\t"a": "dup",\n\t"e": ""\n}\n'
    assert emit(load(text)) == text


# --- metadata --------------------------------------------------------------------------

META = {
    "key_groups": [
        {"hc_vault": None, "age": [{"recipient": "age1x", "enc": "-----BEGIN\nx\n"}]},
        {"hc_vault": None, "age": [{"recipient": "age1y", "enc": "e"}]},
    ],
    "shamir_threshold": 2,
    "lastmodified": "2026-01-01T00:00:00Z",
    "mac": "ENC[x]",
    "unencrypted_suffix": "_unencrypted",
    "mac_only_encrypted": True,
    "version": "3.11.0",
}


def test_encrypted_layout_sops_last_metadata_in_struct_order() -> None:
    meta = to_dict(from_dict(META))
    out = JSONStore().emit_encrypted([Mapping([("a", "ENC[v]")])], meta).decode()
    assert out == (
        "{\n"
        '\t"a": "ENC[v]",\n'
        '\t"sops": {\n'
        '\t\t"shamir_threshold": 2,\n'
        '\t\t"key_groups": [\n'
        "\t\t\t{\n"
        '\t\t\t\t"hc_vault": null,\n'
        '\t\t\t\t"age": [\n'
        "\t\t\t\t\t{\n"
        '\t\t\t\t\t\t"recipient": "age1x",\n'
        '\t\t\t\t\t\t"enc": "-----BEGIN\\nx\\n"\n'
        "\t\t\t\t\t}\n"
        "\t\t\t\t]\n"
        "\t\t\t},\n"
        "\t\t\t{\n"
        '\t\t\t\t"hc_vault": null,\n'
        '\t\t\t\t"age": [\n'
        "\t\t\t\t\t{\n"
        '\t\t\t\t\t\t"recipient": "age1y",\n'
        '\t\t\t\t\t\t"enc": "e"\n'
        "\t\t\t\t\t}\n"
        "\t\t\t\t]\n"
        "\t\t\t}\n"
        "\t\t],\n"
        '\t\t"lastmodified": "2026-01-01T00:00:00Z",\n'
        '\t\t"mac": "ENC[x]",\n'
        '\t\t"unencrypted_suffix": "_unencrypted",\n'
        '\t\t"mac_only_encrypted": true,\n'
        '\t\t"version": "3.11.0"\n'
        "\t}\n"
        "}\n"
    )
    docs, raw = JSONStore().load_encrypted(out.encode())
    assert docs == [Mapping([("a", "ENC[v]")])]
    assert from_dict(raw) == from_dict(META)


@pytest.mark.parametrize("text", ['{"a": "b"}', '{"a": "b", "sops": null}'])
def test_no_metadata(text: str) -> None:
    with pytest.raises(MetadataNotFoundError):
        JSONStore().load_encrypted(text.encode())


def test_metadata_that_is_not_an_object() -> None:
    with pytest.raises(StoreError, match="not an object"):
        JSONStore().load_encrypted(b'{"sops": [1]}')


def test_has_metadata() -> None:
    store = JSONStore()
    assert store.has_metadata(b'{"a": 1, "sops": {}}')
    assert not store.has_metadata(b'{"a": {"sops": 1}}')
    assert not store.has_metadata(b"[not json")
    # the parse done by has_metadata is reused once by load_plain
    data = b'{"a": 1}'
    assert not store.has_metadata(data)
    assert store.load_plain(data) == [Mapping([("a", 1.0)])]
    assert store.load_plain(data) == [Mapping([("a", 1.0)])]


def test_emit_value() -> None:
    store = JSONStore()
    assert store.emit_value("raw\nstring") == b"raw\nstring"
    assert store.emit_value(42.0) == b"42"
    assert store.emit_value(True) == b"true"
    assert store.emit_value(None) == b"null"
    assert store.emit_value(Sequence(["a", 1.0])) == b'[\n\t"a",\n\t1\n]'
    assert store.emit_value(Mapping([("k", "v")])) == b'{\n\t"k": "v"\n}\n'


def test_registry() -> None:
    assert isinstance(get_store("json"), JSONStore)


def test_sops_nix_pgp_asset_loads_and_keeps_pgp_keys() -> None:
    data = (NIX_ASSETS / "secrets.json").read_bytes()
    docs, raw = JSONStore().load_encrypted(data)
    assert docs[0].keys() == ["test_key"]
    meta = from_dict(raw)
    (group,) = meta.key_groups
    assert not group.age
    assert [(k.type, k.identifier()) for k in group.others] == [
        ("pgp", "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0")
    ]
    assert isinstance(group.others[0], OtherKey)
    assert meta.version == "3.5.0" and meta.lastmodified == "2020-07-03T08:21:21Z"
    out = JSONStore().emit_encrypted(docs, to_dict(meta))
    again = json.loads(out)["sops"]
    original = json.loads(data)["sops"]
    assert again["pgp"] == original["pgp"]
    assert list(again) == ["lastmodified", "mac", "pgp", "unencrypted_suffix", "version"]
    assert json.loads(out)["test_key"] == json.loads(data)["test_key"]


def test_twenty_thousand_values_are_linear() -> None:
    store = JSONStore()
    doc = Mapping(
        [
            (f"section{s:05d}", Mapping([(f"key{k}", f"value-{s}-{k}-<&>") for k in range(10)]))
            for s in range(2000)
        ]
    )
    start = time.perf_counter()
    out = store.emit_plain([doc])
    back = store.load_plain(out)
    elapsed = time.perf_counter() - start
    assert back == [doc]
    assert elapsed < 2.0, f"emit+load of 20,000 values took {elapsed:.2f}s"


# --- interop with the real sops ------------------------------------------------------

PLAIN = (
    "{\n"
    '\t"db": {\n'
    '\t\t"user": "admin",\n'
    '\t\t"port": 5432,\n'
    '\t\t"ratio": 1.5,\n'
    '\t\t"tiny": 1e-7,\n'
    '\t\t"huge": 1e+21,\n'
    '\t\t"neg": -0,\n'
    '\t\t"on": true,\n'
    '\t\t"nothing": null,\n'
    '\t\t"empty": "",\n'
    '\t\t"html": "\\u003cb\\u003e \\u0026 \\u2028 /",\n'
    '\t\t"ctl": "tab\\there\\u0001"\n'
    "\t},\n"
    '\t"dup": "first",\n'
    '\t"dup": "second",\n'
    '\t"list": [\n'
    '\t\t"one",\n'
    "\t\t2,\n"
    "\t\t[],\n"
    "\t\t{},\n"
    "\t\t{\n"
    '\t\t\t"nested": "ünïcødé ✓"\n'
    "\t\t}\n"
    "\t],\n"
    '\t"public_unencrypted": "visible"\n'
    "}\n"
)


def test_sekret_encrypts_sops_decrypts(tmp_path: Path, age_key: Identity) -> None:
    store = JSONStore()
    enc = seal(store, store.load_plain(PLAIN.encode()), age_key)
    assert json.loads(enc)["public_unencrypted"] == "visible"
    assert sops_decrypt(tmp_path, "s.json", enc, age_key) == PLAIN.encode()


def test_sops_encrypts_sekret_decrypts(tmp_path: Path, age_key: Identity) -> None:
    enc = sops_encrypt(tmp_path, "s.json", PLAIN.encode(), age_key)
    store = JSONStore()
    docs, meta = unseal(store, enc, age_key)
    assert meta.version == "3.11.0"
    assert docs[0].get("dup") == "first" and docs[0].keys().count("dup") == 2
    db = docs[0].get("db")
    assert isinstance(db, Mapping) and db.get("port") == 5432.0
    assert store.emit_plain(docs) == PLAIN.encode()
    # and our emitted encrypted file is what sops emits, apart from random parts
    reemitted = store.emit_encrypted(*store.load_encrypted(enc))
    assert reemitted == enc
