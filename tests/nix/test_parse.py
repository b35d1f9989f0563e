"""Every ``.nix`` file of the repository parses with ``nix-instantiate --parse``: sekret's
flake, package and modules, the stubs here, and the vendored upstream files (nixpkgs lib,
sops-nix's and agenix's modules and tests)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_tool


def nix_files() -> list[str]:
    """The repository's .nix files (tracked or new, not ignored), or a walk without git."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.nix"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if out.returncode == 0:
        names = out.stdout.splitlines()
    else:  # not a git checkout (the Nix build's source): walk, leaving out hidden folders
        names = [
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*.nix")
            if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
        ]
    return sorted(n for n in names if (ROOT / n).is_file())


FILES = nix_files()


def test_the_walk_finds_sekrets_own_nix_files_and_the_vendored_ones() -> None:
    ours = {"flake.nix", "default.nix", "nix/package.nix", "nix/modules/nixos.nix",
            "nix/modules/home-manager.nix", "nix/modules/darwin.nix", "tests/nix/lib.nix"}
    assert ours <= set(FILES)
    for vendored in ("tests/data/nixpkgs-lib/", "tests/data/sops-nix-modules/",
                     "tests/data/agenix-modules/"):
        assert any(f.startswith(vendored) for f in FILES), vendored


@pytest.mark.parametrize("name", FILES)
def test_parses(name: str) -> None:
    nix = require_tool("nix-instantiate")
    proc = subprocess.run([nix, "--parse", str(ROOT / name)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_syntax_error_is_caught(tmp_path: Path) -> None:
    nix = require_tool("nix-instantiate")
    bad = tmp_path / "bad.nix"
    bad.write_text("{ a = 1; b = ; }\n")
    proc = subprocess.run([nix, "--parse", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "syntax error" in proc.stderr
