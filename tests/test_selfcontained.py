"""A plain clone runs every test: nothing reads data from outside the repository.

Data taken from other projects is vendored under ``tests/data/NAME/`` with the source's
licence and an ORIGIN.md naming the repository and commit it was copied from.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, vendored

# This file names the patterns, so it is the one file the scan leaves out.
_OUTSIDE = re.compile(
    "|".join(
        [
            r"\.\./shared",  # the reference folder beside the checkout
            "SEKRET_SHARED",  # the environment variable that used to name it
            r"""["']shared["']""",  # Path(...) / "shared"
            r"/work/",  # a machine-specific absolute path
        ]
    )
)


def _tracked(*folders: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--", *folders], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:  # not a git checkout (an sdist): walk the folders instead
        return [p for f in folders for p in (ROOT / f).rglob("*") if p.is_file()]
    return [ROOT / line for line in out.stdout.splitlines()]


def test_no_test_script_or_ci_file_reads_outside_the_repository() -> None:
    files = [
        p
        for p in _tracked("tests", "scripts", "bench", ".ci", "pyproject.toml")
        if DATA not in p.parents and p.is_file() and p != Path(__file__).resolve()
    ]
    assert len(files) > 50, "the walk found the project's files"
    offenders = []
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_must() -> None:
    for bad in ["SHARED = ROOT.parent / 'shared'", 'p = "../shared/cctv-age"', "x = '/work/a'"]:
        assert _OUTSIDE.search(bad.replace("'", '"')), bad


@pytest.mark.parametrize("folder", sorted(p.name for p in DATA.iterdir() if p.is_dir()))
def test_every_vendored_folder_names_its_origin_and_licence(folder: str) -> None:
    path = vendored(folder)
    origin = (path / "ORIGIN.md").read_text()
    assert re.search(r"https://github\.com/[\w.-]+/[\w.-]+", origin), "origin repository"
    assert re.search(r"\b[0-9a-f]{40}\b", origin), "origin commit, in full"
    assert (path / "LICENSE").stat().st_size > 100
    assert folder in (DATA / "README.md").read_text(), "listed in tests/data/README.md"


def test_a_missing_folder_is_an_error_not_an_empty_parametrization() -> None:
    with pytest.raises(FileNotFoundError, match="vendored test data missing"):
        vendored("no-such-folder")
