"""``sekret keyservice``: serve sops's key service protocol with this machine's keys.

sops's flags and defaults: ``--network tcp`` (or ``unix``), ``--address
127.0.0.1:5000`` (a socket path for unix), ``--prompt`` to confirm each request on the
terminal, ``--verbose`` to log each request (the key, never a secret). The answers come
from the server's keyring, every key type sekret can use: the age identities found as
sops finds them (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, …), the PGP keys of the server's
gpg (GNUPGHOME, gpg-agent) and Vault/OpenBao transit keys with the server's token
(VAULT_TOKEN, ~/.vault-token), so a client needs none of them. SIGINT or SIGTERM stops
the server (exit 0) and removes its socket.
"""

from __future__ import annotations

import gc
import os
import signal
import stat
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sekret.cli import _ui
from sekret.cli._args import SUPPRESS
from sekret.cli._env import Environment
from sekret.errors import SekretError, UsageError

if TYPE_CHECKING:
    from sekret.keyservice.server import Handler

USAGE = "sekret keyservice [--network tcp|unix] [--address ADDRESS] [--prompt] [--verbose]"
DESCRIPTION = """\
Start a SOPS key service: sops (and sekret) clients given --keyservice URI send it
data keys to wrap or unwrap, and it answers with the keys of this process (age
identities, PGP keys of its gpg), so they never leave this machine. The protocol is
sops's (gRPC, without TLS): keep it on a unix socket or on loopback, or tunnel it
(ssh -L / -R)."""
EPILOG = """\
examples:
  sekret keyservice --network unix --address /run/user/1000/sops.sock
  sops --keyservice unix:///run/user/1000/sops.sock decrypt secrets.yaml
  sekret keyservice                       (tcp on 127.0.0.1:5000, sops's default)
  sekret --keyservice tcp://127.0.0.1:5000 decrypt secrets.yaml
"""


class KeyServiceError(SekretError):
    """The key service cannot start."""


def _parser() -> _ui.Parser:
    p = _ui.Parser("sekret keyservice", USAGE, DESCRIPTION, EPILOG)
    p.add_argument("--net", "--network", dest="network", default="tcp",
                   help="network to listen on: tcp or unix (default tcp)")
    p.add_argument("--addr", "--address", dest="address", default="127.0.0.1:5000",
                   help="host:port, or the socket path for unix (default 127.0.0.1:5000)")
    p.add_argument("--prompt", action="store_true", help="confirm every request on the terminal")
    p.add_argument("--verbose", action="store_true", help="log every request (never a secret)")
    p.add_argument("args", nargs="*", help=SUPPRESS)
    return p


def _normalise(argv: Sequence[str]) -> list[str]:
    """Go's single-dash long flags (``-network unix``), as sops takes them."""
    names = ("-net", "-network", "-addr", "-address", "-prompt", "-verbose")
    return ["-" + a if a.split("=", 1)[0] in names else a for a in argv]


def run(argv: Sequence[str], env: Environment) -> int:
    """``sekret keyservice …``."""
    parser = _parser()
    args = parser.parse(_normalise(argv))
    if args.help:
        return parser.write_help(env)
    if args.args:
        raise UsageError(f"unexpected argument {args.args[0]!r}", hint=USAGE)
    try:
        from sekret.keyservice import server as srv
        from sekret.sops.services import KeyRef, LocalService
    except ImportError:
        raise KeyServiceError(
            "the key service needs grpcio and protobuf",
            hint="install sekret with its keyservice extra: pip install 'sekret[keyservice]'",
        ) from None
    try:
        target = srv.listen_target(args.network, args.address)
    except ValueError as exc:
        raise UsageError(str(exc), hint=USAGE) from None
    from sekret.cli import sops_ops

    def ask(op: str, key: KeyRef) -> bool:
        while True:
            env.stdout.write(f"\nReceived {op} request using {key.describe()}. "
                             "Respond to request? (y/n): ".encode())  # fmt: skip
            env.stdout.flush()
            line = env.stdin.readline()
            if not line:
                return False
            if line.strip() in (b"y", b"n"):
                return line.strip() == b"y"

    def log(message: str) -> None:
        _ui.say(env, "info", message)
        env.stderr.flush()

    handler = srv.Handler(LocalService(sops_ops.keyring(env)), ask=ask if args.prompt else None,
                          log=log if args.verbose else None)  # fmt: skip
    return _serve(handler, target, args.network, args.address, env)


def _serve(handler: Handler, target: str, network: str, address: str, env: Environment) -> int:
    """Answer requests until SIGINT or SIGTERM."""
    from sekret.keyservice import server as s

    gc.enable()  # a long-running process: main() paused the collector for short commands
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    try:
        try:
            server, port = s.start(handler, target)
        except RuntimeError:
            raise KeyServiceError(
                f"cannot listen on {network}://{address}",
                hint="is another key service there already? (sops's default is "
                "127.0.0.1:5000; choose another with --address)",
            ) from None
        shown = address if network == "unix" else f"{address.rpartition(':')[0]}:{port}"
        _ui.say(env, "info", f"listening on {network}://{shown}")
        env.stderr.flush()
        stop.wait()
        _ui.say(env, "info", "shutting down")
        server.stop(grace=1).wait()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        if network == "unix":
            _remove_socket(address)
    return 0


def _remove_socket(path: str) -> None:
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass
