"""Host keys are written exactly as ssh-keygen writes them (the real ssh-keygen is the oracle)."""

from __future__ import annotations

import base64
import struct
import subprocess
from pathlib import Path

from sekret.hosts import sshkey
from tests.conftest import require_tool


def _strings(blob: bytes, pos: int, n: int) -> tuple[list[bytes], int]:
    out = []
    for _ in range(n):
        (size,) = struct.unpack(">I", blob[pos : pos + 4])
        out.append(blob[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return out, pos


def test_same_bytes_as_ssh_keygen(tmp_path: Path) -> None:
    """Given ssh-keygen's own seed, check integer and comment, the file is identical."""
    keygen = require_tool("ssh-keygen")
    path = tmp_path / "real"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "root@web1", "-f",
                    str(path)], check=True)
    real = path.read_bytes()
    body = b"".join(real.splitlines()[1:-1])
    blob = base64.b64decode(body)
    (_c, _k, _o), pos = _strings(blob, len(b"openssh-key-v1\0"), 3)
    pos += 4  # number of keys
    (_pub, section), _ = _strings(blob, pos, 2)
    check = section[:4]
    (_t, public, secret, comment), _ = _strings(section, 8, 4)
    assert comment == b"root@web1"
    assert sshkey.private_file(secret[:32], public, "root@web1", check=check) == real
    assert sshkey.public_line(public, "root@web1") + "\n" == (tmp_path / "real.pub").read_text()


def test_generated_key_is_read_by_ssh_keygen(tmp_path: Path) -> None:
    keygen = require_tool("ssh-keygen")
    key = sshkey.generate("root@db1")
    assert "PRIVATE" not in repr(key) and "redacted" in repr(key.private_file)
    path = tmp_path / "k"
    path.write_bytes(key.private_file.expose())
    path.chmod(0o600)
    derived = subprocess.run([keygen, "-y", "-f", str(path)], capture_output=True, check=True)
    assert derived.stdout.decode().strip() == key.public_line
    listed = subprocess.run([keygen, "-l", "-f", str(path)], capture_output=True, check=True)
    assert listed.stdout.decode().rstrip().endswith("root@db1 (ED25519)")


def test_keys_differ() -> None:
    assert sshkey.generate("a").public_line != sshkey.generate("a").public_line
