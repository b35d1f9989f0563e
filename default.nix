# sekret without flakes: `nix-build`, `nix-env -f . -i`, or `pkgs.callPackage ./default.nix { }`
# from another expression (which passes its own `pkgs`).
{
  pkgs ? import <nixpkgs> { },
}:
pkgs.callPackage ./nix/package.nix { }
