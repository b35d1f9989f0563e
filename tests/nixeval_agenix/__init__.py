"""agenix's real NixOS and home-manager modules, evaluated and run.

:func:`evaluate` runs ``nix-instantiate --eval --strict --json`` over ``eval.nix`` (the
vendored modules, nixpkgs' lib and the stubs in ``stubs.nix``) for a configuration
given as JSON, and returns what the modules render: the activation script, the
systemd/launchd units, the secrets' resolved options. :func:`script` turns a rendered
script builder's result into the script that builder would write, :func:`run` runs it,
and :func:`snapshot` records a directory tree (names, types, modes, owners, contents,
link targets) so that two runs can be compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import require_tool

HERE = Path(__file__).resolve().parent
_MARK = "nixeval-script:"


def evaluate(kind: str, config: Mapping[str, Any], *, age_dir: str | None = None) -> Any:
    """What agenix's ``kind`` ("nixos" or "home") module renders for ``config``."""
    nix = require_tool("nix-instantiate")
    argv = [nix, "--eval", "--strict", "--json", "--readonly-mode", str(HERE / "eval.nix"),
            "--argstr", "kind", kind, "--argstr", "config", json.dumps(config)]
    if age_dir:
        argv += ["--argstr", "ageDir", age_dir]
    proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, check=False,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent",
                               "NIX_PATH": ""})
    if proc.returncode != 0:
        raise AssertionError("nix-instantiate failed:\n" + proc.stderr.decode())
    return json.loads(proc.stdout)


@dataclass(frozen=True)
class Script:
    """A script a stub builder (writeShellScript, writeShellApplication) was given."""

    builder: str
    name: str
    text: str

    def render(self) -> str:
        """The file the builder writes: writeShellApplication adds its strict-mode
        prelude (errexit, nounset, pipefail), writeShellScript only the interpreter."""
        head = "#!/usr/bin/env bash\n"
        if self.builder == "writeShellApplication":
            head += "set -o errexit\nset -o nounset\nset -o pipefail\n\n"
        return head + self.text


def script(value: str) -> Script:
    """Decode a stub script reference (an outPath, or an exe path inside one)."""
    if not value.startswith(_MARK):
        raise AssertionError(f"not a stub script: {value[:60]!r}")
    data, _end = json.JSONDecoder().raw_decode(value[len(_MARK):])
    return Script(data["builder"], data["name"], data["text"])


@dataclass(frozen=True)
class Ran:
    """One run of a script."""

    status: int
    out: str
    err: str


def run(text: str, *, env: Mapping[str, str], path_dirs: tuple[str, ...] = ()) -> Ran:
    """Run ``text`` with bash; ``path_dirs`` come first on PATH (stub programs)."""
    bash = require_tool("bash")
    environ = {"PATH": ":".join([*path_dirs, os.environ.get("PATH", "/usr/bin:/bin")]),
               "LANG": "C", **env}
    proc = subprocess.run([bash, "-c", text], capture_output=True, env=environ,
                          stdin=subprocess.DEVNULL, check=False, timeout=300)
    return Ran(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root``: type, mode, owner, and content digest or link target
    (paths inside ``root`` shown as ``$ROOT/…``)."""
    out: dict[str, tuple[Any, ...]] = {}
    prefix = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel.split("/")[0] in skip:
                continue
            st = os.lstat(full)
            kind: tuple[Any, ...]
            if stat.S_ISLNK(st.st_mode):
                kind = ("link", os.readlink(full).replace(prefix, "$ROOT"))
            elif stat.S_ISDIR(st.st_mode):
                kind = ("dir",)
            else:
                kind = ("file", hashlib.sha256(Path(full).read_bytes()).hexdigest()[:16])
            out[rel] = (*kind, oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid)
    return out


def sekret_age() -> str:
    """The ``sekret-age`` console script of the environment running the tests."""
    found = Path(sys.executable).parent / "sekret-age"
    if not found.exists():
        raise AssertionError(f"{found} is missing: reinstall the project "
                             "(scripts/bootstrap.sh) so its console scripts exist")
    return str(found)
