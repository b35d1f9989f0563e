"""The work behind ``sekret encrypt|decrypt|edit|set|…``: files in, files out.

Every write of a SOPS file is atomic; decrypted output files are 0600; an edit that
fails keeps the user's text encrypted beside the file instead of on disk in clear.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sekret import files
from sekret.cli import _ui
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.cli.sops import ConflictError
from sekret.errors import SekretError, SopsError
from sekret.files import document
from sekret.files.keys import IdentityFinder
from sekret.sops import tree as t
from sekret.sops.metadata import CRYPT_RULES, MetadataNotFoundError
from sekret.stores.base import format_for_path, get_store

if TYPE_CHECKING:
    from pathlib import Path


class NoFileSpecified(SopsError):
    """No file argument, or the file does not exist (sops exit 100)."""

    exit_code = 100


class SetFormatError(SopsError):
    """A malformed ``set`` path or value (sops exit 7)."""

    exit_code = 7


def _finder(env: Environment) -> IdentityFinder:
    def ask(name: str) -> str | None:
        return env.read_secret(f"Enter passphrase for {name!r}:") if env.read_secret else None

    return IdentityFinder(dict(env.environ), ask_passphrase=ask)


def _file(args: Namespace, *, required: bool = True) -> str | None:
    if args.args:
        return str(args.args[0])
    if required:
        raise NoFileSpecified("no file specified", hint="give the file as the last argument")
    return None


def _formats(args: Namespace, path: str | None) -> tuple[str, str]:
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
    env: Environment, args: Namespace, path: str | None, data: bytes, *, secret: bool
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


def _path(p: str) -> Path:
    from pathlib import Path  # only the commands that read .sops.yaml need it

    return Path(p)


def dispatch(name: str, args: Namespace, env: Environment) -> int:
    """Run one sops command from parsed arguments."""
    if name == "edit":
        from sekret.cli import sops_edit

        return sops_edit.edit(args, env)
    if name in ("exec-env", "exec-file"):
        from sekret.cli import sops_exec

        return (sops_exec.exec_env if name == "exec-env" else sops_exec.exec_file)(args, env)
    handler = {
        "encrypt": _encrypt,
        "decrypt": _decrypt,
        "set": _set,
        "unset": _unset,
        "updatekeys": _updatekeys,
        "rotate": _rotate,
        "filestatus": _filestatus,
    }[name]
    return handler(args, env)


def _crypt_rule(args: Namespace) -> tuple[str, str] | None:
    rules = [(n, getattr(args, n)) for n in CRYPT_RULES if getattr(args, n, None)]
    if len(rules) > 1:
        raise ConflictError("only one of the suffix and regex options may be given")
    return rules[0] if rules else None


def _options(args: Namespace, env: Environment, name: str) -> document.EncryptOptions:
    warnings: list[str] = []
    opts = files.resolve_encrypt_options(
        os.path.join(env.cwd, name),
        age=args.age,
        config_path=args.config,
        cwd=_path(env.cwd),
        environ=env.environ,
        shamir_threshold=args.shamir_secret_sharing_threshold,
        crypt_rule=_crypt_rule(args),
        mac_only_encrypted=True if getattr(args, "mac_only_encrypted", False) else None,
        warnings=warnings,
    )
    for w in warnings:
        _ui.warn(env, w)
    return opts


def _encrypt(args: Namespace, env: Environment) -> int:
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


def _decrypt(args: Namespace, env: Environment) -> int:
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


def _open(
    args: Namespace, env: Environment, path: str, *, stash: bool = True
) -> document.Opened:
    fmt_in, _ = _formats(args, path)
    data = _read(env, path)
    finder = _finder(env)
    try:
        return document.open_(
            data, get_store(fmt_in), finder, ignore_mac=args.ignore_mac, stash=stash
        )
    except SekretError as exc:
        if type(exc).__name__ == "DataKeyError":
            exc.hint = f"{exc.hint}\nidentities looked for: {finder.describe()}"
        raise


def _set(args: Namespace, env: Environment) -> int:
    from sekret.sops import treepath  # set/unset only: not every start-up's cost

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
    output = get_store(_formats(args, path)[1])
    files.atomic_write(env.path(path), document.reseal(opened, opened.docs, output=output))
    return 0


def _unset(args: Namespace, env: Environment) -> int:
    from sekret.sops import treepath

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
    output = get_store(_formats(args, path)[1])
    files.atomic_write(env.path(path), document.reseal(opened, opened.docs, output=output))
    return 0


def _rotate(args: Namespace, env: Environment) -> int:
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


def _updatekeys(args: Namespace, env: Environment) -> int:
    if not args.args:
        raise NoFileSpecified("no file specified")
    from sekret.files import config as cfg

    failures = 0
    for path in args.args:
        try:
            conf = cfg.load(args.config or env.environ.get("SOPS_CONFIG"), _path(env.cwd))
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


def _filestatus(args: Namespace, env: Environment) -> int:
    path = _file(args)
    fmt_in, _ = _formats(args, path)
    data = _read(env, path)
    try:
        _, meta = document.load_metadata(data, get_store(fmt_in))
        encrypted = bool(meta.version and meta.mac)
    except (MetadataNotFoundError, SopsError):
        encrypted = False
    env.stdout.write(b'{"encrypted":true}\n' if encrypted else b'{"encrypted":false}\n')
    return 0
