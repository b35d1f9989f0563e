# Evaluate agenix's real NixOS (kind = "nixos") or home-manager (kind = "home") module
# with nixpkgs' lib and the stubs beside this file; print what the modules render.
#
#   nix-instantiate --eval --strict --json --readonly-mode eval.nix \
#     --argstr kind nixos --argstr config '{"age": {...}}' --argstr ageDir /some/dir
#
# `config` is a JSON module (the user's configuration); `ageDir` is the outPath of the
# stub `age` package (ageDir/bin/age). The NixOS activation script is assembled from
# the snippets in dependency order with lib.stringsWithDeps, each snippet framed as the
# NixOS activation script frames it (its status recorded by an ERR trap).
{
  kind,
  config,
  ageDir ? "/nixeval-stub/age",
}:
let
  lib = import ../data/nixpkgs-lib/lib;
  stubs = import ./stubs.nix { inherit lib; };
  user = builtins.fromJSON config;
  module =
    if kind == "home" then
      ../data/agenix-modules/modules/age-home.nix
    else
      ../data/agenix-modules/modules/age.nix;
  evaluated = lib.evalModules {
    modules = [
      module
      stubs.common
      (if kind == "home" then stubs.home else stubs.nixos)
      user
      { _module.args.pkgs = stubs.pkgs { age = ageDir; }; }
    ];
  };
  cfg = evaluated.config;
  failed = map (a: a.message) (lib.filter (a: !a.assertion) cfg.assertions);

  framed = lib.mapAttrs (
    name: s:
    s
    // {
      text = ''
        #### snippet ${name}
        _localstatus=0
        ${s.text}
        if (( _localstatus > 0 )); then
          printf "Activation script snippet '%s' failed (%s)\n" "${name}" "$_localstatus"
        fi
      '';
    }
  ) cfg.system.activationScripts;
  activation = ''
    _status=0
    trap "_status=1 _localstatus=\$?" ERR
    umask 0022
    ${lib.stringsWithDeps.textClosureMap lib.id framed (builtins.attrNames framed)}
    exit $_status
  '';

  secrets = lib.mapAttrs (
    _: s:
    {
      inherit (s)
        name
        path
        mode
        symlink
        ;
      file = toString s.file;
    }
    // lib.optionalAttrs (s ? owner) { inherit (s) owner group; }
  ) cfg.age.secrets;
  common = {
    inherit secrets failed;
    inherit (cfg) warnings;
    secretsDir = toString cfg.age.secretsDir;
    secretsMountPoint = cfg.age.secretsMountPoint;
    identityPaths = map toString cfg.age.identityPaths;
  };
in
if kind == "home" then
  common
  // {
    service = cfg.systemd.user.services.agenix or null;
    agent = cfg.launchd.agents.activate-agenix or null;
  }
else
  common
  // {
    ageBin = cfg.age.ageBin;
    snippets = lib.mapAttrs (_: s: { inherit (s) text deps; }) cfg.system.activationScripts;
    activation = if cfg.age.secrets == { } then null else activation;
    service = cfg.systemd.services.agenix-install-secrets or null;
  }
