"""Shared test setup: where the shared reference data lives, and the CI skip rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: shared/ sits beside the checkout (the project's layout) — or SEKRET_SHARED names it.
SHARED = Path(os.environ.get("SEKRET_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() == "true"


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
