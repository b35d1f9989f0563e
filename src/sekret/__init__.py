"""sekret: secrets in git, compatible with age, SOPS, agenix, sops-nix and git-crypt.

The public API, loaded on first use so that ``import sekret`` stays cheap::

    import sekret

    ct = sekret.age.encrypt(b"token", ["age1…"])
    data = sekret.load("secrets.yaml")          # a SOPS file as plain Python data

Errors all derive from :class:`sekret.SekretError` (see :mod:`sekret.errors`).
"""

from __future__ import annotations

import importlib

from sekret.errors import SekretError

# Not typing.TYPE_CHECKING: importing typing (and re, enum with it) here would come
# before sekret.__main__ can pause the garbage collector. Type checkers read this the same.
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from sekret import age as age

__version__ = "0.1.0"

#: lazy attribute → (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "age": ("sekret.age", None),
    "errors": ("sekret.errors", None),
    "load": ("sekret.files", "load"),
    "decrypt_file": ("sekret.files", "decrypt_file"),
    "encrypt_file": ("sekret.files", "encrypt_file"),
}

__all__ = ["SekretError", "__version__", "age", "decrypt_file", "encrypt_file", "load"]


def __getattr__(name: str) -> Any:
    """Import the public submodules and functions when first used."""
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'sekret' has no attribute {name!r}") from None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise AttributeError(f"sekret.{name} is not available yet ({module_name})") from None
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
