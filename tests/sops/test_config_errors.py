""".sops.yaml problems give the errors sops gives, and never a file nobody can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sops.conftest import Key, clean_env, sekret, sops


@pytest.mark.parametrize(
    "rule",
    [
        "key_groups:\n      - age: [{age}]\n        kms: [{{arn: 'arn:aws:kms:x'}}]\n",
        "gcp_kms: projects/p/locations/l/keyRings/r/cryptoKeys/k\n    age: {age}\n",
    ],
    ids=["kms-in-group", "gcp-kms"],
)
def test_a_rule_with_keys_sekret_cannot_wrap_is_refused(
    tmp_path: Path, keys: list[Key], rule: str
) -> None:
    """Writing such entries without their wrapped data key made a file sops cannot read
    (it fails on the empty entry before it tries the age key)."""
    key = keys[0]
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - " + rule.format(age=key.recipient)
    )
    (tmp_path / "s.yaml").write_text("a: 1\n")
    r = sekret(["encrypt", "-i", "s.yaml"], tmp_path, clean_env(key))
    assert r.status != 0
    assert r.err.startswith("sekret: error: cannot encrypt to ") and "pgp keys only" in r.err
    assert (tmp_path / "s.yaml").read_text() == "a: 1\n"


def test_a_pgp_key_missing_from_the_keyring_is_refused(tmp_path: Path, keys: list[Key]) -> None:
    """gpg's own reason, and no file written (an entry without enc is unreadable)."""
    key = keys[0]
    gnupg = tmp_path / "g"
    gnupg.mkdir(mode=0o700)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n"
        f"    age: {key.recipient}\n"
    )
    (tmp_path / "s.yaml").write_text("a: 1\n")
    r = sekret(["encrypt", "-i", "s.yaml"], tmp_path, clean_env(key, GNUPGHOME=str(gnupg)))
    assert r.status == 1
    assert r.err.startswith(
        "sekret: error: failed to encrypt the data key with pgp key "
        "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4: gpg: "
    ), r.err
    assert "No public key" in r.err and "sekret: hint: import the public key" in r.err
    assert (tmp_path / "s.yaml").read_text() == "a: 1\n"


def test_updatekeys_without_a_config_says_so_like_sops(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "u.yaml").write_text("a: 1\n")
    assert sekret(["encrypt", "-i", "--age", key.recipient, "u.yaml"], tmp_path, env).status == 0
    for tool in (sekret, sops):
        r = tool(["updatekeys", "-y", "u.yaml"], tmp_path, env)
        assert r.status != 0 and "config file not found" in r.err, (tool.__name__, r.err)


def test_an_explicit_config_that_does_not_parse_fails_every_command(
    tmp_path: Path, keys: list[Key]
) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "u.yaml").write_text("a: 1\n")
    assert sekret(["encrypt", "-i", "--age", key.recipient, "u.yaml"], tmp_path, env).status == 0
    (tmp_path / "bad.yaml").write_text("creation_rules: [\n")
    for args in (["decrypt", "u.yaml"], ["set", "u.yaml", '["a"]', "2"], ["rotate", "u.yaml"]):
        for tool in (sekret, sops):
            r = tool(["--config", "bad.yaml", *args], tmp_path, env)
            assert r.status != 0, (tool.__name__, args)
    assert sekret(["decrypt", "u.yaml"], tmp_path, env).out == b"a: 1\n"
