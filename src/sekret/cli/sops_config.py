"""The ``stores:`` section of ``.sops.yaml``: the output indentation sops reads there.

.. code-block:: yaml

    stores:
        yaml: {indent: 2}
        json: {indent: 4}
        json_binary: {indent: 2}

sops reads it on every command (from ``--config``, ``$SOPS_CONFIG`` or the nearest
``.sops.yaml``); ``--indent`` overrides it. The file is parsed only when it has such a
section, so the common case costs one read and no YAML library.
"""

from __future__ import annotations

import os

from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError

_SECTION = {"yaml": "yaml", "json": "json", "binary": "json_binary"}


def _find(start: str) -> str | None:
    """The nearest ``.sops.yaml`` from ``start`` upwards (as sekret.files.config finds
    it, without importing pathlib and re into every decrypt)."""
    d = start
    while True:
        candidate = os.path.join(d, ".sops.yaml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def stores_indent(fmt: str, args: Namespace, env: Environment) -> int | None:
    """``stores.<fmt>.indent`` of the config in force, or None."""
    explicit = getattr(args, "config", None) or env.environ.get("SOPS_CONFIG")
    if explicit:
        path = env.path(explicit)
    else:
        found = _find(os.path.abspath(env.cwd))
        if found is None:
            return None
        path = found
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        if explicit:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise SopsError(f"could not read config file {explicit!r}: {reason}") from None
        return None
    if "stores" not in text and not explicit:
        return None  # (a config named on purpose is checked whole, as sops does)
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        if explicit:
            raise SopsError(f"error loading config {explicit!r}: invalid YAML") from None
        return None
    if explicit and raw is not None and not isinstance(raw, dict):
        raise SopsError(f"error loading config {explicit!r}: not a mapping")
    stores = raw.get("stores") if isinstance(raw, dict) else None
    section = stores.get(_SECTION[fmt]) if isinstance(stores, dict) else None
    indent = section.get("indent") if isinstance(section, dict) else None
    if indent is None:
        return None
    if isinstance(indent, bool) or not isinstance(indent, int):
        raise SopsError(
            f"error loading config {os.path.basename(path)!r}: "
            f"stores.{_SECTION[fmt]}.indent must be an integer"
        )
    return indent
