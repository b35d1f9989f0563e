"""``sekret completion bash|zsh|fish``: scripts for the whole CLI that the shells load.

bash is driven for real (``_sekret`` with ``COMP_WORDS``/``COMP_CWORD``); zsh and fish
are syntax-checked by their own ``-n`` when installed, and checked for structure
always (the zsh script is also parsed by ``bash -n``: its helpers are shared).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from sekret.cli import COMMANDS, SOPS_COMMANDS
from sekret.cli.completion import tree
from tests.cli.helpers import run_cli

SEKRET = f"{sys.executable} -m sekret"


def _script(shell: str) -> str:
    r = run_cli(["completion", shell], ".")  # type: ignore[arg-type]
    assert r.status == 0, r.err
    return r.out


def _bash(code: str) -> str:
    proc = subprocess.run(
        ["bash", "-c", f"source <({SEKRET} completion bash)\n{code}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return proc.stdout


def test_bash_loads_the_script() -> None:
    assert _bash("complete -p sekret").strip() == "complete -o default -F _sekret sekret"


COMPLETIONS = [
    ("sekret dec", ["decrypt"]),
    ("sekret ex", ["exec-env", "exec-file"]),
    ("sekret decrypt --in", ["--input-type", "--in-place", "--indent"]),
    ("sekret --config x enc", ["encrypt"]),  # a global flag and its value before
    ("sekret --indent 2 -d --ext", ["--extract"]),  # the legacy form
    ("sekret groups ", ["add", "delete"]),
    ("sekret groups add --f", ["--file"]),
    ("sekret decrypt --input-type y", ["yaml"]),
    ("sekret encrypt --output-type ", ["yaml", "json", "dotenv", "ini", "binary"]),
    ("sekret git-crypt un", ["unlock"]),
    ("sekret git-crypt lock --", ["--help", "--key-name", "--all", "--force"]),
    ("sekret age --arm", ["--armor"]),
    ("sekret agenix --re", ["--rekey"]),
    ("sekret completion ", ["bash", "zsh", "fish"]),
    ("sekret exec-env --pr", ["--pristine"]),
    ("sekret decrypt --pgp", []),  # decrypt refuses it: not offered
    ("sekret decrypt secrets.yaml x", []),  # a file: bash's default completion
]


@pytest.mark.parametrize(("line", "expected"), COMPLETIONS)
def test_bash_completes(line: str, expected: list[str]) -> None:
    words = line.split(" ")
    code = (
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        '_sekret; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    assert sorted(filter(None, _bash(code).splitlines())) == sorted(expected)


def test_every_command_is_offered() -> None:
    offered = _bash('COMP_WORDS=(sekret ""); COMP_CWORD=1; _sekret; echo "${COMPREPLY[@]}"')
    assert set(offered.split()) == {*SOPS_COMMANDS, *COMMANDS}


def test_every_flag_of_a_command_is_offered() -> None:
    from sekret.cli import sops_flags

    for mode in ("decrypt", "encrypt", "exec-file", "groups delete"):
        line = ["sekret", *mode.split(), "-"]
        code = f"COMP_WORDS=({' '.join(line)}); COMP_CWORD={len(line) - 1}; _sekret; " + (
            'echo "${COMPREPLY[@]}"'
        )
        offered = set(_bash(code).split())
        used = {s for f in sops_flags.FLAGS if mode in f.uses and not f.help.startswith("==")
                for s in f.strings}  # fmt: skip
        assert offered == used | {"-h", "--help"}, mode


def test_the_help_says_where_to_install() -> None:
    r = run_cli(["completion", "--help"], ".")  # type: ignore[arg-type]
    assert r.status == 0
    assert "sekret completion bash > ~/.local/share/bash-completion/completions/sekret" in r.out
    assert "~/.config/fish/completions/sekret.fish" in r.out and "_sekret" in r.out
    assert run_cli(["completion"], ".").status == 0  # type: ignore[arg-type]  # as sops
    bad = run_cli(["completion", "tcsh"], ".")  # type: ignore[arg-type]
    assert bad.status == 3
    assert bad.error_lines() == ["sekret: error: unknown shell 'tcsh': bash, zsh or fish"]


def _balanced(text: str, opener: str, closer: str) -> bool:
    return len(re.findall(opener, text, re.M)) == len(re.findall(closer, text, re.M))


def test_zsh_script() -> None:
    script = _script("zsh")
    assert script.startswith("#compdef sekret\n")
    assert "compdef _sekret sekret" in script and "_sekret() {" in script
    top = re.search(r'^ +""\) echo "([^"]*)"', script, re.M)
    assert top is not None and set(top.group(1).split()) == {*SOPS_COMMANDS, *COMMANDS}
    assert _balanced(script, r"\bcase\b", r"\besac\b")
    assert script.count("{") == script.count("}")
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)  # same helpers
    if shutil.which("zsh"):
        subprocess.run(["zsh", "-n"], input=script, text=True, check=True)


def test_fish_script() -> None:
    script = _script("fish")
    blocks = re.findall(r"^\s*(function|if|for|switch|while|begin)\b", script, re.M)
    assert len(blocks) == len(re.findall(r"^\s*end$", script, re.M))
    lines = [ln for ln in script.splitlines() if ln.startswith("complete ")]
    assert all(ln.startswith("complete -c sekret -n ") for ln in lines)
    for line in lines:  # quotes balanced in every line (fish's \' escapes aside)
        assert line.replace("\\'", "").count("'") % 2 == 0, line
    commands = {m for ln in lines for m in re.findall(r"__sekret_at \\'\\'' -f -a (\S+)", ln)}
    assert commands == {*SOPS_COMMANDS, *COMMANDS}
    assert "-l input-type -x -a 'yaml json dotenv ini binary'" in script
    if shutil.which("fish"):
        subprocess.run(["fish", "-n"], input=script, text=True, check=True)


def test_the_tree_covers_every_command() -> None:
    root = tree()
    paths = {c.path for c in root.subcommands}
    assert paths == {*SOPS_COMMANDS, *COMMANDS}
    git_crypt = next(c for c in root.subcommands if c.path == "git-crypt")
    names = {c.path.split()[1] for c in git_crypt.subcommands}
    assert {"init", "unlock", "lock", "status"} <= names
