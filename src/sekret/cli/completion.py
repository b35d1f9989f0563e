"""``sekret completion bash|zsh|fish``: a completion script for the whole sekret CLI.

The scripts are generated from the CLI itself: the command table of
:mod:`sekret.cli`, the sops flag table (:mod:`sekret.cli.sops_flags`, the flags each
command uses) and, for sekret's other commands, their ``--help`` (run in-process), so
they cannot drift from what the commands accept. They complete commands, subcommands
(``groups add``, ``git-crypt unlock``…), flags, the format names after
``--input-type``/``--output-type``, and files everywhere else.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import UsageError

SHELLS = ("bash", "zsh", "fish")
DESCRIPTION = """\
Print a completion script for the shell. To install it:

  bash:  sekret completion bash > ~/.local/share/bash-completion/completions/sekret
         (or add 'source <(sekret completion bash)' to ~/.bashrc)
  zsh:   sekret completion zsh > "${fpath[1]}/_sekret"   (then start a new shell)
         (or add 'source <(sekret completion zsh)' to ~/.zshrc, after compinit)
  fish:  sekret completion fish > ~/.config/fish/completions/sekret.fish

System-wide, the bash script goes to /usr/share/bash-completion/completions/sekret,
the zsh one to /usr/share/zsh/site-functions/_sekret and the fish one to
/usr/share/fish/vendor_completions.d/sekret.fish."""
_GIT_CRYPT_INTERNAL = ("clean", "smudge", "diff", "filter-process")
_LEGACY_USES = frozenset({"decrypt", "encrypt", "rotate", "set", "edit"})


class UnknownShellError(UsageError):
    """A shell sekret has no script for (sops exits 3: "no help topic")."""

    exit_code = 3


class Option:
    """One flag of one command: its strings, whether it takes a value, its help."""

    __slots__ = ("choices", "help", "strings", "valued")

    def __init__(
        self, strings: Sequence[str], valued: bool, help: str, choices: Sequence[str] = ()
    ) -> None:
        self.strings = list(strings)
        self.valued = valued
        self.help = help
        self.choices = list(choices)


class Command:
    """A command path (``groups add``), its summary, flags and subcommands."""

    __slots__ = ("options", "path", "subcommands", "summary")

    def __init__(self, path: str, summary: str, options: list[Option]) -> None:
        self.path = path
        self.summary = summary
        self.options = options
        self.subcommands: list[Command] = []


def _sops_options(mode: str) -> list[Option]:
    from sekret.cli import sops_flags as flags
    from sekret.cli._args import SUPPRESS

    out = [Option(["-h", "--help"], False, "show the help")]
    for f in flags.FLAGS:
        if mode == flags.LEGACY:  # sekret [FLAGS] FILE: any mode's flags
            used = f.dest in flags.LEGACY_MODES or bool(f.uses & _LEGACY_USES)
        else:
            used = mode in f.uses
        if used and f.help != SUPPRESS:
            out.append(Option(f.strings, f.takes_value, f.help, f.kw.get("choices") or ()))
    return out


def _help_of(argv: list[str]) -> str:
    """A command's ``--help``, run in-process (age's go to stderr, as Go programs do)."""
    from sekret.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    env = Environment(stdin=io.BytesIO(), stdout=out, stderr=err)
    main([*argv, "--help"], env)
    return (out.getvalue() + err.getvalue()).decode("utf-8", "replace")


_OPTION_LINE = re.compile(r"^ {2,}(-\S.*?)(?: {2,}(\S.*))?$")


def options_from_help(text: str) -> list[Option]:
    """The options listed in a help text (argparse's layout, or agenix's)."""
    out: list[Option] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        m = _OPTION_LINE.match(line)
        if not m:
            continue
        strings, valued = [], False
        for item in m.group(1).split(", "):
            parts = item.split()
            if not parts or not re.fullmatch(r"--?[A-Za-z0-9][\w-]*", parts[0]):
                break
            strings.append(parts[0])
            valued = valued or len(parts) > 1
        else:
            desc = m.group(2) or (lines[n + 1].strip() if n + 1 < len(lines) else "")
            out.append(Option(strings, valued, desc))
    return out


def tree() -> Command:
    """Every command of sekret, with its flags and subcommands."""
    from sekret.cli import COMMANDS, SOPS_COMMANDS
    from sekret.cli import sops_flags as flags

    top = Command("", "", [*_sops_options(flags.LEGACY), Option(["--version", "-v"], False,
                  "show the version"), Option(["--debug"], False, "show tracebacks")])  # fmt: skip
    for name, summary in SOPS_COMMANDS.items():
        cmd = Command(name, summary, [] if name in ("groups", "completion") else
                      _sops_options(name))  # fmt: skip
        if name == "groups":
            cmd.options = [Option(["-h", "--help"], False, "show the help")]
            for sub in ("add", "delete"):
                from sekret.cli.sops import DESCRIPTIONS

                cmd.subcommands.append(Command(f"groups {sub}", DESCRIPTIONS[f"groups {sub}"],
                                               _sops_options(f"groups {sub}")))  # fmt: skip
        if name == "completion":
            cmd.options = [Option(["-h", "--help"], False, "show the help")]
            cmd.subcommands = [Command(f"completion {s}", f"the {s} script", []) for s in SHELLS]
        top.subcommands.append(cmd)
    for name, (_, _, summary) in COMMANDS.items():
        cmd = Command(name, summary, options_from_help(_help_of([name])))
        if name == "git-crypt":
            from sekret.cli import gitcrypt

            for sub in gitcrypt._commands():
                if sub in _GIT_CRYPT_INTERNAL:
                    continue
                opts = options_from_help(_help_of([name, sub])) if sub != "pre-commit" else []
                cmd.subcommands.append(Command(f"git-crypt {sub}", "", opts))
            cmd.options = [Option(["-h", "--help"], False, "show the help")]
        top.subcommands.append(cmd)
    return top


def _walk(cmd: Command) -> list[Command]:
    return [cmd, *(c for sub in cmd.subcommands for c in _walk(sub))]


def run(argv: Sequence[str], env: Environment, before: Sequence[str] = ()) -> int:
    """``sekret completion SHELL``."""
    if before:
        raise UsageError(f"{before[0]} has no effect on 'sekret completion'",
                         hint="run 'sekret completion --help'")  # fmt: skip
    if not argv or argv[0] in ("-h", "--help", "help"):  # as sops: the help, status 0
        p = _ui.Parser("sekret completion", "sekret completion bash|zsh|fish", DESCRIPTION)
        return p.write_help(env)
    shell, rest = argv[0], argv[1:]
    if shell not in SHELLS:
        raise UnknownShellError(f"unknown shell {shell!r}: bash, zsh or fish",
                                hint="run 'sekret completion --help'")  # fmt: skip
    if rest and rest[0] in ("-h", "--help"):
        env.stdout.write(f"usage: sekret completion {shell}\n\n{DESCRIPTION}\n".encode())
        return 0
    if rest:
        raise UsageError(f"unrecognized arguments: {' '.join(rest)}",
                         hint="run 'sekret completion --help'")  # fmt: skip
    from sekret.cli import completion_scripts

    env.stdout.write(completion_scripts.render(shell, tree()).encode())
    return 0


__all__ = ["Command", "Option", "_walk", "options_from_help", "run", "tree"]
