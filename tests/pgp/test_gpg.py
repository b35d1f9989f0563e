"""sekret.pgp.gpg against the real gpg: arguments, homes, and errors that leak nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sekret.pgp import gpg
from tests.conftest import require_tool
from tests.sops.gpg_home import DATA, FP, FP2

SECRET = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def home() -> object:
    require_tool("gpg")
    with gpg.temporary_home() as h:
        gpg.import_keys((DATA / "sops_functional_tests_key.asc").read_bytes(), gnupg_home=h)
        yield h


def test_temporary_home_is_private_and_removed() -> None:
    require_tool("gpg")
    with gpg.temporary_home() as h:
        assert stat.S_IMODE(os.stat(h).st_mode) == 0o700
        gpg.import_keys((DATA / "sops_functional_tests_key.asc").read_bytes(), gnupg_home=h)
        gpg.decrypt(gpg.encrypt(SECRET, FP, gnupg_home=h).encode(), gnupg_home=h)
    assert not os.path.exists(h)


def test_round_trip_and_the_home_from_the_environment(home: str) -> None:
    message = gpg.encrypt(SECRET, FP2, gnupg_home=home)
    assert message.startswith("-----BEGIN PGP MESSAGE-----") and message.endswith("-----")
    assert SECRET.decode() not in message
    env = {**os.environ, "GNUPGHOME": home}
    assert gpg.decrypt(message.encode(), environ=env) == SECRET


def test_errors_carry_gpgs_message_and_never_the_data(home: str, tmp_path: Path) -> None:
    with pytest.raises(gpg.GpgError) as e:
        gpg.encrypt(SECRET, "0" * 40, gnupg_home=home)
    assert "failed to encrypt the data key with pgp key " + "0" * 40 in str(e.value)
    assert "gpg:" in str(e.value) and SECRET.decode() not in e.value.diagnostics()
    empty = tmp_path / "g"
    empty.mkdir(mode=0o700)
    message = gpg.encrypt(SECRET, FP, gnupg_home=home).encode()
    with pytest.raises(gpg.GpgError, match="No secret key") as e2:
        gpg.decrypt(message, gnupg_home=str(empty))
    assert SECRET.decode() not in e2.value.diagnostics()


def test_sops_gpg_exec_names_the_program() -> None:
    env = {"SOPS_GPG_EXEC": "/nonexistent/my-gpg", "PATH": os.environ.get("PATH", "")}
    assert gpg.program(env) == "/nonexistent/my-gpg" and gpg.program({}) == "gpg"
    with pytest.raises(gpg.GpgError, match="cannot run '/nonexistent/my-gpg': no such program"):
        gpg.decrypt(b"x", environ=env)


def test_short_fingerprint_is_sops_long_key_id() -> None:
    assert gpg.short_fingerprint(FP) == FP[-16:]
    assert gpg.short_fingerprint(FP + "!") == FP[-16:] + "!"
    assert gpg.short_fingerprint("ABCD") == "ABCD"
