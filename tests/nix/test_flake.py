"""``flake.nix``'s ``outputs`` function, called with stub inputs.

Flakes cannot be evaluated here (Debian's Nix 2.8 without network or nixpkgs), so the test
imports flake.nix as the plain attrset it is and calls ``outputs { self, nixpkgs }`` with
``nixpkgs`` = the vendored lib plus one stub package set per system.
"""

from __future__ import annotations

from typing import Any

import pytest

import sekret
from tests.conftest import ROOT
from tests.nix.evalnix import nix_eval

SYSTEMS = ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]


@pytest.fixture(scope="module")
def flake() -> Any:
    return nix_eval(
        """let
          inherit (t) lib;
          flake = import (t.root + "/flake.nix");
          systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin"
                      "riscv64-linux" ];
          nixpkgs = {
            inherit lib;
            legacyPackages = lib.genAttrs systems (system: t.stubPkgs { inherit system; });
          };
          self = outputs // { outPath = t.root; };
          outputs = flake.outputs { inherit self nixpkgs; };
          out = p: p.outPath;
          describe = p: { out = p.outPath; inherit (p) pname version system; };
          overlaid = outputs.overlays.default nixpkgs.legacyPackages.x86_64-linux
            nixpkgs.legacyPackages.x86_64-linux;
        in {
          inherit (flake) description;
          inputs = flake.inputs;
          outputArgs = builtins.functionArgs flake.outputs;
          outputs = builtins.attrNames outputs;
          packages = lib.mapAttrs (_: lib.mapAttrs (_: describe)) outputs.packages;
          checks = lib.mapAttrs (_: lib.mapAttrs (_: out)) outputs.checks;
          overlay = overlaid.sekret.outPath;
          modules = lib.mapAttrs (_: lib.mapAttrs (_: toString)) {
            inherit (outputs) nixosModules darwinModules homeManagerModules;
          };
          ours = lib.mapAttrs (_: toString) t.sekret;
        }"""
    )


def test_the_only_input_is_nixpkgs_and_no_lock_is_committed(flake: Any) -> None:
    assert flake["inputs"] == {"nixpkgs": {"url": "github:NixOS/nixpkgs/nixos-unstable"}}
    assert flake["outputArgs"] == {"nixpkgs": False, "self": False}
    assert not (ROOT / "flake.lock").exists()
    assert "sekret" in flake["description"]


def test_outputs(flake: Any) -> None:
    assert flake["outputs"] == ["checks", "darwinModules", "homeManagerModules",
                                "nixosModules", "overlays", "packages"]


def test_packages_for_the_usual_systems(flake: Any) -> None:
    assert sorted(flake["packages"]) == SYSTEMS
    outs = set()
    for system, pkgs in flake["packages"].items():
        assert sorted(pkgs) == ["default", "sekret"]
        assert pkgs["default"] == pkgs["sekret"]
        assert pkgs["default"]["pname"] == "sekret"
        assert pkgs["default"]["version"] == sekret.__version__
        assert pkgs["default"]["system"] == system, "built with that system's package set"
        outs.add(pkgs["default"]["out"])
    assert len(outs) == len(SYSTEMS)


def test_checks_build_the_package(flake: Any) -> None:
    assert sorted(flake["checks"]) == SYSTEMS
    for system, checks in flake["checks"].items():
        assert checks == {"sekret": flake["packages"][system]["sekret"]["out"]}


def test_the_overlay_adds_the_same_package(flake: Any) -> None:
    assert flake["overlay"] == flake["packages"]["x86_64-linux"]["default"]["out"]


def test_modules_are_sekrets_module_files(flake: Any) -> None:
    mods = flake["modules"]
    ours = flake["ours"]
    assert mods["nixosModules"] == {"default": ours["nixos"], "sekret": ours["nixos"]}
    assert mods["darwinModules"] == {"default": ours["darwin"], "sekret": ours["darwin"]}
    assert mods["homeManagerModules"] == {"default": ours["home-manager"],
                                          "sekret": ours["home-manager"]}
    assert ours["nixos"] == str(ROOT / "nix" / "modules" / "nixos.nix")
