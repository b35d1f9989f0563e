"""agenix's CLI scenarios (cli_scenarios.toml) with the real agenix.sh as the oracle.

agenix's own script (tests/data/agenix-modules/pkgs/agenix.sh) is made runnable as its
package does (its @ageBin@, @nixInstantiate@, @jqBin@, @mktempBin@, @diffBin@ and
@version@ filled in). Every step runs with it and the real age (the expectation is
what agenix does), with it and sekret-age as its age (the same expectation: sekret as
agenix's age.ageBin), and as ``sekret agenix`` (the same, except where the step says
why it differs).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool, vendored
from tests.nixeval_agenix import HERE, sekret_age

AGENIX = vendored("agenix-modules")
EXAMPLE = vendored("agenix-example")
STEPS: list[dict[str, Any]] = tomllib.loads(
    (HERE / "cli_scenarios.toml").read_text())["step"]
VERSION = "0.15.0"  # agenix's version at the vendored commit (pkgs/agenix.nix)


def _agenix_sh(tmp: Path, age_bin: str) -> list[str]:
    text = (AGENIX / "pkgs/agenix.sh").read_text()
    for name, value in {"ageBin": age_bin, "nixInstantiate": require_tool("nix-instantiate"),
                        "jqBin": require_tool("jq"), "mktempBin": require_tool("mktemp"),
                        "diffBin": require_tool("diff"), "version": VERSION}.items():
        text = text.replace(f"@{name}@", value)
    assert "@" not in text.replace("${DECRYPT[@]}", "").replace("${DEFAULT_DECRYPT[@]}", "") \
        .replace("${ENCRYPT[@]}", "").replace('"$@"', ""), "a placeholder is left"
    script = tmp / "agenix"
    script.write_text(text)
    script.chmod(0o755)
    return [require_tool("bash"), str(script)]


def _command(tmp: Path, way: str) -> list[str]:
    if way == "agenix+age":
        return _agenix_sh(tmp, require_tool("age"))
    if way == "agenix+sekret-age":
        return _agenix_sh(tmp, sekret_age())
    sekret = Path(sys.executable).parent / "sekret"
    return [str(sekret), "agenix"]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.parametrize("way", ["agenix+age", "agenix+sekret-age", "sekret"])
def test_agenix_cli_scenarios(tmp_path: Path, way: str) -> None:
    work, home, tmp = tmp_path / "work", tmp_path / "home", tmp_path / "tmp"
    shutil.copytree(EXAMPLE / "example", work)
    (home / ".ssh").mkdir(parents=True)
    shutil.copy(EXAMPLE / "example_keys/user1", home / ".ssh/id_ed25519")
    (tmp_path / "elsewhere").mkdir()
    tmp.mkdir()
    command = _command(tmp_path, way)
    nix = os.path.dirname(require_tool("nix-instantiate"))
    base_env = {"HOME": str(home), "TMPDIR": str(tmp), "XDG_RUNTIME_DIR": str(tmp),
                "PATH": f"{nix}:/usr/bin:/bin", "LANG": "C"}

    def expand(text: str) -> str:
        text = text.replace("$WORK", str(work))
        return str(home) + text[1:] if text.startswith("~/") else text

    for i, step in enumerate(STEPS):
        want = {**step, **(step.get("sekret", {}) if way == "sekret" else {})}
        where = f"step {i} ({step.get('doc', step['args'])}) {way}"
        for name, text in step.get("write", {}).items():
            Path(expand(name)).write_text(text)
        for name in step.get("remove", []):
            Path(expand(name) if name.startswith("~/") else work / name).unlink()
        before = {name: _digest(work / name) for name in want.get("changes", [])}
        env = {**base_env, **{k: expand(v) for k, v in step.get("env", {}).items()}}
        proc = subprocess.run([*command, *(expand(a) for a in step["args"])],
                              cwd=tmp_path / step.get("cwd", "work"), env=env,
                              input=step.get("stdin", "").encode(), capture_output=True,
                              check=False, timeout=120)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        assert proc.returncode == want.get("status", 0), f"{where}: {err}"
        if "stdout" in want:
            assert out == want["stdout"], where
        for text in want.get("stdout_contains", []):
            assert text in out, f"{where}: {out}"
        for text in want.get("stderr_contains", []):
            assert text in err, f"{where}: {err}"
        for name, digest in before.items():
            assert _digest(work / name) not in (None, digest), f"{where}: {name} unchanged"
        for name in want.get("creates", []):
            assert (tmp_path / name).is_file(), f"{where}: {name} missing"
        for name in want.get("absent", []):
            assert not (tmp_path / name).exists(), f"{where}: {name} exists"
        if way == "agenix+sekret-age" and step["args"] == ["-h"]:
            assert "age version: sekret age " in out

    for dirpath, _dirs, files in os.walk(tmp):
        for name in files:
            data = (Path(dirpath) / name).read_bytes()
            assert b"secret1234" not in data and b"fresh" not in data, name
