"""Evaluate Nix expressions with Debian's ``nix-instantiate``, offline, for the tests here.

There is no nixpkgs in the test environment and no network, so no derivation is built:
expressions are evaluated with the vendored nixpkgs lib (``tests/data/nixpkgs-lib``) and
the stub package set of ``tests/nix/stubs/pkgs.nix``, and the results come back as JSON.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import require_tool

HERE = Path(__file__).resolve().parent


def nix_eval(body: str, **args: str) -> Any:
    """The JSON value of ``body``, evaluated strictly, with ``t`` bound to ``tests/nix/lib.nix``.

    Each keyword becomes a string argument of the same name (``--argstr``).
    """
    return nix_eval_recording(body, **args)[0]


def nix_eval_recording(body: str, **args: str) -> tuple[Any, dict[str, dict[str, Any]]]:
    """:func:`nix_eval`, and the files the stub package set was asked to write (with
    ``record = true``), by output path."""
    nix = require_tool("nix-instantiate")
    params = ", ".join(["here", *args])
    expr = f"{{ {params} }}: let t = import (/. + here + \"/lib.nix\"); in {body}"
    argv = [nix, "--eval", "--strict", "--json", "--readonly-mode", "--argstr", "here", str(HERE)]
    for name, value in args.items():
        argv += ["--argstr", name, value]
    proc = subprocess.run([*argv, "-E", expr], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise NixError(proc.stderr)
    writes = {}
    for line in proc.stderr.splitlines():
        shown = line.removeprefix("trace: ")
        if shown.startswith('"'):  # newer Nix prints a traced string as a Nix string literal
            shown = json.loads(shown.replace("\\${", "${"))
        if line.startswith("trace: ") and shown.startswith("{"):
            item = json.loads(shown)
            writes[item["path"]] = item
    return json.loads(proc.stdout), writes


class NixError(Exception):
    """``nix-instantiate`` failed; the message is its standard error."""
