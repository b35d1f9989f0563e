"""The age plugin client, run against a real plugin program (plugins/age-plugin-sekrettest).

The toy plugin is a separate implementation of the wire format; it runs with the venv's
Python (put first on $PATH) and changes behaviour with $SEKRETTEST_MODE. Interop tests run
real ``age`` 1.1.1 against the same plugin.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sekret.age
from sekret.age import core, keys
from sekret.age.format import Header, Stanza
from sekret.age.plugin import (
    NoUI,
    PluginIdentity,
    PluginRecipient,
    identity_for_plugin_name,
    recipient_for_plugin,
)
from sekret.age.recipients import Recipient
from sekret.crypto import bech32, x25519
from sekret.errors import AgeError, KeyFormatError, NoIdentityMatchError, PluginError
from tests.conftest import require_tool

PLUGINS = Path(__file__).resolve().parent / "plugins"
VENV_BIN = Path(sys.executable).parent
PLAINTEXT = b"attack at dawn\n" * 10


@dataclass
class Keys:
    secret: bytes
    recipient: str
    identity: str


def make_keys() -> Keys:
    secret = os.urandom(32)
    return Keys(
        secret,
        recipient_for_plugin("sekrettest", x25519.public_from_private(secret)),
        bech32.encode("AGE-PLUGIN-SEKRETTEST-", secret),
    )


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The test plugin on $PATH (after the venv's python3); returns its command log."""
    path = tmp_path / "plugin.log"
    monkeypatch.setenv("PATH", os.pathsep.join([str(VENV_BIN), str(PLUGINS), os.environ["PATH"]]))
    for var in ("SEKRETTEST_MODE", "SEKRETTEST_LABELS", "SEKRETTEST_KEY", "AGEDEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SEKRETTEST_LOG", str(path))
    return path


def mode(monkeypatch: pytest.MonkeyPatch, *modes: str) -> None:
    monkeypatch.setenv("SEKRETTEST_MODE", ",".join(modes))


@dataclass
class RecordingUI:
    """A PluginUI that answers from fixed values and records what it was asked."""

    public: str | None = "alice"
    secret: str | None = "1234"
    choice: bool | None = True
    seen: list[tuple[str, ...]] = field(default_factory=list)

    def message(self, message: str, /) -> None:
        self.seen.append(("message", message))

    def request_public(self, prompt: str, /) -> str | None:
        self.seen.append(("public", prompt))
        return self.public

    def request_secret(self, prompt: str, /) -> str | None:
        self.seen.append(("secret", prompt))
        return self.secret

    def confirm(self, prompt: str, yes: str, no: str | None, /) -> bool | None:
        self.seen.append(("confirm", prompt, yes, no or ""))
        return self.choice


# --- round trips through sekret's API --------------------------------------------------


def test_round_trip(log: Path) -> None:
    k = make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    header, _, _ = core.read_header(io.BytesIO(ct))
    assert [s.type for s in header.stanzas] == ["sekrettest"]
    assert sekret.age.decrypt(ct, [k.identity]) == PLAINTEXT
    sent = log.read_text().splitlines()
    assert f"recipient-v1 add-recipient {k.recipient}" in sent
    assert "recipient-v1 extension-labels" in sent
    assert any(line.startswith("recipient-v1 sekret-grease-") for line in sent)
    assert any(line.startswith("identity-v1 sekret-grease-") for line in sent)
    assert "identity-v1 recipient-stanza 0 sekrettest" in "\n".join(sent)


def test_parse_dispatch_and_mixed_recipients(log: Path) -> None:
    k = make_keys()
    native = x25519_identity = sekret.age.X25519Identity.generate()
    recipient = keys.parse_recipient(k.recipient)
    assert isinstance(recipient, PluginRecipient)
    assert isinstance(keys.parse_identity(k.identity), PluginIdentity)
    ct = sekret.age.encrypt(PLAINTEXT, [recipient, native.recipient()], armor=True)
    assert sekret.age.decrypt(ct, [x25519_identity]) == PLAINTEXT
    assert sekret.age.decrypt(ct, [k.identity]) == PLAINTEXT


def test_encrypt_to_a_plugin_identity(log: Path) -> None:
    k = make_keys()
    recipient = PluginIdentity(k.identity).recipient()
    ct = sekret.age.encrypt(PLAINTEXT, [recipient])
    assert sekret.age.decrypt(ct, [k.identity]) == PLAINTEXT
    assert "recipient-v1 add-identity" in log.read_text()
    assert k.identity not in repr(recipient) and k.identity not in str(recipient)


def test_no_file_key_is_no_match(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k, other = make_keys(), make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    with pytest.raises(NoIdentityMatchError) as exc:
        sekret.age.decrypt(ct, [other.identity])
    assert "age-plugin-sekrettest" in exc.value.diagnostics()
    mode(monkeypatch, "nokey")
    with pytest.raises(NoIdentityMatchError):
        sekret.age.decrypt(ct, [k.identity])


# --- interop with real age 1.1.1 -------------------------------------------------------


def test_age_encrypts_sekret_decrypts(log: Path, tmp_path: Path) -> None:
    age = require_tool("age")
    k = make_keys()
    ct = subprocess.run(
        [age, "-r", k.recipient], input=PLAINTEXT, capture_output=True, check=True, cwd=tmp_path
    ).stdout
    assert sekret.age.decrypt(ct, [k.identity]) == PLAINTEXT


def test_sekret_encrypts_age_decrypts(log: Path, tmp_path: Path) -> None:
    age = require_tool("age")
    k = make_keys()
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(f"# sekrettest\n{k.identity}\n")
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    out = subprocess.run(
        [age, "-d", "-i", str(identity_file)], input=ct, capture_output=True, check=True
    )
    assert out.stdout == PLAINTEXT


def test_identity_for_plugin_name_matches_age_j(
    log: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    age = require_tool("age")
    k = make_keys()
    monkeypatch.setenv("SEKRETTEST_KEY", k.secret.hex())
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    out = subprocess.run([age, "-d", "-j", "sekrettest"], input=ct, capture_output=True, check=True)
    assert out.stdout == PLAINTEXT
    sent_by_age = [
        line.split(" ", 2)[2]
        for line in log.read_text().splitlines()
        if line.startswith("identity-v1 add-identity")
    ]
    assert sent_by_age == [identity_for_plugin_name("sekrettest")]
    assert identity_for_plugin_name("SekretTest") == identity_for_plugin_name("sekrettest")
    assert sekret.age.decrypt(ct, [identity_for_plugin_name("sekrettest")]) == PLAINTEXT


def test_identity_for_plugin_name() -> None:
    s = identity_for_plugin_name("yubikey")
    assert s.startswith("AGE-PLUGIN-YUBIKEY-1") and s == s.upper()
    assert bech32.decode(s) == ("AGE-PLUGIN-YUBIKEY-", b"")
    assert PluginIdentity(s).name == "yubikey"
    assert PluginIdentity(identity_for_plugin_name("a.b+c_d-e")).name == "a.b+c_d-e"
    for bad in ("", "a/b", "a b", "ü", "../x", "a\x00"):
        with pytest.raises(KeyFormatError):
            identity_for_plugin_name(bad)


# --- failures ---------------------------------------------------------------------------


def test_plugin_not_found(log: Path) -> None:
    recipient = recipient_for_plugin("nosuchplugin", b"\x01" * 8)
    with pytest.raises(PluginError) as exc:
        sekret.age.encrypt(PLAINTEXT, [recipient])
    assert exc.value.hint == "install age-plugin-nosuchplugin and make sure it is in $PATH"
    ct = sekret.age.encrypt(PLAINTEXT, [make_keys().recipient])
    with pytest.raises(PluginError, match="not found"):
        sekret.age.decrypt(ct, [identity_for_plugin_name("nosuchplugin")])


def test_refuses_plugin_in_current_directory(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PLUGINS)
    monkeypatch.setenv("PATH", ".")
    with pytest.raises(PluginError, match="current directory"):
        sekret.age.encrypt(PLAINTEXT, [make_keys().recipient])


def test_plugin_error_is_surfaced_without_secrets(
    log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    k = make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    mode(monkeypatch, "error")
    with pytest.raises(PluginError) as exc:
        sekret.age.decrypt(ct, [k.identity])
    message = str(exc.value)
    assert "age-plugin-sekrettest" in message and "deliberate failure" in message
    assert k.identity not in message and "<redacted>" in message
    assert "\x1b" not in message  # no terminal escapes from the plugin
    with pytest.raises(PluginError, match="cannot wrap to <redacted>") as exc:
        sekret.age.encrypt(PLAINTEXT, [PluginIdentity(k.identity).recipient()])
    assert k.identity not in exc.value.diagnostics()
    with pytest.raises(PluginError, match="cannot wrap to a recipient"):
        sekret.age.encrypt(PLAINTEXT, [k.recipient])


def test_zero_stanzas(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mode(monkeypatch, "zero")
    with pytest.raises(PluginError, match="no recipient stanzas"):
        sekret.age.encrypt(PLAINTEXT, [make_keys().recipient])


@pytest.mark.parametrize(
    ("plugin_mode", "expected"),
    [
        ("badindex", "unexpected file index"),
        ("dupkey", "file-key sent twice"),
        ("crash", "exited unexpectedly"),
    ],
)
def test_protocol_violations(
    log: Path, monkeypatch: pytest.MonkeyPatch, plugin_mode: str, expected: str
) -> None:
    k = make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    mode(monkeypatch, plugin_mode)
    with pytest.raises(PluginError, match=expected):
        sekret.age.decrypt(ct, [k.identity])


# --- user interface ---------------------------------------------------------------------


def test_ui_callbacks(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = make_keys()
    mode(monkeypatch, "grease", "msg", "confirm", "public", "secret")
    ui = RecordingUI()
    ct = sekret.age.encrypt(PLAINTEXT, [PluginRecipient(k.recipient, ui=ui)])
    assert ui.seen == [
        ("message", "hello from sekrettest"),
        ("confirm", "really continue?", "go", "stop"),
        ("public", "your name"),
    ]
    ui = RecordingUI()
    assert sekret.age.decrypt(ct, [PluginIdentity(k.identity, ui=ui)]) == PLAINTEXT
    assert [s[0] for s in ui.seen] == ["message", "confirm", "public", "secret"]
    assert ("secret", "PIN for sekrettest") in ui.seen
    assert "public ok alice" in log.read_text()


def test_ui_answers_no_or_declines(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    mode(monkeypatch, "confirm")
    with pytest.raises(PluginError, match="the user said no"):
        sekret.age.decrypt(ct, [PluginIdentity(k.identity, ui=RecordingUI(choice=False))])
    assert "confirm ok no" in log.read_text()
    with pytest.raises(PluginError, match="the user said no"):
        sekret.age.decrypt(ct, [PluginIdentity(k.identity, ui=RecordingUI(choice=None))])
    assert "confirm fail" in log.read_text()
    mode(monkeypatch, "secret")
    for ui in (RecordingUI(secret=None), RecordingUI(secret="0000-wrong")):
        with pytest.raises(PluginError, match="wrong PIN") as exc:
            sekret.age.decrypt(ct, [PluginIdentity(k.identity, ui=ui)])
        assert "0000-wrong" not in exc.value.diagnostics()


def test_default_ui_refuses_questions(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = make_keys()
    ct = sekret.age.encrypt(PLAINTEXT, [k.recipient])
    mode(monkeypatch, "msg", "secret")
    with pytest.raises(PluginError, match="no user interface") as exc:
        sekret.age.decrypt(ct, [k.identity])
    assert exc.value.hint is not None and "ui=" in exc.value.hint
    ui = NoUI("age-plugin-x")
    ui.message("dropped")
    with pytest.raises(PluginError, match="age-plugin-x asked for a confirmation"):
        ui.confirm("sure?", "yes", None)


# --- labels -----------------------------------------------------------------------------


def test_labels(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k, k2 = make_keys(), make_keys()
    monkeypatch.setenv("SEKRETTEST_LABELS", "tokenA tokenB")
    r = PluginRecipient(k.recipient)
    with pytest.raises(PluginError, match="known only after wrapping"):
        r.labels()
    stanzas = r.wrap(os.urandom(16))
    assert len(stanzas) == 1 and r.labels() == frozenset({"tokenA", "tokenB"})
    # two recipients of the same plugin agree; the pre-check cannot know yet and lets them by
    both = [PluginRecipient(k.recipient), PluginRecipient(k2.recipient)]
    core.check_recipients(both)
    ct = sekret.age.encrypt(PLAINTEXT, both)
    assert sekret.age.decrypt(ct, [k2.identity]) == PLAINTEXT
    native = sekret.age.X25519Identity.generate().recipient()
    plugin = PluginRecipient(k.recipient)
    mixed: list[Recipient] = [plugin, native]
    core.check_recipients(mixed)
    with pytest.raises(AgeError, match="labels that differ"):
        sekret.age.encrypt(PLAINTEXT, mixed)
    with pytest.raises(AgeError, match="incompatible"):
        sekret.age.encrypt(
            PLAINTEXT, [sekret.age.ScryptRecipient("pw"), PluginRecipient(k.recipient)]
        )
    monkeypatch.delenv("SEKRETTEST_LABELS")
    assert sekret.age.decrypt(sekret.age.encrypt(PLAINTEXT, mixed), [k.identity]) == PLAINTEXT
    assert plugin.labels() == frozenset()


# --- debugging ---------------------------------------------------------------------------


def test_agedebug_traces_commands_not_bodies(
    log: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    k = make_keys()
    monkeypatch.setenv("AGEDEBUG", "plugin")
    file_key = bytes(range(16))
    out = io.BytesIO()
    core.write_header([PluginRecipient(k.recipient)], out, file_key=file_key)
    err = capfd.readouterr().err
    assert "age-plugin-sekrettest <- -> wrap-file-key" in err
    assert "age-plugin-sekrettest -> -> recipient-stanza 0 sekrettest" in err
    assert "AAECAwQFBgcICQoLDA0ODw" not in err  # the base64 file key


# --- the wire format, against scripted plugin output -----------------------------------


class ScriptedPlugin:
    """A hand-written stand-in for a plugin's pipes: fixed output, recorded input."""

    def __init__(self, output: bytes) -> None:
        self.stdin = io.BytesIO()
        self.stdout = io.BytesIO(output)
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def launcher(self, name: str, state_machine: str) -> ScriptedPlugin:
        assert name == "sekrettest" and state_machine in ("identity-v1", "recipient-v1")
        return self


KEY_MSG = Stanza("file-key", ("0",), b"k" * 16).marshal()


def unwrap_scripted(output: bytes) -> tuple[bytes, ScriptedPlugin]:
    plugin = ScriptedPlugin(output)
    identity = PluginIdentity(make_keys().identity, launcher=plugin.launcher)
    stanzas = [Stanza("sekrettest", ("x",), b"\x00" * 48), Stanza("X25519", ("y",), b"")]
    try:
        return identity.unwrap(stanzas), plugin
    finally:
        assert plugin.closed


def test_wire_client_messages_and_unsupported_answers() -> None:
    key, plugin = unwrap_scripted(b"-> what-is-this a b\nAAAA\n" + KEY_MSG + b"-> done\n\n")
    assert key == b"k" * 16
    sent = plugin.stdin.getvalue()
    messages = Header.parse(
        b"age-encryption.org/v1\n" + sent + b"--- " + b"A" * 43 + b"\n"
    ).stanzas  # the client's messages obey the header grammar
    types = [m.type for m in messages]
    assert types[:3] == ["add-identity", "recipient-stanza", "recipient-stanza"]
    assert messages[1].args == ("0", "sekrettest", "x") and messages[1].body == b"\x00" * 48
    assert types[3].startswith("sekret-grease-")
    assert types[4:] == ["done", "unsupported", "ok"]


@pytest.mark.parametrize(
    "output",
    [
        b"-> file-key 0\r\nAAAA\n",  # CR
        b"->  file-key 0\nAAAA\n",  # empty argument
        b"-> file-key 0\nAAA=\n",  # padding
        b"-> file-key 0\nAAB\n",  # non-canonical trailing bits
        b"-> file-key 0\n" + b"A" * 64 + b"\n-> done\n\n",  # missing final short line
        b"-> file-key 0\n" + b"A" * 65 + b"\n",  # too long a body line
        b"-> " + b"x" * 70000 + b"\n\n",  # too long a command line
        b"file-key 0\n\n",  # no arrow
        b"->\n\n",  # no command
    ],
)
def test_wire_strict_reader(output: bytes) -> None:
    with pytest.raises(PluginError, match="broke the plugin protocol"):
        unwrap_scripted(output + b"-> done\n\n")


def test_wire_truncated_output() -> None:
    for output in (b"", b"-> done", b"-> file-key 0\n" + b"A" * 64 + b"\n"):
        with pytest.raises(PluginError, match="exited unexpectedly"):
            unwrap_scripted(output)


_TOKEN = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(kind=_TOKEN, args=st.lists(_TOKEN, max_size=4), body=st.binary(max_size=200))
def test_wire_reader_round_trips_any_stanza(kind: str, args: list[str], body: bytes) -> None:
    """Whatever stanza a plugin sends, correctly framed, arrives unchanged."""
    sent = Stanza(kind, tuple(args), body)
    message = Stanza("recipient-stanza", ("0", kind, *args), body).marshal()
    plugin = ScriptedPlugin(message + b"-> done\n\n")
    recipient = PluginRecipient(make_keys().recipient, launcher=plugin.launcher)
    assert recipient.wrap(b"k" * 16) == [sent]
    assert plugin.stdin.getvalue().endswith(b"-> done\n\n-> ok\n\n")


def test_malformed_plugin_strings() -> None:
    k = make_keys()
    other = "q" if k.recipient[-1] != "q" else "p"  # a checksum that is surely wrong
    for bad in ("age1sekrettest1qqqq", k.recipient.upper(), k.recipient[:-1] + other):
        with pytest.raises(KeyFormatError):
            PluginRecipient(bad)
    bad_identity = k.identity[:-1] + ("Q" if k.identity[-1] != "Q" else "P")
    with pytest.raises(KeyFormatError) as exc:
        PluginIdentity(bad_identity)
    assert bad_identity not in str(exc.value)
    assert k.identity not in repr(PluginIdentity(k.identity))
    with pytest.raises(KeyFormatError):
        PluginIdentity(bech32.encode("AGE-PLUGIN-", b"x"))
