"""The sops key service, both ways, with the real sops 3.11 on the other end.

1. ``sekret keyservice`` holds the identity; the real sops, with no identity of its own
   and its local key service off, encrypts and decrypts through it.
2. The real ``sops keyservice`` holds the identity; sekret, with no identity, encrypts
   and decrypts through it (and fails without it: the service really did the work).
3. ``sekret keyservice`` serves every key type of its keyring: a PGP key its gpg has,
   for sops and for sekret.

Each on a unix socket and on tcp (127.0.0.1, a free port).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.sops._keyservers import serving
from tests.sops.conftest import Key, clean_env, run, sekret, sops, sops_path
from tests.sops.gpg_home import FP, gnupg_home

__all__ = ["gnupg_home"]  # a fixture used by name

pytestmark = pytest.mark.interop
NETWORKS = ("unix", "tcp")
PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n"


def _no_keys(tmp: Path) -> dict[str, str]:
    """A client environment with no age identity anywhere (HOME is empty)."""
    home = tmp / "client-home"
    home.mkdir(exist_ok=True)
    return clean_env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))


def _recipients(path: Path) -> list[str]:
    meta = yaml.safe_load(path.read_text())["sops"]
    return [e["recipient"] for e in meta.get("age", [])]


@pytest.mark.parametrize("network", NETWORKS)
def test_real_sops_uses_sekret_keyservice(network: str, tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    (tmp_path / "p.yaml").write_text(PLAIN)
    client = _no_keys(tmp_path)
    off = "--enable-local-keyservice=false"
    with serving("sekret", network, tmp_path, clean_env(key), "--verbose") as (uri, _):
        enc = run([sops_path(), "encrypt", "--keyservice", uri, off, "--age", key.recipient,
                   "p.yaml"], tmp_path, client)  # fmt: skip
        assert enc.status == 0, enc.err
        (tmp_path / "e.yaml").write_bytes(enc.out)
        assert _recipients(tmp_path / "e.yaml") == [key.recipient]
        dec = run([sops_path(), "decrypt", "--keyservice", uri, off, "e.yaml"], tmp_path, client)
        assert dec.status == 0 and dec.out.decode() == PLAIN, dec.err
    log = (tmp_path / "sekret-ks.log").read_text()
    assert f"encrypt request for age {key.recipient}" in log
    assert f"decrypt request for age {key.recipient}" in log
    assert "hunter2" not in log
    # without the service, this client cannot read the file: the service did the work
    alone = run([sops_path(), "decrypt", "e.yaml"], tmp_path, client)
    assert alone.status != 0 and alone.out == b""
    # and the file is a plain sops file for the key's owner
    assert sops(["decrypt", "e.yaml"], tmp_path, clean_env(key)).out.decode() == PLAIN
    if network == "unix":
        assert not (tmp_path / "sekret-ks.sock").exists()  # removed on SIGTERM


@pytest.mark.parametrize("network", NETWORKS)
def test_sekret_uses_real_sops_keyservice(network: str, tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    (tmp_path / "p.yaml").write_text(PLAIN)
    client = _no_keys(tmp_path)
    with serving("sops", network, tmp_path, clean_env(key)) as (uri, _):
        enc = sekret(["encrypt", "--keyservice", uri, "--enable-local-keyservice=false",
                      "--age", key.recipient, "p.yaml"], tmp_path, client)  # fmt: skip
        assert enc.status == 0, enc.err
        (tmp_path / "e.yaml").write_bytes(enc.out)
        # the local service first (it has no identity here), then the remote one
        dec = sekret(["decrypt", "--keyservice", uri, "e.yaml"], tmp_path, client)
        assert dec.status == 0 and dec.out.decode() == PLAIN, dec.err
        via_env = sekret(["decrypt", "e.yaml"], tmp_path, {**client, "SOPS_KEYSERVICE": uri})
        assert via_env.status == 0 and via_env.out.decode() == PLAIN, via_env.err
        sops_file = sops(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path, client).out
        (tmp_path / "s.yaml").write_bytes(sops_file)
        dec2 = sekret(["decrypt", "--keyservice", uri, "--enable-local-keyservice=false",
                       "s.yaml"], tmp_path, client)  # fmt: skip
        assert dec2.status == 0 and dec2.out.decode() == PLAIN, dec2.err
    alone = sekret(["decrypt", "e.yaml"], tmp_path, client)
    assert alone.status == 128 and alone.out == b""
    assert sops(["decrypt", "e.yaml"], tmp_path, clean_env(key)).out.decode() == PLAIN


def test_key_groups_split_between_two_services(tmp_path: Path, keys: list[Key]) -> None:
    """Shamir over two groups, each group's identity held by a different service (one
    sekret's, one sops's): either tool reads the file only with both services."""
    k0, k1 = keys[0], keys[1]
    (tmp_path / "p.yaml").write_text(PLAIN)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - key_groups:\n"
        f"      - age: [{k0.recipient}]\n      - age: [{k1.recipient}]\n"
    )
    client = _no_keys(tmp_path)
    off = "--enable-local-keyservice=false"
    with serving("sekret", "unix", tmp_path, clean_env(k0)) as (ours, _), \
            serving("sops", "tcp", tmp_path, clean_env(k1)) as (theirs, _):
        both = ["--keyservice", ours, "--keyservice", theirs, off]
        enc = sekret(["encrypt", *both, "p.yaml"], tmp_path, client)
        assert enc.status == 0, enc.err
        (tmp_path / "e.yaml").write_bytes(enc.out)
        meta = yaml.safe_load(enc.out)["sops"]
        assert meta["shamir_threshold"] == 2 and len(meta["key_groups"]) == 2
        for tool in (sekret, sops):
            r = tool(["decrypt", *both, "e.yaml"], tmp_path, client)
            assert r.status == 0 and r.out.decode() == PLAIN, (tool, r.err)
            one = tool(["decrypt", "--keyservice", ours, off, "e.yaml"], tmp_path, client)
            assert one.status != 0 and one.out == b"", tool
        rot = sekret(["rotate", *both, "-i", "e.yaml"], tmp_path, client)
        assert rot.status == 0, rot.err
        r = sops(["decrypt", *both, "e.yaml"], tmp_path, client)
        assert r.status == 0 and r.out.decode() == PLAIN, r.err


def test_sekret_keyservice_serves_pgp_keys(tmp_path: Path, gnupg_home: Path) -> None:
    """The server's keyring is all of sekret's key types: its gpg has the PGP key, the
    clients (no gpg key, local service off) encrypt and decrypt through it."""
    (tmp_path / "p.yaml").write_text(PLAIN)
    client = _no_keys(tmp_path)
    off = "--enable-local-keyservice=false"
    server_env = clean_env(GNUPGHOME=str(gnupg_home))
    with serving("sekret", "unix", tmp_path, server_env, "--verbose") as (uri, _):
        for writer in (sops, sekret):
            enc = writer(["encrypt", "--keyservice", uri, off, "--pgp", FP, "p.yaml"],
                         tmp_path, client)  # fmt: skip
            assert enc.status == 0, (writer, enc.err)
            (tmp_path / "e.yaml").write_bytes(enc.out)
            assert [e["fp"] for e in yaml.safe_load(enc.out)["sops"]["pgp"]] == [FP]
            for reader in (sops, sekret):
                dec = reader(["decrypt", "--keyservice", uri, off, "e.yaml"], tmp_path, client)
                assert dec.status == 0 and dec.out.decode() == PLAIN, (writer, reader, dec.err)
    log = (tmp_path / "sekret-ks.log").read_text()
    assert f"decrypt request for pgp {FP}" in log and "hunter2" not in log
    alone = sekret(["decrypt", off, "e.yaml"], tmp_path, client)
    assert alone.status == 128 and "no key service to ask" in alone.err
