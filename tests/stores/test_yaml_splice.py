"""``set`` of a new key and ``unset`` change only their own lines (issue 14).

The cases of ``yaml_splice_cases.toml`` are run on the plaintext store (the exact text)
and through ``sekret encrypt`` / ``set`` / ``unset`` in-process (the diff of the
encrypted file has the same hunks as the plaintext's, plus the sops block's
``lastmodified`` and ``mac`` lines).
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sekret.cli.sops_set import parse_path, parse_value, set_value, unset_value
from sekret.files import document
from sekret.stores import _yaml_splice
from sekret.stores.yaml import YamlStore, parse
from tests.cli.helpers import run_cli

CASES: list[dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("yaml_splice_cases.toml").read_text(encoding="utf-8")
)["case"]
IDS = [c["id"] for c in CASES]
assert len(set(IDS)) == len(IDS), "case ids are unique"


def apply(case: dict[str, Any], store: YamlStore, data: bytes) -> list[Any]:
    """The case's input loaded by ``store`` and its operation applied to the tree."""
    docs = store.load_plain(data)
    if case["op"] == "set":
        set_value(docs[0], parse_path(case["path"], "set"), parse_value(case["value"]))
    else:
        unset_value(docs[0], parse_path(case["path"], "unset"))
    return docs


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_plaintext_text(case: dict[str, Any]) -> None:
    store = YamlStore()
    data = case["input"].encode()
    docs = apply(case, store, data)
    spliced = _yaml_splice.splice(case["input"], 0, docs[0], parse)
    if "fallback" in case:
        assert spliced is None, "this case must not be edited in place"
    else:
        assert spliced is not None, "this case must be edited in place"
    assert store.emit_plain(docs).decode() == case["expected"]
    # and through the checked pipeline (read back and compared with the tree)
    again = YamlStore()
    assert document.emit_plain(apply(case, again, data), again).decode() == case["expected"]


def _hunks(a: str, b: str) -> list[tuple[str, int, int]]:
    """The changed hunks from ``a`` to ``b``: kind, lines removed, lines added."""
    m = difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False)
    return [(tag, i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in m.get_opcodes() if tag != "equal"]


def _split_sops(text: str) -> tuple[str, list[str]]:
    """The document without its ``sops:`` block, and the block's lines."""
    head, _, block = text.partition("\nsops:\n")
    return head + "\n", block.splitlines()


@pytest.fixture(scope="module")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    from sekret.age import X25519Identity

    ident = X25519Identity.generate()
    path = tmp_path_factory.mktemp("key") / "keys.txt"
    path.write_text(ident.to_string() + "\n")
    return str(ident.recipient()), path


@pytest.mark.parametrize("case", [c for c in CASES if "fallback" not in c], ids=lambda c: c["id"])
def test_encrypted_diff(case: dict[str, Any], age_key: tuple[str, Path], tmp_path: Path) -> None:
    recipient, key = age_key
    environ = {"SOPS_AGE_KEY_FILE": str(key)}
    f = tmp_path / "f.yaml"
    f.write_text(case["input"])
    assert run_cli(["encrypt", "--age", recipient, "-i", "f.yaml"], tmp_path).status == 0
    before = f.read_text()
    args = [case["op"], "f.yaml", case["path"]] + ([case["value"]] if "value" in case else [])
    res = run_cli(args, tmp_path, environ=environ)
    assert res.status == 0, res.err
    after = f.read_text()
    doc_before, block_before = _split_sops(before)
    doc_after, block_after = _split_sops(after)
    multi_line = any("|" in line.split("#")[0] for line in case["input"].splitlines())
    if not multi_line:  # (a literal block's lines are one ENC[…] line once encrypted)
        assert _hunks(doc_before, doc_after) == _hunks(case["input"], case["expected"])
    else:
        assert [h[0] for h in _hunks(doc_before, doc_after)] == [
            h[0] for h in _hunks(case["input"], case["expected"])
        ]
    changed = [
        line
        for line in difflib.unified_diff(block_before, block_after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert all(line[1:].lstrip().startswith(("lastmodified:", "mac:")) for line in changed)
    dec = run_cli(["decrypt", "f.yaml"], tmp_path, environ=environ)
    assert dec.status == 0, dec.err
    assert dec.out == case["expected"]
