# sekret for NixOS: `imports = [ sekret.nixosModules.default ];` beside sops-nix's and/or
# agenix's module. Sets sops-nix's `sops.package` (and `sops.validationPackage`) and
# agenix's `age.ageBin` to sekret, each with `mkDefault`, and puts `sekret` on the PATH.
{
  config,
  options,
  lib,
  ...
}:
{
  imports = [ ./common.nix ];

  config = lib.mkMerge [
    { environment.systemPackages = [ config.sekret.package ]; }
    (lib.optionalAttrs (options ? age && options.age ? ageBin) {
      age.ageBin = lib.mkDefault "${config.sekret.package}/bin/sekret-age";
    })
  ];
}
