"""The work behind ``sekret encrypt|decrypt|rotate``, and what the sops commands share:
reading the file, its formats and stores, the identities, writing the result.

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
from sekret.sops.metadata import CRYPT_RULES, Metadata, MetadataNotFoundError
from sekret.stores.base import Store, StoreError, format_for_path, get_store

if TYPE_CHECKING:
    from pathlib import Path

    from sekret.sops.keysources import Keyring

#: the commands that hold plaintext or a data key: no core dumps for them
_HARDENED = frozenset(
    {"decrypt", "edit", "set", "unset", "rotate", "exec-env", "exec-file", "updatekeys",
     "publish"}
)
#: the commands whose extra positional arguments sops ignores (with a warning)
_FIRST_ONLY = frozenset({"decrypt", "encrypt", "rotate", "edit", "filestatus"})


class NoFileSpecified(SopsError):
    """No file argument, or the file does not exist (sops exit 100)."""

    exit_code = 100


class ReadError(SopsError):
    """The input file cannot be read (sops exit 2, "Error reading file")."""

    exit_code = 2


class CannotChangeKeysError(SopsError):
    """--add-*/--rm-* on a file that does not exist (sops exit 49)."""

    exit_code = 49


def verbose(env: Environment, args: Namespace, message: str) -> None:
    """An info line, with ``--verbose`` only."""
    if getattr(args, "verbose", False):
        _ui.say(env, "info", message)


class _VerboseFinder(IdentityFinder):
    """Says which recipient is being tried (``--verbose``)."""

    env: Environment

    def __call__(self, recipient: str) -> list[object]:  # type: ignore[override]
        _ui.say(self.env, "info", f"trying the age identities for recipient {recipient}")
        return list(super().__call__(recipient))


def finder(env: Environment, args: Namespace | None = None) -> IdentityFinder:
    """The identities of this environment (passphrases asked on the terminal)."""

    def ask(name: str) -> str | None:
        return env.read_secret(f"Enter passphrase for {name!r}:") if env.read_secret else None

    if args is not None and getattr(args, "verbose", False):
        found = _VerboseFinder(dict(env.environ), ask_passphrase=ask)
        found.env = env
        return found
    return IdentityFinder(dict(env.environ), ask_passphrase=ask)


def keyring(
    env: Environment, args: Namespace | None = None, found: IdentityFinder | None = None
) -> Keyring:
    """Every master-key type of this run: age identities, the user's gpg, Vault/OpenBao
    (both lazily), tried in the order of ``--decryption-order``; through the key
    services of ``--keyservice`` when there are any (sops_services)."""
    from sekret.files.keyring import keyring as make

    order = list(getattr(args, "decryption_order", None) or []) if args is not None else []
    keys = make(found or finder(env, args), env.environ, order=order)
    services = getattr(args, "key_services", None)
    return services.keyring(keys) if services is not None else keys


def first_file(
    args: Namespace, env: Environment, mode: str, *, required: bool = True
) -> str | None:
    """The file argument (the first positional); sops warns about any others."""
    if args.args:
        if len(args.args) > 1 and mode in _FIRST_ONLY:
            _ui.warn(env, f"more than one positional argument given: only the first one "
                          f"({args.args[0]!r}) is used")  # fmt: skip
        return str(args.args[0])
    if required:
        raise NoFileSpecified("no file specified", hint="give the file as the last argument")
    return None


def formats(args: Namespace, path: str | None) -> tuple[str, str]:
    """Input and output formats as sops picks them: the flags, else the extension of
    --filename-override or FILE (standard input without either: binary)."""
    name = args.filename_override or path or ""
    return (
        args.input_type or format_for_path(name),
        getattr(args, "output_type", None) or format_for_path(name),
    )


def read(
    env: Environment, path: str | None, *, missing: type[SopsError] = NoFileSpecified
) -> bytes:
    """The file's bytes (standard input for None or '-'); a missing file raises
    ``missing`` (each sops command has its own exit status for it)."""
    if path is None or path == "-":
        return env.stdin.read()
    full = env.path(path)
    if not os.path.exists(full):
        if missing is NoFileSpecified:
            raise NoFileSpecified(f"cannot operate on non-existent file {path!r}")
        raise missing(f"cannot read {path!r}: no such file or directory")
    try:
        return files.read_input(full)
    except SopsError as exc:
        raise ReadError(str(exc), hint=exc.hint) from None


def store(fmt: str, args: Namespace, env: Environment) -> Store:
    """A fresh store for ``fmt``, with the output indentation sops would use."""
    s = get_store(fmt)
    indent = indent_for(fmt, args, env)
    if indent is not None and hasattr(s, "indent"):
        s.indent = indent
    return s


def indent_for(fmt: str, args: Namespace, env: Environment) -> int | None:
    """``--indent``, else the config's ``stores.<format>.indent``, else None (default)."""
    if fmt not in ("yaml", "json", "binary"):
        return None
    if getattr(args, "indent", None) is not None:
        return int(args.indent)
    from sekret.cli import sops_config

    return sops_config.stores_indent(fmt, args, env)


def check_output_flags(args: Namespace, path: str | None, env: Environment) -> None:
    """-i with standard input, and -i with --output, conflict (sops exit 8); --output
    may not be FILE itself, nor the age key file (checked before anything is read)."""
    if args.in_place and path is None:
        raise ConflictError("cannot use --in-place when reading from standard input")
    if args.in_place and args.output:
        raise ConflictError("cannot operate on both --output and --in-place")
    if args.output:
        from sekret.cli import _paths

        key_file = env.environ.get("SOPS_AGE_KEY_FILE")
        _paths.check_output(env, args.output, [path or "-", *([key_file] if key_file else [])],
                            error=ConflictError,
                            hint="give another --output (--in-place replaces FILE itself)")


def write(
    env: Environment, args: Namespace, path: str | None, data: bytes, *, secret: bool
) -> None:
    """stdout, --output (0600 when plaintext), or -i over FILE (atomic)."""
    if getattr(args, "in_place", False) and path is not None:
        full = env.path(path)
        mode = os.stat(full).st_mode & 0o600 if secret else None
        files.atomic_write(full, data, mode=mode)
        verbose(env, args, f"file {path!r} written")
        return
    with env.output(getattr(args, "output", None), mode=0o600 if secret else 0o644) as out:
        out.write(data)


def write_in_place(env: Environment, args: Namespace, path: str, data: bytes) -> None:
    """Replace FILE atomically (edit, set, unset)."""
    files.atomic_write(env.path(path), data)
    verbose(env, args, f"file {path!r} written")


def config_path(p: str) -> Path:
    """``p`` as a :class:`~pathlib.Path` (imported only by the commands needing it)."""
    from pathlib import Path

    return Path(p)


def dispatch(name: str, args: Namespace, env: Environment, *, legacy: bool = False) -> int:
    """Run one sops command from parsed (and checked) arguments."""
    if getattr(args, "key_services", None) is not None:  # --keyservice: closed afterwards
        from sekret.cli import sops_services

        return sops_services.run_with(
            args.key_services, lambda: _dispatch(name, args, env, legacy=legacy)
        )
    return _dispatch(name, args, env, legacy=legacy)


def _dispatch(name: str, args: Namespace, env: Environment, *, legacy: bool) -> int:
    if name in _HARDENED:
        from sekret.cli._guard import no_core_dumps

        no_core_dumps()
    if name == "edit":
        from sekret.cli import sops_edit

        return sops_edit.edit(args, env)
    if name in ("exec-env", "exec-file"):
        from sekret.cli import sops_exec

        return (sops_exec.exec_env if name == "exec-env" else sops_exec.exec_file)(args, env)
    if name in ("set", "unset"):
        from sekret.cli import sops_set

        return (sops_set.set_ if name == "set" else sops_set.unset)(args, env)
    if name in ("updatekeys", "filestatus"):
        from sekret.cli import sops_keys

        return (sops_keys.updatekeys if name == "updatekeys" else sops_keys.filestatus)(
            args, env
        )
    if name == "publish":
        from sekret.cli import sops_publish

        return sops_publish.publish(args, env)
    if name == "encrypt":
        return _encrypt(args, env)
    if name == "decrypt":
        return _decrypt(args, env)
    return _rotate(args, env, legacy=legacy)


def crypt_rule(args: Namespace) -> tuple[str, str] | None:
    """The one suffix/regex rule given, if any (two conflict: sops exit 8)."""
    rules = [(n, getattr(args, n)) for n in CRYPT_RULES if getattr(args, n, None)]
    if len(rules) > 1:
        raise ConflictError(
            "cannot use more than one of encrypted_suffix, unencrypted_suffix, "
            "encrypted_regex, unencrypted_regex, encrypted_comment_regex, or "
            "unencrypted_comment_regex in the same file"
        )
    return rules[0] if rules else None


def options(args: Namespace, env: Environment, name: str) -> document.EncryptOptions:
    """Recipients and rules for a new file: the flags, else .sops.yaml's rule."""
    warnings: list[str] = []
    opts = files.resolve_encrypt_options(
        os.path.join(env.cwd, name),
        age=args.age,
        pgp=args.pgp,
        hc_vault=args.hc_vault_transit,
        config_path=args.config,
        cwd=config_path(env.cwd),
        environ=env.environ,
        shamir_threshold=args.shamir_secret_sharing_threshold,
        crypt_rule=crypt_rule(args),
        mac_only_encrypted=True if getattr(args, "mac_only_encrypted", False) else None,
        warnings=warnings,
    )
    for w in warnings:
        _ui.warn(env, w)
    recipients = [k.recipient for g in opts.key_groups for k in g.age]
    recipients += [f"{o.type} {o.identifier()}" for g in opts.key_groups for o in g.others]
    verbose(env, args, "encrypting for " + (", ".join(recipients) or "no age recipient"))
    return opts


def _encrypt(args: Namespace, env: Environment) -> int:
    path = first_file(args, env, "encrypt", required=False)
    if path is None:
        check_output_flags(args, path, env)
        if not args.filename_override:
            raise ConflictError(
                "must specify --filename-override when reading from standard input",
                hint="it names the file for the format and the .sops.yaml rules",
            )
    check_output_flags(args, path, env)
    fmt_in, fmt_out = formats(args, path)
    data = read(env, path)
    source = store(fmt_in, args, env)
    if fmt_in == "binary" and crypt_rule(args):
        _ui.warn(env, "crypt rules are ignored for binary files")
        for rule in CRYPT_RULES:
            setattr(args, rule, None)
    opts = options(args, env, args.filename_override or path or "")
    output = store(fmt_out, args, env) if fmt_out != fmt_in else None
    out = document.encrypt(data, source, opts, output=output, keys=keyring(env, args))
    write(env, args, path, out, secret=False)
    return 0


def open_file(
    args: Namespace, env: Environment, path: str | None, *, stash: bool = True,
    missing: type[SopsError] = NoFileSpecified,
) -> document.Opened:
    """Read and decrypt FILE (MAC checked unless --ignore-mac)."""
    fmt_in, _ = formats(args, path)
    data = read(env, path, missing=missing)
    found = finder(env, args)
    keys = keyring(env, args, found)
    try:
        opened = document.open_(
            data, store(fmt_in, args, env), keys, ignore_mac=args.ignore_mac, stash=stash
        )
    except StoreError as exc:
        raise load_error(exc) from None
    except SekretError as exc:
        if type(exc).__name__ == "DataKeyError" and "age" in getattr(exc, "key_types", ()):
            exc.hint = f"{exc.hint}\nidentities looked for: {found.describe()}"
        raise
    verbose(env, args, "data key recovered")
    return opened


def load_error(exc: StoreError) -> SopsError:
    """An encrypted file that does not parse: sops exits 1 (2 is for plaintext input),
    and an empty YAML file has no metadata."""
    if exc.exit_code == 92:
        return MetadataNotFoundError()
    return SopsError(str(exc), hint=exc.hint)


def load_metadata(data: bytes, fmt: str) -> tuple[list[t.Mapping], Metadata]:
    """The encrypted documents and metadata of FILE's bytes (load errors: exit 1)."""
    try:
        return document.load_metadata(data, get_store(fmt))
    except StoreError as exc:
        raise load_error(exc) from None


def to_output(opened: document.Opened, args: Namespace, env: Environment, path: str | None) -> None:
    """Emit with the --output-type store (sops writes set/unset/rotate/edit with it)."""
    fmt_in, fmt_out = formats(args, path)
    if fmt_out != fmt_in:
        opened.store = store(fmt_out, args, env)
        opened.docs = [t.strip_spans(d) for d in opened.docs]


def _decrypt(args: Namespace, env: Environment) -> int:
    path = first_file(args, env, "decrypt", required=False)
    check_output_flags(args, path, env)
    if path is not None and not os.path.exists(env.path(path)):
        raise NoFileSpecified(f"cannot operate on non-existent file {path!r}")
    if args.extract == "":
        args.extract = None  # sops: an empty path extracts nothing, the whole file is output
    if args.extract is not None:
        from sekret.sops import treepath  # paths only for --extract: not every start-up's

        try:
            treepath.parse(args.extract)
        except treepath.TreePathError as exc:
            raise treepath.TreePathError(
                f"error parsing --extract path: {exc}", hint=exc.hint
            ) from None
    opened = open_file(args, env, path, stash=False)
    fmt_in, fmt_out = formats(args, path)
    output = store(fmt_out, args, env) if fmt_out != fmt_in else opened.store
    # read back before it lands in a file; standard output replaces nothing
    to_file = bool(getattr(args, "in_place", False) or getattr(args, "output", None))
    if args.extract is not None:
        out = document.extract(opened, args.extract, output)
    elif output is not opened.store:
        docs = [t.strip_spans(d) for d in opened.docs]
        out = document.emit_plain(docs, output, check=to_file)
    else:
        out = document.emit_plain(opened.docs, output, check=to_file)
    write(env, args, path, out, secret=True)
    return 0


def _rotate(args: Namespace, env: Environment, *, legacy: bool) -> int:
    path = first_file(args, env, "rotate")
    assert path is not None
    check_output_flags(args, path, env)
    add = [r.strip() for a in args.add_age for r in a.split(",") if r.strip()]
    rm = [r.strip() for a in args.rm_age for r in a.split(",") if r.strip()]
    add_others = files.key_entries(pgp=args.add_pgp, hc_vault=args.add_hc_vault_transit)
    rm_others = files.key_entries(pgp=args.rm_pgp, hc_vault=args.rm_hc_vault_transit)
    if not os.path.exists(env.path(path)) and (add or rm or add_others or rm_others):
        raise CannotChangeKeysError(
            f"cannot add or remove keys on non-existent file {path!r}",
            hint="use the edit subcommand to make a new file",
        )
    opened = open_file(args, env, path, missing=NoFileSpecified if legacy else ReadError)
    to_output(opened, args, env, path)
    out = document.rotate(
        opened, add=add, remove=rm, add_others=add_others, remove_others=rm_others
    )
    write(env, args, path, out, secret=False)
    return 0
