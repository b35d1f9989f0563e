"""The pure parts of hc_vault keys, with cases ported from sops's hcvault/keysource_test.go
(URIs, engine paths, response parsing), and the token precedence of the HTTP edge."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import pytest

from sekret._dates import UTC, datetime
from sekret.errors import SopsError
from sekret.files.vault import VaultClient, VaultError
from sekret.sops.masterkeys import hc_vault as vt
from sekret.sops.metadata import OtherKey

# (uri, (vault_address, engine_path, key_name) or None for an error): TestNewMasterKeyFromURI
URIS = [
    ("https://vault.example.com:8200/v1/transit/keys/keyName",
     ("https://vault.example.com:8200", "transit", "keyName")),
    ("https://vault.me.com/v1/super42/bestmarket/keys/slig",
     ("https://vault.me.com", "super42/bestmarket", "slig")),
    ("http://127.0.0.1:12121/v1/transit/keys/dev", ("http://127.0.0.1:12121", "transit", "dev")),
    ("vault.me/keys/dev/mykey", None),
    ("http://127.0.0.1:12121/v1/keys/dev", None),
    ("tcp://127.0.0.1:12121/v1/keys/dev", None),
]
# Test_engineAndKeyFromPath: (path, error text or None)
PATHS = [
    ("/v1/transit/keys/keyName", None),
    ("/nested/v1/transit/keys/bar", "running Vault with a prefixed URL is not supported"),
    ("/secret/foo/bar", "vault path does not seem to be formatted correctly"),
]


@pytest.mark.parametrize(("uri", "want"), URIS)
def test_parse_uri(uri: str, want: tuple[str, str, str] | None) -> None:
    if want is None:
        with pytest.raises(vt.VaultURIError):
            vt.parse_uri(uri)
    else:
        assert vt.parse_uri(uri) == want
        assert vt.uri_of(dict(zip(vt.FIELDS, want, strict=False))) == uri


@pytest.mark.parametrize(("path", "error"), PATHS)
def test_engine_and_key_from_path(path: str, error: str | None) -> None:
    if error is None:
        assert vt.parse_uri("https://v.example" + path)[1:] == ("transit", "keyName")
    else:
        with pytest.raises(vt.VaultURIError, match=error):
            vt.parse_uri("https://v.example" + path)


def test_uri_lists_skip_empty_items() -> None:
    assert vt.parse_uris("a,,b,") == ["a", "b"]
    assert vt.parse_uris("") == []


def test_paths_and_payload() -> None:
    fields = {"vault_address": "https://v", "engine_path": "sops/transit", "key_name": "k"}
    assert vt.encrypt_path(fields) == "sops/transit/encrypt/k"
    assert vt.decrypt_path(fields) == "sops/transit/decrypt/k"
    assert vt.encrypt_payload(b"data") == {"plaintext": base64.b64encode(b"data").decode()}
    assert OtherKey(vt.HC_VAULT, fields).identifier() == "https://v/v1/sops/transit/keys/k"


# encryptedKeyFromSecret / dataKeyFromSecret: (data, error text)
CIPHERTEXTS = [(None, "transit backend is empty"), ({}, "no encrypted data"),
               ({"ciphertext": 1}, "cannot be cast to string")]
PLAINTEXTS = [(None, "transit backend is empty"), ({}, "no decrypted data"),
              ({"plaintext": 1}, "cannot be cast to string"),
              ({"plaintext": "not base64!"}, "cannot decode base64")]


@pytest.mark.parametrize(("data", "error"), CIPHERTEXTS)
def test_ciphertext_of_bad_responses(data: object, error: str) -> None:
    with pytest.raises(vt.TransitError, match=error):
        vt.ciphertext_of(data)


@pytest.mark.parametrize(("data", "error"), PLAINTEXTS)
def test_plaintext_of_bad_responses(data: object, error: str) -> None:
    with pytest.raises(vt.TransitError, match=error):
        vt.plaintext_of(data)


class FakeTransit:
    """Base64 in, a reversible 'vault:v1:' string out; records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def write(self, address: str, path: str, payload: Mapping[str, object]) -> object:
        self.calls.append((address, path))
        if "/encrypt/" in path:
            return {"ciphertext": f"vault:v1:{payload['plaintext']}"}
        return {"plaintext": str(payload["ciphertext"]).removeprefix("vault:v1:")}


def test_wrap_writes_sops_fields_in_order_and_unwrap_reverses() -> None:
    fake = FakeTransit()
    keys = vt.VaultTransitKeys(fake, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    entry = vt.new_entry("https://v.example:8200/v1/transit/keys/k")
    keys.wrap(entry, b"\x01" * 32)
    assert list(entry.fields) == list(vt.FIELDS)
    assert entry.fields["created_at"] == "2026-01-02T03:04:05Z"
    assert keys.unwrap(entry) == b"\x01" * 32
    assert fake.calls == [("https://v.example:8200", "transit/encrypt/k"),
                          ("https://v.example:8200", "transit/decrypt/k")]


def test_errors_name_the_path_never_the_secret() -> None:
    class Refusing:
        def write(self, address: str, path: str, payload: Mapping[str, object]) -> object:
            raise VaultError("PUT x: code 403: permission denied")

    keys = vt.VaultTransitKeys(Refusing())
    entry = vt.new_entry("https://v/v1/transit/keys/k")
    with pytest.raises(vt.TransitError) as info:
        keys.wrap(entry, b"S" * 32)
    assert "transit/encrypt/k" in str(info.value) and "SSSS" not in info.value.diagnostics()
    assert "enc" not in entry.fields
    with pytest.raises(vt.TransitError, match="no encrypted data key"):
        keys.unwrap(entry)
    with pytest.raises(vt.TransitError, match="no Vault/OpenBao client"):
        vt.VaultTransitKeys(None).wrap(entry, b"x")


def test_token_precedence(tmp_path: Path) -> None:
    """Explicit (a key service's), then VAULT_TOKEN, then ~/.vault-token, trimmed."""
    (tmp_path / ".vault-token").write_text(" from-file\n")
    home = {"HOME": str(tmp_path)}
    assert VaultClient(home).token() == "from-file"
    assert VaultClient({**home, "VAULT_TOKEN": "from-env"}).token() == "from-env"
    assert VaultClient({**home, "VAULT_TOKEN": ""}).token() == "from-file"
    assert VaultClient({**home, "VAULT_TOKEN": "e"}, token="given").token() == "given"
    assert VaultClient({"HOME": str(tmp_path / "none")}).token() == ""
    assert "from-file" not in repr(VaultClient(home))


def test_unreadable_token_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".vault-token").mkdir()  # exists, cannot be read as a file
    with pytest.raises(SopsError, match="cannot get Vault token"):
        VaultClient({"HOME": str(tmp_path)}).token()


def test_default_address() -> None:
    assert VaultClient({}).default_address == "https://127.0.0.1:8200"
    assert VaultClient({"VAULT_ADDR": "http://x:1"}).default_address == "http://x:1"


def test_proxies_never_for_loopback() -> None:
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "internal.example"}
    client = VaultClient(env)
    assert client._proxies("127.0.0.1") == {}
    assert client._proxies("vault.internal.example") == {}
    assert client._proxies("vault.example.org") == {"https": "http://proxy:3128"}
