"""Inputs at the edges: deep nesting, alias bombs, strings that are not UTF-8.

The oracle is the real sops: what it reads, sekret reads (and the reverse); what it
refuses, sekret refuses with one clear error line, fast, and nothing written.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.sops.conftest import Key, Result, clean_env, sekret, sops


def _one_error(r: Result) -> None:
    assert r.status != 0
    lines = r.err.splitlines()
    assert [ln for ln in lines if ln.startswith("sekret: error:")] == lines[:1], r.err
    assert "Traceback" not in r.err and "internal error" not in r.err


def _loads(text: str | bytes) -> str:
    """JSON text in a canonical form, with room for 10,000 levels (the default limit
    stops json and == at ~1,000)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    finally:
        sys.setrecursionlimit(old)


def _deep_yaml(levels: int) -> str:
    return "k:" + "".join("\n" + " " * i + "k:" for i in range(1, levels)) + " 1\n"


def _deep_json(levels: int) -> str:
    return '{"k":' * levels + "1" + "}" * levels + "\n"


@pytest.mark.parametrize(
    ("name", "text"),
    [("deep.yaml", _deep_yaml(9_999)), ("deep.json", _deep_json(9_999))],
)
def test_what_sops_nests_deepest_reads_both_ways(
    tmp_path: Path, keys: list[Key], name: str, text: str
) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / name).write_text(text)
    expected = _loads(_deep_json(9_999))
    ours = sekret(["encrypt", "--age", key.recipient, name], tmp_path, env)
    theirs = sops(["encrypt", "--age", key.recipient, name], tmp_path, env)
    assert ours.status == 0 and theirs.status == 0, ours.err + theirs.err
    for tool, file in ((sops, ours), (sekret, theirs), (sekret, ours)):
        (tmp_path / f"enc-{name}").write_bytes(file.out)
        out = tool(["decrypt", "--output-type", "json", f"enc-{name}"], tmp_path, env)
        assert out.status == 0, out.err[:300]
        assert _loads(out.out) == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [("deeper.yaml", _deep_yaml(10_001)), ("deeper.json", _deep_json(10_001))],
)
def test_deeper_than_sops_reads_is_refused_clearly(
    tmp_path: Path, keys: list[Key], name: str, text: str
) -> None:
    key = keys[0]
    (tmp_path / name).write_text(text)
    before = (tmp_path / name).read_bytes()
    assert sops(["encrypt", "--age", key.recipient, name], tmp_path, clean_env(key)).status != 0
    r = sekret(["encrypt", "-i", "--age", key.recipient, name], tmp_path, clean_env(key))
    _one_error(r)
    assert "nested too deeply" in r.err
    assert (tmp_path / name).read_bytes() == before


def test_an_alias_bomb_is_refused_as_sops_refuses_it(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    names = "abcdefghi"
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    theirs = sops(["encrypt", "--age", key.recipient, "bomb.yaml"], tmp_path, clean_env(key))
    assert theirs.status != 0 and "excessive aliasing" in theirs.err
    # (the runner's 120 s timeout is the hang guard: 9**9 strings would take minutes)
    r = sekret(["encrypt", "--age", key.recipient, "bomb.yaml"], tmp_path, clean_env(key))
    _one_error(r)
    assert "excessive aliasing" in r.err


def test_modest_aliases_still_expand_as_sops_expands_them(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    env = clean_env(key)
    text = "base: &b {host: h, port: 1}\nx: *b\ny: [*b, *b]\n"
    (tmp_path / "a.yaml").write_text(text)
    r = sekret(["encrypt", "--age", key.recipient, "a.yaml"], tmp_path, env)
    assert r.status == 0, r.err
    (tmp_path / "e.yaml").write_bytes(r.out)
    out = sops(["decrypt", "e.yaml"], tmp_path, env)
    assert out.status == 0, out.err
    assert yaml.safe_load(out.out) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "raw",
    [b'{"a": "x\\ud800y", "\\udfff": 1}\n', b'{"a": "bad \xff byte"}\n'],
    ids=["lone-surrogate-escapes", "invalid-utf8"],
)
def test_json_strings_go_cannot_decode_become_u_fffd_as_in_sops(
    tmp_path: Path, keys: list[Key], raw: bytes
) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "s.json").write_bytes(raw)
    results = {}
    for name, tool in (("sekret", sekret), ("sops", sops)):
        enc = tool(["encrypt", "--age", key.recipient, "s.json"], tmp_path, env)
        assert enc.status == 0, enc.err
        (tmp_path / f"{name}.json").write_bytes(enc.out)
    for reader in (sekret, sops):
        for writer in ("sekret", "sops"):
            out = reader(["decrypt", f"{writer}.json"], tmp_path, env)
            assert out.status == 0, out.err
            results[(reader.__name__, writer)] = json.loads(out.out)
    assert len({json.dumps(v) for v in results.values()}) == 1, results
    assert "\ufffd" in json.dumps(next(iter(results.values())), ensure_ascii=False)


def test_times_keep_their_nanoseconds_as_in_sops(tmp_path: Path, keys: list[Key]) -> None:
    """Go's times have nanoseconds (Python's datetime stops at microseconds): a value
    must not lose digits on its way through sekret, in either direction."""
    key = keys[0]
    env = clean_env(key)
    text = (
        "k: 2001-12-14T21:59:43.1234567891Z\n"  # Go keeps 9 digits
        "j: 2001-12-14T21:59:43.000000001+05:00\n"
        "m: 2001-12-14 21:59:43.5\n"
    )
    (tmp_path / "t.yaml").write_text(text)
    outputs = set()
    for writer in (sekret, sops):
        enc = writer(["encrypt", "--age", key.recipient, "t.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        (tmp_path / "e.yaml").write_bytes(enc.out)
        for reader in (sekret, sops):
            out = reader(["decrypt", "e.yaml"], tmp_path, env)
            assert out.status == 0, out.err
            outputs.add(out.out)
    assert outputs == {
        b"k: 2001-12-14T21:59:43.123456789Z\n"
        b"j: 2001-12-14T21:59:43.000000001+05:00\n"
        b"m: 2001-12-14T21:59:43.5Z\n"
    }
