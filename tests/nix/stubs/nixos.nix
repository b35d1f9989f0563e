# Stub declarations of the NixOS options that sops-nix's and agenix's NixOS modules (and
# sekret's) read or set, typed like NixOS declares them where it matters for merging
# (activation scripts: a string or { text, deps, supportsDryActivation }).
{ lib, ... }:
let
  inherit (lib) mkOption types;
  opt = type: default: mkOption { inherit type default; };
  freeform = types.attrsOf types.anything;
  script = types.coercedTo types.str (text: { inherit text; }) (
    types.submodule {
      options = {
        text = opt types.lines "";
        deps = opt (types.listOf types.str) [ ];
        supportsDryActivation = opt types.bool false;
      };
    }
  );
in
{
  options = {
    assertions = opt (types.listOf types.unspecified) [ ];
    warnings = opt (types.listOf types.str) [ ];
    environment.systemPackages = opt (types.listOf types.package) [ ];
    system.activationScripts = opt (types.attrsOf script) { };
    system.dryActivationScript = opt types.str "";
    system.build = opt (types.lazyAttrsOf types.unspecified) { };
    systemd.services = opt (types.attrsOf freeform) { };
    systemd.sysusers.enable = opt types.bool false;
    services.userborn.enable = opt types.bool false;
    services.openssh.enable = opt types.bool false;
    # NixOS's default host keys.
    services.openssh.hostKeys = opt (types.listOf freeform) [
      {
        type = "rsa";
        bits = 4096;
        path = "/etc/ssh/ssh_host_rsa_key";
      }
      {
        type = "ed25519";
        path = "/etc/ssh/ssh_host_ed25519_key";
      }
    ];
    users.mutableUsers = opt types.bool true;
    users.groups = opt (types.attrsOf freeform) { };
    users.users = opt (types.attrsOf (
      types.submodule {
        freeformType = freeform;
        options.group = opt types.str "";
      }
    )) { };
    i18n.defaultLocale = opt types.str "en_US.UTF-8";
  };
}
