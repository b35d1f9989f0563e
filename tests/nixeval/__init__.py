"""Evaluate real NixOS / home-manager modules offline and run what they render.

The reference for what ``sops-install-secrets`` (or agenix's ``age``) receives is what
the upstream modules render, not a manifest written by hand. This package evaluates a
configuration with Debian's ``nix-instantiate`` over the vendored nixpkgs ``lib``
(``tests/data/nixpkgs-lib``), the module files under test, and stub declarations for
the NixOS / home-manager options those modules read (``nixos.nix``,
``home-manager.nix``; ``pkgs.nix`` fakes the package set).

The evaluation uses a *chroot store* under a temporary root (``--store ROOT``): every
file a module writes with ``pkgs.writeTextFile`` / ``writeText`` / ``writeShellScript``
(manifests, activation scripts, templates) and every source path it copies (sops
files) lands in ``ROOT/nix/store``, byte for byte as Nix would build it. A
``checkPhase`` is stored beside its file as ``NAME.checkPhase``.

:func:`evaluate` returns an :class:`Evaluation`: the rendered activation snippets,
systemd units, ``system.build`` outputs, users and groups, and the store files.
:class:`Machine` then relocates that output under the same root (``/run/secrets``
becomes ``ROOT/run/secrets``) so a test can run the rendered command lines:
in-process (:meth:`Machine.command`) or as the real shell snippet (:meth:`Machine.bash`).

Other modules (agenix's, sekret's own) use the same entry points: pass their module
paths in ``modules`` and read what you need from :attr:`Evaluation.data`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import require_tool, vendored

HERE = Path(__file__).resolve().parent
LIB = vendored("nixpkgs-lib") / "lib"
SOPS_NIX = vendored("sops-nix-modules")
SOPS_NIX_ASSETS = vendored("sops-nix-assets")
STORE = "/nix/store"
#: programs of the fake packages that run sekret (tests.nixeval.fakebin)
SEKRET_PROGRAMS = ("sops-install-secrets", "age", "age-keygen", "sekret")
#: the top-level directories a rendered configuration writes to or reads from
RELOCATED = ("nix/store", "run", "etc", "var", "home", "tmp", "root")
_ABS = re.compile(r"(?<![\w./-])/(?:" + "|".join(re.escape(d) for d in RELOCATED) + r")(?=/|\b)")


def nix_string(text: str) -> str:
    """``text`` as a Nix string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def sops_nix_checkout(dest: Path) -> Path:
    """A sops-nix source tree as upstream lays it out (``modules/``, ``checks/``,
    ``pkgs/sops-install-secrets/test-assets/``), made of symlinks to the vendored copies,
    so the relative paths in ``checks/*.nix`` resolve."""
    tree = dest / "sops-nix"
    if not tree.exists():
        (tree / "pkgs" / "sops-install-secrets").mkdir(parents=True)
        (tree / "modules").symlink_to(SOPS_NIX / "modules")
        (tree / "checks").symlink_to(SOPS_NIX / "checks")
        (tree / "pkgs" / "sops-install-secrets" / "test-assets").symlink_to(SOPS_NIX_ASSETS)
    return tree


def nixos_test_node(checkout: Path, test: str, node: str = "machine") -> str:
    """A Nix expression for one node of one test in sops-nix's ``checks/nixos-test.nix``
    (``testers.runNixOSTest`` stubbed to hand back its argument)."""
    return (f"(import {checkout}/checks/nixos-test.nix {{ lib = import {LIB}; "
            f"testers.runNixOSTest = t: t; }}).{test}.nodes.{node}")


@dataclass
class Evaluation:
    """What one configuration rendered (``data`` is ``eval.nix``'s JSON)."""

    kind: str
    root: Path
    data: dict[str, Any]

    def real(self, store_path: str) -> Path:
        """Where a ``/nix/store/…`` path of the evaluation is on disk."""
        assert store_path.startswith(STORE + "/"), store_path
        return self.root / store_path.lstrip("/")

    def text(self, store_path: str) -> str:
        """A rendered file's text."""
        return self.real(store_path).read_text()

    def manifest(self, store_path: str) -> dict[str, Any]:
        """A rendered manifest, parsed."""
        data: dict[str, Any] = json.loads(self.text(store_path))
        return data

    def check_phase(self, store_path: str) -> str:
        """The ``checkPhase`` a build of that file runs (``$out`` is the file)."""
        name = store_path.split("-", 1)[1]
        found = list((self.root / STORE.lstrip("/")).glob(f"*-{name}.checkPhase"))
        assert len(found) == 1, f"no single checkPhase for {name}: {found}"
        return found[0].read_text()

    def store_files(self, suffix: str) -> list[str]:
        """The store paths of every rendered file whose name ends with ``suffix``."""
        store = self.root / STORE.lstrip("/")
        return sorted(f"{STORE}/{p.name}" for p in store.iterdir() if p.name.endswith(suffix))

    def specialisation(self, name: str) -> Evaluation:
        """The configuration of ``specialisation.NAME`` (same store)."""
        return Evaluation(self.kind, self.root, self.data["specialisations"][name])

    @property
    def activation(self) -> dict[str, dict[str, Any]]:
        """NixOS activation snippets (``text``, ``deps``, ``supportsDryActivation``)."""
        return dict(self.data["activationScripts"])

    @property
    def build(self) -> dict[str, str]:
        """``system.build`` outputs as store paths."""
        return dict(self.data["build"])


def evaluate(kind: str, modules: Sequence[str], root: Path, *,
             package: str | None = "sekret", timeout: float = 300) -> Evaluation:
    """Evaluate ``modules`` (Nix expressions) as a ``kind`` ("nixos" or "home-manager")
    configuration, with the store under ``root``. Failed assertions and evaluation
    errors raise :class:`EvalError` with Nix's message."""
    nix = require_tool("nix-instantiate")
    pkg = "null" if package is None else nix_string(package)
    expr = (f"import {HERE}/eval.nix {{ lib = import {LIB}; kind = {nix_string(kind)}; "
            f"package = {pkg}; modules = [ {' '.join(f'({m})' for m in modules)} ]; }}")
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [nix, "--read-write-mode", "--store", str(root), "--eval", "--strict", "--json",
         "-E", expr],
        capture_output=True, text=True, timeout=timeout, check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root),
             "NIX_PATH": "", "NIX_CONFIG": "sandbox = false"},
    )
    if proc.returncode != 0:
        raise EvalError(proc.stderr)
    return Evaluation(kind, root, json.loads(proc.stdout))


class EvalError(Exception):
    """nix-instantiate refused the configuration (the message is Nix's)."""


def relocate_text(text: str, root: Path) -> str:
    """Every absolute path under one of :data:`RELOCATED` moved below ``root``."""
    return _ABS.sub(lambda m: f"{root}{m.group(0)}", text)


_MANIFEST_PATHS = ("secretsMountPoint", "symlinkPath", "ageKeyFile", "gnupgHome")
_MANIFEST_LISTS = ("sshKeyPaths", "ageSshKeyPaths", "identityPaths")
_ITEM_PATHS = ("path", "sopsFile", "file", "ageFile")


def relocate_manifest(data: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """A manifest with its paths moved below ``root`` (``%r`` paths are left alone:
    ``XDG_RUNTIME_DIR`` is set to a directory below ``root`` instead)."""
    def move(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("/"):
            return relocate_text(value, root) if _ABS.match(value) else value
        return value

    out = dict(data)
    for key in _MANIFEST_PATHS:
        out[key] = move(out.get(key))
    for key in _MANIFEST_LISTS:
        if out.get(key):
            out[key] = [move(v) for v in out[key]]
    for key in ("secrets", "templates"):
        out[key] = [{k: (move(v) if k in _ITEM_PATHS else v) for k, v in item.items()}
                    for item in out.get(key) or []]
    return out


@dataclass
class Command:
    """A rendered command line: the program (basename), its arguments, its environment."""

    program: str
    args: list[str]
    environ: dict[str, str] = field(default_factory=dict)


class Machine:
    """The rendered configuration made runnable below ``ev.root``.

    Manifests in the store are rewritten in place with relocated paths (the installer
    reads them); scripts keep their text and are relocated when they run (relocate a
    text once only: the root itself is below /tmp). ``bin/`` of every fake package a
    script calls gets wrappers: sekret for ``sops-install-secrets``, ``age``,
    ``age-keygen`` and ``sekret`` (no mount, activation lists under
    ``ROOT/run/nixos``), the host's program for anything else (``mkdir``, ``dirname``).
    """

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.root = ev.root
        (self.root / "run" / "nixos").mkdir(parents=True, exist_ok=True)
        store = self.root / STORE.lstrip("/")
        for p in store.iterdir():
            if p.is_file() and p.name.endswith(".json"):
                self._rewrite(p)

    def _rewrite(self, p: Path) -> None:
        text = p.read_text()
        if not text.startswith("{") or str(self.root) in text:  # not a manifest, or done
            return
        p.chmod(0o644)
        p.write_text(json.dumps(relocate_manifest(json.loads(text), self.root)))
        p.chmod(0o444)

    def path(self, absolute: str) -> Path:
        """Where an absolute path of the configuration is below the root."""
        return self.root / absolute.lstrip("/")

    def runtime_dir(self, uid: int = 1000) -> Path:
        """``XDG_RUNTIME_DIR`` for a user session (created)."""
        d = self.root / "run" / "user" / str(uid)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def command(self, snippet: str, program: str = "sops-install-secrets") -> Command:
        """The ``program`` call of a rendered snippet (relocated), with the variables the
        snippet exports before it (``sops.environment``)."""
        environ: dict[str, str] = {}
        for line in relocate_text(snippet, self.root).splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                for word in words[1:]:
                    name, _, value = word.partition("=")
                    environ[name] = value
            elif words and words[0].endswith("/bin/" + program):
                return Command(program, words[1:], environ)
        raise AssertionError(f"no {program} call in:\n{snippet}")

    def package_bin(self, script_text: str) -> None:
        """Wrappers for the fake packages a relocated script calls."""
        for match in re.finditer(re.escape(str(self.root)) + r"(/nix/store/[^/\s]+)/bin/([\w.-]+)",
                                 script_text):
            pkg, prog = match.groups()
            wrapper = self.path(pkg) / "bin" / prog
            if wrapper.exists():
                continue
            wrapper.parent.mkdir(parents=True, exist_ok=True)
            if prog not in SEKRET_PROGRAMS:
                host = shutil.which(prog)
                assert host, f"no {prog} on this host for {pkg}/bin/{prog}"
                wrapper.symlink_to(host)
                continue
            wrapper.write_text(
                "#!/bin/sh\n"
                f"exec {shlex.quote(sys.executable)} -m tests.nixeval.fakebin "
                f"{shlex.quote(str(self.root))} {shlex.quote(prog)} \"$@\"\n")
            wrapper.chmod(0o755)

    def bash(self, text: str, *, environ: Mapping[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a relocated snippet with bash, as an activation script or unit would."""
        script = relocate_text(text, self.root)
        self.package_bin(script)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(HERE.parent.parent), **(environ or {})}
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=self.root)


