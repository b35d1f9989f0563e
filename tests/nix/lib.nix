# What the evaluation tests share: the vendored nixpkgs lib, the stub package set, the
# real sops-nix and agenix modules (vendored), sekret's modules, and `evalModules` with the
# stub declarations of one platform's options.
let
  lib = import ../data/nixpkgs-lib/lib;
  stubPkgs = args: import ./stubs/pkgs.nix ({ inherit lib; } // args);
  platforms = {
    nixos = ./stubs/nixos.nix;
    darwin = ./stubs/darwin.nix;
    home-manager = ./stubs/home-manager.nix;
  };
in
{
  inherit lib stubPkgs;
  # The real modules (vendored), and sekret's, by platform.
  sops-nix = {
    nixos = ../data/sops-nix-modules/modules/sops;
    darwin = ../data/sops-nix-modules/modules/nix-darwin;
    home-manager = ../data/sops-nix-modules/modules/home-manager/sops.nix;
  };
  agenix = {
    nixos = ../data/agenix-modules/modules/age.nix;
    darwin = ../data/agenix-modules/modules/age.nix;
    home-manager = ../data/agenix-modules/modules/age-home.nix;
  };
  sekret = {
    nixos = ../../nix/modules/nixos.nix;
    darwin = ../../nix/modules/darwin.nix;
    home-manager = ../../nix/modules/home-manager.nix;
  };
  assets = ../data/sops-nix-assets;
  root = ../..;

  # The configuration of `modules` on `platform`, with `pkgs` as the package set.
  eval =
    {
      platform,
      modules,
      pkgs ? stubPkgs { },
    }:
    (lib.evalModules {
      modules = [
        platforms.${platform}
        { _module.args.pkgs = pkgs; }
      ]
      ++ modules;
    }).config;

  # The messages of the assertions that fail (the module system leaves checking them to
  # NixOS; an empty list means the configuration is accepted).
  failed = config: map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
}
