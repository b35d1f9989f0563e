"""OpenSSH ed25519 key pairs, written byte for byte in ssh-keygen's format.

The private key is ``openssh-key-v1`` without a passphrase (a host key: sshd reads it
unattended): magic, cipher and KDF ``none``, one public key, then the private section
with two equal check integers, the key type, the public key, seed‖public, the comment
and padding 1, 2, 3… to a multiple of 8, base64 in lines of 70 characters between the
PEM markers. The public key is ``ssh-ed25519 BASE64 COMMENT`` on one line.
"""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Callable

from sekret._record import field, record
from sekret._sensitive import SecretBytes
from sekret.crypto import ssh as sshcrypto

KEY_TYPE = b"ssh-ed25519"
_MAGIC = b"openssh-key-v1\x00"
_BEGIN = b"-----BEGIN OPENSSH PRIVATE KEY-----\n"
_END = b"-----END OPENSSH PRIVATE KEY-----\n"
_LINE = 70  # ssh-keygen's width for the base64 body


@record
class HostKey:
    """A host key pair: the private key file's bytes (secret) and the ``.pub`` line."""

    private_file: SecretBytes = field(repr=False)
    public_line: str


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def public_wire(public: bytes) -> bytes:
    """The SSH wire encoding of an Ed25519 public key."""
    return _string(KEY_TYPE) + _string(public)


def public_line(public: bytes, comment: str) -> str:
    """``ssh-ed25519 AAAA… comment`` (no newline)."""
    b64 = base64.b64encode(public_wire(public)).decode()
    return f"ssh-ed25519 {b64} {comment}" if comment else f"ssh-ed25519 {b64}"


def private_file(seed: bytes, public: bytes, comment: str, *, check: bytes) -> bytes:
    """The unencrypted ``openssh-key-v1`` file of an Ed25519 key (``check``: 4 bytes)."""
    section = (
        check
        + check
        + _string(KEY_TYPE)
        + _string(public)
        + _string(seed + public)
        + _string(comment.encode())
    )
    section += bytes(range(1, 1 + (-len(section)) % 8))
    blob = (
        _MAGIC
        + _string(b"none")
        + _string(b"none")
        + _string(b"")
        + struct.pack(">I", 1)
        + _string(public_wire(public))
        + _string(section)
    )
    b64 = base64.b64encode(blob)
    body = b"".join(b64[i : i + _LINE] + b"\n" for i in range(0, len(b64), _LINE))
    return _BEGIN + body + _END


def generate(
    comment: str,
    *,
    keypair: Callable[[], tuple[bytes, bytes]] = sshcrypto.new_ed25519,
    rng: Callable[[int], bytes] = os.urandom,
) -> HostKey:
    """A new Ed25519 host key; ``keypair`` and ``rng`` fix the randomness for tests."""
    seed, public = keypair()
    data = private_file(seed, public, comment, check=rng(4))
    return HostKey(SecretBytes(data), public_line(public, comment))
