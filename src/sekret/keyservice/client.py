"""A remote key service (``--keyservice unix:///path`` or ``tcp://host:port``).

sops dials each URI with gRPC, without TLS: a unix socket by its path, anything else
by ``scheme`` as the network and ``host:port`` as the address (so ``tcp://`` in
practice). A failed call is that service's answer for that key; the loop in
:mod:`sekret.sops.services` then asks the next service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sekret.errors import SopsError
from sekret.keyservice import wire
from sekret.sops.services import KeyRef, ServiceError

if TYPE_CHECKING:
    import grpc

#: the method paths: the .proto has no package, so the service is just "KeyService"
ENCRYPT = "/KeyService/Encrypt"
DECRYPT = "/KeyService/Decrypt"
_NETWORKS = ("tcp", "tcp4", "tcp6", "unix")


class KeyServiceURIError(SopsError):
    """A ``--keyservice`` URI sekret cannot dial."""


def target(uri: str) -> str:
    """The gRPC target for a sops key service URI (KeyServiceURIError if unusable)."""
    parts = urlsplit(uri)
    if parts.scheme not in _NETWORKS:
        raise KeyServiceURIError(
            f"invalid key service URI {uri!r}: the scheme must be unix or tcp",
            hint="write unix:///path/to/socket or tcp://host:port",
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise KeyServiceURIError(f"invalid key service URI {uri!r}: no socket path",
                                     hint="write unix:///path/to/socket")  # fmt: skip
        return "unix:" + parts.path
    if not parts.hostname or parts.port is None:
        raise KeyServiceURIError(
            f"invalid key service URI {uri!r}: no host:port",
            hint="write tcp://host:port, e.g. tcp://127.0.0.1:5000",
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port}"


class RemoteService:
    """The client of one key service; the channel opens on the first call."""

    def __init__(self, uri: str) -> None:
        self.name = uri
        self._target = target(uri)
        self._channel: grpc.Channel | None = None

    def _call(self, method: str, request: Any, response_type: Any) -> Any:
        import grpc

        if self._channel is None:
            self._channel = grpc.insecure_channel(self._target)
        call = self._channel.unary_unary(
            method,
            request_serializer=type(request).SerializeToString,
            response_deserializer=response_type.FromString,
        )
        try:
            return call(request)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            details = exc.details() if hasattr(exc, "details") else ""
            name = code.name if code is not None else "UNKNOWN"
            raise ServiceError(f"{name}: {details or 'no details'}") from None

    def encrypt(self, key: KeyRef, plaintext: bytes) -> bytes:
        """Ask the service to wrap ``plaintext`` for ``key``."""
        from sekret.keyservice import keyservice_pb2 as pb

        req = pb.EncryptRequest(key=wire.to_message(key), plaintext=plaintext)
        return bytes(self._call(ENCRYPT, req, pb.EncryptResponse).ciphertext)

    def decrypt(self, key: KeyRef, ciphertext: bytes) -> bytes:
        """Ask the service to unwrap ``ciphertext`` (the key's ``enc``)."""
        from sekret.keyservice import keyservice_pb2 as pb

        req = pb.DecryptRequest(key=wire.to_message(key), ciphertext=ciphertext)
        return bytes(self._call(DECRYPT, req, pb.DecryptResponse).plaintext)

    def close(self) -> None:
        """Close the channel, if one was opened."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
