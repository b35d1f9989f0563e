# What sekret's NixOS, nix-darwin and home-manager modules share: the `sekret.package`
# option, and sekret as sops-nix's installer when sops-nix's module is imported too.
#
# Nothing of sops-nix or agenix is declared again here: their own options are only given
# `mkDefault` values, so a plain definition in the user's configuration still wins, and
# each part applies only when the option it sets exists (the module is harmless without
# sops-nix or agenix).
{
  config,
  options,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.sekret;
in
{
  options.sekret.package = lib.mkOption {
    type = lib.types.package;
    default = pkgs.callPackage ../package.nix { };
    defaultText = lib.literalExpression "pkgs.callPackage \"\${sekret}/nix/package.nix\" { }";
    description = ''
      The sekret package. It provides `sops-install-secrets` for sops-nix's `sops.package`
      and `sekret-age` for agenix, besides the `sekret` command.
    '';
  };

  config = lib.optionalAttrs (options ? sops && options.sops ? package) {
    sops =
      {
        package = lib.mkDefault cfg.package;
      }
      # The build-time manifest check runs on the build machine: when that cannot run the
      # host's programs (cross compilation), it gets sekret built for itself, as sops-nix
      # does for its own installer.
      // lib.optionalAttrs (options.sops ? validationPackage) {
        validationPackage = lib.mkDefault (
          if pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform then
            cfg.package
          else
            pkgs.pkgsBuildHost.callPackage ../package.nix { }
        );
      };
  };
}
