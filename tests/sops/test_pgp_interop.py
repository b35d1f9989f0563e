"""PGP master keys, against the real sops 3.11 and the real gpg.

sops's own PGP fixtures decrypt; every file either tool writes with PGP entries (alone,
mixed with age keys, in key groups with Shamir) is read by the other; rotate, set,
updatekeys and groups keep both tools able to read it; the metadata is laid out as sops
lays it out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.sops.conftest import Key, Result, clean_env, sekret, sops
from tests.sops.gpg_home import DATA, FP, FP2, empty_gnupg_home, gnupg_home

__all__ = ["empty_gnupg_home", "gnupg_home"]  # fixtures used by name

PLAIN = "# c\na: 1\nb:\n    c: text\n    d:\n        - 2.5\n        - true\n"


def _env(home: Path, key: Key | None = None, **extra: str) -> dict[str, str]:
    return clean_env(key, GNUPGHOME=str(home), **extra)


def _ok(r: Result) -> bytes:
    assert r.status == 0, r.err
    return r.out


def _meta(path: Path) -> dict[str, object]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    meta = doc["sops"]
    assert isinstance(meta, dict)
    return meta


@pytest.mark.parametrize("name", ["comments.enc.yaml", "multiple_keys.yaml"])
def test_sops_fixtures_decrypt_as_with_sops(tmp_path: Path, gnupg_home: Path, name: str) -> None:
    env = _env(gnupg_home)
    src = str(DATA / name)
    theirs = _ok(sops(["decrypt", src], tmp_path, env))
    assert _ok(sekret(["decrypt", src], tmp_path, env)) == theirs


def test_sops_fixture_without_mac(tmp_path: Path, gnupg_home: Path) -> None:
    env = _env(gnupg_home)
    src = str(DATA / "no_mac.yaml")
    for tool in (sekret, sops):
        assert tool(["decrypt", src], tmp_path, env).status == 51
    ours = _ok(sekret(["decrypt", "--ignore-mac", src], tmp_path, env))
    assert ours == _ok(sops(["decrypt", "--ignore-mac", src], tmp_path, env))


def test_one_key_of_two_is_enough(tmp_path: Path, gnupg_home: Path) -> None:
    """multiple_keys.yaml is for FP and FP2: without FP's secret key, FP2 opens it."""
    from sekret.pgp import gpg

    env = _env(gnupg_home)
    expected = _ok(sops(["decrypt", str(DATA / "multiple_keys.yaml")], tmp_path, env))
    with gpg.temporary_home(prefix="sk-gpg-") as home:
        exported = gpg.run(["--batch", "--export-secret-keys", "-a", FP2], b"",
                           gnupg_home=str(gnupg_home))  # fmt: skip
        gpg.import_keys(exported, gnupg_home=home)
        only2 = _env(Path(home))
        ours = sekret(["decrypt", str(DATA / "multiple_keys.yaml")], tmp_path, only2)
        assert _ok(ours) == expected


@pytest.mark.parametrize("ext", ["yaml", "json", "env", "ini", "bin"])
def test_each_tool_reads_what_the_other_writes(
    tmp_path: Path, gnupg_home: Path, ext: str
) -> None:
    env = _env(gnupg_home)
    plain = {
        "yaml": PLAIN,
        "json": '{\n\t"a": 1,\n\t"b": "text"\n}',
        "env": "A=1\nB=text\n",
        "ini": "[s]\na = 1\n",
        "bin": "\x00binary\n",
    }[ext]
    (tmp_path / f"p.{ext}").write_text(plain)
    for writer, reader in ((sekret, sops), (sops, sekret)):
        out = _ok(writer(["encrypt", "--pgp", FP, f"p.{ext}"], tmp_path, env))
        (tmp_path / f"e.{ext}").write_bytes(out)
        back = _ok(reader(["decrypt", f"e.{ext}"], tmp_path, env))
        assert back == _ok(writer(["decrypt", f"e.{ext}"], tmp_path, env))
        if ext in ("yaml", "env", "bin"):
            assert back.decode() == plain


def test_metadata_is_laid_out_as_sops_lays_it_out(
    tmp_path: Path, gnupg_home: Path, keys: list[Key]
) -> None:
    """Same keys in the same order, flat and in key groups, YAML and JSON."""
    key = keys[0]
    env = _env(gnupg_home, key)
    (tmp_path / "p.yaml").write_text("a: 1\n")
    (tmp_path / "p.json").write_text('{"a": 1}')
    groups = (f"creation_rules:\n  - key_groups:\n      - pgp: [{FP}]\n"
              f"      - age: [{key.recipient}]\n        pgp: ['{FP2}']\n")  # fmt: skip
    for config in ("", groups):
        if config:
            (tmp_path / ".sops.yaml").write_text(config)
        args = ["encrypt", "p.yaml"] if config else ["encrypt", "--age", key.recipient,
                                                     "--pgp", FP, "p.yaml"]  # fmt: skip
        shapes = []
        for tool in (sekret, sops):
            (tmp_path / "o.yaml").write_bytes(_ok(tool(args, tmp_path, env)))
            raw = (tmp_path / "o.yaml").read_text()
            shapes.append([ln.split(":")[0] for ln in raw.splitlines()
                           if not ln.startswith(" " * 12) and ":" in ln])  # fmt: skip
            json_out = _ok(tool([*args[:-1], "p.json"], tmp_path, env))
            shapes.append(list(_shape(json.loads(json_out)["sops"])))
        assert shapes[0] == shapes[2] and shapes[1] == shapes[3]
        meta = _meta(tmp_path / "o.yaml")
        entry = (meta["pgp"] if not config else meta["key_groups"][0]["pgp"])[0]  # type: ignore[index]
        assert list(entry) == ["created_at", "enc", "fp"] and entry["fp"] == FP


def _shape(meta: object, prefix: str = "") -> list[str]:
    if isinstance(meta, dict):
        return [p for k, v in meta.items() for p in [prefix + k, *_shape(v, prefix + k + ".")]]
    if isinstance(meta, list):
        return [p for i, v in enumerate(meta) for p in _shape(v, f"{prefix}{i}.")]
    return []


def test_mixed_age_and_pgp_each_key_alone_opens_it(
    tmp_path: Path, gnupg_home: Path, empty_gnupg_home: Path, keys: list[Key]
) -> None:
    key = keys[0]
    both = _env(gnupg_home, key)
    age_only = _env(empty_gnupg_home, key)
    pgp_only = _env(gnupg_home)
    (tmp_path / "p.yaml").write_text(PLAIN)
    for writer in (sekret, sops):
        out = _ok(writer(["encrypt", "--age", key.recipient, "--pgp", FP, "p.yaml"],
                         tmp_path, both))  # fmt: skip
        (tmp_path / "e.yaml").write_bytes(out)
        for reader in (sekret, sops):
            for env in (age_only, pgp_only):
                assert _ok(reader(["decrypt", "e.yaml"], tmp_path, env)).decode() == PLAIN


def test_sops_pgp_fp_and_set_and_rotate(
    tmp_path: Path, gnupg_home: Path, keys: list[Key]
) -> None:
    """SOPS_PGP_FP adds its keys to --age's group; set and rotate keep both readers."""
    key = keys[0]
    env = _env(gnupg_home, key)
    pgp_only = _env(gnupg_home)
    (tmp_path / "p.yaml").write_text(PLAIN)
    out = _ok(sekret(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path,
                     {**env, "SOPS_PGP_FP": FP}))  # fmt: skip
    (tmp_path / "e.yaml").write_bytes(out)
    meta = _meta(tmp_path / "e.yaml")
    assert [e["fp"] for e in meta["pgp"]] == [FP]  # type: ignore[attr-defined]
    _ok(sekret(["set", "e.yaml", '["a"]', "2"], tmp_path, pgp_only))
    assert yaml.safe_load(_ok(sops(["decrypt", "e.yaml"], tmp_path, pgp_only)))["a"] == 2
    before = _meta(tmp_path / "e.yaml")
    _ok(sekret(["rotate", "-i", "e.yaml"], tmp_path, pgp_only))
    after = _meta(tmp_path / "e.yaml")
    assert after["pgp"] != before["pgp"] and after["age"] != before["age"]
    for reader in (sekret, sops):
        for e in (env, pgp_only):
            assert yaml.safe_load(_ok(reader(["decrypt", "e.yaml"], tmp_path, e)))["a"] == 2


def test_rotate_adds_and_removes_pgp_keys_as_sops_does(
    tmp_path: Path, gnupg_home: Path, keys: list[Key]
) -> None:
    key = keys[0]
    env = _env(gnupg_home, key)
    (tmp_path / "p.yaml").write_text(PLAIN)
    base = _ok(sops(["encrypt", "--age", key.recipient, "--pgp", FP, "p.yaml"], tmp_path, env))
    fps = {}
    for tool in (sekret, sops):
        (tmp_path / f"{tool.__name__}.yaml").write_bytes(base)
        name = f"{tool.__name__}.yaml"
        _ok(tool(["rotate", "-i", "--add-pgp", FP2, "--rm-pgp", FP, name], tmp_path, env))
        fps[tool.__name__] = [e["fp"] for e in _meta(tmp_path / name)["pgp"]]  # type: ignore[attr-defined]
        only2 = _env(gnupg_home)
        for reader in (sekret, sops):
            assert _ok(reader(["decrypt", name], tmp_path, only2)).decode() == PLAIN
        _ok(tool(["rotate", "-i", "--rm-pgp", FP2, name], tmp_path, env))
        assert "pgp" not in _meta(tmp_path / name)
    assert fps["sekret"] == fps["sops"] == [FP2]


def test_key_groups_with_shamir_both_ways(
    tmp_path: Path, gnupg_home: Path, empty_gnupg_home: Path, keys: list[Key]
) -> None:
    """Threshold 2 of a pgp group, an age group and a mixed group."""
    k0, k1 = keys[0], keys[1]
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"
        f"      - pgp: [{FP}]\n      - age: [{k0.recipient}]\n"
        f"      - age: [{k1.recipient}]\n        pgp: [{FP2}]\n"
    )
    (tmp_path / "p.yaml").write_text(PLAIN)
    pgp_and_k0 = _env(gnupg_home, k0)
    k0_only = _env(empty_gnupg_home, k0)
    pgp_only = _env(gnupg_home)
    for writer in (sekret, sops):
        (tmp_path / "e.yaml").write_bytes(_ok(writer(["encrypt", "p.yaml"], tmp_path, pgp_and_k0)))
        meta = _meta(tmp_path / "e.yaml")
        assert meta["shamir_threshold"] == 2 and len(meta["key_groups"]) == 3  # type: ignore[arg-type]
        for reader in (sekret, sops):
            for env in (pgp_and_k0, pgp_only):  # pgp opens groups 1 and 3
                assert _ok(reader(["decrypt", "e.yaml"], tmp_path, env)).decode() == PLAIN
            assert reader(["decrypt", "e.yaml"], tmp_path, k0_only).status == 128


def test_updatekeys_and_groups_add_with_pgp(
    tmp_path: Path, gnupg_home: Path, keys: list[Key]
) -> None:
    key = keys[0]
    env = _env(gnupg_home, key)
    (tmp_path / "p.yaml").write_text(PLAIN)
    base = _ok(sops(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path, env))
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {key.recipient}\n    pgp: {FP}\n"
    )
    for tool in (sekret, sops):
        name = f"{tool.__name__}.yaml"
        (tmp_path / name).write_bytes(base)
        r = _ok(tool(["updatekeys", "-y", name], tmp_path, env)).decode()
        assert f"+++ {FP}" in r
        assert [e["fp"] for e in _meta(tmp_path / name)["pgp"]] == [FP]  # type: ignore[attr-defined]
        _ok(tool(["groups", "add", "--file", name, "-i", "--pgp", FP2], tmp_path, env))
        meta = _meta(tmp_path / name)
        groups = meta["key_groups"]
        assert [e["fp"] for e in groups[1]["pgp"]] == [FP2]  # type: ignore[index]
        for reader in (sekret, sops):
            assert _ok(reader(["decrypt", name], tmp_path, _env(gnupg_home))).decode() == PLAIN


def test_the_error_names_each_key_type_and_its_next_step(
    tmp_path: Path, gnupg_home: Path, empty_gnupg_home: Path, keys: list[Key]
) -> None:
    key = keys[0]
    env = _env(empty_gnupg_home)
    pgp_only = sekret(["decrypt", str(DATA / "multiple_keys.yaml")], tmp_path, env)
    assert pgp_only.status == 128 and pgp_only.out == b""
    assert f"tried pgp {FP}: gpg: " in pgp_only.err and "No secret key" in pgp_only.err
    assert f"pgp: import the secret key of {FP}, {FP2} into gpg" in pgp_only.err
    assert "SOPS_AGE_KEY_FILE" not in pgp_only.err  # no age key in this file
    (tmp_path / "p.yaml").write_text("a: 1\n")
    out = _ok(sekret(["encrypt", "--age", key.recipient, "--pgp", FP, "p.yaml"], tmp_path,
                     _env(gnupg_home, key)))  # fmt: skip
    (tmp_path / "e.yaml").write_bytes(out)
    mixed = sekret(["decrypt", "e.yaml"], tmp_path, env)
    assert mixed.status == 128 and mixed.out == b""
    assert "(its keys: age, pgp)" in mixed.err
    assert "age: set SOPS_AGE_KEY_FILE" in mixed.err
    assert f"pgp: import the secret key of {FP}" in mixed.err
    assert sops(["decrypt", "e.yaml"], tmp_path, env).status == 128


def test_sops_gpg_exec_and_decryption_order(
    tmp_path: Path, gnupg_home: Path, keys: list[Key]
) -> None:
    """SOPS_GPG_EXEC names the gpg; age is tried first unless the order says pgp."""
    import shutil
    import sys

    key = keys[0]
    log = tmp_path / "gpg.log"
    wrapper = tmp_path / "my-gpg"
    wrapper.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"os.execv({shutil.which('gpg')!r}, ['gpg', *sys.argv[1:]])\n"
    )
    wrapper.chmod(0o755)
    env = _env(gnupg_home, key, SOPS_GPG_EXEC=str(wrapper))
    (tmp_path / "p.yaml").write_text("a: 1\n")
    out = _ok(sekret(["encrypt", "--age", key.recipient, "--pgp", FP, "p.yaml"], tmp_path, env))
    (tmp_path / "e.yaml").write_bytes(out)
    assert log.read_text() == (
        f"--no-default-recipient --yes --encrypt -a -r {FP} --trusted-key "
        f"{FP[-16:]} --no-encrypt-to\n"
    )
    log.unlink()
    _ok(sekret(["decrypt", "e.yaml"], tmp_path, env))
    assert not log.exists()  # the age key opened it: gpg never ran
    _ok(sekret(["decrypt", "--decryption-order", "pgp,age", "e.yaml"], tmp_path, env))
    assert log.read_text() == "-d\n"
