"""``--keyservice URI`` and ``--enable-local-keyservice``: the key services of a sops
command, as sops 3.11 picks them.

The local service (this process's keys) comes first unless
``--enable-local-keyservice=false`` (or SOPS_ENABLE_LOCAL_KEYSERVICE=false); then each
``--keyservice`` in the order given (or SOPS_KEYSERVICE, comma-separated, when no flag
is). The services go into the command's keyring (:func:`sekret.sops.services.through`,
in ``sops_ops.keyring``). Without a remote service and with the local one on, nothing
changes: the keyring is the local one, and grpc is never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.cli.sops_flags import GO_FALSE, GO_TRUE
from sekret.errors import SopsError

if TYPE_CHECKING:
    from sekret.sops.services import Chain


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
    if not value or value in GO_TRUE:
        return True
    if value in GO_FALSE:
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

    services: list[KeyService] = []
    if remote:
        try:
            from sekret.keyservice.client import RemoteService
        except ImportError:
            raise SopsError(
                f"--keyservice {remote[0]}: key services need grpcio and protobuf",
                hint="install sekret with its keyservice extra: pip install 'sekret[keyservice]'",
            ) from None
        services += [RemoteService(u) for u in remote]
    return Chain(local, services)


def run_with(found: Chain | None, run: Callable[[], int]) -> int:
    """``run()``, then the channels of the key services ``found`` (from :func:`chain`)
    closed; the services themselves are in the command's keyring (``sops_ops.keyring``)."""
    try:
        return run()
    finally:
        for service in found.remotes if found is not None else ():
            close = getattr(service, "close", None)
            if close is not None:
                close()
