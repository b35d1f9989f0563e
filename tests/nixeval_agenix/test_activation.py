"""agenix's real modules with sekret as the age binary install the same tree as with age.

The NixOS module (activation snippets agenixNewGeneration → agenixInstall → agenixChown,
ordered and framed as NixOS frames them) and the home-manager module (its user service's
script, with writeShellApplication's strict mode) are evaluated with every path in a
temporary root, then run once with the real ``age`` as ``age.ageBin`` / ``age.package``
and once with ``sekret-age``. The two roots must hold the same tree: names, contents,
modes, owners, symlinks and generations; the scripts must print the same lines and fail
the same snippets. The secrets and keys are agenix's own example (tests/data/agenix-example).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool
from tests.nixeval_agenix import evaluate, run, script, sekret_age, snapshot
from tests.nixeval_agenix.scenario import PLAIN, identity_paths, make_root, nixos_config, owner


def _normal(text: str, root: Path) -> list[str]:
    """Output lines with the root shown as $ROOT and age's own error lines left out."""
    lines = text.replace(str(root), "$ROOT").splitlines()
    return [ln for ln in lines if not re.match(r"(age|sekret): (error|hint|warning)", ln)]


def _activate_nixos(tmp: Path, binary: str, *, sysusers: bool = False,
                    times: int = 2) -> tuple[list[Any], Path]:
    """Evaluate and run the NixOS module ``times`` times; a record of each run."""
    root, _age_dir = make_root(tmp, binary)
    extra = {"systemd": {"sysusers": {"enable": True}}} if sysusers else None
    config = nixos_config(root, binary, extra=extra)
    config["age"]["identityPaths"] = identity_paths(root)
    rendered = evaluate("nixos", config)
    assert rendered["failed"] == []
    assert rendered["ageBin"] == binary
    if sysusers:
        assert rendered["activation"] is not None and rendered["snippets"].keys() == {
            "specialfs", "users", "groups"}  # no agenix snippet: a service instead
        text = script(rendered["service"]["serviceConfig"]["ExecStart"]).render()
    else:
        assert {"agenixNewGeneration", "agenixInstall", "agenixChown", "agenix"} <= set(
            rendered["snippets"])
        text = rendered["activation"]
    runs = []
    for _ in range(times):
        ran = run(text, env={}, path_dirs=(str(tmp / "stub-bin"),))
        runs.append((ran.status, _normal(ran.out, root),
                     sorted(set(re.findall(r"Activation script snippet '(\w+)' failed",
                                           ran.out))),
                     snapshot(root)))
    return runs, root


@pytest.mark.parametrize("sysusers", [False, True], ids=["activation", "sysusers-service"])
def test_nixos_module_installs_the_same_tree_with_sekret_age(
        tmp_path: Path, sysusers: bool) -> None:
    real, root = _activate_nixos(tmp_path / "age", require_tool("age"), sysusers=sysusers)
    ours, _ = _activate_nixos(tmp_path / "sekret", sekret_age(), sysusers=sysusers)
    for (r_status, r_out, r_failed, r_tree), (o_status, o_out, o_failed, o_tree) in zip(
            real, ours, strict=True):
        assert o_tree == r_tree
        assert o_out == r_out
        assert (o_status, o_failed) == (r_status, r_failed)

    # and the tree is agenix's: spot checks against what agenix's tests expect
    run_dir = root / "run"
    assert os.readlink(run_dir / "agenix") == str(run_dir / "agenix.d/2")
    assert not (run_dir / "agenix.d/1").exists()  # generation N-1 removed
    agenix = run_dir / "agenix"
    assert (agenix / "passwordfile-user1").read_bytes().startswith(b"$6$")
    assert (root / "etc/leading-hyphen").read_bytes() == PLAIN["-leading-hyphen-filename.age"]
    assert os.readlink(root / "etc/leading-hyphen") == str(agenix / "leading-hyphen")
    assert (agenix / "nested/dir/numeric").read_bytes() == b"hello\n"
    copy = root / "var/lib/app/secret1"
    assert copy.read_bytes() == b"hello\n" and not copy.is_symlink()
    tree = real[-1][3]
    assert tree["run/agenix.d/2/secret1"][2:] == ("0o440", *_ids())
    assert tree["run/agenix.d/2/nested/dir/numeric"][2] == "0o440"  # u=r,g=r
    assert tree["var/lib/app/secret1"][2] == "0o440"  # g+r,o-rwx from age's 0400
    assert not (agenix / "for-user1-only").exists()  # the host key cannot decrypt it
    status, out, failed, _tree = real[-1]
    if sysusers:
        # The service's script has no `set -e`: it exits with its last command's status,
        # so the unit succeeds although a secret is missing (agenix's behaviour).
        assert (status, failed) == (0, [])
    else:
        assert status != 0 and "agenixInstall" in failed
    assert any("this_key_wont_exist not present" in line for line in out)


def _ids() -> tuple[int, int]:
    user, group = owner()
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def _activate_home(tmp: Path, binary: str) -> tuple[list[Any], Path]:
    root, age_dir = make_root(tmp, binary)
    home = root / "home/user1"
    src = root / "src"
    config = {
        "home": {"homeDirectory": str(home)},
        "age": {
            "identityPaths": [str(home / ".ssh/id_ed25519"), str(home / ".ssh/id_rsa"),
                              str(home / ".ssh/this_key_wont_exist")],
            "secrets": {
                "secret2": {"file": str(src / "secret2.age")},
                "secret2Path": {"file": str(src / "secret2.age"),
                                "path": str(home / "secret2")},
                "armored-secret": {"file": str(src / "armored-secret.age")},
            },
        },
    }
    rendered = evaluate("home", config, age_dir=age_dir)
    assert rendered["failed"] == []
    service = script(rendered["service"]["Service"]["ExecStart"])
    assert service.builder == "writeShellApplication"
    assert script(rendered["agent"]["config"]["ProgramArguments"][0]) == service
    runtime = root / "run/user/1000"
    runtime.mkdir(parents=True)
    runs = []
    for _ in range(2):
        ran = run(service.render(), env={"XDG_RUNTIME_DIR": str(runtime), "HOME": str(home)})
        runs.append((ran.status, _normal(ran.out, root), snapshot(root)))
    return runs, root


def test_home_manager_module_installs_the_same_tree_with_sekret_age(tmp_path: Path) -> None:
    real, root = _activate_home(tmp_path / "age", require_tool("age"))
    ours, _ = _activate_home(tmp_path / "sekret", sekret_age())
    assert ours == real
    runtime = root / "run/user/1000"
    assert (runtime / "agenix/secret2").read_bytes() == PLAIN["secret2.age"]
    assert (runtime / "agenix/armored-secret").read_bytes() == PLAIN["armored-secret.age"]
    assert os.readlink(root / "home/user1/secret2") == str(runtime / "agenix/secret2Path")
    assert os.readlink(runtime / "agenix") == str(runtime / "agenix.d/2")
    assert [r[0] for r in real] == [0, 0]
