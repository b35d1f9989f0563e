# The files a build of sekret needs: the package, its metadata and its tests with their
# vendored data. Nothing else of the checkout (virtualenvs, caches, benchmarks, scripts)
# reaches the store, so editing those does not rebuild sekret.
#
# lib.cleanSourceWith rather than lib.fileset: the file-set library needs Nix 2.14
# (builtins.readFileType), and the test suite evaluates this file with older Nix too.
{ lib }:
let
  root = toString ../.;
  topFiles = [
    "pyproject.toml"
    "README.md"
    "LICENSE"
  ];
  topDirs = [
    "src"
    "tests"
  ];
  wanted =
    path: type:
    let
      rel = lib.removePrefix "${root}/" (toString path);
      parts = lib.splitString "/" rel;
      base = lib.last parts;
    in
    if builtins.length parts == 1 then
      builtins.elem rel topFiles || (type == "directory" && builtins.elem rel topDirs)
    else
      # Left behind by an editable install or a test run in a working tree.
      !(
        base == "__pycache__"
        || lib.hasSuffix ".pyc" base
        || lib.hasSuffix ".egg-info" base
        || base == ".pytest_cache"
        || base == ".hypothesis"
      );
in
lib.cleanSourceWith {
  name = "sekret-source";
  src = ../.;
  filter = wanted;
}
