"""The client side of the age plugin protocol (age-plugin.md, version 1).

A plugin recipient ``age1NAME1…`` or identity ``AGE-PLUGIN-NAME-1…`` is handled by the
program ``age-plugin-NAME``. This module speaks the protocol over the program's two
pipes; starting and stopping the program is left to :mod:`sekret.age._plugin_process`,
so everything here works on binary streams only.

Messages are age stanzas. The client first sends its commands (a one-way phase, ended
by ``done``), then answers the plugin's commands one by one until the plugin's ``done``:

* ``recipient-v1`` (encrypt): ``add-recipient``/``add-identity``, ``wrap-file-key``,
  ``extension-labels``; the plugin answers with ``recipient-stanza`` and ``labels``;
* ``identity-v1`` (decrypt): ``add-identity`` and one ``recipient-stanza`` per header
  stanza; the plugin answers with ``file-key``, or nothing when no stanza is its own.

In both, the plugin may talk to the user (``msg``, ``confirm``, ``request-public``,
``request-secret``) through a :class:`PluginUI` given by the caller; without one, any
question is refused with a clear error. Commands we do not know are ignored in the
one-way phase and answered with ``unsupported`` in the other, so grease is harmless; we
send a grease command of our own in every first phase to keep plugins honest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import BinaryIO, Protocol

from sekret._sensitive import SecretStr
from sekret.age.format import COLUMNS, Stanza, b64decode, b64encode
from sekret.age.recipients import FILE_KEY_SIZE
from sekret.crypto import bech32
from sekret.errors import IncorrectIdentity, KeyFormatError, PluginError

RECIPIENT_PREFIX = "age1"
IDENTITY_PREFIX = "AGE-PLUGIN-"
_NAME = re.compile(r"[A-Za-z0-9_.+-]+")
#: Bounds on what a plugin may send, so a broken one cannot exhaust memory.
MAX_LINE = 64 << 10
MAX_BODY = 1 << 20
#: Key strings (any case) a plugin might echo: prefix, name, "1", 6+ Bech32 characters.
_SECRET_TOKEN = re.compile(r"AGE-(?:PLUGIN|SECRET-KEY)-[A-Z0-9._+-]*1[02-9AC-HJ-NP-Z]{6,}", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_MAX_SHOWN = 500


class PluginUI(Protocol):
    """How a plugin talks to the user; each question may be declined with ``None``."""

    def message(self, message: str, /) -> None:
        """Show an informational message from the plugin."""
        ...  # pragma: no cover

    def request_public(self, prompt: str, /) -> str | None:
        """Ask for a value that is not secret (it may be echoed)."""
        ...  # pragma: no cover

    def request_secret(self, prompt: str, /) -> str | None:
        """Ask for a secret value (a PIN, a passphrase)."""
        ...  # pragma: no cover

    def confirm(self, prompt: str, yes: str, no: str | None, /) -> bool | None:
        """Ask to choose between ``yes`` and ``no`` (or just acknowledge ``yes``)."""
        ...  # pragma: no cover


class NoUI:
    """The default UI: drops messages and refuses every question with an error."""

    def __init__(self, program: str = "the plugin") -> None:
        self._program = program

    def _refuse(self, what: str) -> PluginError:
        return PluginError(
            f"{self._program} asked for {what}, but no user interface is available",
            hint="pass ui= (a sekret.age.plugin.PluginUI) to the plugin recipient or identity",
        )

    def message(self, message: str, /) -> None:
        """Ignore the message: there is nowhere to show it."""

    def request_public(self, prompt: str, /) -> str | None:
        """Refuse."""
        raise self._refuse("a value")

    def request_secret(self, prompt: str, /) -> str | None:
        """Refuse."""
        raise self._refuse("a secret value")

    def confirm(self, prompt: str, yes: str, no: str | None, /) -> bool | None:
        """Refuse."""
        raise self._refuse("a confirmation")


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid plugin name (``A-Z a-z 0-9 - _ . +``)."""
    if not _NAME.fullmatch(name):
        raise KeyFormatError(f"invalid plugin name {name[:40]!r}")
    return name


def identity_for_plugin_name(name: str) -> str:
    """The data-less identity ``AGE-PLUGIN-NAME-1…`` that age's ``-j NAME`` uses."""
    return bech32.encode(f"{IDENTITY_PREFIX}{validate_name(name).upper()}-", b"")


def recipient_for_plugin(name: str, data: bytes) -> str:
    """Encode a plugin recipient ``age1NAME1…`` holding ``data``."""
    return bech32.encode(RECIPIENT_PREFIX + validate_name(name).lower(), data)


def _sanitise(raw: bytes, secrets: Sequence[str]) -> str:
    """Plugin text fit to show: no control characters, no key strings, bounded length."""
    text = raw.decode("utf-8", "replace")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _SECRET_TOKEN.sub("<redacted>", text)
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


class PluginConnection(Protocol):
    """The two pipes of a running plugin: we write to ``stdin`` and read ``stdout``."""

    @property
    def stdin(self) -> BinaryIO:
        """The plugin's standard input."""
        ...  # pragma: no cover

    @property
    def stdout(self) -> BinaryIO:
        """The plugin's standard output."""
        ...  # pragma: no cover

    def close(self) -> None:
        """End the plugin."""
        ...  # pragma: no cover


#: Starts ``age-plugin-NAME`` for a state machine (``recipient-v1``/``identity-v1``).
Launcher = Callable[[str, str], PluginConnection]


def _launch(name: str, state_machine: str) -> PluginConnection:
    from sekret.age import _plugin_process

    return _plugin_process.start(name, state_machine)


class _Session:
    """One conversation with one plugin process: framing, UI commands and errors."""

    def __init__(self, conn: PluginConnection, name: str, ui: PluginUI | None) -> None:
        self._conn = conn
        self.program = f"age-plugin-{name}"
        self._ui: PluginUI = ui if ui is not None else NoUI(self.program)
        self.secrets: list[str] = []

    def _broken(self) -> PluginError:
        return PluginError(
            f"{self.program} exited unexpectedly",
            hint="run with AGEDEBUG=plugin to see what the plugin reported",
        )

    def protocol_error(self, what: str) -> PluginError:
        """The error for a plugin that sent something the protocol does not allow."""
        return PluginError(f"{self.program} broke the plugin protocol: {what}")

    def send(self, kind: str, args: Sequence[str] = (), body: bytes = b"") -> None:
        """Send one message and flush it."""
        try:
            self._conn.stdin.write(Stanza(kind, tuple(args), body).marshal())
            self._conn.stdin.flush()
        except (OSError, ValueError):  # a broken pipe, or a pipe we closed
            raise self._broken() from None

    def grease(self) -> None:
        """Send a command no plugin knows, with random arguments and body."""
        rnd = os.urandom(8)
        args = [b64encode(os.urandom(1 + rnd[i] % 12)) for i in range(rnd[0] % 3)]
        self.send(f"sekret-grease-{rnd[3:6].hex()}", args, os.urandom(rnd[7] % 40))

    def _line(self, limit: int) -> bytes:
        try:
            line = self._conn.stdout.readline(limit + 1)
        except (OSError, ValueError):
            raise self._broken() from None
        if not line.endswith(b"\n"):
            if len(line) > limit:
                raise self.protocol_error("message line too long")
            raise self._broken()
        return line[:-1]

    def read(self) -> Stanza:
        """Read one message, as strictly as a header stanza (age-encryption.org/v1)."""
        parts = self._line(MAX_LINE).split(b" ")
        if parts[0] != b"->" or len(parts) < 2:
            raise self.protocol_error("malformed message line")
        if not all(p and all(0x21 <= c <= 0x7E for c in p) for p in parts[1:]):
            raise self.protocol_error("malformed message line")
        body = bytearray()
        while True:
            line = self._line(COLUMNS)
            if len(line) > COLUMNS:
                raise self.protocol_error("message body line longer than 64 columns")
            try:
                body += b64decode(line)
            except ValueError:
                raise self.protocol_error("message body is not canonical base64") from None
            if len(body) > MAX_BODY:
                raise self.protocol_error("message body too large")
            if len(line) < COLUMNS:
                break
        words = [p.decode("ascii") for p in parts[1:]]
        return Stanza(words[0], tuple(words[1:]), bytes(body))

    def text(self, raw: bytes) -> str:
        """Plugin-supplied text, cleaned of control characters and secrets."""
        return _sanitise(raw, self.secrets)

    def check_index(self, msg: Stanza, nargs: int | None = None) -> None:
        """We send one file at a time: its index is always 0."""
        if not msg.args or (nargs is not None and len(msg.args) != nargs):
            raise self.protocol_error(f"wrong number of arguments to {msg.type!r}")
        if msg.args[0] != "0":
            raise self.protocol_error(f"unexpected file index in {msg.type!r}")

    def fail_with(self, msg: Stanza) -> PluginError:
        """Acknowledge an ``error`` command and return the error to raise."""
        self.send("ok")
        where = self.text(" ".join(msg.args[:3]).encode("ascii"))[:60] or "unspecified"
        return PluginError(
            f"{self.program} reported an error ({where}): {self.text(msg.body)}",
            hint=f"see the documentation of {self.program}",
        )

    def answer(self, msg: Stanza) -> None:
        """Answer a UI command, or ``unsupported`` for a command we do not know."""
        ui = self._ui
        if msg.type == "msg":
            ui.message(self.text(msg.body))
            self.send("ok")
        elif msg.type in ("request-public", "request-secret"):
            ask = ui.request_secret if msg.type == "request-secret" else ui.request_public
            value = ask(self.text(msg.body))
            if value is None:
                self.send("fail")
                return
            if msg.type == "request-secret":
                self.secrets.append(value)
            self.send("ok", (), value.encode("utf-8"))
        elif msg.type == "confirm":
            if not 1 <= len(msg.args) <= 2:
                raise self.protocol_error("wrong number of arguments to 'confirm'")
            try:
                choices = [self.text(b64decode(a)) for a in msg.args]
            except ValueError:
                raise self.protocol_error("confirm choices are not canonical base64") from None
            no = choices[1] if len(choices) == 2 else None
            choice = ui.confirm(self.text(msg.body), choices[0], no)
            if choice is None or (choice is False and no is None):
                self.send("fail")
            else:
                self.send("ok", ("yes" if choice else "no",))
        else:
            self.send("unsupported")


class PluginRecipient:
    """A recipient handled by ``age-plugin-NAME`` (``age1NAME1…``, or an identity)."""

    def __init__(
        self, s: str, *, ui: PluginUI | None = None, launcher: Launcher | None = None
    ) -> None:
        if s.startswith(IDENTITY_PREFIX):
            self.name = _identity_name(s)
            self._encoding: str | SecretStr = SecretStr(s)
        else:
            self.name = _recipient_name(s)
            self._encoding = s
        self.ui = ui
        self._launcher = launcher or _launch
        self._labels: frozenset[str] | None = None

    def __repr__(self) -> str:
        if isinstance(self._encoding, SecretStr):
            return f"PluginRecipient(<identity for age-plugin-{self.name}>)"
        return f"PluginRecipient({self._encoding!r})"

    def __str__(self) -> str:
        return repr(self) if isinstance(self._encoding, SecretStr) else self._encoding

    def labels(self) -> frozenset[str]:
        """The labels the plugin reported on the last wrap (they are unknown before)."""
        if self._labels is None:
            raise PluginError(f"the labels of age-plugin-{self.name} are known only after wrapping")
        return self._labels

    def wrap(self, file_key: bytes) -> list[Stanza]:
        """Have the plugin wrap ``file_key``; return its stanzas."""
        return self.wrap_with_labels(file_key)[0]

    def wrap_with_labels(self, file_key: bytes) -> tuple[list[Stanza], frozenset[str]]:
        """Have the plugin wrap ``file_key``; return its stanzas and its labels."""
        conn = self._launcher(self.name, "recipient-v1")
        try:
            stanzas, labels = self._run(_Session(conn, self.name, self.ui), file_key)
        finally:
            conn.close()
        self._labels = labels
        return stanzas, labels

    def _run(self, s: _Session, file_key: bytes) -> tuple[list[Stanza], frozenset[str]]:
        if isinstance(self._encoding, SecretStr):
            s.secrets.append(self._encoding.expose())
            s.send("add-identity", (self._encoding.expose(),))
        else:
            s.send("add-recipient", (self._encoding,))
        s.grease()
        s.send("wrap-file-key", (), file_key)
        s.send("extension-labels")
        s.send("done")
        stanzas: list[Stanza] = []
        labels: frozenset[str] | None = None
        while (msg := s.read()).type != "done":
            if msg.type == "recipient-stanza":
                s.check_index(msg)
                if len(msg.args) < 2:
                    raise s.protocol_error("recipient-stanza without a stanza type")
                stanzas.append(Stanza(msg.args[1], msg.args[2:], msg.body))
                s.send("ok")
            elif msg.type == "labels":
                if labels is not None:
                    raise s.protocol_error("labels sent twice")
                if len(set(msg.args)) != len(msg.args):
                    raise s.protocol_error("repeated label")
                labels = frozenset(msg.args)
                s.send("ok")
            elif msg.type == "error":
                raise s.fail_with(msg)
            else:
                s.answer(msg)
        if not stanzas:
            raise PluginError(f"{s.program} returned no recipient stanzas")
        return stanzas, labels or frozenset()


class PluginIdentity:
    """An identity handled by ``age-plugin-NAME`` (``AGE-PLUGIN-NAME-1…``)."""

    def __init__(
        self, s: str, *, ui: PluginUI | None = None, launcher: Launcher | None = None
    ) -> None:
        self.name = _identity_name(s)
        self._encoding = SecretStr(s)
        self.ui = ui
        self._launcher = launcher or _launch

    def __repr__(self) -> str:
        return f"PluginIdentity(<identity for age-plugin-{self.name}>)"

    def recipient(self) -> PluginRecipient:
        """A recipient that encrypts to this identity (the plugin's ``add-identity``)."""
        return PluginRecipient(self._encoding.expose(), ui=self.ui, launcher=self._launcher)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes:
        """Ask the plugin for the file key; ``IncorrectIdentity`` if it finds none."""
        conn = self._launcher(self.name, "identity-v1")
        try:
            key = self._run(_Session(conn, self.name, self.ui), stanzas)
        finally:
            conn.close()
        if key is None:
            raise IncorrectIdentity(f"age-plugin-{self.name} found no stanza for its identity")
        return key

    def _run(self, s: _Session, stanzas: Sequence[Stanza]) -> bytes | None:
        s.secrets.append(self._encoding.expose())
        s.send("add-identity", (self._encoding.expose(),))
        for stanza in stanzas:
            s.send("recipient-stanza", ("0", stanza.type, *stanza.args), stanza.body)
        s.grease()
        s.send("done")
        key: bytes | None = None
        while (msg := s.read()).type != "done":
            if msg.type == "file-key":
                s.check_index(msg, 1)
                if key is not None:
                    raise s.protocol_error("file-key sent twice")
                if len(msg.body) != FILE_KEY_SIZE:
                    raise s.protocol_error("file key of the wrong size")
                key = msg.body
                s.secrets.append(b64encode(key))
                s.send("ok")
            elif msg.type == "error":
                raise s.fail_with(msg)
            else:
                s.answer(msg)
        return key


def _recipient_name(s: str) -> str:
    try:
        hrp, _ = bech32.decode(s)
    except bech32.Bech32Error as exc:
        raise KeyFormatError(f"malformed plugin recipient: {exc}") from None
    if not hrp.startswith(RECIPIENT_PREFIX) or hrp != hrp.lower():
        raise KeyFormatError("malformed plugin recipient: not age1NAME1…")
    return validate_name(hrp[len(RECIPIENT_PREFIX) :])


def _identity_name(s: str) -> str:
    # Never show the string: a plugin identity may carry secret data.
    try:
        hrp, _ = bech32.decode(s)
    except bech32.Bech32Error as exc:
        raise KeyFormatError(f"malformed plugin identity: {exc}") from None
    if not (hrp.startswith(IDENTITY_PREFIX) and hrp.endswith("-")) or hrp != hrp.upper():
        raise KeyFormatError("malformed plugin identity: not AGE-PLUGIN-NAME-1…")
    return validate_name(hrp[len(IDENTITY_PREFIX) : -1]).lower()
