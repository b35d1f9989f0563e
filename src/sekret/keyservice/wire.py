"""sekret's key description (:class:`~sekret.sops.services.KeyRef`) ↔ the ``Key`` message.

Field names differ between a file's metadata and the protocol (``fp`` is
``fingerprint``, ``azure_kv`` is ``azure_keyvault_key``…): the table below is the
whole mapping, both ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sekret.sops.services import KeyRef, ServiceError

if TYPE_CHECKING:
    from sekret.keyservice import keyservice_pb2 as pb

#: sops metadata type → (the Key oneof member, [(metadata field, message field)])
TABLE: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "age": ("age_key", [("recipient", "recipient")]),
    "pgp": ("pgp_key", [("fp", "fingerprint")]),
    "kms": ("kms_key", [("arn", "arn"), ("role", "role"), ("aws_profile", "aws_profile")]),
    "gcp_kms": ("gcp_kms_key", [("resource_id", "resource_id")]),
    "azure_kv": ("azure_keyvault_key", [("vault_url", "vault_url"), ("name", "name"),
                                         ("version", "version")]),
    "hc_vault": ("vault_key", [("vault_address", "vault_address"),
                               ("engine_path", "engine_path"), ("key_name", "key_name")]),
}
_BY_MEMBER = {member: (kind, fields) for kind, (member, fields) in TABLE.items()}


def to_message(key: KeyRef) -> pb.Key:
    """The ``Key`` message naming ``key`` (ServiceError for a type the protocol lacks)."""
    from sekret.keyservice import keyservice_pb2 as pb

    if key.type not in TABLE:
        raise ServiceError(f"sops's key service protocol has no message for {key.type} keys")
    member, fields = TABLE[key.type]
    msg = pb.Key()
    sub = getattr(msg, member)
    sub.SetInParent()
    for ours, theirs in fields:
        value = key.fields.get(ours)
        if value is not None:
            setattr(sub, theirs, str(value))
    if key.type == "kms":
        context = key.fields.get("context")
        if isinstance(context, dict):
            for k, v in context.items():
                sub.context[str(k)] = str(v)
    return msg


def from_message(msg: pb.Key) -> KeyRef:
    """The :class:`KeyRef` a ``Key`` message names (ServiceError: no key set)."""
    member = msg.WhichOneof("key_type")
    if member is None:
        raise ServiceError("Must provide a key")
    kind, fields = _BY_MEMBER[member]
    sub = getattr(msg, member)
    ref = KeyRef(kind, {ours: getattr(sub, theirs) for ours, theirs in fields})
    if kind == "kms":
        ref.fields = {k: v for k, v in ref.fields.items() if v}
        ref.fields["arn"] = sub.arn
        if sub.context:
            ref.fields["context"] = dict(sub.context)
    return ref
