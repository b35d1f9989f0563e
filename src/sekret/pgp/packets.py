"""OpenPGP packet framing (RFC 4880 §4, §5.2.3, §12.2): serialization only, no crypto.

Just what a v4 RSA key with one user ID and its self-signature needs: new-format packet
headers, MPIs, signature subpackets, and the v4 fingerprint.
"""

from __future__ import annotations

import hashlib
import struct

# packet tags (RFC 4880 §4.3)
SIGNATURE, SECRET_KEY, PUBLIC_KEY, USER_ID = 2, 5, 6, 13
# signature subpacket types (§5.2.3.1)
SIG_CREATED, ISSUER, PRIMARY_USER_ID, KEY_FLAGS, ISSUER_FINGERPRINT = 2, 16, 25, 27, 33
RSA = 1  # public-key algorithm (§9.1)
SHA256 = 8  # hash algorithm (§9.4)
POSITIVE_CERTIFICATION = 0x13  # signature type (§5.2.1)


def mpi(value: int) -> bytes:
    """A multiprecision integer: its length in bits, then its big-endian bytes."""
    bits = value.bit_length()
    return struct.pack(">H", bits) + value.to_bytes((bits + 7) // 8, "big")


def _length(n: int) -> bytes:
    """A new-format body length (one, two or five octets)."""
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + struct.pack(">I", n)


def packet(tag: int, body: bytes) -> bytes:
    """A new-format packet."""
    return bytes([0xC0 | tag]) + _length(len(body)) + body


def subpacket(kind: int, data: bytes, *, critical: bool = False) -> bytes:
    """One signature subpacket."""
    return _length(len(data) + 1) + bytes([kind | (0x80 if critical else 0)]) + data


def rsa_public_body(created: int, n: int, e: int) -> bytes:
    """The body of a v4 RSA public-key packet (§5.5.2)."""
    return b"\x04" + struct.pack(">I", created) + bytes([RSA]) + mpi(n) + mpi(e)


def key_hash_prefix(public_body: bytes) -> bytes:
    """How a v4 key is hashed for its fingerprint and for signatures over it (§12.2)."""
    return b"\x99" + struct.pack(">H", len(public_body)) + public_body


def fingerprint(public_body: bytes) -> bytes:
    """The 20-byte v4 fingerprint: SHA-1 of the framed public key (§12.2)."""
    return hashlib.sha1(key_hash_prefix(public_body)).digest()


def user_id_hash_prefix(user_id: bytes) -> bytes:
    """How a user ID is hashed for a certification signature (§5.2.4)."""
    return b"\xb4" + struct.pack(">I", len(user_id)) + user_id


def secret_part(*numbers: int) -> bytes:
    """Unprotected secret MPIs (string-to-key usage 0) and their two-octet checksum."""
    mpis = b"".join(mpi(x) for x in numbers)
    return b"\x00" + mpis + struct.pack(">H", sum(mpis) & 0xFFFF)
