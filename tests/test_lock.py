"""uv.lock is current, hash-pinned, and a lock that no longer matches pyproject.toml is caught.

scripts/bootstrap.sh runs ``uv lock --check`` before ``uv sync --locked``; these tests hold
the two facts that makes it work: the committed lock passes the check, and a pyproject
change the lock does not cover fails it.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

from tests.conftest import ROOT, require_tool


def _check(uv: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv, "lock", "--check", "--offline"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "UV_PYTHON_DOWNLOADS": "never", "HOME": str(Path.home())},
    )


def _copy_project(dst: Path) -> Path:
    for name in ("pyproject.toml", "uv.lock", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, dst / name)
    shutil.copytree(ROOT / "src", dst / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_the_committed_lock_matches_pyproject() -> None:
    proc = _check(require_tool("uv"), ROOT)
    assert proc.returncode == 0, proc.stderr


def test_every_locked_package_has_hashes() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    for pkg in lock["package"]:
        if pkg["name"] == "sekret":
            continue
        files = [*pkg.get("wheels", []), *([pkg["sdist"]] if "sdist" in pkg else [])]
        assert files, pkg["name"]
        assert all(f["hash"].startswith("sha256:") for f in files), pkg["name"]


def test_a_stale_lock_is_refused(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    text = (project / "pyproject.toml").read_text()
    assert '"bcrypt>=4",' in text
    (project / "pyproject.toml").write_text(text.replace('"bcrypt>=4",', '"bcrypt>=4.1",'))
    proc = _check(require_tool("uv"), project)
    assert proc.returncode != 0
    assert "needs to be updated" in proc.stderr
