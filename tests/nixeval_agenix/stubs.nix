# Stub declarations of the NixOS and home-manager options agenix's modules read or set,
# and stub packages, so that the real modules evaluate with nixpkgs' lib alone (no
# nixpkgs package set, no store writes). Written for sekret's tests; nothing here is
# copied from NixOS or home-manager: each option is declared with the type and default
# the modules rely on, and nothing more.
{ lib }:
let
  inherit (lib) mkOption types;

  anything = mkOption {
    type = types.attrsOf types.unspecified;
    default = { };
  };
  flag = mkOption {
    type = types.bool;
    default = false;
  };

  # A package: a derivation-shaped attrset whose outPath is a directory chosen by the
  # test (the stub never builds anything).
  package =
    name: outPath:
    {
      type = "derivation";
      inherit name outPath;
      meta.mainProgram = name;
    };

  # A script builder's result. Its text cannot be read back through a store path, so
  # the outPath carries it: "nixeval-script:" + JSON { builder, name, text }. The test
  # helper decodes it and writes the script the way the builder would.
  script =
    builder: name: text:
    package name ("nixeval-script:" + builtins.toJSON { inherit builder name text; });

  snippet = types.submodule {
    options = {
      text = mkOption {
        type = types.lines;
        default = "";
      };
      deps = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      supportsDryActivation = flag;
    };
  };
in
{
  inherit package;

  pkgs = dirs: {
    age = package "age" dirs.age;
    mount = package "mount" "/nixeval-stub/mount";
    coreutils = package "coreutils" "/nixeval-stub/coreutils";
    gnugrep = package "gnugrep" "/nixeval-stub/gnugrep";
    getconf = package "getconf" "/nixeval-stub/getconf";
    stdenv.hostPlatform = {
      isLinux = true;
      isDarwin = false;
    };
    writeShellScript = script "writeShellScript";
    writeShellApplication = args: script "writeShellApplication" args.name args.text;
  };

  # What both modules need: the assertion and warning lists.
  common = {
    options.assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    options.warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
  };

  nixos = {
    options = {
      system.activationScripts = mkOption {
        type = types.attrsOf (types.coercedTo types.str lib.noDepEntry snippet);
        default = { };
      };
      users.users = mkOption {
        type = types.attrsOf (
          types.submodule {
            options.group = mkOption {
              type = types.str;
              default = ""; # as NixOS: empty means the user's login group
            };
            options.uid = mkOption {
              type = types.nullOr types.int;
              default = null;
            };
          }
        );
        default = { };
      };
      users.groups = anything;
      services.openssh.enable = flag;
      services.openssh.hostKeys = mkOption {
        type = types.listOf (types.attrsOf types.unspecified);
        default = [
          {
            type = "rsa";
            path = "/etc/ssh/ssh_host_rsa_key";
          }
          {
            type = "ed25519";
            path = "/etc/ssh/ssh_host_ed25519_key";
          }
        ];
      };
      services.userborn.enable = flag;
      systemd.sysusers.enable = flag;
      systemd.services = anything;
    };
    # The snippets the agenix module orders itself against (NixOS defines them).
    config.system.activationScripts = {
      specialfs = "";
      users = "";
      groups = "";
    };
  };

  home = {
    options = {
      home.homeDirectory = mkOption { type = types.str; };
      systemd.user.services = anything;
      launchd.agents = anything;
    };
  };
}
