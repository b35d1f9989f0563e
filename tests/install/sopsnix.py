"""Running what sops-nix's real modules render: a configuration is evaluated
(:mod:`tests.nixeval`), relocated below ``tmp_path``, and its rendered command lines are
run in-process (``sops-install-secrets`` or ``sekret install``) or with bash."""

from __future__ import annotations

import grp
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sekret.cli import main
from sekret.cli import sops_install_secrets as sis
from tests.cli.helpers import Result, fake_env
from tests.nixeval import SOPS_NIX, Command, Evaluation, Machine, evaluate, sops_nix_checkout

NIXOS_MODULE = SOPS_NIX / "modules" / "sops"
HM_MODULE = SOPS_NIX / "modules" / "home-manager" / "sops.nix"


def nixos(tmp_path: Path, *modules: str, name: str = "eval") -> Machine:
    """A NixOS configuration with sops-nix's module and ``sops.package = sekret``."""
    return Machine(evaluate("nixos", [str(NIXOS_MODULE), *modules], tmp_path / name))


def nixos_test(tmp_path: Path, test: str, node: str = "machine") -> Machine:
    """One node of sops-nix's ``checks/nixos-test.nix``, evaluated as NixOS."""
    from tests.nixeval import nixos_test_node

    checkout = sops_nix_checkout(tmp_path)
    return Machine(evaluate("nixos", [nixos_test_node(checkout, test, node)], tmp_path / test))


def home_manager(tmp_path: Path, *modules: str, name: str = "hm") -> Machine:
    """A home-manager configuration with sops-nix's module and ``sops.package = sekret``."""
    return Machine(evaluate("home-manager", [str(HM_MODULE), *modules], tmp_path / name))


@dataclass
class _Passwd:
    pw_uid: int
    pw_gid: int


@dataclass
class _Group:
    gr_gid: int


class FakeNSS:
    """The users and groups a configuration declares, as NixOS would create them
    (ids it does not fix allocated as NixOS does: normal users from 1000 up, system
    users and groups from 999 down); anything else is the host's."""

    def __init__(self, ev: Evaluation) -> None:
        users: dict[str, Any] = ev.data["users"]
        groups: dict[str, Any] = ev.data["groups"]
        self.gids = {n: g["gid"] for n, g in groups.items() if g["gid"] is not None}
        free = (i for i in range(999, 400, -1) if i not in self.gids.values())
        for n in sorted(groups):
            self.gids.setdefault(n, next(free))
        self.uids = {n: u["uid"] for n, u in users.items() if u["uid"] is not None}
        normal = (i for i in range(1000, 30000) if i not in self.uids.values())
        for n in sorted(users):
            self.uids.setdefault(n, next(normal))
        self.primary = {n: self.gids.get(u["group"], 65534) for n, u in users.items()}

    def getpwnam(self, name: str) -> Any:
        if name in self.uids:
            return _Passwd(self.uids[name], self.primary[name])
        return pwd.getpwnam(name)

    def getgrnam(self, name: str) -> Any:
        if name in self.gids:
            return _Group(self.gids[name])
        return grp.getgrnam(name)


def use_nss(monkeypatch: pytest.MonkeyPatch, m: Machine) -> FakeNSS:
    """Make the installer's user and group lookups see the configuration's accounts."""
    from sekret.install import host

    nss = FakeNSS(m.ev)
    monkeypatch.setattr(host, "pwd", nss)
    monkeypatch.setattr(host, "grp", nss)
    return nss


def run(m: Machine, cmd: Command, *, environ: Mapping[str, str] | None = None,
        front: str = "sops-install-secrets") -> Result:
    """Run a rendered ``sops-install-secrets`` call in-process, below the machine's root:
    through the console entry point (Go flags) or as ``sekret install``."""
    env = fake_env(m.root, environ={**cmd.environ, **(environ or {})})
    nixos_dir = str(m.root / "run" / "nixos")
    if front == "sops-install-secrets":
        status = sis.main(cmd.args, env, mount=False, activation_dir=nixos_dir)
    else:
        status = main(["install", "--no-mount", "--activation-dir", nixos_dir, *cmd.args], env)
    return Result(status, env.stdout.getvalue(), env.stderr.getvalue())  # type: ignore[attr-defined]
