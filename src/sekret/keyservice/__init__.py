"""sops's key service over gRPC: ``sekret keyservice`` (the server) and ``--keyservice``
(the client), speaking the messages of ``keyservice.proto``.

The network edge of the SOPS key handling: the loop over services is pure
(:mod:`sekret.sops.services`); here are only the wire messages, a client and a server.
grpcio and protobuf are the ``keyservice`` extra, imported by these modules only, and
these modules only by the commands that use a key service.
"""
