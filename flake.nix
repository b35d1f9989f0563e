{
  description = "sekret: secrets in git, compatible with age, SOPS, agenix, sops-nix and git-crypt";

  # The only input. No flake.lock is committed: a lock records nixpkgs' narHash, which can
  # only be computed by fetching nixpkgs, and a configuration that uses sekret pins it
  # anyway (`inputs.sekret.inputs.nixpkgs.follows = "nixpkgs"` builds sekret with the
  # configuration's own nixpkgs, the lock of that configuration records it).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        pkgs:
        let
          sekret = pkgs.callPackage ./nix/package.nix { };
        in
        {
          inherit sekret;
          default = sekret;
        }
      );

      # `nix flake check` builds the package, which runs the test suite in its check phase.
      checks = forAllSystems (pkgs: {
        sekret = self.packages.${pkgs.stdenv.hostPlatform.system}.sekret;
      });

      overlays.default = final: _prev: { sekret = final.callPackage ./nix/package.nix { }; };

      nixosModules = {
        sekret = ./nix/modules/nixos.nix;
        default = self.nixosModules.sekret;
      };
      darwinModules = {
        sekret = ./nix/modules/darwin.nix;
        default = self.darwinModules.sekret;
      };
      homeManagerModules = {
        sekret = ./nix/modules/home-manager.nix;
        default = self.homeManagerModules.sekret;
      };
    };
}
