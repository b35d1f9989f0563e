"""The ``sekret git-crypt`` entry points git itself runs: the long-running
``filter-process`` (the default, one process per git command) and the per-file
``clean``, ``smudge`` and ``diff`` (textconv) that git-crypt configures, kept for tools
that do not speak the process protocol. ``diff`` reads no key unless it is given
ciphertext: git hands textconv files that were already smudged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.cli.gitcrypt import PROG, checked_name, repo_of
from sekret.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.gitcrypt.keyfile import KeyFile



def _plumbing_key(argv: Sequence[str], env: Environment) -> tuple[str | None, list[str]]:
    name, rest = None, []
    for arg in argv:
        if arg.startswith("--key-name="):
            name = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return checked_name(name), rest


def cmd_clean(argv: Sequence[str], env: Environment) -> int:
    """``clean [--key-name=NAME]``: stdin plaintext → stdout blob (git runs this)."""
    name, _ = _plumbing_key(argv, env)
    from sekret.gitcrypt import filters

    key = repo_of(env).load_key(name)
    env.stdout.write(filters.clean(key, env.stdin.read()))
    return 0


def cmd_smudge(argv: Sequence[str], env: Environment) -> int:
    """``smudge [--key-name=NAME]``: stdin blob → stdout plaintext, verified first."""
    name, _ = _plumbing_key(argv, env)
    from sekret.gitcrypt import filters

    data = env.stdin.read()
    key = repo_of(env).load_key(name)
    out = filters.smudge(key, data)
    if not out.was_encrypted and data:
        for line in filters.NOT_ENCRYPTED_WARNING:
            _ui.warn(env, line)
    env.stdout.write(out.data)
    return 0


def cmd_diff(argv: Sequence[str], env: Environment) -> int:
    """``diff [--key-name=NAME] FILE``: textconv; reads no key unless FILE is ciphertext."""
    name, rest = _plumbing_key(argv, env)
    if len(rest) != 1:
        raise UsageError("diff takes exactly one file")
    f = env.open_input(rest[0])
    try:
        data = f.read()
    finally:
        if f is not env.stdin:
            f.close()
    if data.startswith(b"\0GITCRYPT\0"):
        from sekret.gitcrypt import filters

        data = filters.textconv(repo_of(env).load_key(name), data)
    env.stdout.write(data)
    return 0


def cmd_filter_process(argv: Sequence[str], env: Environment) -> int:
    """``filter-process [--key-name=NAME]``: git's long-running filter protocol."""
    import gc

    gc.enable()  # a long-running process: the cyclic collector back on (see cli.main)
    name, _ = _plumbing_key(argv, env)
    from sekret.gitcrypt import filters, process

    repo = repo_of(env)
    cache: list[KeyFile] = []

    def handle(command: str, path: str, data: bytes) -> bytes:
        if not cache:
            cache.append(repo.load_key(name))
        if command == "clean":
            return filters.clean(cache[0], data)
        out = filters.smudge(cache[0], data)
        if not out.was_encrypted and data:
            _ui.warn(env, f"{path}: file not encrypted; run '{PROG} status'")
        return out.data

    def report(path: str, message: str) -> None:
        _ui.say(env, "error", f"{path}: {message}")

    process.serve(env.stdin, env.stdout, handle, report)
    return 0
