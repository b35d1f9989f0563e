# sekret, built from this checkout with nixpkgs' Python packages.
#
#   pkgs.callPackage ./nix/package.nix { }
#
# Metadata comes from pyproject.toml (PEP 517 build with setuptools); the version from
# src/sekret/__init__.py (nix/version.nix). The console scripts are pyproject's
# [project.scripts]: `sekret`, and the drop-ins `sops-install-secrets` (sops-nix's
# `sops.package`) and `sekret-age` (agenix's `age.ageBin`).
{
  lib,
  python3Packages,
  age,
  sops,
  git-crypt,
  gnupg,
  openssh,
  git,
  nix,
  jq,
}:

python3Packages.buildPythonApplication {
  pname = "sekret";
  version = import ./version.nix { inherit lib; };
  pyproject = true;

  src = import ./source.nix { inherit lib; };

  build-system = [ python3Packages.setuptools ];

  # pyproject.toml's [project] dependencies, one for one (tests/nix checks the mapping).
  dependencies = with python3Packages; [
    cryptography
    bcrypt
    pyyaml
  ];

  # The test suite proves compatibility against the real tools, so they are here too.
  nativeCheckInputs = [
    python3Packages.pytestCheckHook
    python3Packages.hypothesis
    age # age, age-keygen
    sops
    git-crypt
    gnupg # gpg
    openssh # ssh-keygen
    git
    nix # nix-instantiate: secrets.nix rules and the module evaluations in tests/nix
    jq # agenix's own agenix.sh, run as the oracle in tests/nixeval_agenix
  ];

  preCheck = ''
    export HOME="$(mktemp -d)"
    # nix-instantiate needs a store and a state directory it may write: private ones,
    # as agenix's own install check does inside the build sandbox.
    export NIX_STORE_DIR="$HOME/nix/store" NIX_STATE_DIR="$HOME/nix/var"
    mkdir -p "$NIX_STORE_DIR" "$NIX_STATE_DIR"
  '';

  disabledTestPaths = [
    # Builds the sdist and wheel with `python -m build --installer uv` and installs them
    # into a fresh virtualenv: needs uv and PyPI, and the sandbox has no network.
    "tests/test_dist.py"
    # Checks uv.lock (not part of the Nix source) with uv, which needs PyPI's index.
    "tests/test_lock.py"
    # Runs the `sekret` script from beside the interpreter (a virtualenv's bin/); a Nix
    # build installs it in $out/bin instead. The same cases run in the project's CI.
    "tests/sops/functional"
    # Pins which modules a small decrypt imports on the project's CPython 3.11; another
    # interpreter version brings other stdlib modules along. It guards start-up time, not
    # behaviour, and runs in the project's CI.
    "tests/cli/test_startup.py"
  ];

  pythonImportsCheck = [ "sekret" ];

  meta = {
    description = "Secrets in git, compatible with age, SOPS, agenix, sops-nix and git-crypt";
    license = lib.licenses.mit;
    mainProgram = "sekret";
    platforms = lib.platforms.unix;
  };
}
