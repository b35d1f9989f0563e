"""The work behind ``sekret encrypt|decrypt|edit|set|…``: files in, files out.

Every write of a SOPS file is atomic; decrypted output files are 0600; an edit that
fails keeps the user's text encrypted beside the file instead of on disk in clear.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sekret import files
from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.cli.sops import ConflictError
from sekret.errors import SekretError, SopsError, UsageError
from sekret.files import document
from sekret.files.keys import IdentityFinder
from sekret.sops import tree as t
from sekret.sops import treepath
from sekret.sops.metadata import MetadataNotFoundError
from sekret.stores.base import format_for_path, get_store


class NoFileSpecified(SopsError):
    """No file argument, or the file does not exist (sops exit 100)."""

    exit_code = 100


class SetFormatError(SopsError):
    """A malformed ``set`` path or value (sops exit 7)."""

    exit_code = 7


TEMPLATES = {
    "yaml": b"hello: Welcome to SOPS! Edit this file as you please!\n"
    b"example_key: example_value\n# Example comment\nexample_array:\n"
    b"    - example_value1\n    - example_value2\nexample_number: 1234.56789\n"
    b"example_booleans:\n    - true\n    - false\n",
    "json": b'{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n'
    b'\t"example_key": "example_value",\n\t"example_array": [\n\t\t"example_value1",\n'
    b'\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n'
    b'\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n',
    "dotenv": b"# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\n"
    b"example_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n",
    "ini": b"[Welcome!]\nhello = Welcome to SOPS! Edit this file as you please!\n"
    b"example_key = example_value\n",
    "binary": b"Welcome to SOPS! Edit this file as you please!",
}


def _finder(env: Environment) -> IdentityFinder:
    def ask(name: str) -> str | None:
        return env.read_secret(f"Enter passphrase for {name!r}:") if env.read_secret else None

    return IdentityFinder(dict(env.environ), ask_passphrase=ask)


def _file(args: argparse.Namespace, *, required: bool = True) -> str | None:
    if args.args:
        return str(args.args[0])
    if required:
        raise NoFileSpecified("no file specified", hint="give the file as the last argument")
    return None


def _formats(args: argparse.Namespace, path: str | None) -> tuple[str, str]:
    name = args.filename_override or path or ""
    fmt_in = args.input_type or (format_for_path(name) if name else "json")
    fmt_out = args.output_type or (format_for_path(name) if name else fmt_in)
    return fmt_in, fmt_out


def _read(env: Environment, path: str | None) -> bytes:
    if path is None or path == "-":
        return env.stdin.read()
    full = env.path(path)
    if not os.path.exists(full):
        raise NoFileSpecified(f"error: cannot operate on non-existent file {path!r}")
    return files.read_input(full)


def _write(
    env: Environment, args: argparse.Namespace, path: str | None, data: bytes, *, secret: bool
) -> None:
    """stdout, --output (0600 when plaintext), or -i over FILE (atomic)."""
    in_place = getattr(args, "in_place", False)
    output = getattr(args, "output", None)
    if in_place and output:
        raise ConflictError("cannot use --in-place and --output together")
    if in_place:
        if path is None:
            raise ConflictError("cannot use --in-place with standard input")
        full = env.path(path)
        mode = None
        if secret:
            mode = os.stat(full).st_mode & 0o600
        files.atomic_write(full, data, mode=mode)
        return
    with env.output(output, mode=0o600 if secret else 0o644) as out:
        out.write(data)


def dispatch(name: str, args: argparse.Namespace, env: Environment) -> int:
    """Run one sops command from parsed arguments."""
    handler = {
        "encrypt": _encrypt,
        "decrypt": _decrypt,
        "edit": _edit,
        "set": _set,
        "unset": _unset,
        "updatekeys": _updatekeys,
        "rotate": _rotate,
        "exec-env": _exec_env,
        "exec-file": _exec_file,
        "filestatus": _filestatus,
    }[name]
    return handler(args, env)


def _crypt_rule(args: argparse.Namespace) -> tuple[str, str] | None:
    rules = [
        (n, getattr(args, n))
        for n in (
            "unencrypted_suffix",
            "encrypted_suffix",
            "unencrypted_regex",
            "encrypted_regex",
            "unencrypted_comment_regex",
            "encrypted_comment_regex",
        )
        if getattr(args, n, None)
    ]
    if len(rules) > 1:
        raise ConflictError("only one of the suffix and regex options may be given")
    return rules[0] if rules else None


def _options(args: argparse.Namespace, env: Environment, name: str) -> document.EncryptOptions:
    warnings: list[str] = []
    opts = files.resolve_encrypt_options(
        os.path.join(env.cwd, name),
        age=args.age,
        config_path=args.config,
        cwd=Path(env.cwd),
        environ=env.environ,
        shamir_threshold=args.shamir_secret_sharing_threshold,
        crypt_rule=_crypt_rule(args),
        mac_only_encrypted=True if getattr(args, "mac_only_encrypted", False) else None,
        warnings=warnings,
    )
    for w in warnings:
        _ui.warn(env, w)
    return opts


def _encrypt(args: argparse.Namespace, env: Environment) -> int:
    path = _file(args, required=False)
    if path is None and not args.filename_override:
        raise ConflictError(
            "encrypting from standard input needs --filename-override",
            hint="it names the file for the format and the .sops.yaml rules",
        )
    fmt_in, fmt_out = _formats(args, path)
    data = _read(env, path)
    store = get_store(fmt_in)
    if fmt_in == "binary" and _crypt_rule(args):
        _ui.warn(env, "crypt rules are ignored for binary files")
        args.unencrypted_suffix = args.encrypted_suffix = None
        args.unencrypted_regex = args.encrypted_regex = None
    opts = _options(args, env, args.filename_override or path or "")
    output = get_store(fmt_out) if fmt_out != fmt_in else None
    result = document.encrypt(data, store, opts, output=output)
    _write(env, args, path, result, secret=False)
    return 0


def _decrypt(args: argparse.Namespace, env: Environment) -> int:
    path = _file(args, required=False)
    fmt_in, fmt_out = _formats(args, path)
    data = _read(env, path)
    out = files.decrypt_bytes(
        data,
        fmt_in,
        output_format=fmt_out,
        ignore_mac=args.ignore_mac,
        finder=_finder(env),
        extract=getattr(args, "extract", None),
    )
    _write(env, args, path, out, secret=True)
    return 0


def _open(args: argparse.Namespace, env: Environment, path: str) -> document.Opened:
    fmt_in, _ = _formats(args, path)
    data = _read(env, path)
    finder = _finder(env)
    try:
        return document.open_(data, get_store(fmt_in), finder, ignore_mac=args.ignore_mac)
    except SekretError as exc:
        if type(exc).__name__ == "DataKeyError":
            exc.hint = f"{exc.hint}\nidentities looked for: {finder.describe()}"
        raise


def _rescue(
    env: Environment,
    path: str,
    opened: document.Opened | None,
    opts: document.EncryptOptions | None,
) -> object:
    """Keep a rejected edit, encrypted for the same keys, beside the file."""
    import copy
    import time

    def rescue(text: bytes) -> str:
        binary = get_store("binary")
        target = f"{path}.sekret-rescue-{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            if opened is not None:
                meta = copy.deepcopy(opened.meta)
                meta.crypt_rule = None
                blob = document.seal([t.Mapping([("data", text)])], binary, meta, opened.data_key)
            elif opts is not None:
                blob = document.encrypt(text, binary, opts)
            else:
                return ""
            files.atomic_write(env.path(target), blob, mode=0o600)
        except SekretError:
            return ""
        return (
            f"your edit is kept, encrypted for the same keys, in {target!r}; "
            f"see it with: sekret decrypt --input-type binary --output-type binary {target}"
        )

    return rescue


def _edit(args: argparse.Namespace, env: Environment) -> int:
    from sekret.files import editor

    path = _file(args)
    assert path is not None
    full = env.path(path)
    fmt_in, _ = _formats(args, path)
    ask = None
    if env.stdin_isatty:

        def ask(message: str) -> bool:
            _ui.say(env, "error", message)
            _ui.say(env, "hint", "press Enter to return to the editor, or Ctrl-C to give up")
            return env.stdin.readline() != b""

    if not os.path.exists(full):
        if "." not in os.path.basename(path) and "/" not in path and not args.input_type:
            raise UsageError(
                f"unknown command {path!r}",
                hint="run 'sekret --help' for the commands; to create a new SOPS file, "
                "give it an extension (.yaml, .json, .env, .ini)",
            )
        opts = _options(args, env, path)
        text = editor.edit(
            TEMPLATES[fmt_in],
            path,
            env.environ,
            parse=lambda b: (get_store(fmt_in), b),
            rescue=_rescue(env, path, None, opts),  # type: ignore[arg-type]
            ask_retry=ask,
        )
        store, raw = text
        files.atomic_write(full, document.encrypt(raw, store, opts), mode=0o600)
        return 0
    opened = _open(args, env, path)
    plain = opened.store.emit_plain(opened.docs)

    def parse(raw: bytes) -> tuple[document.Opened, list[t.Mapping]]:
        store = get_store(fmt_in)
        docs = store.load_plain(raw)
        opened.store = store
        return opened, docs

    _, docs = editor.edit(
        plain,
        path,
        env.environ,
        parse=parse,
        rescue=_rescue(env, path, opened, None),  # type: ignore[arg-type]
        ask_retry=ask,
    )
    files.atomic_write(full, document.reseal(opened, docs))
    return 0


def _set(args: argparse.Namespace, env: Environment) -> int:
    if args.value_stdin:
        if len(args.args) != 2:
            raise NoFileSpecified("set with --value-stdin takes FILE and PATH")
        value_text = env.stdin.read().decode()
    else:
        if len(args.args) != 3:
            raise NoFileSpecified("set takes FILE, PATH and VALUE")
        value_text = args.args[2]
        if args.value_file:
            value_text = files.read_input(env.path(value_text)).decode()
    path = args.args[0]
    try:
        parts = treepath.parse(args.args[1])
        value = treepath.value_from_json(value_text)
    except treepath.TreePathError as exc:
        raise SetFormatError(str(exc), hint=exc.hint) from None
    opened = _open(args, env, path)
    if not opened.docs:
        opened.docs.append(t.Mapping())
    changed = treepath.set_value(opened.docs[0], parts, value)
    if not changed and args.idempotent:
        return 0
    files.atomic_write(env.path(path), document.reseal(opened, opened.docs))
    return 0


def _unset(args: argparse.Namespace, env: Environment) -> int:
    if len(args.args) != 2:
        raise NoFileSpecified("unset takes FILE and PATH")
    path = args.args[0]
    try:
        parts = treepath.parse(args.args[1])
    except treepath.TreePathError as exc:
        raise SetFormatError(str(exc), hint=exc.hint) from None
    opened = _open(args, env, path)
    try:
        treepath.unset(opened.docs[0] if opened.docs else t.Mapping(), parts)
    except treepath.KeyNotFoundError:
        if args.idempotent:
            return 0
        raise
    files.atomic_write(env.path(path), document.reseal(opened, opened.docs))
    return 0


def _rotate(args: argparse.Namespace, env: Environment) -> int:
    path = _file(args)
    assert path is not None
    if not os.path.exists(env.path(path)):
        raise SopsError(f"cannot change keys of non-existent file {path!r}")
    opened = _open(args, env, path)
    add = [r for a in args.add_age for r in a.split(",") if r.strip()]
    rm = [r.strip() for a in args.rm_age for r in a.split(",") if r.strip()]
    result = document.rotate(opened, add=add, remove=rm)
    _write(env, args, path, result, secret=False)
    return 0


def _describe_groups(groups: list[object]) -> list[str]:
    lines = []
    for i, g in enumerate(groups):
        keys = [k.recipient for k in g.age] + [  # type: ignore[attr-defined]
            f"{o.type}:{o.identifier()}"
            for o in g.others  # type: ignore[attr-defined]
        ]
        lines.append(f"Group {i + 1}: " + ", ".join(keys))
    return lines


def _updatekeys(args: argparse.Namespace, env: Environment) -> int:
    if not args.args:
        raise NoFileSpecified("no file specified")
    from sekret.files import config as cfg

    failures = 0
    for path in args.args:
        try:
            conf = cfg.load(args.config or env.environ.get("SOPS_CONFIG"), Path(env.cwd))
            rule = conf.match(os.path.join(env.cwd, path))
            if rule is None or not rule.key_groups:
                raise SopsError("no creation rule with keys applies to this file")
            fmt_in, _ = _formats(args, path)
            data = _read(env, path)
            _, meta = document.load_metadata(data, get_store(fmt_in))
            old = {(k.recipient) for g in meta.key_groups for k in g.age}
            new = {(k.recipient) for g in rule.key_groups for k in g.age}
            threshold = args.shamir_secret_sharing_threshold or rule.shamir_threshold
            if (
                old == new
                and len(meta.key_groups) == len(rule.key_groups)
                and (not threshold or threshold == meta.shamir_threshold)
            ):
                env.stdout.write(f"File {path} already up to date\n".encode())
                continue
            env.stdout.write(b"The following changes will be made to the file's groups:\n")
            for r in sorted(new - old):
                env.stdout.write(f"+++ {r}\n".encode())
            for r in sorted(old - new):
                env.stdout.write(f"--- {r}\n".encode())
            if not args.yes:
                env.stdout.write(b"Is this okay? (y/n): ")
                env.stdout.flush()
                if env.stdin.readline().strip().lower() not in (b"y", b"yes"):
                    env.stdout.write(b"Changes aborted\n")
                    continue
            result, _, _ = document.update_keys(
                data, get_store(fmt_in), _finder(env), rule.key_groups, threshold
            )
            files.atomic_write(env.path(path), result)
            env.stdout.write(f"File {path} synced with new keys\n".encode())
        except SekretError as exc:
            failures += 1
            _ui.print_error(env, exc)
    return 1 if failures else 0


def _exec_env(args: argparse.Namespace, env: Environment) -> int:
    if len(args.args) != 2:
        raise NoFileSpecified("exec-env takes FILE and COMMAND")
    path, command = args.args
    opened = _open(args, env, path)
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


def _exec_file(args: argparse.Namespace, env: Environment) -> int:
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


def _filestatus(args: argparse.Namespace, env: Environment) -> int:
    path = _file(args)
    fmt_in, _ = _formats(args, path)
    data = _read(env, path)
    try:
        _, meta = document.load_metadata(data, get_store(fmt_in))
        encrypted = bool(meta.version and meta.mac)
    except (MetadataNotFoundError, SopsError):
        encrypted = False
    env.stdout.write((json.dumps({"encrypted": encrypted}, separators=(",", ":")) + "\n").encode())
    return 0
