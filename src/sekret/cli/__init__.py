"""The ``sekret`` command line: argv → one API call → messages and an exit status.

:func:`main` is the console script and the in-process test entry point. It holds the
one ``except SekretError`` of the CLI: an expected failure is printed as
``sekret: error: …`` plus ``sekret: hint: …`` lines; anything else is an internal
error reported on one line (``--debug`` shows the traceback).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable, Sequence

from sekret._depth import room
from sekret.cli._env import Environment
from sekret.cli._ui import print_error, say
from sekret.errors import SekretError, UsageError

__all__ = ["COMMANDS", "Environment", "main"]

Command = Callable[[Sequence[str], Environment], int]

#: command name → (module, function, one-line summary). Modules are imported only when
#: their command runs, so ``sekret age --help`` never loads the crypto libraries.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "age": ("sekret.cli.age", "run", "encrypt and decrypt files (like age)"),
    "age-keygen": ("sekret.cli.keygen", "run_keygen", "make an age key pair (like age-keygen)"),
    "ssh-to-age": ("sekret.cli.ssh_to_age", "run_ssh_to_age", "convert SSH keys to age keys"),
    "git-crypt": ("sekret.cli.gitcrypt", "run", "transparent encryption in git (like git-crypt)"),
    "install": ("sekret.cli.install", "run", "install secrets at boot (like sops-nix)"),
    "agenix": ("sekret.cli.agenix", "run", "edit, rekey and decrypt .age secrets (like agenix)"),
    "host": ("sekret.cli.host", "run", "add a machine to your secrets, or remove it"),
    "keyservice": (
        "sekret.cli.keyservice", "run", "serve your keys to sops clients (like sops keyservice)"
    ),
}
#: sops's subcommands (``sekret encrypt …``), with sops's flags and exit codes.
SOPS_COMMANDS: dict[str, str] = {
    "encrypt": "encrypt a file in the SOPS format",
    "decrypt": "decrypt a SOPS file",
    "edit": "edit a SOPS file in your editor",
    "set": "set one value of a SOPS file",
    "unset": "remove one value of a SOPS file",
    "updatekeys": "re-wrap the data key for .sops.yaml's current recipients",
    "rotate": "re-encrypt a SOPS file with a new data key",
    "exec-env": "run a command with a SOPS file's values in its environment",
    "exec-file": "run a command with a SOPS file decrypted at {}",
    "filestatus": "tell whether a file is SOPS-encrypted",
    "groups": "add or delete a key group of a SOPS file",
    "publish": "write a SOPS file's values to a Vault/OpenBao KV store",
    "completion": "print a shell completion script (bash, zsh, fish)",
}

_EXIT_INTERRUPTED = 130
_EXIT_BROKEN_PIPE = 141


def _usage() -> str:
    width = max(len(name) for name in [*COMMANDS, *SOPS_COMMANDS])
    lines = [
        "usage: sekret [--debug] [--version] COMMAND [ARGS…]",
        "",
        "Secrets in git, compatible with age, SOPS, agenix, sops-nix and git-crypt.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {summary}" for name, summary in SOPS_COMMANDS.items()),
        *(f"  {name:<{width}}  {summary}" for name, (_, _, summary) in COMMANDS.items()),
        "",
        "SOPS's legacy forms work too: 'sekret FILE' edits, 'sekret -d FILE' decrypts,",
        "'sekret -e FILE' encrypts (so 'alias sops=sekret' keeps scripts working), and",
        "sops's global flags may come before a sops command: 'sekret --config F encrypt'.",
        "",
        "options:",
        "  --debug    show a traceback on errors (or set SEKRET_DEBUG=1)",
        "  --version  show the version",
        "",
        "Shell completion ('sekret completion --help' for zsh and fish):",
        "  sekret completion bash > ~/.local/share/bash-completion/completions/sekret",
        "",
        "Run 'sekret COMMAND --help' for a command's options and examples.",
        "",
    ]
    return "\n".join(lines)


def _split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """Take ``--debug`` out of argv wherever it is (before a ``--``)."""
    out: list[str] = []
    debug = False
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg == "--debug":
            debug = True
        else:
            out.append(arg)
    return out, debug


def _dispatch(argv: list[str], env: Environment) -> int:
    if not argv:
        env.stderr.write(_usage().encode())
        return UsageError.exit_code
    name, rest = argv[0], argv[1:]
    if name in ("-h", "--help", "help"):
        env.stdout.write(_usage().encode())
        return 0
    if name in ("--version", "-version", "version", "-v"):
        from sekret import __version__

        env.stdout.write(f"sekret {__version__}\n".encode())
        return 0
    if name in SOPS_COMMANDS:
        from sekret.cli import sops

        return sops.run_subcommand(name, rest, env)
    if name not in COMMANDS:
        # sops's top-level form: flags and a file (``sekret -d FILE``, ``sekret FILE``),
        # or sops's global flags before a sops command (``sekret --config F encrypt``).
        from sekret.cli import sops

        return sops.run_toplevel(argv, env)
    module_name, func_name, _ = COMMANDS[name]
    command: Command = getattr(importlib.import_module(module_name), func_name)
    return command(rest, env)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run one ``sekret`` command and return its exit status (never raises, never exits).

    ``argv`` defaults to ``sys.argv[1:]`` and ``env`` to the real process, so this is
    also the console-script entry point (its wrapper passes the result to ``sys.exit``).
    """
    if env is None:
        env = Environment.system()
    args, debug = _split_debug(sys.argv[1:] if argv is None else argv)
    debug = debug or env.environ.get("SEKRET_DEBUG", "") not in ("", "0")
    # The cyclic garbage collector is paused for the command: what a command allocates
    # in bulk (imported modules, document trees, manifests) holds no garbage cycles, and
    # the collector's passes over it cost 5-7% of a large SOPS file and of a small one's
    # start-up. Long-running commands turn it back on (git-crypt filter-process); it is
    # restored afterwards, as the CLI also runs inside other programs and the tests.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with room():  # stack room for the 10,000 levels of nesting sops reads
            return _dispatch(args, env)
    except SekretError as exc:
        if debug:
            import traceback

            env.stderr.write(traceback.format_exc().encode())
        print_error(env, exc)
        return exc.exit_code
    except RecursionError:
        from sekret._depth import TooDeepError

        print_error(env, TooDeepError())
        return TooDeepError.exit_code
    except KeyboardInterrupt as exc:
        # Ctrl-C, or a terminating signal during an edit (files.editor.Terminated)
        return int(getattr(exc, "exit_status", _EXIT_INTERRUPTED))
    except BrokenPipeError:
        return _EXIT_BROKEN_PIPE
    except Exception as exc:
        if debug:
            import traceback

            env.stderr.write(traceback.format_exc().encode())
        # Only the type: an exception's text might quote a key or plaintext.
        say(env, "error", f"internal error: {type(exc).__name__}")
        say(env, "hint", "this is a bug in sekret; rerun with --debug to see the traceback")
        return 1
    finally:
        (gc.enable if gc_was_enabled else gc.disable)()
        for stream in (env.stdout, env.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
