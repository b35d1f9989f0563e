"""sekret and the real sops 3.11 on the same files, in both directions, for every format.

Each test writes a plaintext, encrypts it with one tool and decrypts (MAC checked) with
the other; values are compared as data (YAML/JSON through JSON output) or as bytes
where both tools print the same canonical text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.sops.conftest import Key, clean_env, sekret, sops

RICH_YAML = """\
# top comment
db:
    user: admin # trailing comment
    password: "hunter2"
    port: 5432
    ratio: 1.5
    enabled: true
    nothing: null
    empty: ""
    when: 2024-01-02T10:00:00Z
list:
    # a comment in a list
    - one
    - 2
    - nested: x
unicode: "ünïcødé ✓"
multi: |
    line one
    line two
public_unencrypted: visible
"""

PLAINS = {
    "yaml": ("s.yaml", RICH_YAML.encode()),
    "json": (
        "s.json",
        b'{\n\t"a": "b",\n\t"n": 1.5,\n\t"l": [\n\t\t"x",\n\t\ttrue\n\t],\n\t"e": ""\n}\n',
    ),
    "dotenv": ("s.env", b"# comment\nUSER=admin\nPASSWORD=hunter2\nEMPTY=\n"),
    "ini": ("s.ini", b"[db]\nuser     = admin\npassword = hunter2\n\n[other]\nk = v\n"),
    "binary": ("s.bin", b"raw \x00\xff bytes\nno newline"),
}


def _as_data(fmt: str, text: bytes) -> object:
    if fmt == "yaml":
        return list(yaml.safe_load_all(text))
    if fmt == "json":
        return json.loads(text)
    return text


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("fmt", list(PLAINS))
def test_sekret_encrypts_sops_decrypts(fmt: str, tmp_path: Path, keys: list[Key]) -> None:
    name, plain = PLAINS[fmt]
    _write(tmp_path, name, plain)
    env = clean_env(keys[0])
    enc = sekret(["encrypt", "--age", keys[0].recipient, name], tmp_path, env)
    assert enc.status == 0, enc.err
    assert b"hunter2" not in enc.out
    _write(tmp_path, "enc." + name, enc.out)
    dec = sops(["decrypt", "enc." + name], tmp_path, env)
    assert dec.status == 0, dec.err
    ours = sekret(["decrypt", "enc." + name], tmp_path, env)
    assert ours.status == 0, ours.err
    assert _as_data(fmt, dec.out) == _as_data(fmt, ours.out) == _as_data(fmt, plain)


@pytest.mark.parametrize("fmt", list(PLAINS))
def test_sops_encrypts_sekret_decrypts(fmt: str, tmp_path: Path, keys: list[Key]) -> None:
    name, plain = PLAINS[fmt]
    _write(tmp_path, name, plain)
    env = clean_env(keys[0])
    enc = sops(["encrypt", "--age", keys[0].recipient, name], tmp_path, env)
    assert enc.status == 0, enc.err
    _write(tmp_path, "enc." + name, enc.out)
    theirs = sops(["decrypt", "enc." + name], tmp_path, env)
    ours = sekret(["decrypt", "enc." + name], tmp_path, env)
    assert ours.status == 0, ours.err
    assert _as_data(fmt, ours.out) == _as_data(fmt, theirs.out) == _as_data(fmt, plain)
    if fmt in ("dotenv", "binary"):
        assert ours.out == theirs.out


def test_multi_document_yaml_both_ways(tmp_path: Path, keys: list[Key]) -> None:
    _write(tmp_path, "m.yaml", b"a: 1\nb: [x, y]\n---\nc: secret\n---\nd: {e: f}\n")
    env = clean_env(keys[0])
    for tool, other in ((sekret, sops), (sops, sekret)):
        enc = tool(["encrypt", "--age", keys[0].recipient, "m.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        _write(tmp_path, "m.enc.yaml", enc.out)
        dec = other(["decrypt", "m.enc.yaml"], tmp_path, env)
        assert dec.status == 0, dec.err
        assert list(yaml.safe_load_all(dec.out)) == [
            {"a": 1, "b": ["x", "y"]},
            {"c": "secret"},
            {"d": {"e": "f"}},
        ]


RULES = [
    ("encrypted_regex", "^pass", ["password"], ["user"]),
    ("unencrypted_regex", "^user", ["password"], ["user"]),
    ("encrypted_suffix", "_secret", ["token_secret"], ["user"]),
    ("unencrypted_suffix", "_clear", ["password"], ["user_clear"]),
]


@pytest.mark.parametrize(("rule", "value", "secret_keys", "clear_keys"), RULES)
@pytest.mark.parametrize("mac_only", [False, True])
def test_crypt_rules_both_ways(
    rule: str,
    value: str,
    secret_keys: list[str],
    clear_keys: list[str],
    mac_only: bool,
    tmp_path: Path,
    keys: list[Key],
) -> None:
    data = {k: f"v-{k}" for k in [*secret_keys, *clear_keys]}
    _write(tmp_path, "r.yaml", yaml.safe_dump(data).encode())
    cfg = {"creation_rules": [{"age": keys[0].recipient, rule: value}]}
    if mac_only:
        cfg["creation_rules"][0]["mac_only_encrypted"] = True  # type: ignore[index]
    _write(tmp_path, ".sops.yaml", yaml.safe_dump(cfg).encode())
    env = clean_env(keys[0])
    for tool, other in ((sekret, sops), (sops, sekret)):
        enc = tool(["encrypt", "r.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        parsed = yaml.safe_load(enc.out)
        for k in secret_keys:
            assert str(parsed[k]).startswith("ENC["), (tool.__name__, k)
        for k in clear_keys:
            assert parsed[k] == f"v-{k}", (tool.__name__, k)
        assert parsed["sops"][rule] == value
        assert bool(parsed["sops"].get("mac_only_encrypted")) is mac_only
        _write(tmp_path, "r.enc.yaml", enc.out)
        dec = other(["decrypt", "r.enc.yaml"], tmp_path, env)
        assert dec.status == 0, dec.err
        assert yaml.safe_load(dec.out) == data


@pytest.mark.parametrize("rule", ["encrypted_comment_regex", "unencrypted_comment_regex"])
def test_comment_rules_both_ways(rule: str, tmp_path: Path, keys: list[Key]) -> None:
    text = b"# sops:enc\nsecret: s1\nplain: p1\n"
    _write(tmp_path, "c.yaml", text)
    cfg = {"creation_rules": [{"age": keys[0].recipient, rule: "sops:enc"}]}
    _write(tmp_path, ".sops.yaml", yaml.safe_dump(cfg).encode())
    env = clean_env(keys[0])
    for tool, other in ((sekret, sops), (sops, sekret)):
        enc = tool(["encrypt", "c.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        _write(tmp_path, "c.enc.yaml", enc.out)
        dec = other(["decrypt", "c.enc.yaml"], tmp_path, env)
        assert dec.status == 0, (tool.__name__, dec.err)
        assert yaml.safe_load(dec.out) == {"secret": "s1", "plain": "p1"}


def test_three_key_groups_threshold_two(tmp_path: Path, keys: list[Key]) -> None:
    cfg = {
        "creation_rules": [
            {"shamir_threshold": 2, "key_groups": [{"age": [k.recipient]} for k in keys]}
        ]
    }
    _write(tmp_path, ".sops.yaml", yaml.safe_dump(cfg).encode())
    _write(tmp_path, "g.yaml", b"token: t0k3n\n")
    two = tmp_path / "two.txt"
    two.write_text(keys[0].path.read_text() + keys[2].path.read_text())
    one_env = clean_env(keys[1])
    env = clean_env(None, SOPS_AGE_KEY_FILE=str(two))
    for tool, other in ((sekret, sops), (sops, sekret)):
        enc = tool(["encrypt", "g.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        meta = yaml.safe_load(enc.out)["sops"]
        assert meta["shamir_threshold"] == 2 and len(meta["key_groups"]) == 3
        _write(tmp_path, "g.enc.yaml", enc.out)
        dec = other(["decrypt", "g.enc.yaml"], tmp_path, env)
        assert dec.status == 0, dec.err
        assert yaml.safe_load(dec.out) == {"token": "t0k3n"}
        short = other(["decrypt", "g.enc.yaml"], tmp_path, one_env)
        assert short.status == 128, short.err


def test_ssh_ed25519_recipient_both_ways(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "id")],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    pub = (tmp_path / "id.pub").read_text().strip()
    _write(tmp_path, "s.yaml", b"k: v\n")
    env = clean_env(None, SOPS_AGE_SSH_PRIVATE_KEY_FILE=str(tmp_path / "id"), HOME=str(tmp_path))
    for tool, other in ((sekret, sops), (sops, sekret)):
        enc = tool(["encrypt", "--age", pub, "s.yaml"], tmp_path, env)
        assert enc.status == 0, enc.err
        _write(tmp_path, "s.enc.yaml", enc.out)
        dec = other(["decrypt", "s.enc.yaml"], tmp_path, env)
        assert dec.status == 0, dec.err
        assert yaml.safe_load(dec.out) == {"k": "v"}


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\nb:\n  c: x\n  c: y\n", 4),  # the scanner's "key: value" fast path
        ("a: 1\nb:\n  c: 'x'\n  c: [y]\n", 4),  # quoted and flow values: the node path
    ],
    ids=["plain", "quoted-and-flow"],
)
def test_duplicate_keys_refused_like_sops(
    text: str, line: int, tmp_path: Path, keys: list[Key]
) -> None:
    """go-yaml refuses a mapping key given twice, so sops does; so must sekret, with
    both lines named and no output file."""
    (tmp_path / "dup.yaml").write_text(text)
    env = clean_env(keys[0])
    theirs = sops(["encrypt", "--age", keys[0].recipient, "dup.yaml"], tmp_path, env)
    ours = sekret(["encrypt", "--age", keys[0].recipient, "dup.yaml"], tmp_path, env)
    assert theirs.status != 0 and "already defined" in theirs.err
    assert ours.status != 0 and ours.out == b""
    assert ours.err.startswith("sekret: error: mapping key 'c' already defined at line 3")
    assert f"line {line}" in ours.err and "Traceback" not in ours.err
