"""Test setup shared by every test: the vendored data, external tools, and the CI skip rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
#: Data copied from other projects, each folder with its licence and ORIGIN.md.
DATA = ROOT / "tests" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"

# In CI every property test searches the same examples each run (a fixed seed, no example
# database), so a red CI run is reproducible and never depends on luck; a local run keeps
# hypothesis's random search, which is how new failures are found (then pinned with
# @example). Tests that set their own derandomize keep it.
settings.register_profile("ci", derandomize=True, database=None)


def _load_every_sekret_module() -> None:
    """Import all of sekret before any test runs. Hypothesis mixes into its examples
    the constants of the local modules loaded so far (sys.modules), so without this
    the search depended on which tests a process had run before (xdist's split, -k),
    and CI found examples a local run of the same commit never tried."""
    import importlib
    import pkgutil

    import sekret

    for mod in pkgutil.walk_packages(sekret.__path__, "sekret."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)


if IN_CI:
    settings.load_profile("ci")
    _load_every_sekret_module()


def vendored(name: str) -> Path:
    """The folder ``tests/data/NAME``; raises at import time when it is missing or empty,
    so a lost copy is a collection error, never an empty parametrization (a silent skip)."""
    folder = DATA / name
    if not folder.is_dir() or not any(folder.iterdir()):
        raise FileNotFoundError(f"vendored test data missing: {folder} (see tests/data/README.md)")
    if not (folder / "ORIGIN.md").is_file() or not (folder / "LICENSE").is_file():
        raise FileNotFoundError(f"{folder} lacks its ORIGIN.md or LICENSE")
    return folder


def require_tool(name: str) -> str:
    """The path of an external tool, or skip naming it (a failure in CI, see below)."""
    import shutil

    path = shutil.which(name)
    if path is None:
        pytest.skip(f"needs the external tool {name!r} (installed by scripts/bootstrap.sh)")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI the test command has installed every tool: a skip there is a failure."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        if reporter:
            reporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as failures")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
