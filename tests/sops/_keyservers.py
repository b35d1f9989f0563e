"""Key service servers for the tests: sekret's and the real sops's, started and stopped
around one test, on a unix socket or on a free tcp port of 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.sops.conftest import sops_path


def free_port() -> int:
    """A tcp port of 127.0.0.1 that nothing listens on (asked of the kernel)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(network: str, address: str) -> bool:
    if network == "unix":
        if not os.path.exists(address):
            return False
        s = socket.socket(socket.AF_UNIX)
        target: object = address
    else:
        host, _, port = address.rpartition(":")
        s = socket.socket()
        target = (host, int(port))
    with s:
        try:
            s.connect(target)  # type: ignore[arg-type]
        except OSError:
            return False
    return True


@contextmanager
def serving(
    tool: str, network: str, tmp: Path, env: Mapping[str, str], *extra: str,
    stdin: int | None = subprocess.DEVNULL,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``tool`` (``sekret`` or ``sops``) ``keyservice`` until the block ends; yields
    the URI a client dials and the process. Stopped with SIGTERM, killed if it lingers."""
    if network == "unix":
        address = str(tmp / f"{tool}-ks.sock")
        uri = "unix://" + address
    else:
        address = f"127.0.0.1:{free_port()}"
        uri = "tcp://" + address
    exe = [sys.executable, "-m", "sekret"] if tool == "sekret" else [sops_path()]
    log = open(tmp / f"{tool}-ks.log", "wb")
    proc = subprocess.Popen(
        [*exe, "keyservice", "--network", network, "--address", address, *extra],
        env=dict(env), stdin=stdin, stdout=log, stderr=subprocess.STDOUT, cwd=tmp,
    )
    try:
        deadline = time.monotonic() + 30
        while not _ready(network, address):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{tool} keyservice did not start: "
                                     f"{(tmp / f'{tool}-ks.log').read_text()}")
            time.sleep(0.05)
        yield uri, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
