"""``sekret publish [-y] [--omit-extensions] [--recursive] FILE|DIR``, as sops 3.11 has it.

Each file is matched against ``.sops.yaml``'s ``destination_rules`` (by its path as
given), decrypted, and its values (every document's top-level keys, comments left out)
written as one secret to the rule's Vault/OpenBao KV path; the secret is named after
the file (its path below DIR with ``--recursive``), without its extension with
``--omit-extensions`` or the rule's ``omit_extensions``. Without ``--yes`` each upload
is confirmed (``uploading FILE to URL ? (y/n):``); ``n`` cancels (an error for one file,
a message when publishing a directory).
"""

from __future__ import annotations

import os

from sekret.cli import _ui, sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError


def publish(args: Namespace, env: Environment) -> int:
    """Publish FILE, or every file below DIR with ``--recursive``."""
    from sekret.files import config as cfg
    from sekret.files.publish import PublishError

    if not args.args:
        raise sops_ops.NoFileSpecified("no file specified", hint="sekret publish [-y] FILE")
    explicit = args.config or env.environ.get("SOPS_CONFIG")
    conf_path = env.path(explicit) if explicit else cfg.find(sops_ops.config_path(env.cwd))
    if conf_path is None:
        raise PublishError("config file not found", hint="publish needs .sops.yaml's "
                           "destination_rules")  # fmt: skip
    try:
        with open(conf_path, encoding="utf-8") as f:
            config_text = f.read()
    except OSError as exc:
        raise PublishError(f"error loading config {str(conf_path)!r}: {exc.strerror}") from None
    root = str(args.args[0])
    full = env.path(root)
    if not os.path.exists(full):
        raise SopsError(f"cannot publish {root!r}: no such file or directory")
    if os.path.isdir(full) and not args.recursive:
        raise SopsError(
            "can't operate on a directory without --recursive flag.",
            hint=f"sekret publish --recursive {root}",
        )
    for path in _walk(root, env):
        _one(path, root, config_text, str(conf_path), args, env)
    return 0


def _walk(root: str, env: Environment) -> list[str]:
    """The files below ``root`` in lexical order (Go's filepath.Walk), as given-relative."""
    if not os.path.isdir(env.path(root)):
        return [root]
    out: list[str] = []
    for base, dirs, names in os.walk(env.path(root)):
        dirs.sort()
        rel = os.path.relpath(base, env.path(root))
        out.extend(os.path.normpath(os.path.join(root, rel, name)) for name in names)
    return sorted(out)


def _one(
    path: str, root: str, config_text: str, config_name: str, args: Namespace, env: Environment
) -> None:
    from sekret.files import publish as pub
    from sekret.files.vault import VaultClient
    from sekret.sops import tree

    dest = pub.match(config_text, path, config_name)
    name = os.path.relpath(path, root) if args.recursive else os.path.basename(path)
    if name == ".":  # --recursive on one file: its name
        name = os.path.basename(path)
    if args.omit_extensions or dest.omit_extensions:
        name = name[: len(name) - len(os.path.splitext(path)[1])]
    opened = sops_ops.open_file(args, env, path, stash=False, missing=sops_ops.ReadError)
    data: dict[str, object] = {}
    for doc in opened.docs:
        values = tree.to_python(doc)
        if isinstance(values, dict):
            data.update(values)
    client = VaultClient(env.environ)
    if not args.yes and not _confirm(env, path, pub.url(client, dest.vault, name)):
        if args.recursive:
            env.stdout.write(f"Publication of {os.path.abspath(env.path(path))} canceled\n"
                             .encode())  # fmt: skip
            return
        raise pub.PublishError(f"Publication of {os.path.abspath(env.path(path))} canceled")
    if not pub.upload(client, dest.vault, name, data):
        _ui.say(env, "info", f"secret in {dest.vault.secret_path(name)} is already up to date")
    elif args.verbose:
        _ui.say(env, "info", f"published {path} to {pub.url(client, dest.vault, name)}")


def _confirm(env: Environment, path: str, url: str) -> bool:
    """sops's question, asked until the answer is y or n."""
    while True:
        env.stdout.write(f"uploading {os.path.abspath(env.path(path))} to {url} ? (y/n): "
                         .encode())  # fmt: skip
        env.stdout.flush()
        line = env.stdin.readline()
        if not line:
            raise SopsError("no answer (end of input)", hint="answer y or n, or use --yes")
        answer = line.strip()
        if answer in (b"y", b"n"):
            return answer == b"y"
