"""Interoperability with the real ``age`` 1.1.1, both directions, through the CLIs.

sekret runs as ``python -m sekret`` in a subprocess; passphrases are typed on a
pseudo-terminal (both tools read them from /dev/tty only). SSH keys come from
``ssh-keygen`` into a temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.ptyrun import run_in_pty
from tests.conftest import require_tool

pytestmark = pytest.mark.interop

SIZES = [0, 1, 65536, 65537, 5 * 1024 * 1024 + 3]
SEKRET = [sys.executable, "-m", "sekret", "age"]


def _run(argv: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, check=False)
    assert proc.returncode == 0, (argv, proc.stderr.decode(errors="replace"))
    assert b"Traceback" not in proc.stderr
    return proc


def sekret(cwd: Path, *args: str, stdin: bytes = b"") -> bytes:
    return _run([*SEKRET, *args], cwd, stdin).stdout


def age(cwd: Path, *args: str, stdin: bytes = b"") -> bytes:
    return _run([require_tool("age"), *args], cwd, stdin).stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """x25519 (age-keygen), ed25519, rsa-2048 and a passphrase-protected ed25519 key."""
    d = tmp_path_factory.mktemp("keys")
    require_tool("age")
    keygen = require_tool("age-keygen")
    ssh_keygen = require_tool("ssh-keygen")
    subprocess.run([keygen, "-o", str(d / "age.txt")], check=True, capture_output=True)
    pub = subprocess.run([keygen, "-y", str(d / "age.txt")], check=True, capture_output=True)
    (d / "age.pub").write_bytes(pub.stdout)
    for name, kind, extra, pw in [
        ("ed", "ed25519", [], ""),
        ("rsa", "rsa", ["-b", "2048"], ""),
        ("edpw", "ed25519", [], "key pass"),
    ]:
        subprocess.run([ssh_keygen, "-q", "-t", kind, *extra, "-N", pw, "-C", name,
                        "-f", str(d / name)], check=True, capture_output=True)
    return d


def _recipient(keys: Path, kind: str) -> str:
    return (keys / ("age.pub" if kind == "x25519" else f"{kind}.pub")).read_text().strip()


def _identity(keys: Path, kind: str) -> str:
    return str(keys / ("age.txt" if kind == "x25519" else kind))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("direction", ["sekret->age", "age->sekret"])
def test_x25519_sizes(keys: Path, tmp_path: Path, size: int, direction: str) -> None:
    data = os.urandom(size)
    (tmp_path / "in").write_bytes(data)
    enc, dec = (sekret, age) if direction == "sekret->age" else (age, sekret)
    enc(tmp_path, "-r", _recipient(keys, "x25519"), "-o", "ct", "in")
    assert dec(tmp_path, "-d", "-i", _identity(keys, "x25519"), "ct") == data


@pytest.mark.parametrize("kind", ["x25519", "ed", "rsa"])
@pytest.mark.parametrize("armor", [False, True])
@pytest.mark.parametrize("direction", ["sekret->age", "age->sekret"])
def test_key_types_and_armor(keys: Path, tmp_path: Path, kind: str, armor: bool,
                             direction: str) -> None:
    data = os.urandom(70000)
    enc, dec = (sekret, age) if direction == "sekret->age" else (age, sekret)
    flags = ["-a"] if armor else []
    ct = enc(tmp_path, *flags, "-r", _recipient(keys, kind), stdin=data)
    assert ct.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n") == armor
    assert dec(tmp_path, "-d", "-i", _identity(keys, kind), stdin=ct) == data


@pytest.mark.parametrize("direction", ["sekret->age", "age->sekret"])
def test_several_recipients(keys: Path, tmp_path: Path, direction: str) -> None:
    (tmp_path / "r.txt").write_text(
        f"# everyone\n{_recipient(keys, 'ed')}\n\n{_recipient(keys, 'rsa')}\n"
    )
    data = b"several recipients\n" * 5000
    enc, dec = (sekret, age) if direction == "sekret->age" else (age, sekret)
    ct = enc(tmp_path, "-r", _recipient(keys, "x25519"), "-R", "r.txt", stdin=data)
    for kind in ("x25519", "ed", "rsa"):
        assert dec(tmp_path, "-d", "-i", _identity(keys, kind), stdin=ct) == data


@pytest.mark.parametrize("direction", ["sekret->age", "age->sekret"])
def test_symmetric_identity_file(keys: Path, tmp_path: Path, direction: str) -> None:
    enc, dec = (sekret, age) if direction == "sekret->age" else (age, sekret)
    ct = enc(tmp_path, "-e", "-i", _identity(keys, "x25519"), "-a", stdin=b"to self")
    assert dec(tmp_path, "-d", "-i", _identity(keys, "x25519"), stdin=ct) == b"to self"


def _tool(name: str) -> list[str]:
    return SEKRET if name == "sekret" else [require_tool("age")]


@pytest.mark.parametrize("size", [0, 65537])
@pytest.mark.parametrize(("encryptor", "decryptor"),
                         [("age", "sekret"), ("sekret", "age"), ("sekret", "sekret")])
def test_scrypt_through_a_terminal(tmp_path: Path, size: int, encryptor: str,
                                   decryptor: str) -> None:
    data = os.urandom(size)
    (tmp_path / "in").write_bytes(data)
    enc = run_in_pty([*_tool(encryptor), "-p", "-o", "ct", "in"], ["pass phrase", "pass phrase"],
                     cwd=str(tmp_path))
    assert enc.status == 0 and enc.prompts == 2, enc.output
    assert (tmp_path / "ct").read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    dec = run_in_pty([*_tool(decryptor), "-d", "-o", "out", "ct"], ["pass phrase"],
                     cwd=str(tmp_path))
    assert dec.status == 0 and dec.prompts == 1, dec.output
    out = tmp_path / "out"
    if decryptor == "age" and size == 0 and not out.exists():
        out.write_bytes(b"")  # age 1.1.1 opens -o lazily: no write, no file
    assert out.read_bytes() == data
    assert b"pass phrase" not in enc.output + dec.output  # echo was off


def test_scrypt_wrong_passphrase_in_sekret(tmp_path: Path) -> None:
    (tmp_path / "in").write_bytes(b"data")
    assert run_in_pty([require_tool("age"), "-p", "-o", "ct", "in"], ["right", "right"],
                      cwd=str(tmp_path)).status == 0
    dec = run_in_pty([*SEKRET, "-d", "-o", "out", "ct"], ["wrong"], cwd=str(tmp_path))
    assert dec.status == 1
    assert b"sekret: error: incorrect passphrase" in dec.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("encryptor", "decryptor"), [("age", "sekret"), ("sekret", "age")])
def test_passphrase_protected_ssh_key(keys: Path, tmp_path: Path, encryptor: str,
                                      decryptor: str) -> None:
    data = os.urandom(1000)
    (tmp_path / "in").write_bytes(data)
    enc = sekret if encryptor == "sekret" else age
    enc(tmp_path, "-r", _recipient(keys, "edpw"), "-o", "ct", "in")
    dec = run_in_pty([*_tool(decryptor), "-d", "-i", str(keys / "edpw"), "-o", "out", "ct"],
                     ["key pass"], cwd=str(tmp_path))
    assert dec.status == 0 and dec.prompts == 1, dec.output
    assert f'Enter passphrase for "{keys / "edpw"}":'.encode() in dec.output
    assert (tmp_path / "out").read_bytes() == data


def test_protected_ssh_key_not_asked_for_other_files(keys: Path, tmp_path: Path) -> None:
    """No terminal at all: it works because the protected key is never opened."""
    ct = age(tmp_path, "-r", _recipient(keys, "ed"), stdin=b"not for edpw")
    out = sekret(tmp_path, "-d", "-i", str(keys / "edpw"), "-i", str(keys / "ed"), stdin=ct)
    assert out == b"not for edpw"


def test_encrypted_identity_file_made_by_age(keys: Path, tmp_path: Path) -> None:
    made = run_in_pty([require_tool("age"), "-p", "-a", "-o", "key.age",
                       _identity(keys, "x25519")], ["idpass", "idpass"], cwd=str(tmp_path))
    assert made.status == 0, made.output
    (tmp_path / "in").write_bytes(b"behind two passphrases")
    age(tmp_path, "-r", _recipient(keys, "x25519"), "-o", "ct", "in")
    dec = run_in_pty([*SEKRET, "-d", "-i", "key.age", "-o", "out", "ct"], ["idpass"],
                     cwd=str(tmp_path))
    assert dec.status == 0 and b'Enter passphrase for identity file "key.age":' in dec.output
    assert (tmp_path / "out").read_bytes() == b"behind two passphrases"


def test_encrypted_legacy_pem_key_uses_pub_sibling(tmp_path: Path) -> None:
    """An encrypted PEM key has no public half inside: sekret reads PATH.pub, like age."""
    ssh_keygen = require_tool("ssh-keygen")
    subprocess.run([ssh_keygen, "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "pem pass",
                    "-f", str(tmp_path / "pem")], check=True, capture_output=True)
    assert b"ENCRYPTED" in (tmp_path / "pem").read_bytes()
    (tmp_path / "in").write_bytes(b"legacy")
    age(tmp_path, "-R", "pem.pub", "-o", "ct", "in")
    dec = run_in_pty([*SEKRET, "-d", "-i", "pem", "-o", "out", "ct"], ["pem pass"],
                     cwd=str(tmp_path))
    assert dec.status == 0 and dec.prompts == 1, dec.output
    assert (tmp_path / "out").read_bytes() == b"legacy"
    (tmp_path / "pem.pub").unlink()
    proc = subprocess.run([*SEKRET, "-d", "-i", "pem", "ct"], cwd=tmp_path, capture_output=True,
                          check=False)
    assert proc.returncode == 1 and proc.stderr.count(b"sekret: error:") == 1
    assert b"pem.pub" in proc.stderr
