"""``--keyservice URI`` and ``--enable-local-keyservice``: the key services of a sops
command, as sops 3.11 picks them.

The local service (this process's keys) comes first unless
``--enable-local-keyservice=false`` (or SOPS_ENABLE_LOCAL_KEYSERVICE=false); then each
``--keyservice`` in the order given (or SOPS_KEYSERVICE, comma-separated, when no flag
is). Without a remote service and with the local one on, nothing changes: the data
key goes through :mod:`sekret.sops.keysources` directly, and grpc is never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError

if TYPE_CHECKING:
    from sekret.sops.services import Chain

_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def uris(args: Namespace, env: Environment) -> list[str]:
    """The key service URIs: the flags, else SOPS_KEYSERVICE."""
    given = [str(u) for u in (getattr(args, "keyservice", None) or [])]
    if given:
        return given
    text = env.environ.get("SOPS_KEYSERVICE", "")
    return [u.strip() for u in text.split(",") if u.strip()]


def local_enabled(args: Namespace, env: Environment) -> bool:
    """``--enable-local-keyservice[=BOOL]``, else SOPS_ENABLE_LOCAL_KEYSERVICE, else true."""
    if getattr(args, "no_local_keyservice", False):
        return False
    if getattr(args, "enable_local_keyservice", False):
        return True
    value = env.environ.get("SOPS_ENABLE_LOCAL_KEYSERVICE", "").strip()
    if not value or value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    raise SopsError(
        f"invalid boolean value {value!r} for SOPS_ENABLE_LOCAL_KEYSERVICE",
        hint="set it to true or false (or unset it)",
    )


def chain(args: Namespace, env: Environment) -> Chain | None:
    """The command's :class:`~sekret.sops.services.Chain`, or None for the local keys
    alone (the usual case, with no key service machinery at all)."""
    remote = uris(args, env)
    local = local_enabled(args, env)
    if local and not remote:
        return None
    from sekret.sops.services import Chain, KeyService

    services: list[KeyService | None] = [None] if local else []
    if remote:
        try:
            from sekret.keyservice.client import RemoteService
        except ImportError:
            raise SopsError(
                f"--keyservice {remote[0]}: key services need grpcio and protobuf",
                hint="install sekret with its keyservice extra: pip install 'sekret[keyservice]'",
            ) from None
        services += [RemoteService(u) for u in remote]
    return Chain(services, list(getattr(args, "decryption_order", None) or []))


def run_with(found: Chain | None, run: Callable[[], int]) -> int:
    """``run()`` with the key services ``found`` (from :func:`chain`) in force."""
    if found is None:
        return run()
    from sekret.sops.keysources import KEY_SERVICES

    token = KEY_SERVICES.set(found)
    try:
        return run()
    finally:
        KEY_SERVICES.reset(token)
        for service in found.services:
            close = getattr(service, "close", None)
            if close is not None:
                close()
