"""The SOPS MAC: SHA-512 over every value's plaintext, in file order.

Comments and nulls are not part of it; with ``mac_only_encrypted`` only the values
that end up encrypted are, after a fixed 32-byte prefix (SHA-256 of ``sops``). The MAC
string is the upper-case hex digest, stored encrypted with the ``lastmodified`` string
as its AAD.
"""

from __future__ import annotations

from sekret.crypto.kdf import sha512_hasher

#: SHA-256("sops"): fed first when only encrypted values are authenticated.
MAC_ONLY_ENCRYPTED_PREFIX = bytes.fromhex(
    "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69"
)


#: Plaintexts hashed per call into the hash object. One call per value cost ~0.3 us (a
#: large file's values are mostly short); a list append and one joined update per batch
#: cost a third of that, and the batch bounds the memory held.
_BATCH = 1024


class MacBuilder:
    """Accumulates value plaintexts; :meth:`hexdigest` gives the sops MAC string."""

    def __init__(self, *, mac_only_encrypted: bool = False) -> None:
        self._h = sha512_hasher()
        self._pending: list[bytes] = []
        self._digest: str | None = None
        self.mac_only_encrypted = mac_only_encrypted
        if mac_only_encrypted:
            self._pending.append(MAC_ONLY_ENCRYPTED_PREFIX)

    def update(self, plaintext: bytes) -> None:
        """Feed a plaintext that counts (what :meth:`add` does after its check)."""
        pending = self._pending
        pending.append(plaintext)
        if len(pending) >= _BATCH:
            self._h.update(b"".join(pending))
            pending.clear()

    def add(self, plaintext: bytes, *, encrypted: bool) -> None:
        """Feed one value's plaintext (skipped for clear values in mac_only_encrypted)."""
        if encrypted or not self.mac_only_encrypted:
            self.update(plaintext)

    def hexdigest(self) -> str:
        """Upper-case hex SHA-512, as sops stores it."""
        if self._digest is None:
            self._h.update(b"".join(self._pending))
            self._pending.clear()
            self._digest = self._h.finalize().hex().upper()  # a Hash finalizes once
        return self._digest
