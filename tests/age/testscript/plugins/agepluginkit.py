"""The plugin side of the age plugin protocol, for the test plugins beside this file.

Written from the protocol's description (age-plugin.md: the ``recipient-v1`` and
``identity-v1`` state machines over stanzas on standard input and output), on
purpose without any code of sekret, so that sekret's plugin client talks to a second
implementation. A plugin supplies three optional parsers:

- ``recipient(data)`` for ``age1NAME1…`` strings,
- ``identity_as_recipient(data)`` for ``AGE-PLUGIN-NAME-1…`` used to encrypt (``-e -i``,
  ``-e -j NAME``),
- ``identity(data)`` for ``AGE-PLUGIN-NAME-1…`` used to decrypt,

where ``data`` is the Bech32 payload. A parser raises :class:`PluginError` to refuse
a key; the message goes back to the client as an ``error`` command. A recipient's
``wrap(file_key)`` returns ``(stanzas, labels)``; an identity's ``unwrap(stanzas)``
returns the file key, ``None`` when the stanzas are not its own, or raises
:class:`PluginError`.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


class PluginError(Exception):
    """A failure to report to the client as an ``error`` command."""


class ProtocolFailure(Exception):
    """The conversation broke down: say why on stderr and exit 1."""


@dataclass(frozen=True)
class Stanza:
    type: str
    args: tuple[str, ...] = ()
    body: bytes = b""


class Recipient(Protocol):
    def wrap(self, file_key: bytes) -> tuple[list[Stanza], list[str]]: ...


class Identity(Protocol):
    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...


# --- Bech32 (BIP 173 checksum, no length limit, as age uses it) -------------------------

def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: Sequence[int], src: int, dst: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    for v in data:
        acc = (acc << src) | v
        bits += src
        while bits >= dst:
            bits -= dst
            out.append((acc >> bits) & ((1 << dst) - 1))
    if pad and bits:
        out.append((acc << (dst - bits)) & ((1 << dst) - 1))
    elif not pad and (bits >= src or (acc << (dst - bits)) & ((1 << dst) - 1)):
        raise ValueError("invalid padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Lower-case Bech32 of ``data`` (upper-case if ``hrp`` is)."""
    low = hrp.lower()
    values = _convert(data, 8, 5, True)
    polymod = _polymod([*_hrp_expand(low), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    text = low + "1" + "".join(CHARSET[v] for v in values + checksum)
    return text.upper() if hrp.isupper() else text


def bech32_decode(s: str) -> tuple[str, bytes]:
    """``(hrp, data)``; raises ValueError for a malformed string."""
    if s.lower() != s and s.upper() != s:
        raise ValueError("mixed case")
    low = s.lower()
    pos = low.rfind("1")
    if pos < 1 or pos + 7 > len(low):
        raise ValueError("separator '1' at invalid position")
    hrp = low[:pos]
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise ValueError("invalid character in human-readable part")
    try:
        values = [CHARSET.index(c) for c in low[pos + 1 :]]
    except ValueError:
        raise ValueError("invalid character in data part") from None
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise ValueError("invalid checksum")
    data = bytes(_convert(values[:-6], 5, 8, False))
    return (hrp.upper() if s.isupper() else hrp), data


# --- stanzas on the wire --------------------------------------------------------------

def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def b64decode(s: str) -> bytes:
    if "=" in s or "\r" in s or "\n" in s:
        raise ValueError("base64 with padding or newlines")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


class Conn:
    """Stanzas read from ``rd`` and written to ``wr``."""

    def __init__(self, rd: BinaryIO, wr: BinaryIO) -> None:
        self.rd, self.wr = rd, wr

    def _line(self) -> str:
        line = self.rd.readline()
        if not line.endswith(b"\n"):
            raise ProtocolFailure("the client closed the connection")
        return line[:-1].decode()

    def read(self) -> Stanza:
        words = self._line().split(" ")
        if words[0] != "->" or len(words) < 2 or not all(words[1:]):
            raise ProtocolFailure(f"malformed stanza line {' '.join(words)!r}")
        body = b""
        while True:
            chunk = self._line()
            if len(chunk) > 64:
                raise ProtocolFailure("stanza body line longer than 64 columns")
            try:
                body += b64decode(chunk)
            except ValueError:
                raise ProtocolFailure("invalid base64 in a stanza body") from None
            if len(chunk) < 64:
                return Stanza(words[1], tuple(words[2:]), body)

    def write(self, kind: str, *args: str, body: bytes = b"") -> None:
        text = b64encode(body)
        lines = [" ".join(["->", kind, *args])]
        lines += [text[i : i + 64] for i in range(0, len(text), 64)]
        if len(text) % 64 == 0:
            lines.append("")
        self.wr.write(("\n".join(lines) + "\n").encode())
        self.wr.flush()

    def ask(self, kind: str, *args: str, body: bytes = b"") -> Stanza:
        """Send a command of a bidirectional phase and return the client's answer."""
        self.write(kind, *args, body=body)
        return self.read()

    def expect_ok(self, kind: str, *args: str, body: bytes = b"") -> None:
        answer = self.ask(kind, *args, body=body)
        if answer.type != "ok":
            raise ProtocolFailure(f"expected 'ok' after {kind!r}, got {answer.type!r}")

    def phase1(self) -> list[Stanza]:
        """The client's unidirectional phase, up to its ``done``."""
        out: list[Stanza] = []
        while True:
            stanza = self.read()
            if stanza.type == "done":
                return out
            out.append(stanza)


# --- the two state machines -----------------------------------------------------------

@dataclass
class Plugin:
    name: str
    recipient: Callable[[bytes], Recipient] | None = None
    identity_as_recipient: Callable[[bytes], Recipient] | None = None
    identity: Callable[[bytes], Identity] | None = None

    def _parse(self, conn: Conn, kind: str, index: int, encoding: str,
               parser: Callable[[bytes], object] | None) -> object:
        want = f"age1{self.name}" if kind == "recipient" else f"AGE-PLUGIN-{self.name.upper()}-"
        try:
            hrp, data = bech32_decode(encoding)
            if hrp != want:
                raise PluginError(f"not an {want}1… {kind}: {encoding[:30]!r}")
            if parser is None:
                raise PluginError(f"{kind} encodings are not supported by age-plugin-{self.name}")
            return parser(data)
        except (ValueError, PluginError) as exc:
            conn.expect_ok("error", kind, str(index), body=str(exc).encode())
            raise SystemExit(3) from None

    def recipient_v1(self, conn: Conn) -> int:
        commands = conn.phase1()
        keys: list[Recipient] = []
        for kind, parser in (("recipient", self.recipient),
                             ("identity", self.identity_as_recipient)):
            given = [c.args[0] for c in commands if c.type == f"add-{kind}" and c.args]
            keys += [self._parse(conn, kind, i, s, parser)  # type: ignore[misc]
                     for i, s in enumerate(given)]
        file_keys = [c.body for c in commands if c.type == "wrap-file-key"]
        if not keys or not file_keys:
            raise ProtocolFailure("no recipients, identities or file keys were sent")
        wrapped: list[list[Stanza]] = []
        labels: set[str] | None = None
        for file_key in file_keys:
            stanzas: list[Stanza] = []
            for index, key in enumerate(keys):
                try:
                    got, got_labels = key.wrap(file_key)
                    if labels is not None and set(got_labels) != labels:
                        raise PluginError("the recipients' labels do not match")
                except PluginError as exc:
                    conn.expect_ok("error", "recipient", str(index), body=str(exc).encode())
                    return 3
                labels = set(got_labels)
                stanzas += got
            wrapped.append(stanzas)
        if any(c.type == "extension-labels" for c in commands):
            conn.expect_ok("labels", *sorted(labels or ()))
        for index, stanzas in enumerate(wrapped):
            for s in stanzas:
                conn.expect_ok("recipient-stanza", str(index), s.type, *s.args, body=s.body)
        conn.write("done")
        return 0

    def identity_v1(self, conn: Conn) -> int:
        commands = conn.phase1()
        given = [c.args[0] for c in commands if c.type == "add-identity" and c.args]
        identities: list[Identity] = [
            self._parse(conn, "identity", i, s, self.identity)  # type: ignore[misc]
            for i, s in enumerate(given)
        ]
        files: dict[int, list[Stanza]] = {}
        for c in commands:
            if c.type == "recipient-stanza":
                if len(c.args) < 2 or not c.args[0].isdigit():
                    raise ProtocolFailure("malformed recipient-stanza command")
                files.setdefault(int(c.args[0]), []).append(Stanza(c.args[1], c.args[2:], c.body))
        if not identities or not files:
            raise ProtocolFailure("no identities or no stanzas were sent")
        for index, stanzas in sorted(files.items()):
            for identity in identities:
                try:
                    file_key = identity.unwrap(stanzas)
                except PluginError as exc:
                    conn.expect_ok("error", "stanza", str(index), "0", body=str(exc).encode())
                    break
                if file_key is not None:
                    conn.expect_ok("file-key", str(index), body=file_key)
                    break
        conn.write("done")
        return 0

    def serve(self, argv: Sequence[str]) -> int:
        """Run the state machine named by ``--age-plugin=…`` in ``argv``."""
        machine = ""
        for i, arg in enumerate(argv):
            if arg.lstrip("-").startswith("age-plugin="):
                machine = arg.split("=", 1)[1]
            elif arg.lstrip("-") == "age-plugin" and i + 1 < len(argv):
                machine = argv[i + 1]
        conn = Conn(sys.stdin.buffer, sys.stdout.buffer)
        run = {"recipient-v1": self.recipient_v1, "identity-v1": self.identity_v1}.get(machine)
        if run is None:
            sys.stderr.write(f"age-plugin-{self.name}: unknown state machine {machine!r}\n")
            return 4
        try:
            return run(conn)
        except ProtocolFailure as exc:
            sys.stderr.write(f"age-plugin-{self.name}: {exc}\n")
            return 1
