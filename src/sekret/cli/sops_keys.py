"""``sekret updatekeys`` and ``sekret filestatus``, with sops's output and exit codes.

updatekeys prints sops's diff of the key groups on standard output (``Group 1``, the
kept keys indented, ``+++`` added, ``---`` removed, the Shamir threshold), asks
``Is this okay? (y/n):`` until the answer is ``y`` or ``n`` unless ``-y``, and goes on
with the next file when one fails, failing at the end. filestatus prints
``{"encrypted":true}`` for a file with sops metadata, a version and a MAC, ``false``
for a file without metadata, and fails (exit 1) on a file it cannot read or parse.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sekret.cli import _ui, sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SekretError, SopsError
from sekret.files import document
from sekret.sops.metadata import KeyGroup, MetadataNotFoundError
from sekret.stores.base import format_for_path, get_store

if TYPE_CHECKING:
    from sekret.files.config import Config


def _key_names(group: KeyGroup) -> list[str]:
    return [k.recipient for k in group.age] + [o.identifier() for o in group.others]


def diff_lines(old: list[KeyGroup], new: list[KeyGroup], old_t: int, new_t: int) -> list[str]:
    """sops's PrettyPrintShamirDiff and PrettyPrintDiffs, as plain lines."""
    lines: list[str] = []
    if old_t > 0 and old_t == new_t:
        lines.append(f"shamir_threshold: {new_t}")
    else:
        if new_t > 0:
            lines.append(f"+++ shamir_threshold: {new_t}")
        if old_t > 0:
            lines.append(f"--- shamir_threshold: {old_t}")
    for i in range(max(len(old), len(new))):
        ours = _key_names(old[i]) if i < len(old) else []
        theirs = _key_names(new[i]) if i < len(new) else []
        lines.append(f"Group {i + 1}")
        lines += [f"    {k}" for k in theirs if k in ours]
        lines += [f"+++ {k}" for k in theirs if k not in ours]
        lines += [f"--- {k}" for k in ours if k not in theirs]
    return lines


def _changed(old: list[KeyGroup], new: list[KeyGroup]) -> bool:
    for i in range(max(len(old), len(new))):
        ours = set(_key_names(old[i])) if i < len(old) else set()
        theirs = set(_key_names(new[i])) if i < len(new) else set()
        if ours != theirs:
            return True
    return False


def _confirm(env: Environment) -> bool:
    """sops's prompt: asked again until the answer is ``y`` or ``n``."""
    while True:
        env.stdout.write(b"Is this okay? (y/n):")
        env.stdout.flush()
        line = env.stdin.readline()
        if not line:
            raise SopsError("no answer (end of input)", hint="answer y or n, or use -y")
        words = line.split()
        if len(words) != 1:
            raise SopsError("expected one word, y or n", hint="answer y or n, or use -y")
        if words[0] in (b"y", b"n"):
            return words[0] == b"y"


def updatekeys(args: Namespace, env: Environment) -> int:
    """``sekret updatekeys [-y] FILE...``."""
    from sekret.files import config as cfg

    conf = cfg.load(args.config or env.environ.get("SOPS_CONFIG"), sops_ops.config_path(env.cwd))
    if not args.args:
        raise sops_ops.NoFileSpecified("no file specified", hint="give the files to update")
    failures = 0
    for path in args.args:
        try:
            _update(str(path), conf, args, env)
        except SekretError as exc:
            if len(args.args) == 1:
                raise
            failures += 1
            _ui.print_error(env, exc)
    if failures:
        raise SopsError(f"failed updating {failures} key(s)")
    return 0


def _update(path: str, conf: Config, args: Namespace, env: Environment) -> None:
    full = env.path(path)
    if not os.path.exists(full):
        raise SopsError(f"cannot update {path!r}: no such file or directory")
    if os.path.isdir(full):
        raise SopsError(f"cannot update {path!r}: it is a directory")
    rule = conf.match(os.path.abspath(full))
    fmt = args.input_type or format_for_path(path)
    data = sops_ops.read(env, path)
    _, meta = sops_ops.load_metadata(data, fmt)
    if rule is None and conf.path is None:
        raise SopsError(
            "config file not found",
            hint="updatekeys takes the keys from .sops.yaml's creation rules",
        )
    if rule is None:
        raise SopsError(f"the config file {conf.path} does not contain any creation rule")
    groups: list[KeyGroup] = rule.key_groups
    threshold = args.shamir_secret_sharing_threshold or meta.shamir_threshold
    threshold = min(threshold, len(groups))
    if not _changed(meta.key_groups, groups) and threshold == meta.shamir_threshold:
        _ui.say(env, "info", f"file {path!r} already up to date")
        return
    lines = ["The following changes will be made to the file's groups:"]
    lines += diff_lines(meta.key_groups, groups, meta.shamir_threshold, threshold)
    env.stdout.write(("\n".join(lines) + "\n").encode())
    if not args.yes and not _confirm(env):
        _ui.say(env, "info", f"file {path!r} left unchanged")
        return
    result, _, _ = document.update_keys(
        data, sops_ops.store(fmt, args, env), sops_ops.keyring(env, args), groups, threshold
    )
    sops_ops.write_in_place(env, args, path, result)
    _ui.say(env, "info", f"file {path!r} synced with new keys")


class FileStatusError(SopsError):
    """filestatus could not tell (sops: exit 1, "cannot check file status")."""


def filestatus(args: Namespace, env: Environment) -> int:
    """``sekret filestatus FILE``."""
    path = sops_ops.first_file(args, env, "filestatus")
    assert path is not None
    fmt, _ = sops_ops.formats(args, path)
    prefix = "cannot check file status: cannot load encrypted file"
    try:
        data = sops_ops.read(env, path, missing=FileStatusError)
    except SopsError as exc:
        raise FileStatusError(f"{prefix}: {exc}") from None
    try:
        _, raw = get_store(fmt).load_encrypted(data)
    except MetadataNotFoundError:
        raw = None
    except SopsError as exc:
        if getattr(exc, "exit_code", 0) != 92:  # an empty YAML file: not encrypted
            raise FileStatusError(f"{prefix}: {exc}") from None
        raw = None
    encrypted = False
    if raw is not None:
        from sekret.sops.metadata import from_dict
        from sekret.sops.values import parse_time

        try:
            meta = from_dict(raw)
            parse_time(meta.lastmodified)
        except (SopsError, ValueError) as exc:
            raise FileStatusError(f"{prefix}: {exc or 'invalid lastmodified'}") from None
        encrypted = bool(meta.version and meta.mac)
    env.stdout.write(b'{"encrypted":true}\n' if encrypted else b'{"encrypted":false}\n')
    return 0
