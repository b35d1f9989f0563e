"""Loader for the C2SP/CCTV age test vectors (the ``testkit`` file format)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Vector:
    """One CCTV vector: expectations and the age file bytes."""

    name: str
    expect: str
    payload_sha256: str | None
    file_key: bytes
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    data: bytes = b""


def load(path: Path) -> Vector | None:
    """Parse a vector file; None if it has a key this loader does not know (spec: skip)."""
    raw = path.read_bytes()
    head, sep, body = raw.partition(b"\n\n")
    assert sep, f"{path.name}: no blank line after the header"
    v = Vector(path.name, "", None, b"")
    compressed = False
    for line in head.decode().split("\n"):
        key, _, value = line.partition(": ")
        if key == "expect":
            v.expect = value
        elif key == "payload":
            v.payload_sha256 = value
        elif key == "file key":
            v.file_key = bytes.fromhex(value)
        elif key == "identity":
            v.identities.append(value)
        elif key == "passphrase":
            v.passphrases.append(value)
        elif key == "armored":
            v.armored = value == "yes"
        elif key == "compressed":
            assert value == "zlib", value
            compressed = True
        elif key == "comment":
            pass
        else:
            return None
    v.data = zlib.decompress(body) if compressed else body
    return v


def all_vectors(folder: Path) -> list[Path]:
    """Every vector file in ``folder`` (its LICENSE and ORIGIN.md are not vectors)."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name not in ("LICENSE", "ORIGIN.md")
    )
