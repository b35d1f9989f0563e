"""``sekret set``/``unset`` edited in place against the real sops 3.11 doing the same.

For every case of ``tests/stores/yaml_splice_cases.toml``: one encrypted file, copied;
sops sets (or unsets) on one copy, sekret on the other. ``sops decrypt`` must print the
same text for both (sops re-emits both in its own layout, so the data, the comments and
where they are must be equal), and ``sekret decrypt`` must read both to the same tree,
comments included.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sekret.sops.treediff import first_difference
from sekret.stores.yaml import YamlStore
from tests.sops.conftest import Key, clean_env, sekret, sops

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parents[1] / "stores" / "yaml_splice_cases.toml").read_text(encoding="utf-8")
)["case"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_same_as_sops(case: dict[str, Any], keys: list[Key], tmp_path: Path) -> None:
    env = clean_env(keys[0])
    plain = tmp_path / "plain.yaml"
    plain.write_text(case["input"])
    enc = sekret(["encrypt", "--age", keys[0].recipient, str(plain)], tmp_path, env)
    assert enc.status == 0, enc.err
    by_sops, by_sekret = tmp_path / "sops.yaml", tmp_path / "sekret.yaml"
    by_sops.write_bytes(enc.out)
    shutil.copy(by_sops, by_sekret)
    op = [case["op"], None, case["path"]] + ([case["value"]] if "value" in case else [])
    for tool, path in ((sops, by_sops), (sekret, by_sekret)):
        res = tool([str(path) if a is None else a for a in op], tmp_path, env)
        assert res.status == 0, (tool.__name__, res.err)
    # sops reads both files to the same text (data, comments, their places)
    a = sops(["decrypt", str(by_sops)], tmp_path, env)
    b = sops(["decrypt", str(by_sekret)], tmp_path, env)
    assert a.status == b.status == 0, a.err + b.err
    assert b.out.decode() == a.out.decode()
    # and sekret reads both to the same tree, comments included
    c = sekret(["decrypt", str(by_sops)], tmp_path, env)
    d = sekret(["decrypt", str(by_sekret)], tmp_path, env)
    assert c.status == d.status == 0, c.err + d.err
    if "plaintext_only" not in case:  # (its reason: the encrypted file's layout differs)
        assert d.out.decode() == case["expected"]
    trees = [YamlStore().load_plain(x.out) for x in (c, d)]
    assert first_difference(trees[0], trees[1], comments=True) is None
