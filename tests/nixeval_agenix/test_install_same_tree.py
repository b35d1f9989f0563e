"""``sekret install`` of the secrets agenix's real NixOS module declares installs the tree
agenix's own activation installs (with the real age).

The module is evaluated once; its resolved ``age.secrets`` (name, file, path, mode,
owner, group, symlink), ``secretsDir``, ``secretsMountPoint`` and ``identityPaths``
become a manifest of ageFile entries. Two activations each way; then every secret file
must match (content, mode, owner, group) at the same place, every link point at the
same target, the same generation be live, and the secret the host cannot decrypt be
missing in both, with a non-zero status in both.

Deliberate differences, left out of the comparison and checked here on their own:
directories sekret creates for nested names are 0751 root:keys like the generation
(agenix: ``mkdir -p``, 0755 root:root, so anyone can list the names), and without a
``keys`` group the mount point and generation get ``nogroup`` (agenix's ``chown :keys``
fails and leaves root). A ``path`` link is owned by the secret's owner, as sops-nix
makes them (agenix: root); the scenario's linked secret is root's, so it compares equal.
"""

from __future__ import annotations

import grp
import json
import os
from pathlib import Path
from typing import Any

from sekret.cli import main
from tests.cli.helpers import fake_env
from tests.conftest import require_tool
from tests.nixeval_agenix import evaluate, run, snapshot
from tests.nixeval_agenix.scenario import identity_paths, make_root, nixos_config


def manifest_of(rendered: dict[str, Any]) -> dict[str, Any]:
    """The sekret manifest for what agenix's module resolved."""
    secrets = [{"name": s["name"], "ageFile": s["file"], "path": s["path"], "mode": s["mode"],
                "owner": s["owner"], "group": s["group"], "symlink": s["symlink"]}
               for _, s in sorted(rendered["secrets"].items())]
    return {"secrets": secrets, "secretsMountPoint": rendered["secretsMountPoint"],
            "symlinkPath": rendered["secretsDir"], "identityPaths": rendered["identityPaths"],
            "keepGenerations": 1}


def _project(tree: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Files in full, links by target, directories by name only."""
    out: dict[str, tuple[Any, ...]] = {}
    for rel, entry in tree.items():
        if entry[0] == "file":
            out[rel] = entry
        elif entry[0] == "link":
            out[rel] = entry[:2]
        else:
            out[rel] = ("dir",)
    return out


def _scenario(tmp: Path) -> tuple[Path, dict[str, Any]]:
    age_bin = require_tool("age")
    root, _ = make_root(tmp, age_bin)
    config = nixos_config(root, age_bin)
    config["age"]["identityPaths"] = identity_paths(root)
    return root, evaluate("nixos", config)


def test_sekret_install_matches_agenix_activation(tmp_path: Path) -> None:
    a_root, rendered = _scenario(tmp_path / "agenix")
    for _ in range(2):
        ran = run(rendered["activation"], env={}, path_dirs=(str(tmp_path / "agenix/stub-bin"),))
        assert ran.status != 0  # the secret the host cannot read
    agenix_tree = snapshot(a_root)

    s_root, rendered = _scenario(tmp_path / "sekret")
    manifest = s_root.parent / "manifest.json"
    manifest.write_text(json.dumps(manifest_of(rendered)))
    for _ in range(2):
        env = fake_env(s_root)
        status = main(["install", "--no-mount", "--activation-dir", str(s_root / "nixos"),
                       str(manifest)], env)
        err = env.stderr.getvalue().decode()  # type: ignore[attr-defined]
        assert status != 0
        assert "1 of 6 agenix secrets could not be installed: for-user1-only" in err
    sekret_tree = snapshot(s_root)

    assert _project(sekret_tree) == _project(agenix_tree)
    assert os.readlink(s_root / "run/agenix") == str(s_root / "run/agenix.d/2")

    # the deliberate differences, and nothing else
    differ = {rel for rel in agenix_tree if agenix_tree[rel] != sekret_tree[rel]}
    expected = {"run/agenix.d/2/nested", "run/agenix.d/2/nested/dir"}
    try:
        grp.getgrnam("keys")
    except KeyError:  # agenix's `chown :keys` fails; sekret falls back to nogroup
        expected |= {"run/agenix.d", "run/agenix.d/2"}
    assert differ == expected, {rel: (agenix_tree[rel], sekret_tree[rel]) for rel in differ}
    assert sekret_tree["run/agenix.d/2/nested"][1] == "0o751"
    assert agenix_tree["run/agenix.d/2/nested"][1] == "0o755"
