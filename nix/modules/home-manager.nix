# sekret for home-manager: `imports = [ sekret.homeManagerModules.default ];` beside
# sops-nix's and/or agenix's home-manager module. Sets `sops.package` and agenix's
# `age.package` (whose main program is taken as the age binary) to sekret, each with
# `mkDefault`, and adds `sekret` to `home.packages`.
{
  config,
  options,
  lib,
  ...
}:
{
  imports = [ ./common.nix ];

  config = lib.mkMerge [
    { home.packages = [ config.sekret.package ]; }
    (lib.optionalAttrs (options ? age && options.age ? package) {
      # agenix's home-manager module runs `lib.getExe config.age.package`: the same store
      # path, with `sekret-age` as its main program.
      age.package = lib.mkDefault (lib.addMetaAttrs { mainProgram = "sekret-age"; } config.sekret.package);
    })
  ];
}
