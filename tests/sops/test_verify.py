"""Verify before replace: what sekret writes is read back and decrypted before it lands.

The oracle for "readable" is the real sops: each input that used to give an unreadable
file must now give one sops decrypts to the same data. The mechanism itself is tested
with stores that emit wrong bytes on purpose: the write is refused and the file on disk
stays byte for byte what it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sekret.age import X25519Identity
from sekret.files import document, verify
from sekret.sops import tree as t
from sekret.sops.metadata import AgeKey, KeyGroup
from sekret.sops.treediff import first_difference
from sekret.stores import base
from sekret.stores import json as json_store
from sekret.stores import yaml as yaml_store
from tests.sops.conftest import Key, clean_env, sekret, sops

SECRET = "s3cr3t-value-never-in-messages"


@pytest.mark.parametrize(
    "text",
    [
        "a:\nb: 1\n",  # an empty value before another key (was written `a:null`)
        "\ufeffa: 1\n",  # a UTF-8 byte order mark
        "a: 1\n...\n",  # a document-end marker
        "l:\n- \n- x\n",  # a list item with no value (was written `-null`)
        "a: |+\n  x\n\nb: 1\n",  # a keep-chomping block followed by a blank line
        "{}\n",  # an empty flow mapping (decrypted output did not read back)
        "---\n",  # a document-start marker alone: an empty document
        "null\n",  # a null document, which sops reads as an empty mapping
        "---\na: 1\n---\n",  # a trailing empty document
        "a: [{}]\nb: {}\nc: []\n",  # empty collections inside a list
    ],
    ids=[
        "empty-value",
        "bom",
        "doc-end",
        "empty-item",
        "keep-chomp",
        "flow-empty",
        "start-only",
        "null-doc",
        "trailing-empty-doc",
        "empty-in-list",
    ],
)
def test_inputs_that_gave_unreadable_files_now_read_back_with_sops(
    tmp_path: Path, keys: list[Key], text: str
) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "f.yaml").write_bytes(text.encode())
    expected = [d or {} for d in yaml.safe_load_all(text.lstrip("\ufeff"))]
    r = sekret(["encrypt", "-i", "--age", key.recipient, "f.yaml"], tmp_path, env)
    assert r.status == 0, r.err
    for tool in (sops, sekret):
        out = tool(["decrypt", "f.yaml"], tmp_path, env)
        assert out.status == 0, out.err
        assert [d or {} for d in yaml.safe_load_all(out.out)] == expected


def _options() -> tuple[document.EncryptOptions, X25519Identity]:
    ident = X25519Identity.generate()
    group = KeyGroup(age=[AgeKey(str(ident.recipient()))])
    return document.EncryptOptions(key_groups=[group]), ident


class _DropsAValue(json_store.JSONStore):
    """A JSON store that loses the last value when it writes an encrypted file."""

    def emit_encrypted(self, docs: list[t.Mapping], metadata: dict[str, object]) -> bytes:
        return super().emit_encrypted([t.Mapping(docs[0].items[:-1])], metadata)


class _SwapsValues(json_store.JSONStore):
    """A JSON store that writes two ENC strings under each other's keys."""

    def emit_encrypted(self, docs: list[t.Mapping], metadata: dict[str, object]) -> bytes:
        items = list(docs[0].items)
        (ka, va), (kb, vb) = items[0], items[1]  # type: ignore[misc]
        return super().emit_encrypted([t.Mapping([(ka, vb), (kb, va)])], metadata)


@pytest.mark.parametrize("store_cls", [_DropsAValue, _SwapsValues])
def test_a_store_that_writes_wrong_bytes_is_caught(store_cls: type) -> None:
    opts, _ = _options()
    data = json.dumps({"a": SECRET, "b": "other"}).encode()
    with pytest.raises(verify.VerifyError) as caught:
        document.encrypt(data, store_cls(), opts)
    assert SECRET not in str(caught.value) and "other" not in str(caught.value)
    assert "nothing was written" in str(caught.value)


def test_the_cli_leaves_the_file_untouched_when_verification_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    from sekret.cli import main

    _, ident = _options()
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"a": SECRET, "b": "other"}))
    before = path.read_bytes()
    real_get = base.get_store
    monkeypatch.setattr(json_store, "STORE_CLASS", _DropsAValue)
    status = main(["encrypt", "-i", "--age", str(ident.recipient()), str(path)])
    monkeypatch.setattr(json_store, "STORE_CLASS", json_store.JSONStore)
    assert base.get_store is real_get
    assert status != 0
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temp file left
    err = capsysbinary.readouterr().err.decode()
    assert err.count("sekret: error:") == 1 and "Traceback" not in err
    assert SECRET not in err


def test_a_wrong_in_place_yaml_edit_falls_back_to_writing_the_document_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opts, ident = _options()
    calls: list[bool] = []
    real = yaml_store.YamlStore._emit

    def broken_in_place(self, docs, metadata):  # type: ignore[no-untyped-def]
        in_place = bool(self._docs)
        calls.append(in_place)
        out: bytes = real(self, docs, metadata)
        return out.replace(b"b: ENC", b"c: ENC") if in_place else out

    monkeypatch.setattr(yaml_store.YamlStore, "_emit", broken_in_place)
    enc = document.encrypt(b"# c\na: 1\nb: two\n", yaml_store.YamlStore(), opts)
    assert calls == [True, False]  # the in-place text was refused, the whole one kept
    opened = document.open_(enc, yaml_store.YamlStore(), lambda _r: [ident])
    assert t.to_python(opened.docs[0]) == {"a": 1, "b": "two"}


def test_json_with_empty_collections_in_a_list_converts_to_yaml(
    tmp_path: Path, keys: list[Key]
) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "j.json").write_text('{"a": [{}, []], "b": {}}')
    r = sekret(["encrypt", "--age", key.recipient, "j.json"], tmp_path, env)
    (tmp_path / "e.json").write_bytes(r.out)
    for tool in (sekret, sops):
        out = tool(["decrypt", "--output-type", "yaml", "e.json"], tmp_path, env)
        assert out.status == 0, out.err
        assert yaml.safe_load(out.out) == {"a": [{}, []], "b": {}}


def test_decrypted_output_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    opts, ident = _options()
    enc = document.encrypt(b'{"a": "x", "b": 2}', json_store.JSONStore(), opts)
    opened = document.open_(enc, json_store.JSONStore(), lambda _r: [ident])
    assert json.loads(document.emit_plain(opened.docs, opened.store)) == {"a": "x", "b": 2}
    monkeypatch.setattr(json_store.JSONStore, "emit_plain", lambda self, docs: b'{"a": "x"}')
    with pytest.raises(verify.VerifyError):
        document.emit_plain(opened.docs, opened.store)


def test_updatekeys_output_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    opts, ident = _options()
    enc = document.encrypt(b'{"a": "x", "b": 2}', json_store.JSONStore(), opts)
    other = X25519Identity.generate()
    groups = [KeyGroup(age=[AgeKey(str(ident.recipient())), AgeKey(str(other.recipient()))])]
    out, _, _ = document.update_keys(enc, json_store.JSONStore(), lambda _r: [ident], groups, 0)
    opened = document.open_(out, json_store.JSONStore(), lambda _r: [other])
    assert t.to_python(opened.docs[0]) == {"a": "x", "b": 2}
    monkeypatch.setattr(json_store, "STORE_CLASS", _DropsAValue)
    with pytest.raises(verify.VerifyError):
        document.update_keys(enc, _DropsAValue(), lambda _r: [ident], groups, 0)


@pytest.mark.parametrize(
    ("a", "b", "found"),
    [
        ({"k": SECRET}, {"k": SECRET}, None),
        ({"k": SECRET}, {"k": SECRET + "x"}, "doc 0: ['k']: a different str value"),
        ({"k": 1}, {"k": True}, "doc 0: ['k']: a int became a bool"),
        ({"k": [1, 2]}, {"k": [1]}, "doc 0: ['k']: 2 entries written as 1"),
        ({"k": {"x": 1}}, {"k": None}, "doc 0: ['k']: a mapping became a null"),
        ({"k": 1}, {"j": 1}, "doc 0: entry 0: a different key"),
    ],
)
def test_first_difference_names_the_place_never_the_value(
    a: dict[str, object], b: dict[str, object], found: str | None
) -> None:
    got = first_difference([t.from_python(a)], [t.from_python(b)])  # type: ignore[list-item]
    assert got == found
    assert got is None or SECRET not in got


def test_first_difference_numbers_and_comments() -> None:
    one = t.Mapping([t.Comment(" c"), ("k", 1.0)])
    other = t.Mapping([("k", 1)])
    assert first_difference([one], [other]) is not None
    assert first_difference([one], [other], comments=False, loose_numbers=True) is None
    assert first_difference([one], [other], comments=False) is not None
    nan = t.Mapping([("k", float("nan"))])
    assert first_difference([nan], [t.Mapping([("k", float("nan"))])]) is None
