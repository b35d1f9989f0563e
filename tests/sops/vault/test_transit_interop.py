"""hc_vault transit keys against a real OpenBao server, both ways with the real sops 3.11.

Every file one tool writes is decrypted by the other; key groups with Shamir mix transit
and age keys; updatekeys and rotate (--add/--rm-hc-vault-transit) change the keys with
one tool and the other reads the result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sops.conftest import Key, Result, sekret, sops
from tests.sops.vault.conftest import Bao

pytestmark = pytest.mark.interop

PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n"
TOOLS = {"sekret": sekret, "sops": sops}
PAIRS = [("sekret", "sops"), ("sops", "sekret")]


def ok(r: Result) -> bytes:
    assert r.status == 0, r.err
    return r.out


def _plain(tmp_path: Path) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(PLAIN)
    return p


@pytest.mark.parametrize(("writer", "reader"), PAIRS)
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_encrypt_then_decrypt(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, writer: str, reader: str, fmt: str
) -> None:
    src = _plain(tmp_path)
    out = ok(TOOLS[writer](
        ["encrypt", "--output-type", fmt, "--hc-vault-transit", bao.uri("k1"), str(src)],
        tmp_path, vault_env,
    ))
    enc = tmp_path / f"e.{fmt}"
    enc.write_bytes(out)
    assert ok(TOOLS[reader](["decrypt", "--output-type", "yaml", str(enc)], tmp_path,
                            vault_env)).decode() == PLAIN


def test_metadata_entry_is_what_sops_writes(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    """Field names, order and values (the nested engine path too) match sops's entry."""
    src = _plain(tmp_path)
    entries = {}
    for name, tool in TOOLS.items():
        out = ok(tool(["encrypt", "--output-type", "json", "--hc-vault-transit",
                       bao.uri("nested", "sops/transit"), str(src)], tmp_path, vault_env))
        (entry,) = json.loads(out)["sops"]["hc_vault"]
        entries[name] = entry
    assert list(entries["sekret"]) == list(entries["sops"]) == [
        "vault_address", "engine_path", "key_name", "created_at", "enc",
    ]
    for field in ("vault_address", "engine_path", "key_name"):
        assert entries["sekret"][field] == entries["sops"][field]
    assert entries["sekret"]["engine_path"] == "sops/transit"
    assert entries["sekret"]["enc"].startswith("vault:v1:")


def test_rsa_transit_key_and_sops_vault_uris(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    """SOPS_VAULT_URIS names the keys when no flag does (an RSA transit key here)."""
    src = _plain(tmp_path)
    env = {**vault_env, "SOPS_VAULT_URIS": f"{bao.uri('k2')},{bao.uri('k1')}"}
    out = ok(sekret(["encrypt", str(src)], tmp_path, env))
    enc = tmp_path / "e.yaml"
    enc.write_bytes(out)
    assert out.count(b"key_name:") == 2
    assert ok(sops(["decrypt", str(enc)], tmp_path, vault_env)).decode() == PLAIN


def _groups_config(tmp_path: Path, bao: Bao, keys: list[Key]) -> None:
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n"
        "  - path_regex: .*\n"
        "    shamir_threshold: 2\n"
        "    key_groups:\n"
        f"      - hc_vault:\n          - {bao.uri('k1')}\n"
        f"      - age:\n          - {keys[0].recipient}\n"
        f"      - hc_vault:\n          - {bao.uri('nested', 'sops/transit')}\n"
        f"        age:\n          - {keys[1].recipient}\n"
    )


@pytest.mark.parametrize(("writer", "reader"), PAIRS)
def test_key_groups_with_shamir(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, keys: list[Key],
    writer: str, reader: str,
) -> None:
    """Three groups, threshold 2: Vault alone opens two groups, age alone two others."""
    _groups_config(tmp_path, bao, keys)
    src = _plain(tmp_path)
    out = ok(TOOLS[writer](["encrypt", str(src)], tmp_path, vault_env))
    enc = tmp_path / "e.yaml"
    enc.write_bytes(out)
    assert b"shamir_threshold: 2" in out and out.count(b"vault_address") == 2
    vault_only = vault_env
    age_only = {k: v for k, v in vault_env.items() if k != "VAULT_TOKEN"}
    age_only["SOPS_AGE_KEY_FILE"] = str(keys[0].path)
    # keys[0] opens group 2; group 3 needs keys[1] or Vault: with neither, 1 of 2
    assert TOOLS[reader](["decrypt", str(enc)], tmp_path, age_only).status == 128
    age_both = {**age_only, "SOPS_AGE_KEY": keys[1].identity}
    for env in (vault_only, age_both):
        assert ok(TOOLS[reader](["decrypt", str(enc)], tmp_path, env)).decode() == PLAIN


@pytest.mark.parametrize(("writer", "updater"), PAIRS)
def test_updatekeys_adds_a_transit_key(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, keys: list[Key],
    writer: str, updater: str,
) -> None:
    """A file for age only gets a transit key from the rule; Vault alone then opens it."""
    cfg = tmp_path / ".sops.yaml"
    cfg.write_text(f"creation_rules:\n  - age: {keys[0].recipient}\n")
    src = _plain(tmp_path)
    env = {**vault_env, "SOPS_AGE_KEY_FILE": str(keys[0].path)}
    enc = tmp_path / "e.yaml"
    enc.write_bytes(ok(TOOLS[writer](["encrypt", str(src)], tmp_path, env)))
    cfg.write_text(
        f"creation_rules:\n  - age: {keys[0].recipient}\n"
        f"    hc_vault_transit_uri: {bao.uri('k3')}\n"
    )
    ok(TOOLS[updater](["updatekeys", "-y", str(enc)], tmp_path, env))
    assert b"key_name: k3" in enc.read_bytes()
    for tool in TOOLS.values():
        assert ok(tool(["decrypt", str(enc)], tmp_path, vault_env)).decode() == PLAIN


@pytest.mark.parametrize(("writer", "rotator"), PAIRS)
def test_rotate_adds_and_removes_transit_keys(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, writer: str, rotator: str
) -> None:
    src = _plain(tmp_path)
    enc = tmp_path / "e.yaml"
    enc.write_bytes(ok(TOOLS[writer](
        ["encrypt", "--hc-vault-transit", bao.uri("k1"), str(src)], tmp_path, vault_env
    )))
    before = enc.read_bytes()
    ok(TOOLS[rotator](["rotate", "-i", "--add-hc-vault-transit", bao.uri("k3"),
                       "--rm-hc-vault-transit", bao.uri("k1"), str(enc)], tmp_path, vault_env))
    after = enc.read_bytes()
    assert after != before
    assert b"key_name: k3" in after and b"key_name: k1" not in after
    for tool in TOOLS.values():
        assert ok(tool(["decrypt", str(enc)], tmp_path, vault_env)).decode() == PLAIN


def test_token_from_the_token_file(bao: Bao, vault_env: dict[str, str], tmp_path: Path) -> None:
    """Without VAULT_TOKEN, ~/.vault-token is read (and trimmed), as sops reads it."""
    src = _plain(tmp_path)
    env = {k: v for k, v in vault_env.items() if k != "VAULT_TOKEN"}
    (Path(env["HOME"]) / ".vault-token").write_text(f"  {bao.token}\n")
    out = ok(sekret(["encrypt", "--hc-vault-transit", bao.uri("k1"), str(src)], tmp_path, env))
    enc = tmp_path / "e.yaml"
    enc.write_bytes(out)
    assert ok(sops(["decrypt", str(enc)], tmp_path, env)).decode() == PLAIN
    # VAULT_TOKEN wins over the file: a wrong one fails even though the file is right
    bad = {**env, "VAULT_TOKEN": "not-a-token"}
    assert sekret(["decrypt", str(enc)], tmp_path, bad).status == 128
    assert sops(["decrypt", str(enc)], tmp_path, bad).status == 128


def test_refused_token_names_the_key_and_the_next_step(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    src = _plain(tmp_path)
    enc = tmp_path / "e.yaml"
    enc.write_bytes(ok(sekret(["encrypt", "--hc-vault-transit", bao.uri("k1"), str(src)],
                              tmp_path, vault_env)))
    secret_token = "s.wrong-and-secret-token"
    r = sekret(["decrypt", str(enc)], tmp_path, {**vault_env, "VAULT_TOKEN": secret_token})
    assert r.status == 128
    assert r.err.startswith("sekret: error: failed to get the data key")
    assert bao.uri("k1") in r.err and "code 403" in r.err and "VAULT_TOKEN" in r.err
    assert secret_token not in r.err and "hunter2" not in r.err
    assert "Traceback" not in r.err


def test_unreachable_server_fails_encryption_cleanly(
    vault_env: dict[str, str], tmp_path: Path
) -> None:
    """Nothing is written when the data key cannot be wrapped."""
    src = _plain(tmp_path)
    out = tmp_path / "e.yaml"
    r = sekret(["encrypt", "--output", str(out), "--hc-vault-transit",
                "http://127.0.0.1:9/v1/transit/keys/k1", str(src)], tmp_path, vault_env)
    assert r.status != 0 and not out.exists()
    assert "cannot reach the Vault server" in r.err and r.err.count("sekret: error:") == 1


def test_every_key_that_cannot_wrap_is_reported(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    """As sops collects every master key's failure, so does sekret: both unreachable keys
    are named, in one error line, and the reachable one does not hide them."""
    src = _plain(tmp_path)
    out = tmp_path / "e.yaml"
    dead = ["http://127.0.0.1:9/v1/transit/keys/a", "http://127.0.0.1:9/v1/transit/keys/b"]
    args = ["encrypt", "--output", str(out), "--hc-vault-transit",
            ",".join([bao.uri("k1"), *dead]), str(src)]
    for name, tool in TOOLS.items():
        r = tool(args, tmp_path, vault_env)
        assert r.status != 0 and not out.exists(), (name, r.err)
        assert "/transit/encrypt/a" in r.err and "/transit/encrypt/b" in r.err, (name, r.err)
        if name == "sekret":
            assert r.err.count("sekret: error:") == 1 and "Traceback" not in r.err
