# Stub declarations of the nix-darwin options that sops-nix's and agenix's darwin modules
# (and sekret's) read or set. agenix tells darwin apart by `environment.darwinConfig`.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  opt = type: default: mkOption { inherit type default; };
  freeform = types.attrsOf types.anything;
in
{
  options = {
    assertions = opt (types.listOf types.unspecified) [ ];
    warnings = opt (types.listOf types.str) [ ];
    environment.darwinConfig = opt types.str "$HOME/.nixpkgs/darwin-configuration.nix";
    environment.systemPackages = opt (types.listOf types.package) [ ];
    system.activationScripts = opt (types.attrsOf (
      types.submodule { options.text = opt types.lines ""; }
    )) { };
    system.build = opt (types.lazyAttrsOf types.unspecified) { };
    launchd.daemons = opt (types.attrsOf freeform) { };
    services.openssh.enable = opt types.bool false;
    users.users = opt (types.attrsOf (
      types.submodule {
        freeformType = freeform;
        options.group = opt types.str "";
      }
    )) { };
  };
}
