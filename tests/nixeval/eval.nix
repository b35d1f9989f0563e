# Evaluate a NixOS or home-manager configuration over nixpkgs' lib and the stubs here,
# and return what the modules rendered, as JSON-able data (see __init__.py).
#
#   kind      "nixos" or "home-manager"
#   modules   the configuration: modules (paths, functions or attribute sets)
#   lib       nixpkgs' lib
#   package   the name of the fake package set as `sops.package` (null: none set)
{
  lib,
  kind,
  modules,
  package ? "sekret",
  system ? "x86_64-linux",
}:
let
  pkgs = import ./pkgs.nix { inherit lib system; };
  stubs = {
    nixos = ./nixos.nix;
    home-manager = ./home-manager.nix;
  }.${kind};
  packageModule = lib.optionalAttrs (package != null) { sops.package = pkgs.${package}; };
  base = lib.evalModules {
    modules = [
      stubs
      packageModule
      { _module.args.pkgs = pkgs; }
    ] ++ modules;
  };
  # what a build would refuse: failed assertions (warnings are returned)
  check =
    cfg:
    let
      failed = map (a: a.message) (lib.filter (a: !a.assertion) cfg.assertions);
    in
    if failed != [ ] then throw "Failed assertions:\n- ${lib.concatStringsSep "\n- " failed}" else cfg;
  snippet =
    v:
    if builtins.isString v then
      { text = v; deps = [ ]; supportsDryActivation = false; }
    else
      {
        text = v.text or "";
        deps = v.deps or [ ];
        supportsDryActivation = v.supportsDryActivation or false;
      };
  renderNixos =
    ev:
    let
      cfg = check ev.config;
    in
    {
      inherit (cfg) warnings;
      activationScripts = lib.mapAttrs (_: snippet) cfg.system.activationScripts;
      services = cfg.systemd.services;
      build = lib.mapAttrs (_: toString) cfg.system.build;
      users = lib.mapAttrs (_: u: { inherit (u) uid group; }) cfg.users.users;
      groups = lib.mapAttrs (_: g: { inherit (g) gid; }) cfg.users.groups;
      specialisations = lib.mapAttrs (
        # as NixOS: a specialisation has none of its own
        _: s:
        renderNixos (
          ev.extendModules {
            modules = [
              s.configuration
              { specialisation = lib.mkOverride 0 { }; }
            ];
          }
        )
      ) cfg.specialisation;
    };
  renderHome =
    ev:
    let
      cfg = check ev.config;
    in
    {
      inherit (cfg) warnings;
      userServices = cfg.systemd.user.services;
      activation = lib.mapAttrs (_: snippet) cfg.home.activation;
      launchdAgents = cfg.launchd.agents;
      home = { inherit (cfg.home) username homeDirectory; };
    };
in
{
  nixos = renderNixos;
  home-manager = renderHome;
}.${kind} base
