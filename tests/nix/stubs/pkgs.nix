# A stand-in for nixpkgs' package set, with just what sekret's, sops-nix's and agenix's Nix
# files use. There is no nixpkgs here (and no network), so nothing is built: a "package" is
# an attrset with `type = "derivation"`, a name and an `outPath` under `outRoot`, which is
# all the module system and string interpolation look at. Builders keep the attributes
# they were called with, so the tests can read what sekret's package.nix asks nixpkgs for.
{
  lib,
  system ? "x86_64-linux",
  # Where the fake store paths point; a test that runs a rendered script passes a
  # directory it fills with the programs the script calls.
  outRoot ? builtins.storeDir,
  # false: a cross build, the build machine cannot run the host's programs.
  canExecuteHost ? true,
  # The package set of the build machine (pkgsBuildHost); this set itself by default.
  buildPkgs ? null,
  # true: every file a builder is asked to write is traced as one JSON line on stderr
  # (`trace: {"path": …, "text": …, "checkPhase": …}`) when its path is used, so a test
  # can read the scripts and manifests a module only refers to by path.
  record ? false,
}:
let
  drv =
    name: attrs:
    let
      outPath = "${outRoot}/${
        builtins.substring 0 32 (builtins.hashString "sha256" "${system}:${name}:${attrs.text or ""}")
      }-${name}";
      # (not `outPath`: toJSON writes an attrset with an outPath as that path alone)
      written = builtins.toJSON {
        path = outPath;
        inherit name;
        text = attrs.text or null;
        checkPhase = attrs.checkPhase or null;
      };
    in
    attrs
    // {
      type = "derivation";
      inherit name system;
      outPath = if record && attrs ? text then builtins.trace written outPath else outPath;
    };
  leaf = name: drv name { pname = name; };

  platform = {
    inherit system;
    isLinux = lib.hasSuffix "-linux" system;
    isDarwin = lib.hasSuffix "-darwin" system;
  };

  writeTextFile =
    {
      name,
      text,
      checkPhase ? "",
      executable ? false,
      ...
    }:
    drv name { inherit text checkPhase executable; };

  self = {
    inherit lib writeTextFile;
    pkgs = self; # as in nixpkgs, so `{ pkgs ? … }:` files are callPackage-able
    callPackage = lib.callPackageWith self;
    stdenv = {
      hostPlatform = platform;
      buildPlatform = platform // {
        canExecute = _host: canExecuteHost;
      };
      inherit (platform) isLinux isDarwin;
    };
    pkgsBuildHost = if buildPkgs == null then self else buildPkgs;
    runtimeShell = "/bin/bash";

    writeText = name: text: writeTextFile { inherit name text; };
    writeShellScript =
      name: text:
      writeTextFile {
        inherit name;
        text = "#!${self.runtimeShell}\n${text}";
        executable = true;
      };
    # nixpkgs' writeShellApplication adds these options and PATH, then the text.
    writeShellApplication =
      {
        name,
        text,
        runtimeInputs ? [ ],
        ...
      }:
      drv name {
        text = "#!${self.runtimeShell}\nset -o errexit\nset -o nounset\nset -o pipefail\n${text}";
        inherit runtimeInputs;
        meta.mainProgram = name;
      };

    python3Packages = {
      buildPythonApplication = attrs: drv "${attrs.pname}-${attrs.version}" attrs;
    }
    // lib.genAttrs [
      "setuptools"
      "cryptography"
      "bcrypt"
      "pyyaml"
      "pytestCheckHook"
      "hypothesis"
    ] (name: leaf "python3-${name}");
  }
  // lib.genAttrs [
    "age"
    "sops"
    "git-crypt"
    "gnupg"
    "openssh"
    "git"
    "nix"
    "jq"
    "mount"
    "coreutils"
    "gnugrep"
    "getconf"
  ] leaf;
in
self
