# A stand-in for nixpkgs' `pkgs`, enough for the modules the tests evaluate.
#
# There is no nixpkgs package set offline, so packages are fake derivations: attribute
# sets with `type = "derivation"` and an `outPath` under /nix/store that nothing builds.
# The text writers are real, though: `writeTextFile`, `writeText` and
# `writeShellScript` put their text into the (chroot) store with `builtins.toFile`, so
# the test reads exactly the manifest or script a module rendered. A `checkPhase` is
# stored beside its file as `<name>.checkPhase`, for the tests to run it as a build would.
{ lib, system ? "x86_64-linux" }:
let
  platform = {
    inherit system;
    isLinux = lib.hasSuffix "-linux" system;
    isDarwin = lib.hasSuffix "-darwin" system;
  };
  # A package nobody builds: /nix/store/<hash of the name>-<name>.
  fake = name: {
    type = "derivation";
    inherit name;
    pname = name;
    outPath = "${builtins.storeDir}/${builtins.substring 0 32 (builtins.hashString "sha256" name)}-${name}";
    meta = { };
  };
  writeTextFile =
    {
      name,
      text,
      executable ? false,
      destination ? "",
      checkPhase ? "",
      ...
    }:
    let
      file = builtins.toFile name text;
      check = lib.optionalString (checkPhase != "") (builtins.toFile "${name}.checkPhase" checkPhase);
    in
    {
      type = "derivation";
      inherit name text executable checkPhase;
      outPath = builtins.seq check file; # the checkPhase is stored whenever the file is
      checkPhasePath = check;
    };
  self = {
    inherit lib writeTextFile;
    stdenv = {
      hostPlatform = platform;
      buildPlatform = platform;
      inherit (platform) isLinux isDarwin;
    };
    writeText = name: text: writeTextFile { inherit name text; };
    writeShellScript =
      name: text:
      writeTextFile {
        inherit name;
        executable = true;
        text = "#!/bin/bash\n${text}";
      };
    callPackage =
      fn: args:
      let
        f = if builtins.isFunction fn then fn else import fn;
      in
      f (builtins.intersectAttrs (builtins.functionArgs f) self // args);
    sekret = fake "sekret";
    age = fake "age";
    rage = fake "rage";
    gnupg = fake "gnupg";
    coreutils = fake "coreutils";
    systemd = fake "systemd";
    linuxPackages_latest = { };
    pkgsBuildHost = self;
  };
in
self // { inherit fake; }
