# Declarations of the NixOS options that sops-nix's (and agenix's) NixOS modules read or
# set, with NixOS's defaults where a module depends on them. Nothing here implements
# NixOS: definitions are only collected, so the test can read what the modules rendered
# (activation snippets, systemd units, `system.build` outputs).
{ lib, config, pkgs, ... }:
let
  inherit (lib) mkOption types;
  # attrsOf, not lazyAttrsOf: a `mkIf false` definition leaves no attribute behind
  anything = mkOption {
    type = types.attrsOf types.anything;
    default = { };
  };
  flag = mkOption {
    type = types.bool;
    default = false;
  };
  # NixOS's own ids (nixos/modules/misc/ids.nix) for the accounts the modules name.
  baseUsers = {
    root = { uid = 0; group = "root"; };
    nobody = { uid = 65534; group = "nogroup"; };
  };
  baseGroups = {
    root.gid = 0;
    keys.gid = 96;
    users.gid = 100;
    nogroup.gid = 65534;
  };
  user = types.submodule (
    { name, config, ... }:
    {
      freeformType = types.lazyAttrsOf types.anything;
      options = {
        name = mkOption { type = types.str; default = name; };
        uid = mkOption { type = types.nullOr types.int; default = null; };
        group = mkOption { type = types.str; default = ""; };
        isNormalUser = flag;
        isSystemUser = flag;
        hashedPasswordFile = mkOption { type = types.nullOr types.str; default = null; };
      };
      # as NixOS's users-groups.nix: a normal user's primary group is "users"
      config = lib.mkIf config.isNormalUser { group = lib.mkDefault "users"; };
    }
  );
  group = types.submodule (
    { name, ... }:
    {
      freeformType = types.lazyAttrsOf types.anything;
      options = {
        name = mkOption { type = types.str; default = name; };
        gid = mkOption { type = types.nullOr types.int; default = null; };
      };
    }
  );
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };

    users.users = mkOption { type = types.attrsOf user; default = { }; };
    users.groups = mkOption { type = types.attrsOf group; default = { }; };
    users.mutableUsers = mkOption { type = types.bool; default = true; };

    services.openssh.enable = flag;
    services.openssh.hostKeys = mkOption {
      type = types.listOf types.attrs;
      # NixOS's default host keys
      default = [
        { type = "rsa"; bits = 4096; path = "/etc/ssh/ssh_host_rsa_key"; }
        { type = "ed25519"; path = "/etc/ssh/ssh_host_ed25519_key"; }
      ];
    };
    services.userborn.enable = flag;
    i18n.defaultLocale = mkOption { type = types.str; default = "en_US.UTF-8"; };

    systemd.services = anything;
    systemd.sysusers.enable = flag;
    boot.initrd.systemd.enable = flag;
    boot.initrd.postDeviceCommands = mkOption { type = types.lines; default = ""; };
    boot.kernelPackages = mkOption { type = types.unspecified; default = { }; };

    system.activationScripts = anything;
    # present in NixOS, so modules mark their snippets `supportsDryActivation`
    system.dryActivationScript = mkOption { type = types.str; default = ""; };
    system.build = anything;
    system.switch.enable = flag;
    system.etc.overlay.enable = flag;
    system.stateVersion = mkOption { type = types.str; default = "25.11"; };
    environment.systemPackages = mkOption { type = types.listOf types.unspecified; default = [ ]; };

    specialisation = mkOption {
      type = types.attrsOf (
        types.submodule {
          options.configuration = mkOption { type = types.deferredModule; default = { }; };
          options.inheritParentConfig = mkOption { type = types.bool; default = true; };
        }
      );
      default = { };
    };
  };
  config = {
    users.users = lib.mapAttrs (_: lib.mapAttrs (_: lib.mkDefault)) baseUsers;
    users.groups = lib.mapAttrs (_: lib.mapAttrs (_: lib.mkDefault)) baseGroups;
  };
}
