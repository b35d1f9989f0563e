"""sekret's NixOS, nix-darwin and home-manager modules, evaluated together with the REAL
sops-nix and agenix modules (vendored in tests/data) by the vendored nixpkgs lib.

What the sops-nix and agenix modules render from ``sops.package`` and ``age.ageBin`` /
``age.package`` — activation snippets, systemd and launchd units, the manifest's build
check — must call sekret's ``sops-install-secrets`` and ``sekret-age``. The NixOS, darwin
and home-manager options those modules read are stub declarations (tests/nix/stubs); the
package set is a stub too (no nixpkgs here, no network, so nothing is built).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.nix.evalnix import nix_eval, nix_eval_recording

NIXOS_USER = """{
  sops.age.keyFile = "/run/age-keys.txt";
  sops.defaultSopsFile = t.assets + "/secrets.yaml";
  sops.secrets.test_key.neededForUsers = true;
  sops.secrets."nested/test/file" = { owner = "example-user"; key = "test_key"; };
  users.users.example-user.group = "users";
  age.identityPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  age.secrets.secret1.file = t.root + "/tests/data/agenix-example/example/secret1.age";
  age.secrets.secret1.owner = "example-user";
}"""


def nixos(*, sops: bool = True, agenix: bool = True, ours: bool = True, extra: str = "{ }",
          pkgs: str = "t.stubPkgs { }") -> Any:
    modules = " ".join(
        m for m, on in (("t.sops-nix.nixos", sops), ("t.agenix.nixos", agenix),
                        ("t.sekret.nixos", ours)) if on
    )
    user = NIXOS_USER if sops and agenix else "{ }"
    return nix_eval(
        f"""let
          inherit (t) lib;
          pkgs = {pkgs};
          c = t.eval {{
            platform = "nixos"; inherit pkgs; modules = [ {modules} {user} {extra} ];
          }};
          manifest = m: {{ inherit (m) text checkPhase; out = m.outPath; }};
        in {{
          sekret = c.sekret.package.outPath or null;
          age = pkgs.age.outPath;
          sopsPackage = c.sops.package.outPath or null;
          validation = c.sops.validationPackage.outPath or null;
          ageBin = c.age.ageBin or null;
          scripts = lib.mapAttrs (_: s: s.text) c.system.activationScripts;
          services = lib.mapAttrs (_: s: {{
            exec = s.serviceConfig.ExecStart;
            text = s.serviceConfig.ExecStart.text or null;
          }}) c.systemd.services;
          regular = if c.system.build ? sops-nix-manifest
            then manifest c.system.build.sops-nix-manifest else null;
          users = if c.system.build ? sops-nix-users-manifest
            then manifest c.system.build.sops-nix-users-manifest else null;
          systemPackages = map (p: p.outPath) c.environment.systemPackages;
          failed = t.failed c;
        }}"""
    )


@pytest.fixture(scope="module")
def boot() -> Any:
    return nixos()


def test_nixos_sops_nix_and_agenix_use_sekret(boot: Any) -> None:
    s = boot["sekret"]
    assert s.endswith("-sekret-0.1.0") or "-sekret-" in s
    assert boot["failed"] == []
    assert boot["sopsPackage"] == boot["validation"] == s
    assert boot["ageBin"] == f"{s}/bin/sekret-age"
    assert boot["systemPackages"] == [s]


def test_nixos_activation_snippets_call_sekret(boot: Any) -> None:
    s, scripts = boot["sekret"], boot["scripts"]
    assert f"{s}/bin/sops-install-secrets {boot['regular']['out']}\n" in scripts["setupSecrets"]
    assert (f"{s}/bin/sops-install-secrets -ignore-passwd {boot['users']['out']}\n"
            in scripts["setupSecretsForUsers"])
    assert f'{s}/bin/sekret-age --decrypt "${{IDENTITIES[@]}}" -o "$TMP_FILE"' in scripts[
        "agenixInstall"]
    assert "chown example-user:users" in scripts["agenixChown"]


def test_nixos_manifests_are_checked_by_sekret_at_build_time(boot: Any) -> None:
    s = boot["sekret"]
    for manifest in (boot["regular"], boot["users"]):
        check = manifest["checkPhase"]
        assert check == f'{s}/bin/sops-install-secrets -check-mode=sopsfile "$out"\n'
    regular = json.loads(boot["regular"]["text"])
    assert [x["name"] for x in regular["secrets"]] == ["nested/test/file"]
    assert json.loads(boot["users"]["text"])["symlinkPath"] == "/run/secrets-for-users"


def test_nixos_without_sops_file_validation_checks_the_manifest_only() -> None:
    got = nixos(extra="{ sops.validateSopsFiles = false; }")
    assert got["regular"]["checkPhase"] == (
        f'{got["sekret"]}/bin/sops-install-secrets -check-mode=manifest "$out"\n')


def test_nixos_systemd_activation_units_run_sekret() -> None:
    got = nixos(extra="{ systemd.sysusers.enable = true; }")
    s, services = got["sekret"], got["services"]
    assert "setupSecrets" not in got["scripts"]
    assert services["sops-install-secrets"]["exec"] == [
        f"{s}/bin/sops-install-secrets {got['regular']['out']}"]
    assert services["sops-install-secrets-for-users"]["exec"] == [
        f"{s}/bin/sops-install-secrets -ignore-passwd {got['users']['out']}"]
    assert f"{s}/bin/sekret-age --decrypt" in services["agenix-install-secrets"]["text"]


def test_the_users_definitions_win_over_sekrets_defaults() -> None:
    got = nixos(extra="""{
      sops.package = pkgs.sops;
      sops.validationPackage = pkgs.git;
      age.ageBin = "/run/current-system/sw/bin/rage";
    }""")
    assert got["sopsPackage"].endswith("-sops") and got["validation"].endswith("-git")
    assert got["ageBin"] == "/run/current-system/sw/bin/rage"
    assert got["systemPackages"] == [got["sekret"]]


def test_sekret_package_is_the_one_place_to_swap_sekret() -> None:
    other = 'pkgs.python3Packages.buildPythonApplication { pname = "sekret"; version = "9"; }'
    got = nixos(extra=f"{{ sekret.package = {other}; }}")
    s = got["sekret"]
    assert s.endswith("-sekret-9")
    assert got["sopsPackage"] == got["validation"] == s
    assert got["ageBin"] == f"{s}/bin/sekret-age"
    assert got["systemPackages"] == [s]


def test_alone_the_module_only_installs_sekret() -> None:
    got = nixos(sops=False, agenix=False)
    assert got["sopsPackage"] is None and got["ageBin"] is None
    assert got["systemPackages"] == [got["sekret"]]
    assert got["failed"] == [] and got["scripts"] == {}


def test_with_one_of_sops_nix_and_agenix_the_other_is_left_alone() -> None:
    only_sops = nixos(agenix=False)
    assert only_sops["sopsPackage"] == only_sops["sekret"] and only_sops["ageBin"] is None
    only_age = nixos(sops=False)
    assert only_age["sopsPackage"] is None
    assert only_age["ageBin"] == f"{only_age['sekret']}/bin/sekret-age"


def test_without_sekrets_module_agenix_keeps_its_age() -> None:
    got = nixos(ours=False, sops=False)
    assert got["ageBin"] == f"{got['age']}/bin/age"


def test_cross_builds_validate_with_sekret_for_the_build_machine() -> None:
    got = nixos(pkgs="""t.stubPkgs {
      system = "aarch64-linux";
      canExecuteHost = false;
      buildPkgs = t.stubPkgs { system = "x86_64-linux"; };
    }""")
    native = nix_eval('((t.stubPkgs { system = "x86_64-linux"; }).callPackage '
                      '(t.root + "/nix/package.nix") { }).outPath')
    assert got["sopsPackage"] == got["sekret"] != native
    assert got["validation"] == native
    assert got["regular"]["checkPhase"].startswith(f"{native}/bin/sops-install-secrets ")
    assert f"{got['sekret']}/bin/sops-install-secrets " in got["scripts"]["setupSecrets"]


HM_USER = """{
  # sops-nix's own home-manager check (checks/home-manager.nix), with its test assets.
  imports = [ (t.root + "/tests/data/sops-nix-modules/checks/home-manager.nix") ];
  sops.defaultSopsFile = lib.mkForce (t.assets + "/secrets.yaml");
  age.secrets.secret2.file = t.root + "/tests/data/agenix-example/example/secret2.age";
}"""


def home(extra: str = "{ }", *, record: bool = True) -> tuple[Any, dict[str, Any]]:
    return nix_eval_recording(
        f"""let
          inherit (t) lib;
          pkgs = t.stubPkgs {{ record = {"true" if record else "false"}; }};
          c = t.eval {{
            platform = "home-manager"; inherit pkgs;
            modules = [ t.sops-nix.home-manager t.agenix.home-manager t.sekret.home-manager
                        {HM_USER} {extra} ];
          }};
        in {{
          sekret = c.sekret.package.outPath;
          sopsPackage = c.sops.package.outPath;
          agePackage = {{
            out = c.age.package.outPath;
            main = c.age.package.meta.mainProgram or null;
          }};
          sopsService = c.systemd.user.services.sops-nix.Service.ExecStart;
          agenixService = c.systemd.user.services.agenix.Service.ExecStart;
          launchd = c.launchd.agents.sops-nix.config.Program;
          homePackages = map (p: p.outPath) c.home.packages;
          failed = t.failed c;
        }}"""
    )


def test_home_manager_sops_nix_and_agenix_use_sekret() -> None:
    got, writes = home()
    s = got["sekret"]
    assert got["failed"] == []
    assert got["sopsPackage"] == s
    assert got["agePackage"] == {"out": s, "main": "sekret-age"}
    assert got["homePackages"] == [s]
    # The user service (and the darwin agent) run sops-nix's script: sekret, -ignore-passwd.
    assert got["launchd"] == got["sopsService"]
    script = writes[got["sopsService"]]["text"]
    (line,) = [x for x in script.splitlines() if "sops-install-secrets" in x]
    prefix = f"{s}/bin/sops-install-secrets -ignore-passwd "
    assert line.startswith(prefix)
    manifest = writes[line.removeprefix(prefix)]
    assert manifest["checkPhase"] == f'{s}/bin/sops-install-secrets -check-mode=sopsfile "$out"\n'
    data = json.loads(manifest["text"])
    assert data["userMode"] is True and data["secretsMountPoint"] == "%r/secrets.d"
    # agenix's user service: lib.getExe of its script, which decrypts with sekret-age.
    mount = got["agenixService"].rsplit("/bin/", 1)[0]
    assert f"{s}/bin/sekret-age --decrypt" in writes[mount]["text"]


def test_home_manager_agenix_package_can_still_be_set() -> None:
    got, _ = home("{ age.package = pkgs.age; }", record=False)
    assert got["agePackage"]["out"].endswith("-age")
    assert got["sopsPackage"] == got["sekret"]


def test_darwin_sops_nix_and_agenix_use_sekret() -> None:
    got = nix_eval(
        """let
          pkgs = t.stubPkgs { system = "aarch64-darwin"; };
          c = t.eval {
            platform = "darwin"; inherit pkgs;
            modules = [ t.sops-nix.darwin t.agenix.darwin t.sekret.darwin {
              sops.age.keyFile = "/var/lib/sops-nix/key.txt";
              sops.defaultSopsFile = t.assets + "/secrets.yaml";
              sops.secrets.test_key = { };
              age.secrets.secret1.file = t.root + "/tests/data/agenix-example/example/secret1.age";
            } ];
          };
        in {
          sekret = c.sekret.package.outPath;
          validation = c.sops.validationPackage.outPath;
          manifest = c.system.build.sops-nix-manifest.outPath;
          check = c.system.build.sops-nix-manifest.checkPhase;
          post = c.system.activationScripts.postActivation.text;
          daemon = c.launchd.daemons.sops-install-secrets.command;
          agenix = c.launchd.daemons.activate-agenix.script;
          systemPackages = map (p: p.outPath) c.environment.systemPackages;
          failed = t.failed c;
        }"""
    )
    s = got["sekret"]
    assert got["failed"] == [] and got["systemPackages"] == [s] and got["validation"] == s
    assert f"{s}/bin/sops-install-secrets {got['manifest']}" in got["post"]
    assert f"{s}/bin/sops-install-secrets {got['manifest']}" in got["daemon"]
    assert got["check"].startswith(f"{s}/bin/sops-install-secrets -check-mode=sopsfile ")
    assert f"{s}/bin/sekret-age --decrypt" in got["agenix"]
