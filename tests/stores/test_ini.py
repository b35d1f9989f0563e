"""The INI store: go-ini's reading and pretty writing as sops uses them, interop with sops."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sekret.sops.metadata import MetadataNotFoundError, from_dict, to_dict
from sekret.sops.tree import Comment, Mapping, Sequence
from sekret.stores.base import StoreError
from sekret.stores.ini import INIStore
from sekret.stores.json import JSONStore
from tests.stores.conftest import (
    NIX_ASSETS,
    Identity,
    seal,
    sops_decrypt,
    sops_encrypt,
    unseal,
)


def load(data: bytes) -> Mapping:
    return INIStore().load_plain(data)[0]


def emit(doc: Mapping) -> bytes:
    return INIStore().emit_plain([doc])


def section(doc: Mapping, name: str, index: int = 0) -> Mapping:
    found = [v for k, v in (i for i in doc.items if not isinstance(i, Comment)) if k == name]
    value = found[index]
    assert isinstance(value, Mapping)
    return value


# --- reading ---------------------------------------------------------------------------


def test_sections_default_and_repeats() -> None:
    doc = load(b"a = 1\n[db]\nuser = admin\n[db]\nx=1\n[empty]\n")
    assert doc.keys() == ["DEFAULT", "db", "db", "empty"]
    assert section(doc, "DEFAULT").items == [("a", "1")]
    assert section(doc, "db", 1).items == [("x", "1")]
    assert section(doc, "empty").items == []
    # DEFAULT is always there, even when empty
    assert load(b"[s]\nk=v\n").keys() == ["DEFAULT", "s"]
    assert load(b"").keys() == ["DEFAULT"]


def test_duplicate_keys_last_value_first_position_last_comment() -> None:
    doc = load(b"[s]\n; c1\nk = one ; inline\nother = x\nk = two\n")
    assert section(doc, "s").items == [("k", "two"), ("other", "x")]
    doc = load(b"[s]\nk = one\nother = x\n# c2\nk = two\n")
    assert section(doc, "s").items == [("k", "two"), Comment("c2"), ("other", "x")]


def test_comments() -> None:
    doc = load(b"# c1\n; c2\n[s] ; header comment\n#   k1\nk1 = v1 # inline\nk2 = v2\n; trailing\n")
    assert section(doc, "s").items == [
        Comment("c1\n; c2\n; header comment"),
        ("k1", "v1"),
        Comment("k1\n# inline"),
        ("k2", "v2"),
    ]


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("k = v", "k", "v"),
        ("k=v", "k", "v"),
        ("k: v", "k", "v"),
        ("  k   =   spaced value  ", "k", "spaced value"),
        ("k\t=\tv\t", "k", "v"),
        ("k = 'single'", "k", "single"),
        ('k = "double"', "k", "double"),
        ('k = "a"b"', "k", '"a"b"'),
        ("k = `has;semi`", "k", "has;semi"),
        ('k = """tri"""', "k", "tri"),
        ('k = " lead"', "k", " lead"),
        ("k = a#b", "k", "a"),
        ('k = "a;b"', "k", '"a'),
        ("k =", "k", ""),
        ("k = ;c", "k", ""),
        ("k = a=b", "k", "a=b"),
        ('"quoted key" = 1', "quoted key", "1"),
        ("`bt=key` = 2", "bt=key", "2"),
        ("k:colon = 3", "k", "colon = 3"),
        ("k = ünï ✓", "k", "ünï ✓"),
    ],
)
def test_values_are_read_like_go_ini(line: str, key: str, value: str) -> None:
    doc = load(f"[s]\n{line}\n".encode())
    assert section(doc, "s").items[0] == (key, value)


def test_multiline_and_continuation() -> None:
    doc = load(b'[s]\ntq = """multi\nline"""\nlong = p1 \\\n   p2\\\n p3\nafter = x\n')
    assert section(doc, "s").items == [
        ("tq", "multi\nline"),
        ("long", "p1 p2p3"),
        ("after", "x"),
    ]


def test_auto_increment_keys_and_crlf_and_bom() -> None:
    doc = load(b"\xef\xbb\xbf[s]\r\n- = a\r\n- = b\r\nk = v\r\n")
    assert section(doc, "s").items == [("#1", "a"), ("#2", "b"), ("k", "v")]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"[s]\nk = v\nhunter2\n", 3),
        (b"[s\n", 1),
        (b"[]\n", 1),
        (b"= v\n", 1),
        (b'[s]\nk = """never closed\nhunter2\n', 3),
        (b'[s]\n"unclosed = 1\n', 2),
    ],
)
def test_parse_errors_have_line_numbers_and_no_content(data: bytes, line: int) -> None:
    with pytest.raises(StoreError) as e:
        load(data)
    assert e.value.exit_code == 2
    assert e.value.line == line
    assert "hunter2" not in str(e.value)


# --- writing ---------------------------------------------------------------------------


def test_pretty_output() -> None:
    data = b"; top\n[db]\nuser = admin ; inline\n# c2\npassword = s3cret\n[db]\nx=1\n[empty]\n"
    assert emit(load(data)) == (
        b"; top\n"
        b"[db]\n"
        b"; inline\n"
        b"user     = admin\n"
        b"; c2\n"
        b"password = s3cret\n"
        b"\n"
        b"[db]\n"
        b"x = 1\n"
        b"\n"
        b"[empty]\n"
    )


def test_default_section_has_no_header_unless_not_first() -> None:
    assert emit(load(b"a = 1\n[s]\nk = v\n")) == b"a = 1\n\n[s]\nk = v\n"
    assert emit(load(b"[DEFAULT]\nx = 1\n")) == b"[DEFAULT]\nx = 1\n"
    assert emit(load(b"")) == b""


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        (" lead", '" lead"'),
        ("trail ", '"trail "'),
        ("a;b", "`a;b`"),
        ("a#b", "`a#b`"),
        ("a\nb", '"""a\nb"""'),
        ("a`b", '"""a`b"""'),
        ("", ""),
        ('say "hi"', 'say "hi"'),
    ],
)
def test_value_quoting(value: str, written: str) -> None:
    doc = Mapping([("s", Mapping([("k", value)]))])
    assert emit(doc) == f"[s]\nk = {written}\n".encode()
    assert section(load(emit(doc)), "s").items == [("k", value)]


def test_key_quoting_and_alignment() -> None:
    doc = Mapping([("s", Mapping([("a", "1"), ("k=y", "2"), ('q"', "3"), ("b`t", "4")]))])
    assert emit(doc) == (b'[s]\na         = 1\n`k=y`     = 2\n`q"`      = 3\n"""b`t""" = 4\n')


def test_alignment_counts_bytes() -> None:
    doc = Mapping([("s", Mapping([("ü", "1"), ("abc", "2")]))])
    assert emit(doc) == "[s]\nü  = 1\nabc = 2\n".encode()


def test_non_strings_are_stringified_like_sops() -> None:
    doc = Mapping(
        [
            (
                "s",
                Mapping(
                    [
                        ("f", 1.0),
                        ("g", 1e6),
                        ("b", True),
                        ("i", 3),
                        ("n", None),
                        ("t", datetime(2024, 1, 2, tzinfo=UTC)),
                    ]
                ),
            )
        ]
    )
    assert emit(doc) == (
        b"[s]\nf = 1.0\ng = 1E+06\nb = true\ni = 3\nn = <nil>\nt = 2024-01-02T00:00:00Z\n"
    )


def test_tree_comments_follow_sops_placement() -> None:
    doc = Mapping(
        [
            Comment("top-level comments have nowhere to go"),
            (
                "s",
                Mapping(
                    [
                        Comment("section"),
                        Comment("dropped: no key before it"),
                        ("a", "1"),
                        Comment("overwritten"),
                        Comment("for a"),
                        ("b", "2"),
                    ]
                ),
            ),
        ]
    )
    assert emit(doc) == b"; section\n[s]\n; for a\na = 1\nb = 2\n"


def test_top_level_values_must_be_sections() -> None:
    with pytest.raises(StoreError, match="Section values should always be TreeBranches") as e:
        emit(Mapping([("s", Mapping([("k", "v")])), ("scalar", "x")]))
    assert e.value.exit_code == 4


@pytest.mark.parametrize("value", [Mapping([("x", "1")]), Sequence(["a", "b"])])
def test_deeper_nesting_is_refused(value: object) -> None:
    with pytest.raises(StoreError, match=r"offending key s\.k") as e:
        emit(Mapping([("s", Mapping([("k", value)]))]))  # type: ignore[list-item]
    assert e.value.exit_code == 4


def test_several_documents_are_all_written() -> None:
    out = INIStore().emit_plain(
        [Mapping([("a", Mapping([("k", "1")]))]), Mapping([("b", Mapping())])]
    )
    assert out == b"[a]\nk = 1\n\n[b]\n"


def test_emit_value() -> None:
    store = INIStore()
    assert store.emit_value("raw") == b"raw"
    assert store.emit_value(42.0) == b"42"
    assert store.emit_value(None) == b"null"
    assert store.emit_value(Sequence(["a", 1.0])) == b'["a",1]'
    assert store.emit_value(Mapping([("s", Mapping([("k", "v")]))])) == b"[s]\nk = v\n"


# --- metadata --------------------------------------------------------------------------

META = {
    "age": [{"recipient": f"age1r{i}", "enc": f"-----BEGIN\nE{i}\n"} for i in range(11)],
    "lastmodified": "2026-01-01T00:00:00Z",
    "mac": "ENC[m]",
    "unencrypted_suffix": "_unencrypted",
    "version": "3.11.0",
}


def test_metadata_section_sorted_and_any_order_accepted() -> None:
    meta = from_dict(META)
    out = INIStore().emit_encrypted([load(b"[s]\nk = ENC[x]\n")], to_dict(meta))
    text = out.decode()
    head, sops = text.split("\n\n[sops]\n")
    assert head == "[s]\nk = ENC[x]"
    lines = sops.splitlines()
    keys = [line.split(" ", 1)[0] for line in lines]
    assert keys == sorted(keys)
    assert keys[:4] == [
        "age__list_0__map_enc",
        "age__list_0__map_recipient",
        "age__list_10__map_enc",
        "age__list_10__map_recipient",
    ]
    assert "age__list_0__map_enc        = -----BEGIN\\nE0\\n" in lines
    assert len({line.index(" = ") for line in lines}) == 1  # aligned
    docs, raw = INIStore().load_encrypted(out)
    assert docs[0].keys() == ["DEFAULT", "s"]
    assert from_dict(raw) == meta
    reordered = "[sops]\n" + "\n".join(reversed(lines)) + "\n[s]\nk = ENC[x]\n"
    assert from_dict(INIStore().load_encrypted(reordered.encode())[1]) == meta


def test_no_metadata_and_has_metadata() -> None:
    store = INIStore()
    with pytest.raises(MetadataNotFoundError):
        store.load_encrypted(b"[s]\nk = v\n")
    assert store.has_metadata(b"[s]\nk=v\n[sops]\nversion = 1\n")
    assert not store.has_metadata(b"[s]\nsops = 1\n")
    assert not store.has_metadata(b"[broken\n")


def test_sops_nix_pgp_asset_loads_and_keeps_pgp_keys() -> None:
    data = (NIX_ASSETS / "secrets.ini").read_bytes()
    docs, raw = INIStore().load_encrypted(data)
    welcome = section(docs[0], "Welcome!")
    assert isinstance(welcome.items[0], Comment)
    assert welcome.items[0].text.startswith("ENC[AES256_GCM,")
    assert welcome.keys() == ["hello", "example_key", "never_gonna"]
    meta = from_dict(raw)
    (group,) = meta.key_groups
    assert [k.identifier() for k in group.others] == [
        "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0",
        "2504791468B153B8A3963CC97BA53D1919C5DFD4",
    ]
    out = INIStore().emit_encrypted(docs, to_dict(meta))
    assert out.split(b"\n\n[sops]\n")[0] == data.split(b"\n\n[sops]\n")[0]
    # (sops 3.7 ended the file with a blank line; 3.11 does not)
    assert sorted(out.split(b"\n\n[sops]\n")[1].splitlines()) == sorted(
        data.split(b"\n\n[sops]\n")[1].rstrip(b"\n").splitlines()
    )


# --- interop with the real sops ----------------------------------------------------------

PLAIN = (
    b"top = level\n"
    b"\n"
    b"; database settings\n"
    b"[database]\n"
    b"; the user\n"
    b"user     = admin\n"
    b"password = `s3cret;#`\n"
    b'lead     = " spaced "\n'
    b'multi    = """line one\nline two"""\n'
    b"empty    = \n"
    b"unicode  = \xc3\xbcn\xc3\xaf \xe2\x9c\x93\n"
    b"\n"
    b"[database]\n"
    b"again = second section\n"
    b"\n"
    b"[public_unencrypted]\n"
    b"visible = yes\n"
)


def _split_sops(data: bytes) -> tuple[bytes, list[bytes]]:
    body, meta = data.split(b"\n\n[sops]\n")
    return body, sorted(meta.splitlines())


def test_sekret_encrypts_sops_decrypts(tmp_path: Path, age_key: Identity) -> None:
    store = INIStore()
    enc = seal(store, store.load_plain(PLAIN), age_key)
    assert b"visible = yes\n" in enc
    assert sops_decrypt(tmp_path, "s.ini", enc, age_key) == PLAIN


def test_sops_encrypts_sekret_decrypts(tmp_path: Path, age_key: Identity) -> None:
    enc = sops_encrypt(tmp_path, "s.ini", PLAIN, age_key)
    store = INIStore()
    docs, _ = unseal(store, enc, age_key)
    assert section(docs[0], "database").get("password") == "s3cret;#"
    assert store.emit_plain(docs) == PLAIN == sops_decrypt(tmp_path, "s.ini", enc, age_key)
    # the tree converts to JSON exactly as sops converts it (DEFAULT included)
    as_json = sops_decrypt(tmp_path, "s.ini", enc, age_key, "--output-type", "json")
    assert JSONStore().emit_plain(docs) == as_json
    # re-emitting gives sops's file; only the [sops] key order (random in sops) differs
    assert _split_sops(store.emit_encrypted(*store.load_encrypted(enc))) == _split_sops(enc)


def test_sops_reads_our_encrypted_comments(tmp_path: Path, age_key: Identity) -> None:
    plain = b"; section comment\n[s]\n# key comment\nk = v ; inline\n"
    store = INIStore()
    enc = seal(store, store.load_plain(plain), age_key)
    assert enc.startswith(b"; ENC[AES256_GCM,")
    assert sops_decrypt(tmp_path, "s.ini", enc, age_key) == (
        b"; section comment\n[s]\n; key comment\n; inline\nk = v\n"
    )
