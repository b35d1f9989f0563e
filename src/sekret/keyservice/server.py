"""The key service server: sops's KeyService over gRPC, answered by sekret's own keys.

Each request names one key (:mod:`sekret.keyservice.wire`) and carries a data key (or
share) to wrap, or an ``enc`` to unwrap; the answer comes from a
:class:`~sekret.sops.services.KeyService` (the local one: the keyring of the process
running the server, every key type it can use). As in sops: no key → NOT_FOUND "Must
provide a key", a key that cannot be used → UNKNOWN with the reason, a refused prompt →
PERMISSION_DENIED "Request rejected by user". Requests are answered one at a time
(the identities and the prompt are the server's single terminal and key store).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sekret.keyservice import wire
from sekret.sops.services import KeyRef, KeyService, ServiceError

if TYPE_CHECKING:
    import grpc

#: asked before a request is answered: (operation, key) → answer it?
Ask = Callable[[str, KeyRef], bool]
#: one line about a request (never a secret), for --verbose
Log = Callable[[str], None]


class Handler:
    """Encrypt and Decrypt, as gRPC unary methods over ``service``."""

    def __init__(self, service: KeyService, *, ask: Ask | None = None,
                 log: Log | None = None) -> None:  # fmt: skip
        self._service = service
        self._ask = ask
        self._log = log
        self._lock = threading.Lock()

    def _answer(self, op: str, request: Any, context: grpc.ServicerContext) -> bytes:
        import grpc

        with self._lock:
            try:
                key = wire.from_message(request.key)
            except ServiceError as exc:
                context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
                raise AssertionError("abort raises") from None
            if self._log:
                self._log(f"{op} request for {key.describe()}")
            if self._ask is not None and not self._ask(op, key):
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "Request rejected by user")
            try:
                if op == "encrypt":
                    return self._service.encrypt(key, request.plaintext)
                return self._service.decrypt(key, request.ciphertext)
            except ServiceError as exc:
                if self._log:
                    self._log(f"{op} request for {key.describe()} failed: {exc.message}")
                context.abort(grpc.StatusCode.UNKNOWN, exc.message)
                raise AssertionError("abort raises") from None  # (grpc is untyped)

    def encrypt(self, request: Any, context: grpc.ServicerContext) -> Any:
        """The Encrypt method."""
        from sekret.keyservice import keyservice_pb2 as pb

        return pb.EncryptResponse(ciphertext=self._answer("encrypt", request, context))

    def decrypt(self, request: Any, context: grpc.ServicerContext) -> Any:
        """The Decrypt method."""
        from sekret.keyservice import keyservice_pb2 as pb

        return pb.DecryptResponse(plaintext=self._answer("decrypt", request, context))


def listen_target(network: str, address: str) -> str:
    """The gRPC address for sops's ``--network``/``--address`` (ValueError if unusable)."""
    if network == "unix":
        if not address:
            raise ValueError("the unix network needs a socket path as --address")
        return "unix:" + address
    if network in ("tcp", "tcp4", "tcp6"):
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"the tcp address must be host:port, not {address!r}")
        return f"{host or '[::]'}:{port}"
    raise ValueError(f"unknown network {network!r}: use tcp or unix")


def start(handler: Handler, target: str) -> tuple[grpc.Server, int]:
    """A started server answering on ``target``, and its tcp port (0 for unix)."""
    from concurrent import futures

    import grpc

    from sekret.keyservice import keyservice_pb2 as pb

    methods = {
        "Encrypt": grpc.unary_unary_rpc_method_handler(
            handler.encrypt,
            request_deserializer=pb.EncryptRequest.FromString,
            response_serializer=pb.EncryptResponse.SerializeToString,
        ),
        "Decrypt": grpc.unary_unary_rpc_method_handler(
            handler.decrypt,
            request_deserializer=pb.DecryptRequest.FromString,
            response_serializer=pb.DecryptResponse.SerializeToString,
        ),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("KeyService", methods),))
    port = server.add_insecure_port(target)
    server.start()
    return server, port
