# Stub declarations of the home-manager options that sops-nix's and agenix's home-manager
# modules (and sekret's) read or set.
{ lib, config, ... }:
let
  inherit (lib) mkOption types;
  opt = type: default: mkOption { inherit type default; };
  freeform = types.attrsOf types.anything;
in
{
  options = {
    assertions = opt (types.listOf types.unspecified) [ ];
    warnings = opt (types.listOf types.str) [ ];
    home.stateVersion = opt types.str "25.11";
    home.username = opt types.str "sops-user";
    home.homeDirectory = opt types.str "/home/${config.home.username}";
    home.enableNixpkgsReleaseCheck = opt types.bool true;
    home.packages = opt (types.listOf types.package) [ ];
    home.activation = opt (types.attrsOf types.unspecified) { };
    home.sessionVariables = opt (types.attrsOf types.str) { };
    xdg.configHome = opt types.str "${config.home.homeDirectory}/.config";
    systemd.user.services = opt (types.attrsOf freeform) { };
    systemd.user.systemctlPath = opt types.str "systemctl";
    launchd.agents = opt (types.attrsOf freeform) { };
  };
}
