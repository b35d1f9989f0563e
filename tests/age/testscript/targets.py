"""What the scripts' commands run: sekret, or the real age, plus the helper plugins.

Each script gets ``$WORK/.bin`` first on its ``PATH``, holding small ``/bin/sh``
wrappers named as age's harness names its commands: ``age``, ``age-keygen``,
``age-plugin-test``, ``age-plugin-pq`` and ``age-plugin-batchpass``. The plugins are
always the Python ones of ``plugins/`` (run by this interpreter, which has the
``cryptography`` package they need); ``age`` and ``age-keygen`` are either sekret
(``sekret_age.py``, and ``python -m sekret age-keygen``) or the real binaries.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.age.testscript.interp import Result, Script

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"
PLUGIN_NAMES = ("age-plugin-test", "age-plugin-pq", "age-plugin-batchpass")


@dataclass(frozen=True)
class Target:
    """The programs behind the scripts' ``age`` and ``age-keygen``."""

    name: str
    age: tuple[str, ...]
    keygen: tuple[str, ...]

    def programs(self) -> dict[str, Sequence[str]]:
        out: dict[str, Sequence[str]] = {"age": self.age, "age-keygen": self.keygen}
        for plugin in PLUGIN_NAMES:
            out[plugin] = (sys.executable, "-B", str(PLUGINS / plugin))  # -B: no __pycache__ there
        return out


def sekret() -> Target:
    # -P: neither this folder nor $WORK goes first on the module path
    return Target("sekret", (sys.executable, "-P", str(HERE / "sekret_age.py")),
                  (sys.executable, "-P", "-m", "sekret", "age-keygen"))


def real_age(age: str, keygen: str) -> Target:
    return Target("age", (age,), (keygen,))


def _install(target: Target, script: Script) -> None:
    bin_dir = script.work / ".bin"
    bin_dir.mkdir()
    for name, argv in target.programs().items():
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n')
        os.chmod(wrapper, 0o755)
    script.prepend_path(bin_dir)


def run_script(path: Path, work: Path, target: Target, *, timeout: float = 10.0) -> Result:
    """Run one vendored script against ``target`` in the empty directory ``work``."""
    script = Script(path, work, setup=lambda s: _install(target, s), timeout=timeout)
    return script.run()
