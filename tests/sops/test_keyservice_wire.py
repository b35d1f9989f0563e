"""The key service's wire side: the generated messages match keyservice.proto, keys
map to messages and back (sops's keyservice/server_test.go KMS cases, as data), and
sekret's server answers bad requests with the status sops's server gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from sekret.keyservice import keyservice_pb2 as pb
from sekret.keyservice import wire
from sekret.keyservice.client import KeyServiceURIError, target
from sekret.sops.services import KeyRef, ServiceError
from tests.sops._keyservers import serving
from tests.sops.conftest import Key, clean_env

PKG = Path(__file__).resolve().parents[2] / "src" / "sekret" / "keyservice"

# sops v3.11.0 keyservice/server_test.go TestKmsKeyToMasterKey: (arn, role, context, profile)
ARN = "arn:aws:kms:eu-west-1:123456789012:key/d5c90a06-f824-4628-922b-12424571ed4d"
KMS_CASES = {
    "empty context": (ARN, "ExampleRole", {}, ""),
    "context with one key-value pair": (ARN, "", {"firstKey": "first value"}, "ExampleProfile"),
    "context with three key-value pairs": (
        ARN, "", {"firstKey": "first value", "secondKey": "second value",
                  "thirdKey": "third value"}, ""),
}  # fmt: skip


def test_generated_module_matches_the_proto(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PKG}", f"--python_out={tmp_path}",
         f"--pyi_out={tmp_path}", str(PKG / "keyservice.proto")], check=True,
    )  # fmt: skip
    for name in ("keyservice_pb2.py", "keyservice_pb2.pyi"):
        assert (tmp_path / name).read_text() == (PKG / name).read_text(), (
            f"{name} is stale: regenerate it with grpc_tools.protoc (see keyservice.proto)")


def test_service_and_method_names_are_sops_s() -> None:
    svc = pb.DESCRIPTOR.services_by_name["KeyService"]
    assert svc.full_name == "KeyService"  # no package, as in sops's .proto
    assert [m.name for m in svc.methods] == ["Encrypt", "Decrypt"]
    numbers = {f.name: f.number for f in pb.Key.DESCRIPTOR.fields}
    assert numbers == {"kms_key": 1, "pgp_key": 2, "gcp_kms_key": 3, "azure_keyvault_key": 4,
                       "vault_key": 5, "age_key": 6}  # fmt: skip


@pytest.mark.parametrize("case", KMS_CASES)
def test_kms_key_round_trip(case: str) -> None:
    arn, role, context, profile = KMS_CASES[case]
    fields: dict[str, object] = {"arn": arn, "role": role, "context": context,
                                 "aws_profile": profile}  # fmt: skip
    msg = wire.to_message(KeyRef("kms", fields))
    assert (msg.kms_key.arn, msg.kms_key.role, dict(msg.kms_key.context),
            msg.kms_key.aws_profile) == (arn, role, context, profile)  # fmt: skip
    back = wire.from_message(pb.Key.FromString(msg.SerializeToString()))
    assert back.type == "kms" and back.fields.get("context", {}) == context
    assert back.fields["arn"] == arn and back.fields.get("role", "") == role


@pytest.mark.parametrize("ref", [
    KeyRef("age", {"recipient": "age1xyz"}),
    KeyRef("pgp", {"fp": "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"}),
    KeyRef("gcp_kms", {"resource_id": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}),
    KeyRef("azure_kv", {"vault_url": "https://v.vault.azure.net", "name": "k", "version": "1"}),
    KeyRef("hc_vault", {"vault_address": "http://127.0.0.1:8200", "engine_path": "transit",
                        "key_name": "k"}),
])  # fmt: skip
def test_key_round_trip(ref: KeyRef) -> None:
    assert wire.from_message(pb.Key.FromString(wire.to_message(ref).SerializeToString())) == ref


def test_what_the_protocol_cannot_name() -> None:
    with pytest.raises(ServiceError, match="no message for hckms"):
        wire.to_message(KeyRef("hckms", {"key_id": "x"}))
    with pytest.raises(ServiceError, match="Must provide a key"):
        wire.from_message(pb.Key())


@pytest.mark.parametrize("uri", ["http://h:1", "tcp://h", "unix://", "h:1", "tcp://:5"])
def test_bad_uris_refused(uri: str) -> None:
    with pytest.raises(KeyServiceURIError):
        target(uri)


def test_uris() -> None:
    assert target("unix:///run/s.sock") == "unix:/run/s.sock"
    assert target("tcp://127.0.0.1:5000") == "127.0.0.1:5000"
    assert target("tcp://[::1]:5000") == "[::1]:5000"


def _call(uri: str, method: str, request: object) -> grpc.RpcError:
    with grpc.insecure_channel(uri.removeprefix("tcp://")) as channel:
        call = channel.unary_unary(f"/KeyService/{method}",
                                   request_serializer=type(request).SerializeToString,  # type: ignore[attr-defined]
                                   response_deserializer=pb.DecryptResponse.FromString)  # fmt: skip
        with pytest.raises(grpc.RpcError) as info:
            call(request)
    return info.value


@pytest.mark.interop
def test_bad_requests_answered_as_sops_does(tmp_path: Path, keys: list[Key]) -> None:
    answers = {}
    for tool in ("sekret", "sops"):
        with serving(tool, "tcp", tmp_path, clean_env(keys[0])) as (uri, _):
            answers[tool] = [
                (e.code(), e.details()) for e in (
                    # a Key with no member set (sops's server panics on no Key at all)
                    _call(uri, "Decrypt", pb.DecryptRequest(key=pb.Key(), ciphertext=b"x")),
                    _call(uri, "Encrypt", pb.EncryptRequest(key=pb.Key(), plaintext=b"x")),
                )
            ]
            bad = _call(uri, "Decrypt", pb.DecryptRequest(
                key=pb.Key(age_key=pb.AgeKey(recipient=keys[0].recipient)), ciphertext=b"junk"))
            assert bad.code() == grpc.StatusCode.UNKNOWN, tool
    assert answers["sekret"] == answers["sops"]
    assert answers["sekret"][0] == (grpc.StatusCode.NOT_FOUND, "Must provide a key")


@pytest.mark.interop
def test_prompt_refusal(tmp_path: Path, keys: list[Key]) -> None:
    with serving("sekret", "unix", tmp_path, clean_env(keys[0]), "--prompt",
                 stdin=subprocess.PIPE) as (uri, proc):  # fmt: skip
        assert proc.stdin is not None
        proc.stdin.write(b"maybe\nn\n")
        proc.stdin.flush()
        req = pb.EncryptRequest(key=pb.Key(age_key=pb.AgeKey(recipient=keys[0].recipient)),
                                plaintext=b"k" * 32)  # fmt: skip
        err = _call(uri, "Encrypt", req)
    assert (err.code(), err.details()) == (grpc.StatusCode.PERMISSION_DENIED,
                                           "Request rejected by user")  # fmt: skip
    log = (tmp_path / "sekret-ks.log").read_text()
    assert log.count("Respond to request? (y/n)") == 2
