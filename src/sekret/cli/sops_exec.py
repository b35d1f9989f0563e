"""``sekret exec-env`` and ``sekret exec-file``: run a command with decrypted values.

exec-env adds a flat file's values to the child's environment (``/bin/sh -c COMMAND``);
exec-file hands the child the decrypted file, with ``{}`` in the command replaced by its
path, through a FIFO (or, with ``--no-fifo``, a 0600 file) in a private directory on
tmpfs, removed afterwards, on a terminating signal too. The child's status is ours.

As sops: ``--pristine`` passes only the decrypted variables, ``--same-process`` execs
the command in place of sekret, ``--background`` does not wait (the command's output
goes to /dev/null), ``--user`` drops root's privileges after decrypting. Safer than
sops: a null value is not put in the environment (the MAC does not cover nulls, so a
null could have been put there by anyone; sops sets ``KEY=<nil>``), keys with ``=`` or
NUL and values with NUL are refused, ``--user`` also sets the user's own group and
supplementary groups (sops sets the group to the *uid* and keeps root's groups), and
``--filename`` must be a plain name (sops would follow ``../`` out of its directory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sekret.cli import _ui, sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.cli.sops import ConflictError
from sekret.errors import SopsError
from sekret.files import document
from sekret.sops import tree as t


def _args(args: Namespace, what: str) -> tuple[str, str]:
    if len(args.args) != 2:
        raise SopsError(
            "error: missing file to decrypt",
            hint=f"sekret {what} FILE 'COMMAND' (one argument for the command, quoted)",
        )
    return str(args.args[0]), str(args.args[1])


def env_values(docs: list[t.Mapping], env: Environment) -> dict[str, str]:
    """The variables of a flat document, as exec-env puts them in the environment."""
    from sekret.stores._gofmt import val_to_string

    values: dict[str, str] = {}
    for item in docs[0].items if docs else []:
        if isinstance(item, t.Comment):
            continue
        key, node = item
        value = t.unwrap(node)
        if isinstance(value, (t.Mapping, t.Sequence)):
            raise SopsError(
                f"cannot use complex value in environment; offending key {key!r}",
                hint="exec-env works on flat files (dotenv, or top-level YAML/JSON scalars)",
            )
        if "=" in key or "\0" in key or not key:
            raise SopsError(f"cannot use key {key!r} in the environment: "
                            "a name must not be empty nor hold '=' or NUL")  # fmt: skip
        if value is None:
            _ui.warn(env, f"{key!r} is null: left out of the environment (the MAC does "
                          "not cover nulls)")  # fmt: skip
            continue
        text = value if isinstance(value, str) else val_to_string(value)
        if "\0" in text:
            raise SopsError(f"the value of {key!r} holds a NUL byte, which an environment "
                            "variable cannot")  # fmt: skip
        values[key] = text
    return values


def user_for(name: str | None) -> tuple[str, int, int] | None:
    """``--user NAME`` checked before anything is decrypted: (name, uid, gid), or None
    when there is nothing to switch (no --user, or already that user)."""
    if name is None:
        return None
    import pwd

    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        raise SopsError(f"unknown user {name!r}", hint="a user name from /etc/passwd") from None
    if os.geteuid() != 0:
        if pw.pw_uid == os.geteuid() and pw.pw_gid == os.getegid():
            return None  # already that user
        raise SopsError(
            f"--user {name}: only root can run a command as another user",
            hint="run sekret as root (e.g. with sudo), or leave --user out",
        )
    return name, pw.pw_uid, pw.pw_gid


def switch_user(user: tuple[str, int, int] | None) -> None:
    """Become the user (its uid, group and supplementary groups), after decrypting."""
    if user is None:
        return
    name, uid, gid = user
    os.setgroups(os.getgrouplist(name, gid))
    os.setgid(gid)
    os.setuid(uid)


def _run_child(
    env: Environment, argv: list[str], child_env: Mapping[str, str], *, background: bool
) -> int:
    """Run a child with our standard streams (a real one is passed straight through);
    ``background``: start it with /dev/null for them and return 0 at once."""
    import subprocess

    env.stdout.flush()
    # The child starts where sekret runs (after --user, that directory may be closed to
    # the user: no chdir into it then, as with sops); an in-process caller may name another.
    cwd = None if os.path.abspath(env.cwd) == os.getcwd() else env.cwd
    try:
        if background:
            dn = subprocess.DEVNULL
            subprocess.Popen(argv, env=dict(child_env), cwd=cwd, stdin=dn, stdout=dn, stderr=dn)
            return 0
        try:
            fd: int | None = env.stdout.fileno()
        except (OSError, ValueError, AttributeError):
            fd = None
        if fd is not None:
            return subprocess.run(argv, env=dict(child_env), cwd=cwd, check=False,
                                  stdout=fd).returncode  # fmt: skip
        proc = subprocess.run(argv, env=dict(child_env), cwd=cwd, check=False,
                              capture_output=True)  # fmt: skip
    except OSError as exc:
        raise SopsError(f"cannot run /bin/sh: {exc.strerror}") from None
    env.stdout.write(proc.stdout)
    env.stderr.write(proc.stderr)
    return proc.returncode


def exec_env(args: Namespace, env: Environment) -> int:
    """``sekret exec-env FILE COMMAND``."""
    path, command = _args(args, "exec-env")
    if args.background:
        _ui.warn(env, "exec-env's --background option is deprecated (in sops too)")
        if args.same_process:
            raise ConflictError("the --same-process flag cannot be used with --background")
    user = user_for(args.user)
    opened = sops_ops.open_file(args, env, path, stash=False, missing=sops_ops.ReadError)
    values = env_values(opened.docs, env)
    del opened
    switch_user(user)
    child = {} if args.pristine else dict(env.environ)
    child.update(values)
    if args.same_process:
        env.stdout.flush()
        env.stderr.flush()
        os.execve("/bin/sh", ["/bin/sh", "-c", command], child)
    return _run_child(env, ["/bin/sh", "-c", command], child, background=args.background)


def _filename(args: Namespace) -> str | None:
    name: str | None = args.filename
    if name is not None and (not name or "/" in name or name in (".", "..") or "\0" in name):
        raise SopsError(
            f"--filename {name!r}: give a plain file name",
            hint="the file is made in a private directory; a path could leave it",
        )
    return name


def exec_file(args: Namespace, env: Environment) -> int:
    """``sekret exec-file FILE COMMAND`` (``{}`` is the decrypted file's path)."""
    path, command = _args(args, "exec-file")
    name = _filename(args)
    user = user_for(args.user)
    opened = sops_ops.open_file(args, env, path, stash=False, missing=sops_ops.ReadError)
    fmt_in, fmt_out = sops_ops.formats(args, path)
    output = sops_ops.store(fmt_out, args, env) if fmt_out != fmt_in else opened.store
    docs = [t.strip_spans(d) for d in opened.docs] if output is not opened.store else opened.docs
    plain = document.emit_plain(docs, output)
    del opened, docs
    if args.background:
        _ui.warn(env, "exec-file's --background option is deprecated (in sops too)")
    switch_user(user)
    if args.background:
        env.stdout.flush()
        env.stderr.flush()
        if os.fork() != 0:
            return 0
        status = 1
        try:  # the child: run the command, remove the file, never return into main
            status = _with_file(env, plain, command, name, not args.no_fifo, background=True)
        finally:
            os._exit(status)
    return _with_file(env, plain, command, name, not args.no_fifo, background=False)


def _with_file(
    env: Environment, plain: bytes, command: str, name: str | None, fifo: bool,
    *, background: bool,
) -> int:
    import threading

    from sekret.files import editor

    with editor.signals_as_exceptions(), editor.private_dir(env.environ) as d:
        if fifo:
            target = str(d / (name or "tmp-file"))
            os.mkfifo(target, 0o600)

            def feed() -> None:
                try:
                    with open(target, "wb") as f:
                        f.write(plain)
                except OSError:
                    pass

            threading.Thread(target=feed, daemon=True).start()
        elif name is not None:
            target = str(d / name)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(plain)
        else:
            import tempfile

            fd, target = tempfile.mkstemp(prefix="tmp-file", dir=d)
            with os.fdopen(fd, "wb") as f:
                f.write(plain)
        argv = ["/bin/sh", "-c", command.replace("{}", target)]
        if background:
            import subprocess

            dn = subprocess.DEVNULL
            status = subprocess.run(argv, env=dict(env.environ), stdin=dn, stdout=dn,
                                    stderr=dn, check=False).returncode  # fmt: skip
        else:
            status = _run_child(env, argv, env.environ, background=False)
        if fifo:
            # Unblock the writer if the command never opened the FIFO.
            try:
                os.close(os.open(target, os.O_RDONLY | os.O_NONBLOCK))
            except OSError:
                pass
        return status
