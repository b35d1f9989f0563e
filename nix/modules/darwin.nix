# sekret for nix-darwin: `imports = [ sekret.darwinModules.default ];`. The same wiring as
# the NixOS module: sops-nix's and agenix's darwin modules read the same options.
{
  imports = [ ./nixos.nix ];
}
