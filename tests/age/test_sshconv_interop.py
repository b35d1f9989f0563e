"""``sekret ssh-to-age`` against real tools and against an independent computation.

* ``age-keygen -y`` of the converted private key equals the converted public key;
* real ``age`` encrypts to one and decrypts with the other (and sekret's CLI too);
* the expected strings are also computed here from scratch: the Edwards→Montgomery
  map with Python integers, SHA-512 of the seed that *cryptography* (not sekret)
  extracts, and a hand-written bech32 — so a shared bug cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PrivateFormat,
    PublicFormat,
    load_ssh_private_key,
)

from tests.cli.ptyrun import run_in_pty
from tests.conftest import require_tool

pytestmark = pytest.mark.interop

SEKRET = [sys.executable, "-m", "sekret"]
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_P = 2**255 - 19


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32(hrp: str, data: bytes) -> str:
    """BIP-173 bech32 with no length limit, lowercase (callers upper-case secrets)."""
    acc = bits = 0
    words = []
    for byte in data:
        acc, bits = acc << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append(acc >> bits & 31)
    if bits:
        words.append(acc << (5 - bits) & 31)
    h = hrp.lower()
    expanded = [ord(c) >> 5 for c in h] + [0] + [ord(c) & 31 for c in h]
    pm = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return h + "1" + "".join(_CHARSET[w] for w in words + checksum)


def expected_recipient(ed_public: bytes) -> str:
    y = int.from_bytes(ed_public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return bech32("age", u.to_bytes(32, "little"))


def expected_identity(private_key_text: bytes, passphrase: bytes | None = None) -> str:
    key = load_ssh_private_key(private_key_text, passphrase)
    assert isinstance(key, Ed25519PrivateKey)
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, _no_encryption())
    return bech32("AGE-SECRET-KEY-", hashlib.sha512(seed).digest()[:32]).upper()


def _no_encryption():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import NoEncryption

    return NoEncryption()


def run(argv: list[str], cwd: Path, stdin: bytes = b"",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, check=False,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, (argv, proc.stderr.decode(errors="replace"))
    return proc


@pytest.fixture(scope="module")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sshkeys")
    ssh_keygen = require_tool("ssh-keygen")
    for name, kind, pw in [("ed", "ed25519", ""), ("edpw", "ed25519", "s3cret"),
                           ("rsa", "rsa", "")]:
        subprocess.run([ssh_keygen, "-q", "-t", kind, "-N", pw, "-C", f"{name}@host",
                        "-f", str(d / name)], check=True, capture_output=True)
    return d


def _ed_public(pub_line: str) -> bytes:
    return base64.b64decode(pub_line.split()[1])[-32:]


def test_public_and_private_conversions_agree(ssh_keys: Path, tmp_path: Path) -> None:
    age_keygen = require_tool("age-keygen")
    pub_line = (ssh_keys / "ed.pub").read_text()
    recipient = run([*SEKRET, "ssh-to-age", "-i", str(ssh_keys / "ed.pub")], tmp_path).stdout
    identity = run([*SEKRET, "ssh-to-age", "-private-key", "-i", str(ssh_keys / "ed")],
                   tmp_path).stdout
    assert recipient.decode() == expected_recipient(_ed_public(pub_line)) + "\n"
    assert identity.decode() == expected_identity((ssh_keys / "ed").read_bytes()) + "\n"
    assert run([age_keygen, "-y"], tmp_path, stdin=identity).stdout == recipient


@pytest.mark.parametrize(("encryptor", "decryptor"),
                         [("age", "age"), ("age", "sekret"), ("sekret", "age")])
def test_age_uses_the_converted_pair(ssh_keys: Path, tmp_path: Path, encryptor: str,
                                     decryptor: str) -> None:
    tools = {"age": [require_tool("age")], "sekret": [*SEKRET, "age"]}
    recipient = run([*SEKRET, "ssh-to-age", "-i", str(ssh_keys / "ed.pub")], tmp_path)
    run([*SEKRET, "ssh-to-age", "--private-key", "-i", str(ssh_keys / "ed"), "-o", "k.txt"],
        tmp_path)
    assert (tmp_path / "k.txt").stat().st_mode & 0o777 == 0o600
    data = os.urandom(100_000)
    ct = run([*tools[encryptor], "-r", recipient.stdout.decode().strip()], tmp_path, data).stdout
    assert run([*tools[decryptor], "-d", "-i", "k.txt"], tmp_path, ct).stdout == data


def test_converted_key_does_not_open_ssh_stanzas(ssh_keys: Path, tmp_path: Path) -> None:
    """age's ssh-ed25519 stanza is tweaked: the converted X25519 key is a different key."""
    age = require_tool("age")
    run([*SEKRET, "ssh-to-age", "-private-key", "-i", str(ssh_keys / "ed"), "-o", "k.txt"],
        tmp_path)
    ct = run([age, "-R", str(ssh_keys / "ed.pub")], tmp_path, b"x").stdout
    proc = subprocess.run([age, "-d", "-i", "k.txt"], cwd=tmp_path, input=ct,
                          capture_output=True, check=False)
    assert proc.returncode != 0


def test_keyscan_and_known_hosts_lines(ssh_keys: Path, tmp_path: Path) -> None:
    ed = (ssh_keys / "ed.pub").read_text().split()
    edpw = (ssh_keys / "edpw.pub").read_text().split()
    rsa = (ssh_keys / "rsa.pub").read_text().split()
    text = (
        "# example.org:22 SSH-2.0-OpenSSH_9.2p1\n"
        f"example.org {ed[0]} {ed[1]}\n"
        f"example.org {rsa[0]} {rsa[1]}\n"
        "\n"
        f"[example.org]:2222,192.0.2.7 {edpw[0]} {edpw[1]}\n"
        f"|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= {ed[0]} {ed[1]}\n"
        f"{ed[0]} {ed[1]} with a comment\n"
    )
    proc = run([*SEKRET, "ssh-to-age"], tmp_path, text.encode())
    want_ed = expected_recipient(base64.b64decode(ed[1])[-32:])
    want_pw = expected_recipient(base64.b64decode(edpw[1])[-32:])
    assert proc.stdout.decode().split() == [want_ed, want_pw, want_ed, want_ed]
    assert proc.stderr == (
        b"skipped key: got ssh-rsa key type, but only ed25519 keys are supported\n"
    )


def test_real_ssh_keyscan_format(tmp_path: Path) -> None:
    """Host keys as ``ssh-keyscan`` prints them (made with ``ssh-keygen -A`` into a tree)."""
    ssh_keygen = require_tool("ssh-keygen")
    (tmp_path / "etc" / "ssh").mkdir(parents=True)
    subprocess.run([ssh_keygen, "-A", "-f", str(tmp_path)], check=True, capture_output=True)
    lines = [f"# host:22 SSH-2.0-OpenSSH_9.2p1\nhost {p.read_text().rsplit(' ', 1)[0]}\n"
             for p in sorted((tmp_path / "etc" / "ssh").glob("*.pub"))]
    proc = run([*SEKRET, "ssh-to-age"], tmp_path, "".join(lines).encode())
    ed_pub = (tmp_path / "etc" / "ssh" / "ssh_host_ed25519_key.pub").read_text()
    assert proc.stdout.decode() == expected_recipient(_ed_public(ed_pub)) + "\n"
    assert proc.stderr.count(b"skipped key: got ") == len(lines) - 1


def test_protected_private_key(ssh_keys: Path, tmp_path: Path) -> None:
    want = expected_identity((ssh_keys / "edpw").read_bytes(), b"s3cret") + "\n"
    via_env = run([*SEKRET, "ssh-to-age", "-private-key", "-i", str(ssh_keys / "edpw")],
                  tmp_path, env={"SSH_TO_AGE_PASSPHRASE": "s3cret"})
    assert via_env.stdout.decode() == want
    prompted = run_in_pty([*SEKRET, "ssh-to-age", "-private-key", "-i", str(ssh_keys / "edpw"),
                           "-o", "k.txt"], ["s3cret"], cwd=str(tmp_path))
    assert prompted.status == 0 and prompted.prompts == 1, prompted.output
    assert (tmp_path / "k.txt").read_text() == want
    assert b"s3cret" not in prompted.output
    y = run([require_tool("age-keygen"), "-y", "k.txt"], tmp_path).stdout.decode()
    assert y == expected_recipient(_ed_public((ssh_keys / "edpw.pub").read_text())) + "\n"


def test_public_key_format_helpers_are_sane() -> None:
    """The independent helpers agree with cryptography's own key derivation."""
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, _no_encryption())
    scalar = hashlib.sha512(seed).digest()[:32]
    x_pub = X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    assert expected_recipient(pub) == bech32("age", x_pub)
