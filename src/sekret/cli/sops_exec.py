"""``sekret exec-env`` and ``sekret exec-file``: run a command with decrypted values.

exec-env adds a flat file's values to the child's environment; exec-file hands the
child the decrypted file through a FIFO (or, with ``--no-fifo``, a 0600 file) in a
private directory on tmpfs, removed afterwards. The child's status is ours.
"""

from __future__ import annotations

import json
import os

from sekret import files
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.cli.sops_ops import NoFileSpecified, _finder, _formats, _open, _read
from sekret.errors import SopsError
from sekret.sops import tree as t


def exec_env(args: Namespace, env: Environment) -> int:
    if len(args.args) != 2:
        raise NoFileSpecified("exec-env takes FILE and COMMAND")
    path, command = args.args
    opened = _open(args, env, path, stash=False)
    values: dict[str, str] = {}
    for item in opened.docs[0].items if opened.docs else []:
        if isinstance(item, t.Comment):
            continue
        key, node = item
        value = t.unwrap(node)
        if isinstance(value, (t.Mapping, t.Sequence)):
            raise SopsError(
                f"cannot use complex value in environment; offending key {key!r}",
                hint="exec-env works on flat files (dotenv, or top-level YAML/JSON scalars)",
            )
        if "=" in key:
            raise SopsError(f"cannot use a key containing '=' in the environment: {key!r}")
        values[key] = _env_string(value)
    child = {} if args.pristine else dict(env.environ)
    child.update(values)
    if args.same_process:
        env.stdout.flush()
        os.execve("/bin/sh", ["/bin/sh", "-c", command], child)
    return _run_child(env, ["/bin/sh", "-c", command], child)


def _run_child(env: Environment, argv: list[str], child_env: dict[str, str]) -> int:
    """Run a child with our standard output (a real one is passed straight through)."""
    import subprocess

    try:
        fd: int | None = env.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        fd = None
    env.stdout.flush()
    if fd is not None:
        return subprocess.run(argv, env=child_env, cwd=env.cwd, check=False, stdout=fd).returncode
    proc = subprocess.run(argv, env=child_env, cwd=env.cwd, check=False, capture_output=True)
    env.stdout.write(proc.stdout)
    env.stderr.write(proc.stderr)
    return proc.returncode


def _env_string(value: object) -> str:
    from sekret.sops.values import format_time

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return format_time(value)  # type: ignore[arg-type]
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def exec_file(args: Namespace, env: Environment) -> int:
    import threading

    from sekret.files import editor

    if len(args.args) != 2:
        raise NoFileSpecified("exec-file takes FILE and COMMAND")
    path, command = args.args
    _, fmt_out = _formats(args, path)
    plain = files.decrypt_bytes(
        _read(env, path),
        _formats(args, path)[0],
        output_format=fmt_out,
        ignore_mac=args.ignore_mac,
        finder=_finder(env),
    )
    with editor.private_dir(env.environ) as d:
        target = d / (args.filename or ("tmp-file" if not args.no_fifo else "tmp-file-plain"))
        if args.no_fifo:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(plain)
        else:
            os.mkfifo(target, 0o600)

            def feed() -> None:
                try:
                    with open(target, "wb") as f:
                        f.write(plain)
                except OSError:
                    pass

            threading.Thread(target=feed, daemon=True).start()
        status = _run_child(
            env, ["/bin/sh", "-c", command.replace("{}", str(target))], dict(env.environ)
        )
        if not args.no_fifo:
            # Unblock the writer if the command never opened the FIFO.
            try:
                rfd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
                os.close(rfd)
            except OSError:
                pass
        return status
