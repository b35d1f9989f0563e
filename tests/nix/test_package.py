"""``nix/package.nix`` (and ``default.nix``) evaluated with a stub ``python3Packages``.

There is no nixpkgs here and no network, so ``nix build`` cannot run: these tests read the
arguments the package hands to nixpkgs' builder and hold them to pyproject.toml and to the
test suite, which is the part of a real build that can go wrong without nixpkgs noticing
at evaluation time (a dependency, script or peer tool added on one side only).
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

import sekret
from tests.conftest import ROOT
from tests.nix.evalnix import nix_eval

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

#: Every external tool the test suite asks for (``require_tool``) → the nixpkgs package that
#: provides it, or None when the tests using it are disabled in the Nix build.
TOOL_PACKAGE: dict[str, str | None] = {
    "age": "age",
    "age-keygen": "age",
    "sops": "sops",
    "git-crypt": "git-crypt",
    "gpg": "gnupg",
    "gpgconf": "gnupg",
    "ssh-keygen": "openssh",
    "nix-instantiate": "nix",
    "jq": "jq",
    "uv": None,
}
#: Tools every nixpkgs build has (stdenv: bash, coreutils, diffutils): no input needed.
STDENV_TOOLS = frozenset({"bash", "sh", "mktemp", "diff"})

#: The console scripts sekret's Nix modules run: `sops-install-secrets` (sops-nix's
#: sops.package), `sekret-age` (agenix's age.ageBin / age.package).
MODULE_SCRIPTS = ("sops-install-secrets", "sekret-age")


def _normalise(name: str) -> str:
    """A PEP 503 name, which is also nixpkgs' attribute name for these packages."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0])


@pytest.fixture(scope="module")
def pkg() -> Any:
    return nix_eval(
        """let
          p = t.stubPkgs { };
          s = p.callPackage (t.root + "/nix/package.nix") { };
          names = map (d: d.pname);
        in {
          inherit (s) pname version pyproject disabledTestPaths pythonImportsCheck meta;
          buildSystem = names s.build-system;
          dependencies = names s.dependencies;
          nativeCheckInputs = names s.nativeCheckInputs;
          src = s.src.name;
          out = s.outPath;
          viaDefault = (import (t.root + "/default.nix") { pkgs = p; }).outPath;
          viaCallPackage = (p.callPackage (t.root + "/default.nix") { }).outPath;
        }"""
    )


def test_name_and_version_are_sekrets(pkg: Any) -> None:
    assert pkg["pname"] == PYPROJECT["project"]["name"] == "sekret"
    assert pkg["version"] == sekret.__version__
    assert pkg["out"].endswith(f"-sekret-{sekret.__version__}")


def test_built_from_pyproject_with_its_build_backend(pkg: Any) -> None:
    assert pkg["pyproject"] is True
    wanted = [_requirement_name(r) for r in PYPROJECT["build-system"]["requires"]]
    assert [n.removeprefix("python3-") for n in pkg["buildSystem"]] == wanted


def test_dependencies_are_pyprojects(pkg: Any) -> None:
    wanted = sorted(_requirement_name(r) for r in PYPROJECT["project"]["dependencies"])
    got = sorted(n.removeprefix("python3-") for n in pkg["dependencies"])
    assert got == wanted


def test_main_program_and_the_module_scripts_are_console_scripts(pkg: Any) -> None:
    scripts = PYPROJECT["project"]["scripts"]
    assert pkg["meta"]["mainProgram"] in scripts
    missing = [s for s in MODULE_SCRIPTS if s not in scripts]
    assert not missing, (
        f"pyproject.toml [project.scripts] lacks {missing}: nix/modules run "
        f"${{sekret}}/bin/sops-install-secrets and ${{sekret}}/bin/sekret-age"
    )


def test_default_nix_is_the_same_package_with_or_without_callpackage(pkg: Any) -> None:
    assert pkg["viaDefault"] == pkg["viaCallPackage"] == pkg["out"]


def test_every_disabled_test_path_exists_and_is_explained(pkg: Any) -> None:
    text = (ROOT / "nix" / "package.nix").read_text()
    for path in pkg["disabledTestPaths"]:
        assert (ROOT / path).exists(), f"{path} in disabledTestPaths does not exist"
        before = text[: text.index(f'"{path}"')].rstrip().splitlines()[-1]
        assert before.strip().startswith("#"), f"{path}: no comment saying why"


def _tools_used() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in (ROOT / "tests").rglob("*.py"):
        if (ROOT / "tests" / "data") in path.parents:
            continue
        for tool in re.findall(r"require_tool\(\"([^\"]+)\"\)", path.read_text()):
            used.setdefault(tool, set()).add(path.relative_to(ROOT).as_posix())
    return used


def test_every_tool_the_suite_needs_is_a_check_input_or_its_tests_are_disabled(pkg: Any) -> None:
    used = _tools_used()
    assert {"age", "sops", "git-crypt"} <= set(used), "the scan finds require_tool calls"
    used = {tool: files for tool, files in used.items() if tool not in STDENV_TOOLS}
    unknown = set(used) - set(TOOL_PACKAGE)
    assert not unknown, f"map these tools to nixpkgs packages in TOOL_PACKAGE: {unknown}"
    inputs = set(pkg["nativeCheckInputs"])
    for tool, files in sorted(used.items()):
        package = TOOL_PACKAGE[tool]
        if package is not None:
            assert package in inputs, f"{tool} ({package}) is not in nativeCheckInputs"
        else:
            disabled = [d for d in pkg["disabledTestPaths"] for f in files if f.startswith(d)]
            assert len(disabled) == len(files), f"{tool}: tests not disabled: {files}"
    assert {"pytestCheckHook", "hypothesis", "git"} <= {
        n.removeprefix("python3-") for n in inputs
    }


def test_the_package_is_checked_by_pytest_and_imports(pkg: Any) -> None:
    assert "python3-pytestCheckHook" in pkg["nativeCheckInputs"]
    assert pkg["pythonImportsCheck"] == ["sekret"]
    assert pkg["meta"]["license"]["spdxId"] == PYPROJECT["project"]["license"] == "MIT"


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        pytest.skip("needs a git checkout to list the tracked files")  # the Nix build's source
    return out.stdout.splitlines()


def test_the_source_is_the_package_metadata_and_tests_and_nothing_else(tmp_path: Path) -> None:
    files = [
        *_tracked(),
        "src/sekret/__pycache__/x.cpython-311.pyc", "src/sekret.egg-info/PKG-INFO",
        ".venv/bin/python", "tests/.hypothesis/x", "tests/__pycache__/conftest.pyc",
    ]
    listing = tmp_path / "files.json"
    listing.write_text(json.dumps(files))
    kept = nix_eval(
        """let
          src = import (t.root + "/nix/source.nix") { inherit (t) lib; };
          root = toString t.root;
          # A path is in the source when it and every folder above it pass the filter.
          ancestors = rel: let parts = t.lib.splitString "/" rel; in
            map (n: t.lib.concatStringsSep "/" (t.lib.take n parts))
              (t.lib.range 1 (builtins.length parts));
          keeps = rel: builtins.all
            (a: src.filter "${root}/${a}" (if a == rel then "regular" else "directory"))
            (ancestors rel);
        in builtins.filter keeps (builtins.fromJSON (builtins.readFile listing))""",
        listing=str(listing),
    )
    wanted = [
        f for f in _tracked()
        if f in ("pyproject.toml", "README.md", "LICENSE") or f.startswith(("src/", "tests/"))
    ]
    assert kept == wanted
    assert "pyproject.toml" in kept and "tests/conftest.py" in kept
