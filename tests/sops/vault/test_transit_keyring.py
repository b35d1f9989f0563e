"""hc_vault in the run's keyring beside age and PGP keys, against a real OpenBao server.

Vault keys are ordered by ``--decryption-order`` like every other type, a file with
only Vault keys names the Vault next step (not age's), one file can hold age, PGP and
Vault keys, each of which opens it for sekret and for the real sops, and ``sekret
keyservice`` serves Vault keys with its own token to clients that have none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.sops._keyservers import serving
from tests.sops.conftest import Key, Result, sekret, sops
from tests.sops.gpg_home import FP, empty_gnupg_home, gnupg_home
from tests.sops.vault.conftest import Bao

__all__ = ["empty_gnupg_home", "gnupg_home"]  # fixtures used by name

pytestmark = pytest.mark.interop

PLAIN = "db:\n    password: hunter2\n"


def ok(r: Result) -> bytes:
    assert r.status == 0, r.err
    return r.out


def _encrypted(tmp_path: Path, env: dict[str, str], *keys: str) -> Path:
    src = tmp_path / "s.yaml"
    src.write_text(PLAIN)
    enc = tmp_path / "e.yaml"
    enc.write_bytes(ok(sekret(["encrypt", *keys, str(src)], tmp_path, env)))
    return enc


def _tried(err: str) -> list[str]:
    """The key types of the ``tried …`` hint lines, in the order they were tried."""
    lines = [ln.removeprefix("sekret: hint: ") for ln in err.splitlines()]
    return ["hc_vault" if ln.startswith("tried hc_vault ") else "age"
            for ln in lines if ln.startswith("tried ")]  # fmt: skip


def test_decryption_order_orders_vault_keys(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, keys: list[Key]
) -> None:
    """age first by default (sops's order: age, pgp, then the rest); hc_vault first when
    named first, from the flag or SOPS_DECRYPTION_ORDER."""
    enc = _encrypted(tmp_path, vault_env, "--age", keys[0].recipient,
                     "--hc-vault-transit", bao.uri("k1"))  # fmt: skip
    bad = {**vault_env, "VAULT_TOKEN": "not-a-token"}  # and no age identity: both fail
    r = sekret(["decrypt", str(enc)], tmp_path, bad)
    assert r.status == 128 and _tried(r.err) == ["age", "hc_vault"], r.err
    r = sekret(["decrypt", "--decryption-order", "hc_vault,age", str(enc)], tmp_path, bad)
    assert r.status == 128 and _tried(r.err) == ["hc_vault", "age"], r.err
    r = sekret(["decrypt", str(enc)], tmp_path, {**bad, "SOPS_DECRYPTION_ORDER": "hc_vault"})
    assert r.status == 128 and _tried(r.err) == ["hc_vault", "age"], r.err
    # the Vault key alone opens it in either order
    for order in ("age,hc_vault", "hc_vault,age"):
        out = ok(sekret(["decrypt", "--decryption-order", order, str(enc)], tmp_path, vault_env))
        assert out.decode() == PLAIN


def test_a_vault_only_file_names_the_vault_next_step(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    enc = _encrypted(tmp_path, vault_env, "--hc-vault-transit", bao.uri("k1"))
    r = sekret(["decrypt", str(enc)], tmp_path, {**vault_env, "VAULT_TOKEN": "not-a-token"})
    assert r.status == 128
    assert f"sekret: hint: hc_vault: give a token allowed to use {bao.uri('k1')}" in r.err
    assert "SOPS_AGE_KEY_FILE" not in r.err and "identities looked for" not in r.err
    assert "not-a-token" not in r.err


def test_age_pgp_and_vault_keys_in_one_file(
    bao: Bao,
    vault_env: dict[str, str],
    tmp_path: Path,
    keys: list[Key],
    gnupg_home: Path,
    empty_gnupg_home: Path,
) -> None:
    """Each key alone opens the file, for sekret and for sops; rotate re-wraps all three."""
    env = {**vault_env, "GNUPGHOME": str(gnupg_home)}
    enc = _encrypted(tmp_path, env, "--age", keys[0].recipient, "--pgp", FP,
                     "--hc-vault-transit", bao.uri("k1"))  # fmt: skip
    nobody = empty_gnupg_home
    no_vault = {**env, "VAULT_TOKEN": "not-a-token"}
    alone = {
        "age": {**no_vault, "GNUPGHOME": str(nobody), "SOPS_AGE_KEY_FILE": str(keys[0].path)},
        "pgp": no_vault,
        "hc_vault": {**env, "GNUPGHOME": str(nobody)},
    }
    ok(sekret(["rotate", "-i", str(enc)], tmp_path, env))
    for kind, kenv in alone.items():
        for tool in (sekret, sops):
            assert ok(tool(["decrypt", str(enc)], tmp_path, kenv)).decode() == PLAIN, kind


def test_sekret_keyservice_serves_vault_keys(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    """Clients without a token (local service off) encrypt and decrypt through sekret's
    key service, whose environment has one; the entry is laid out as sops lays it out."""
    (tmp_path / "p.yaml").write_text(PLAIN)
    home = tmp_path / "client-home"
    home.mkdir()
    client = {k: v for k, v in vault_env.items() if k != "VAULT_TOKEN"}
    client.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    off = "--enable-local-keyservice=false"
    layout = {}
    with serving("sekret", "unix", tmp_path, vault_env, "--verbose") as (uri, _):
        for writer in (sops, sekret):
            enc = ok(writer(["encrypt", "--keyservice", uri, off, "--hc-vault-transit",
                             bao.uri("k1"), "p.yaml"], tmp_path, client))  # fmt: skip
            (tmp_path / "e.yaml").write_bytes(enc)
            layout[writer] = list(yaml.safe_load(enc)["sops"]["hc_vault"][0])
            for reader in (sops, sekret):
                dec = reader(["decrypt", "--keyservice", uri, off, "e.yaml"], tmp_path, client)
                assert ok(dec).decode() == PLAIN, (writer, reader)
    assert layout[sekret] == layout[sops] == [
        "vault_address", "engine_path", "key_name", "created_at", "enc"
    ]
    log = (tmp_path / "sekret-ks.log").read_text()
    assert f"decrypt request for hc_vault {bao.uri('k1')}" in log
    assert "hunter2" not in log and bao.token not in log
    alone = sekret(["decrypt", "e.yaml"], tmp_path, client)  # no token here: no data key
    assert alone.status == 128 and alone.out == b""
