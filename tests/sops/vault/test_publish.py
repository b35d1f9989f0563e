"""``publish`` to Vault/OpenBao KV (v1 and v2) against a real OpenBao server: sekret
writes what the real sops 3.11 writes, for the same file and rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sops.conftest import Key, Result, sekret, sops
from tests.sops.vault.conftest import Bao

pytestmark = pytest.mark.interop

PLAIN = "# a comment\na: 1\nb:\n    c: [x, 2.5, true]\n    d: null\nname: svc\n"
TOOLS = {"sekret": sekret, "sops": sops}


def ok(r: Result) -> bytes:
    assert r.status == 0, r.err
    return r.out


def _rules(bao: Bao, prefix: str) -> str:
    return (
        "destination_rules:\n"
        f"  - path_regex: v1/.*\n    vault_path: {prefix}/v1\n    vault_kv_mount_name: kv1\n"
        f"    vault_kv_version: 1\n    vault_address: {bao.address}\n"
        f"  - path_regex: noext/.*\n    vault_path: {prefix}/noext/\n    omit_extensions: true\n"
        f"  - vault_path: {prefix}/\n"
    )


def _setup(tmp_path: Path, bao: Bao, env: dict[str, str]) -> None:
    for name in TOOLS:
        (tmp_path / f"{name}.sops.yaml").write_text(_rules(bao, name))
    (tmp_path / "p.yaml").write_text(PLAIN)
    enc = ok(sops(["encrypt", "--hc-vault-transit", bao.uri("k1"), "p.yaml"], tmp_path, env))
    for d in ("v1", "noext", "tree/sub", "tree"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
        (tmp_path / d / "s.enc.yaml").write_bytes(enc)
    (tmp_path / "s.enc.yaml").write_bytes(enc)


def _kv(bao: Bao, path: str) -> dict[str, object]:
    return bao.api("GET", path)["data"]  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("target", "flags", "v1_path", "v2_path"),
    [
        ("s.enc.yaml", [], None, "{t}/s.enc.yaml"),
        ("v1/s.enc.yaml", [], "kv1/{t}/v1/s.enc.yaml", None),
        ("noext/s.enc.yaml", [], None, "{t}/noext/s.enc"),
        ("s.enc.yaml", ["--omit-extensions"], None, "{t}/s.enc"),
        ("tree", ["--recursive"], None, "{t}/sub/s.enc.yaml"),
    ],
    ids=["kv2", "kv1", "rule-omits-extension", "flag-omits-extension", "recursive"],
)
def test_publish_writes_what_sops_writes(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, target: str, flags: list[str],
    v1_path: str | None, v2_path: str | None,
) -> None:
    env = {**vault_env, "VAULT_ADDR": bao.address}
    _setup(tmp_path, bao, env)
    got = {}
    for name, tool in TOOLS.items():
        ok(tool(["--config", f"{name}.sops.yaml", "publish", "--yes", *flags, target],
                tmp_path, env))
        if v1_path:
            got[name] = _kv(bao, v1_path.format(t=name))
        else:
            assert v2_path is not None
            got[name] = _kv(bao, "secret/data/" + v2_path.format(t=name))["data"]  # type: ignore[index]
    assert got["sekret"] == got["sops"] == {
        "a": 1, "b": {"c": ["x", 2.5, True], "d": None}, "name": "svc",
    }


def test_publish_of_an_age_file_and_confirmation(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path, keys: list[Key]
) -> None:
    """Without --yes each upload is asked for; n cancels and writes nothing."""
    env = {**vault_env, "VAULT_ADDR": bao.address, "SOPS_AGE_KEY_FILE": str(keys[0].path)}
    (tmp_path / ".sops.yaml").write_text("destination_rules:\n  - vault_path: asked/\n")
    (tmp_path / "p.yaml").write_text("k: v\n")
    (tmp_path / "a.yaml").write_bytes(
        ok(sekret(["encrypt", "--age", keys[0].recipient, "p.yaml"], tmp_path, env))
    )
    r = sekret(["publish", "a.yaml"], tmp_path, env, stdin=b"maybe\nn\n")
    assert r.status == 1 and r.out.count(b"(y/n): ") == 2
    assert f"to {bao.address}/v1/secret/data/asked/a.yaml ? (y/n)".encode() in r.out
    assert r.err.count("sekret: error:") == 1 and "canceled" in r.err
    with pytest.raises(Exception, match="404"):
        bao.api("GET", "secret/data/asked/a.yaml")
    ok(sekret(["publish", "a.yaml"], tmp_path, env, stdin=b"y\n"))
    assert _kv(bao, "secret/data/asked/a.yaml")["data"] == {"k": "v"}


def test_an_unchanged_kv2_secret_gets_no_new_version(
    bao: Bao, vault_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**vault_env, "VAULT_ADDR": bao.address}
    _setup(tmp_path, bao, env)
    for _ in range(2):
        ok(sekret(["--config", "sekret.sops.yaml", "publish", "-y", "s.enc.yaml"], tmp_path, env))
    meta = _kv(bao, "secret/metadata/sekret/s.enc.yaml")
    assert meta["current_version"] == 1


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("s3_bucket: bucket\n    s3_prefix: p/", "cannot publish to S3 (s3_bucket: bucket)"),
        ("gcs_bucket: bucket", "cannot publish to Google Cloud Storage"),
        ("path_regex: nothing-matches\n    vault_path: x/", "no matching destination found"),
        ("vault_path: x/\n    s3_bucket: b", "more than one destinations"),
        ("path_regex: .*", "no destination configured for this file"),
    ],
    ids=["s3", "gcs", "no-match", "two-destinations", "no-destination"],
)
def test_destinations_sekret_cannot_use_are_refused(
    vault_env: dict[str, str], tmp_path: Path, keys: list[Key], rule: str, message: str
) -> None:
    env = {**vault_env, "SOPS_AGE_KEY_FILE": str(keys[0].path)}
    (tmp_path / "p.yaml").write_text("k: v\n")
    (tmp_path / "a.yaml").write_bytes(
        ok(sekret(["encrypt", "--age", keys[0].recipient, "p.yaml"], tmp_path, env))
    )
    (tmp_path / ".sops.yaml").write_text(f"destination_rules:\n  - {rule}\n")
    r = sekret(["publish", "-y", "a.yaml"], tmp_path, env)
    assert r.status == 1 and r.out == b""
    lines = r.err.splitlines()
    assert lines[0].startswith("sekret: error: ") and message in lines[0], r.err
    assert all(line.startswith("sekret: hint: ") for line in lines[1:])


def test_a_directory_needs_recursive(vault_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".sops.yaml").write_text("destination_rules:\n  - vault_path: x/\n")
    (tmp_path / "d").mkdir()
    for tool in TOOLS.values():
        r = tool(["publish", "-y", "d"], tmp_path, vault_env)
        assert r.status != 0 and "without --recursive" in r.err
