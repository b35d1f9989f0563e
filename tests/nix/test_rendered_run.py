"""What sops-nix's and agenix's real home-manager modules render, run with sekret.

The modules are evaluated with sekret's module (as in test_modules.py), with the stub
store paths pointing into a temporary directory. There, ``${sekret}/bin`` holds the console
scripts of pyproject's [project.scripts] (as an installed package has them) and
``${age}/bin/age`` is the real age. Then:

- the manifest's build check (``sops-install-secrets -check-mode=sopsfile "$out"``, run in
  the build sandbox where ``XDG_RUNTIME_DIR`` is unset) passes on sops-nix's own
  home-manager check, and fails on a key the sops file lacks;
- agenix's mount script installs the same tree with sekret-age as with the real age.

A real ``nix build`` is impossible here (no nixpkgs, no network); these run the rendered
scripts with bash instead.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, require_tool, vendored
from tests.nix.evalnix import nix_eval_recording

SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
EXAMPLE = vendored("agenix-example")


def _install_scripts(bin_dir: Path) -> None:
    """pyproject's console scripts, as pip would write them, run by this interpreter."""
    missing = [s for s in ("sops-install-secrets", "sekret-age") if s not in SCRIPTS]
    if missing:
        pytest.fail(f"pyproject.toml [project.scripts] lacks {missing}, which the modules run")
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, target in SCRIPTS.items():
        module, func = target.split("#")[0].strip().split(":")
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\nimport sys\nfrom {module} import {func}\n"
                        f"sys.exit({func}())\n")
        path.chmod(0o755)


def _env(**extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": extra.pop("HOME", "/")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env.update(extra)
    return env


def home(store: Path, extra: str, **args: str) -> tuple[Any, dict[str, Any]]:
    return nix_eval_recording(
        f"""let
          inherit (t) lib;
          pkgs = t.stubPkgs {{ record = true; outRoot = store; }};
          c = t.eval {{
            platform = "home-manager"; inherit pkgs;
            modules = [ t.sops-nix.home-manager t.agenix.home-manager t.sekret.home-manager
                        {extra} ];
          }};
        in {{
          sekret = c.sekret.package.outPath;
          age = pkgs.age.outPath;
          sopsService = c.systemd.user.services.sops-nix.Service.ExecStart or null;
          agenixService = c.systemd.user.services.agenix.Service.ExecStart or null;
        }}""",
        store=str(store), **args,
    )


def _manifest(got: Any, writes: dict[str, Any]) -> dict[str, Any]:
    script = writes[got["sopsService"]]["text"]
    (line,) = [x for x in script.splitlines() if "/bin/sops-install-secrets " in x]
    return writes[line.rsplit(" ", 1)[1]]


def test_home_manager_build_check_passes_with_sekret(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assets = vendored("sops-nix-assets")
    got, writes = home(store, """{
      imports = [ (t.root + "/tests/data/sops-nix-modules/checks/home-manager.nix") ];
      sops.defaultSopsFile = lib.mkForce (t.assets + "/secrets.yaml");
    }""")
    _install_scripts(Path(got["sekret"]) / "bin")
    manifest = _manifest(got, writes)
    data = json.loads(manifest["text"])
    sops_file = tmp_path / "secrets.yaml"
    shutil.copy(assets / "secrets.yaml", sops_file)
    for secret in data["secrets"]:
        secret["sopsFile"] = str(sops_file)  # the store copy Nix would have made
    assert data["secretsMountPoint"] == "%r/secrets.d"

    def check(doc: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        out = tmp_path / "manifest.json"
        out.write_text(json.dumps(doc))
        # The build sandbox: no XDG_RUNTIME_DIR, an empty HOME.
        return subprocess.run(["bash", "-euc", manifest["checkPhase"]],
                              env=_env(out=str(out), HOME=str(tmp_path / "empty")),
                              capture_output=True, text=True, check=False)

    ok = check(data)
    assert ok.returncode == 0, ok.stderr
    data["secrets"][0]["key"] = "no_such_key"
    bad = check(data)
    assert bad.returncode != 0 and bad.stderr.strip()


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    top = root / "agenix"
    assert top.is_symlink()
    gen = top.resolve()
    return {p.relative_to(gen).as_posix(): (p.read_text(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(gen.rglob("*")) if p.is_file()}


def test_agenix_home_manager_installs_the_same_tree_with_sekret_age_as_with_age(
    tmp_path: Path,
) -> None:
    age = require_tool("age")
    key = tmp_path / "home" / ".ssh" / "id_ed25519"
    key.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE / "example_keys" / "user1", key)
    key.chmod(0o600)
    secrets = """{
      home.homeDirectory = lib.mkForce home;
      age.secrets.secret2.file = example + "/secret2.age";
      age.secrets.armored = { file = example + "/armored-secret.age"; mode = "0440"; };
      age.secrets."nested/hyphen".file = example + "/-leading-hyphen-filename.age";
    }"""
    trees = {}
    real_age = '{ age.package = pkgs.age // { meta.mainProgram = "age"; }; }'
    for tool, package in (("sekret-age", "{ }"), ("age", real_age)):
        store = tmp_path / f"store-{tool}"
        got, writes = home(store, f"{secrets} {package}", home=str(tmp_path / "home"),
                           example=str(EXAMPLE / "example"))
        _install_scripts(Path(got["sekret"]) / "bin")
        (Path(got["age"]) / "bin").mkdir(parents=True)
        (Path(got["age"]) / "bin" / "age").symlink_to(age)
        script = writes[got["agenixService"].rsplit("/bin/", 1)[0]]["text"]
        assert f"/bin/{tool} --decrypt" in script
        run = tmp_path / f"run-{tool}"
        run.mkdir()
        proc = subprocess.run(["bash", "-c", script], env=_env(XDG_RUNTIME_DIR=str(run)),
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        trees[tool] = _tree(run)
    assert trees["sekret-age"] == trees["age"]
    assert trees["age"] == {
        "armored": ("Hello World!\n", 0o440),
        "nested/hyphen": ("filename started with hyphen\n", 0o400),
        "secret2": ("world!\n", 0o400),
    }
