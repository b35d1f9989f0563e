# Declarations of the home-manager options that sops-nix's (and agenix's) home-manager
# modules read or set, with home-manager's defaults where a module depends on them.
{ lib, config, pkgs, ... }:
let
  inherit (lib) mkOption types;
  # attrsOf, not lazyAttrsOf: a `mkIf false` definition leaves no attribute behind
  anything = mkOption {
    type = types.attrsOf types.anything;
    default = { };
  };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };

    home.username = mkOption { type = types.str; default = "sops-user"; };
    home.homeDirectory = mkOption { type = types.str; default = "/home/${config.home.username}"; };
    home.stateVersion = mkOption { type = types.str; default = "25.11"; };
    home.enableNixpkgsReleaseCheck = mkOption { type = types.bool; default = true; };
    home.sessionVariables = anything;
    home.activation = anything;
    home.file = anything;
    home.packages = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    xdg.configHome = mkOption { type = types.str; default = "${config.home.homeDirectory}/.config"; };
    systemd.user.services = anything;
    systemd.user.systemctlPath = mkOption { type = types.str; default = "${pkgs.systemd}/bin/systemctl"; };
    launchd.agents = anything;
  };
}
