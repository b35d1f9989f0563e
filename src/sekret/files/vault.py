"""The Vault / OpenBao HTTP API, as far as sops uses it: transit encrypt/decrypt, KV read/write.

Plain HTTPS through the standard library: sops needs four JSON calls of a stable API
(``<engine>/encrypt/<key>``, ``<engine>/decrypt/<key>``, and KV v1/v2 reads and writes for
``publish``), so a client library (and its HTTP stack) would add more start-up and
dependencies than it saves code. Settings come from the environment the caller gives,
read as sops's Vault client reads them:

* the token: one given explicitly (a key service's), else ``VAULT_TOKEN``, else the
  file ``~/.vault-token`` (trimmed; a missing file is no error, an unreadable one is);
* ``VAULT_NAMESPACE`` (the ``X-Vault-Namespace`` header); ``VAULT_CACERT``,
  ``VAULT_CAPATH``, ``VAULT_CLIENT_CERT``/``VAULT_CLIENT_KEY``, ``VAULT_SKIP_VERIFY``
  and ``VAULT_TLS_SERVER_NAME`` for TLS; ``VAULT_CLIENT_TIMEOUT`` (default 60 s);
* ``VAULT_ADDR`` (default ``https://127.0.0.1:8200``) only where no address is given:
  a transit key carries its own, a publish destination may;
* ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, never for loopback hosts (as Go does).

Errors name the URL and what the server said; the token never appears in them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from sekret.errors import SopsError

DEFAULT_ADDRESS = "https://127.0.0.1:8200"
TOKEN_FILE = ".vault-token"
_TRUE = ("1", "t", "T", "TRUE", "true", "True")


class VaultError(SopsError):
    """The server could not be reached, or refused or failed the request."""


class VaultClient:
    """Requests to Vault/OpenBao servers with the settings of one environment."""

    def __init__(self, environ: Mapping[str, str], *, token: str | None = None) -> None:
        self.environ = environ
        self._token = token

    def __repr__(self) -> str:
        return "VaultClient(<token hidden>)"

    @property
    def default_address(self) -> str:
        """``VAULT_ADDR``, or Vault's default."""
        return self.environ.get("VAULT_ADDR") or DEFAULT_ADDRESS

    def token(self) -> str:
        """The token to send: explicit, ``VAULT_TOKEN``, then ``~/.vault-token``."""
        if self._token:
            return self._token
        if self.environ.get("VAULT_TOKEN"):
            return self.environ["VAULT_TOKEN"]
        home = self.environ.get("HOME") or os.path.expanduser("~")
        path = os.path.join(home, TOKEN_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise VaultError(
                f"cannot get Vault token: cannot read {path!r}: "
                f"{getattr(exc, 'strerror', None) or type(exc).__name__}"
            ) from None

    def _context(self) -> Any:
        import ssl

        env = self.environ
        ctx = ssl.create_default_context(
            cafile=env.get("VAULT_CACERT") or None, capath=env.get("VAULT_CAPATH") or None
        )
        if env.get("VAULT_CLIENT_CERT"):
            ctx.load_cert_chain(env["VAULT_CLIENT_CERT"], env.get("VAULT_CLIENT_KEY") or None)
        if env.get("VAULT_SKIP_VERIFY", "") in _TRUE:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _timeout(self) -> float:
        raw = self.environ.get("VAULT_CLIENT_TIMEOUT", "").strip().removesuffix("s")
        try:
            return float(raw) if raw else 60.0
        except ValueError:
            return 60.0

    def _proxies(self, host: str) -> dict[str, str]:
        env = self.environ
        if host in ("localhost", "::1") or host.startswith("127.") or host.endswith(".localhost"):
            return {}
        no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
        if no_proxy == "*" or any(
            h and (host == h.lstrip(".") or host.endswith("." + h.lstrip(".")))
            for h in (p.strip().split(":")[0] for p in no_proxy.split(","))
        ):
            return {}
        out = {}
        for scheme in ("http", "https"):
            value = env.get(f"{scheme.upper()}_PROXY") or env.get(f"{scheme}_proxy")
            if value:
                out[scheme] = value
        return out

    def request(
        self, method: str, address: str, path: str, payload: Mapping[str, object] | None = None
    ) -> dict[str, Any] | None:
        """``METHOD <address>/v1/<path>``: the decoded JSON response (None: 404 or empty)."""
        import urllib.error
        import urllib.request
        from urllib.parse import urlsplit

        url = f"{address.rstrip('/')}/v1/{path.lstrip('/')}"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise VaultError(f"unsupported Vault address {address!r}", hint="use http(s)://HOST:PORT")
        headers = {"X-Vault-Request": "true"}
        token = self.token()
        if token:
            headers["X-Vault-Token"] = token
        if self.environ.get("VAULT_NAMESPACE"):
            headers["X-Vault-Namespace"] = self.environ["VAULT_NAMESPACE"]
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        handlers: list[Any] = [urllib.request.ProxyHandler(self._proxies(parts.hostname))]
        if parts.scheme == "https":
            handlers.append(urllib.request.HTTPSHandler(context=self._context()))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=self._timeout()) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            raise _http_error(method, url, exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise VaultError(
                f"{method} {url}: cannot reach the Vault server: {reason}",
                hint="check the address (and VAULT_CACERT for a private CA), and that the "
                "server is running",
            ) from None
        if not raw.strip():
            return None
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise VaultError(f"{method} {url}: the response is not JSON") from None
        return decoded if isinstance(decoded, dict) else None

    def write(self, address: str, path: str, payload: Mapping[str, object]) -> object:
        """``PUT`` (as Vault's own client writes): the response's ``data``."""
        response = self.request("PUT", address, path, payload)
        return None if response is None else response.get("data")

    def read(self, address: str, path: str) -> dict[str, Any] | None:
        """``GET``: the response's ``data`` (None if there is no secret)."""
        response = self.request("GET", address, path)
        data = None if response is None else response.get("data")
        return data if isinstance(data, dict) else None


def _http_error(method: str, url: str, code: int, raw: bytes) -> VaultError:
    try:
        errors = json.loads(raw).get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    said = "; ".join(str(e) for e in errors) or "no details"
    hint = None
    if code in (401, 403):
        hint = (
            "the token is missing, expired or not allowed here: set VAULT_TOKEN, or log in "
            "(`vault login` / `bao login` write ~/.vault-token)"
        )
    return VaultError(f"{method} {url}: code {code}: {said}", hint=hint)
