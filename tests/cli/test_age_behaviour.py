"""age 1.3 behaviours of ``sekret age``, in-process: warnings, identity order, output care."""

from __future__ import annotations

from pathlib import Path

import pytest

from sekret.age import X25519Identity
from sekret.cli import age_keys
from tests.cli.helpers import assert_clean_failure, fake_env, run_cli

DATA = Path(__file__).parent / "cases" / "data"
A = X25519Identity.generate()
B = X25519Identity.generate()
RA, RB = str(A.recipient()), str(B.recipient())


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "in").write_bytes(b"test data\n")
    (tmp_path / "a.txt").write_text(A.to_string() + "\n")
    (tmp_path / "b.txt").write_text(B.to_string() + "\n")
    (tmp_path / "ra.txt").write_text(RA + "\n")
    (tmp_path / "rb.txt").write_text(RB + "\n")
    return tmp_path


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("sekret: warning:")]


def test_duplicate_flags_are_warned_once(work: Path) -> None:
    r = run_cli(["age", "-r", RA, "-a", "-r", RB, "-r", RA, "-r", RA, "-o", "1.age", "in"], work)
    assert r.status == 0 and _warnings(r.err) == [f"sekret: warning: duplicate recipient {RA!r}"]
    r = run_cli(["age", "-R", "ra.txt", "-o", "2.age", "-R", "rb.txt", "-R", "ra.txt", "in"],
                work)
    assert _warnings(r.err) == ["sekret: warning: duplicate recipients file 'ra.txt'"]
    r = run_cli(["age", "-d", "-i", "a.txt", "-o", "out", "-i", "b.txt", "-i", "a.txt", "1.age"],
                work)
    assert r.status == 0 and _warnings(r.err) == [
        "sekret: warning: duplicate identity file 'a.txt'"]
    # the literal strings are compared, as age does; -j is not checked (age neither)
    r = run_cli(["age", "-d", "-i", "a.txt", "-i", "./a.txt", "-o", "out2", "1.age"], work)
    assert r.status == 0 and _warnings(r.err) == []
    r = run_cli(["age", "-r", RA, "-r", RB, "-o", "3.age", "in"], work)
    assert r.err == ""


def test_identities_are_tried_in_order_with_native_keys_first(work: Path) -> None:
    (work / "id").write_bytes((DATA / "host_ed25519").read_bytes())
    env = fake_env(work)
    ids = age_keys.decrypt_identities(env, [("j", "test"), ("i", "id"), ("i", "a.txt"),
                                            ("i", "b.txt")])
    names = [type(i).__name__ for i in ids]
    # age 1.3: native keys (stably) first, then the rest in flag order, then the
    # passphrase-file rejection last, after every plugin had its turn
    assert names == ["X25519Identity", "X25519Identity", "PluginIdentity", "SSHIdentity",
                     "_RejectPassphraseFile"]
    assert [i.to_string() for i in ids[:2]] == [A.to_string(), B.to_string()]  # type: ignore[attr-defined]


def test_passphrase_file_with_identities_is_refused_clearly(work: Path) -> None:
    r = run_cli(["age", "-d", "-i", "a.txt", "pw.age"], work, secrets=["pw"])
    assert r.status == 1  # pw.age is missing: the input is opened first, as age does
    (work / "pw.age").write_bytes((DATA / "pw.age").read_bytes())
    r = run_cli(["age", "-d", "-i", "a.txt", "pw.age"], work, secrets=["pw"])
    assert_clean_failure(r)
    assert r.prompts == [] and "passphrase-encrypted but identities were given" in r.err


def test_failed_encryption_writes_nothing_to_stdout(work: Path) -> None:
    # the plugin is missing: the header cannot be made, and not even the armor's
    # BEGIN line may have reached standard output
    plugin = "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"
    r = run_cli(["age", "-a", "-r", plugin, "in"], work, environ={"PATH": str(work)})
    assert_clean_failure(r)
    assert r.stdout == b""
    r = run_cli(["age", "-a", "-r", RA, "in"], work)
    assert r.status == 0 and r.stdout.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")


def test_decrypting_to_a_terminal(work: Path) -> None:
    run_cli(["age", "-r", RA, "-o", "text.age", "in"], work)
    (work / "bin").write_bytes(b"\x00\x01binary\x1b[2J")
    run_cli(["age", "-r", RA, "-o", "bin.age", "bin"], work)
    text = run_cli(["age", "-d", "-i", "a.txt", "text.age"], work, tty=["stdout"])
    assert text.status == 0 and text.stdout == b"test data\n"
    binary = run_cli(["age", "-d", "-i", "a.txt", "bin.age"], work, tty=["stdout"])
    assert_clean_failure(binary)
    assert binary.stdout == b"" and "refusing to write binary plaintext" in binary.err
    forced = run_cli(["age", "-d", "-i", "a.txt", "-o", "-", "bin.age"], work, tty=["stdout"])
    assert forced.status == 0 and forced.stdout == (work / "bin").read_bytes()
    piped = run_cli(["age", "-d", "-i", "a.txt", "bin.age"], work)
    assert piped.stdout == (work / "bin").read_bytes()


def test_binary_ciphertext_to_a_terminal_is_refused_before_asking(work: Path) -> None:
    r = run_cli(["age", "-p", "in"], work, tty=["stdout"], secrets=["pw", "pw"])
    assert_clean_failure(r)
    assert r.prompts == [] and r.stdout == b""
    r = run_cli(["age", "-p", "-o", "-", "in"], work, tty=["stdout"], secrets=["pw", "pw"])
    assert r.status == 0 and r.stdout.startswith(b"age-encryption.org/v1\n")


@pytest.mark.parametrize(("content", "hint"), [
    (b"hello world\n", "give a file made by age, rage or sekret age"),
    (b"  \n", None),  # only whitespace: age's own message (the file is empty or so)
    (A.to_string().encode() + b"\n", "it looks like an identity file"),
    (RA.encode() + b"\n", "it looks like a list of recipients"),
    (b"-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n", "it is a PEM file"),
    (b"a: ENC[AES256_GCM,data:xx]\nsops:\n  version: 3\n", "it looks like a SOPS file"),
    (b"\xff\xfea\x00g\x00e\x00", "UTF-16"),
], ids=["text", "blank", "identity", "recipients", "pem", "sops", "utf-16"])  # keys are random
def test_not_an_age_file(work: Path, content: bytes, hint: str | None) -> None:
    (work / "f").write_bytes(content)
    r = run_cli(["age", "-d", "-i", "a.txt", "-o", "out", "f"], work)
    assert_clean_failure(r)
    assert not (work / "out").exists()
    if hint is None:
        assert "is not an age file" not in r.err
        return
    assert r.err.startswith("sekret: error: 'f' is not an age file\nsekret: hint: "), r.err
    assert hint in r.err
    stdin = run_cli(["age", "-d", "-i", "a.txt"], work, stdin=content)
    assert stdin.err.startswith("sekret: error: standard input is not an age file\n")


def test_damaged_age_files_keep_their_own_errors(work: Path) -> None:
    (work / "t").write_bytes(b"age-encryption.org/v1\n-> X25519 abc\n")
    r = run_cli(["age", "-d", "-i", "a.txt", "t"], work)
    assert_clean_failure(r)
    assert "not an age file" not in r.err
    (work / "crlf").write_bytes(b"age-encryption.org/v1\r\n-> X25519 abc\r\n")
    r = run_cli(["age", "-d", "-i", "a.txt", "crlf"], work)
    assert_clean_failure(r)
    assert "Windows line endings" in r.err and "PowerShell" in r.err
