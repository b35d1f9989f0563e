"""Tagged recipients (``age1tag1…`` / ``p256tag``, ``age1tagpq1…`` / ``mlkem768p256tag``).

age 1.3 encrypts to them natively and leaves decryption to plugins; so does sekret.
The known answers are age's own: the two recipients of its test plugin
(tests/data/age-tagtest), whose keys ``age-plugin-tagtest`` (a separate Python
implementation, tests/age/testscript/plugins) derives from the same seed. sekret
encrypts to those recipients, and the plugin, reached through sekret's plugin client
and through the real ``age``, decrypts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sekret.age
from sekret.age import core, keys
from sekret.age.format import Header, Stanza
from sekret.age.plugin import PluginIdentity, identity_for_plugin_name
from sekret.age.tag import TagRecipient
from sekret.age.tagpq import HybridTagRecipient
from sekret.crypto import bech32, hybrid_p256, p256
from sekret.errors import AgeError, KeyFormatError, NoIdentityMatchError, PluginError
from tests.conftest import require_tool, vendored

VECTORS = json.loads((vendored("age-tagtest") / "recipients.json").read_text())
CLASSIC: str = VECTORS["classic_recipient"]
HYBRID: str = VECTORS["hybrid_recipient"]
PLUGINS = Path(__file__).resolve().parent / "testscript" / "plugins"
VENV_BIN = Path(sys.executable).parent
PLAINTEXT = b"a file for a hardware key\n" * 100
Tagged = TagRecipient | HybridTagRecipient


@pytest.fixture
def plugin_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """age-plugin-tagtest on $PATH, run by the venv's python3 (it needs pyca)."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(VENV_BIN), str(PLUGINS), os.environ["PATH"]]))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")


def tagtest_identity() -> PluginIdentity:
    return PluginIdentity(identity_for_plugin_name("tagtest"))


def _b64(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def _header(ct: bytes) -> Header:
    header, _, _ = core.read_header(core.open_source(io.BytesIO(ct)))
    return header


# --- parsing ---------------------------------------------------------------------------


def test_age_test_recipients_parse_and_round_trip() -> None:
    classic = keys.parse_recipient(CLASSIC)
    hybrid = keys.parse_recipient(HYBRID)
    assert isinstance(classic, TagRecipient) and str(classic) == CLASSIC
    assert isinstance(hybrid, HybridTagRecipient) and str(hybrid) == HYBRID
    assert len(classic.public_bytes) == 33 and len(hybrid.public_bytes) == 1249
    assert classic.labels() == frozenset() and hybrid.labels() == {"postquantum"}
    again = TagRecipient.parse(CLASSIC)
    assert classic == again and hash(classic) == hash(again)
    assert hybrid == HybridTagRecipient.parse(HYBRID) != classic
    assert CLASSIC in repr(classic) and "age1tagpq1" in repr(hybrid)
    # Native, not plugin recipients (age >= 1.3 needs no age-plugin-tag / -tagpq).
    assert not keys.is_plugin_recipient(CLASSIC) and not keys.is_plugin_recipient(HYBRID)
    assert sekret.age.TagRecipient is TagRecipient
    assert sekret.age.HybridTagRecipient is HybridTagRecipient


def test_the_test_plugin_derives_ages_recipients(plugin_path: None) -> None:
    """The plugin's keys are age's: DeriveKeyPair from the same seed gives the same strings."""
    out = subprocess.run(
        [str(VENV_BIN / "python3"), "-B", str(PLUGINS / "age-plugin-tagtest"), "--recipients"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [CLASSIC, HYBRID]


def test_recipients_files_accept_tagged_lines() -> None:
    parsed = keys.parse_recipients_file(f"# hardware keys\n{CLASSIC}\n\n{HYBRID}\n")
    assert [str(r) for r in parsed.recipients] == [CLASSIC, HYBRID]


def _classic_point() -> bytes:
    return TagRecipient.parse(CLASSIC).public_bytes


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (CLASSIC[:-1] + ("q" if CLASSIC[-1] != "q" else "p"), "checksum"),
        (CLASSIC.upper(), "unknown recipient type"),
        (CLASSIC[:12] + CLASSIC[12:].upper(), "mixed case"),
        (bech32.encode("age1tag", b"\x02" + b"\xff" * 32), "not a compressed P-256 point"),
        (bech32.encode("age1tag", bytes(33)), "not a compressed P-256 point"),
        (bech32.encode("age1tag", p256.uncompress(_classic_point())), "invalid key size"),
        (bech32.encode("age1tagpq", _classic_point()), "invalid key size"),
        (
            bech32.encode("age1tagpq", b"\xff" * 1184 + p256.uncompress(_classic_point())),
            "invalid hybrid public key",
        ),
        (bech32.encode("age1tagpq", bytes(1249)), "invalid hybrid public key"),
    ],
)
def test_malformed_tagged_recipients(text: str, needle: str) -> None:
    with pytest.raises(KeyFormatError) as info:
        keys.parse_recipient(text)
    assert needle in str(info.value)


def test_constructors_check_the_key() -> None:
    with pytest.raises(KeyFormatError):
        TagRecipient(bytes(33))
    with pytest.raises(KeyFormatError):
        HybridTagRecipient(bytes(1249))
    with pytest.raises(ValueError):
        TagRecipient.parse(CLASSIC).tag(bytes(64))
    with pytest.raises(ValueError):
        HybridTagRecipient.parse(HYBRID).tag(bytes(65))


# --- the stanzas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "kind", "label", "enc_size", "tag_id"),
    [
        (CLASSIC, "p256tag", b"age-encryption.org/p256tag", 65, lambda r: r.public_bytes),
        (
            HYBRID,
            "mlkem768p256tag",
            b"age-encryption.org/mlkem768p256tag",
            1153,
            lambda r: r.public_bytes[1184:],
        ),
    ],
)
def test_stanza_shape_and_tag(
    recipient: str, kind: str, label: bytes, enc_size: int, tag_id: Callable[[Tagged], bytes]
) -> None:
    """``-> TYPE TAG ENC`` + 32-byte body; TAG = HKDF-Extract(label, ENC || H(id)[:4])[:4]."""
    r = keys.parse_recipient(recipient)
    assert isinstance(r, (TagRecipient, HybridTagRecipient))
    (stanza,) = r.wrap(os.urandom(16))
    assert stanza.type == kind and len(stanza.args) == 2 and len(stanza.body) == 32
    tag, enc = _b64(stanza.args[0]), _b64(stanza.args[1])
    assert len(tag) == 4 and len(enc) == enc_size
    ident = tag_id(r)
    want = hmac.new(label, enc + hashlib.sha256(ident).digest()[:4], hashlib.sha256).digest()[:4]
    assert tag == want == r.tag(enc)
    # Fresh ephemeral keys: two wraps of one file key share nothing.
    (again,) = r.wrap(os.urandom(16))
    assert again.args[1] != stanza.args[1] and again.args[0] != stanza.args[0]


def test_hybrid_stanza_opens_with_the_derived_key() -> None:
    """sekret's seal, opened with sekret's KAT-checked decapsulation and the derived seed."""
    from tests.crypto.test_hpke_p256 import derive_hybrid

    seed = derive_hybrid(VECTORS["seed"].encode())
    assert bech32.encode("age1tagpq", hybrid_p256.public_from_seed(seed)) == HYBRID
    file_key = os.urandom(16)
    (stanza,) = HybridTagRecipient.parse(HYBRID).wrap(file_key)
    opened = hybrid_p256.open_(
        seed, _b64(stanza.args[1]), stanza.body, b"age-encryption.org/mlkem768p256tag"
    )
    assert opened == file_key


def test_classic_stanza_opens_with_the_derived_key() -> None:
    from tests.crypto.test_hpke_p256 import derive_p256

    scalar = derive_p256(VECTORS["seed"].encode())
    assert bech32.encode("age1tag", p256.compress(p256.public_from_scalar(scalar))) == CLASSIC
    file_key = os.urandom(16)
    (stanza,) = TagRecipient.parse(CLASSIC).wrap(file_key)
    opened = p256.open_(scalar, _b64(stanza.args[1]), stanza.body, b"age-encryption.org/p256tag")
    assert opened == file_key


# --- mixing rules (age's TestTagHybridMixingRestrictions) -------------------------------


def test_mixing_rules() -> None:
    x25519 = str(sekret.age.X25519Identity.generate().recipient())
    pq = str(sekret.age.HybridIdentity.generate().recipient())
    sekret.age.encrypt(b"ok", [HYBRID, pq])
    sekret.age.encrypt(b"ok", [CLASSIC, x25519])
    sekret.age.encrypt(b"ok", [HYBRID])
    for mixed in ([HYBRID, x25519], [x25519, HYBRID], [HYBRID, CLASSIC], [CLASSIC, pq]):
        with pytest.raises(AgeError, match="post-quantum and classic"):
            sekret.age.encrypt(b"no", mixed)


# --- round trips through the test plugin ------------------------------------------------


@pytest.mark.parametrize("armor", [False, True])
@pytest.mark.parametrize("which", ["classic", "hybrid"])
def test_round_trip_through_the_plugin(plugin_path: None, which: str, armor: bool) -> None:
    recipient = CLASSIC if which == "classic" else HYBRID
    other = (
        sekret.age.X25519Identity.generate()
        if which == "classic"
        else sekret.age.HybridIdentity.generate()
    )
    # The tagged stanza first, after another recipient's: the plugin finds its own.
    ct = sekret.age.encrypt(PLAINTEXT, [str(other.recipient()), recipient], armor=armor)
    kinds = [s.type for s in _header(ct).stanzas]
    assert kinds[-1] == ("p256tag" if which == "classic" else "mlkem768p256tag")
    assert sekret.age.decrypt(ct, [tagtest_identity()]) == PLAINTEXT
    assert sekret.age.decrypt(ct, [other]) == PLAINTEXT


def test_a_foreign_tag_is_no_match(plugin_path: None) -> None:
    """A stanza whose tag is not the plugin's key's is skipped, as age's identity does."""
    other = TagRecipient(p256.compress(p256.public_from_scalar(b"\x01" * 32)))
    ct = sekret.age.encrypt(PLAINTEXT, [other])
    with pytest.raises(NoIdentityMatchError):
        sekret.age.decrypt(ct, [tagtest_identity()])


def test_a_tampered_body_is_fatal(plugin_path: None) -> None:
    """After a tag match, a failing HPKE open is an error, not "not mine"."""
    (stanza,) = TagRecipient.parse(CLASSIC).wrap(os.urandom(16))
    broken = Stanza(stanza.type, stanza.args, bytes([stanza.body[0] ^ 1]) + stanza.body[1:])
    with pytest.raises(PluginError, match="failed to decrypt"):
        tagtest_identity().unwrap([broken])


# --- the real age ----------------------------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("recipient", [CLASSIC, HYBRID], ids=["classic", "hybrid"])
def test_real_age_decrypts_with_the_plugin(
    plugin_path: None, tmp_path: Path, recipient: str
) -> None:
    """age (1.1.1 here: no native tag types) reads sekret's file through -j tagtest."""
    age = require_tool("age")
    (tmp_path / "f.age").write_bytes(sekret.age.encrypt(PLAINTEXT, [recipient], armor=True))
    out = subprocess.run(
        [age, "-d", "-j", "tagtest", str(tmp_path / "f.age")], capture_output=True, check=False
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert out.stdout == PLAINTEXT


# --- any payload: a recipient or a KeyFormatError, nothing else ----------------------


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    hrp=st.sampled_from(["age1tag", "age1tagpq"]),
    size=st.sampled_from([0, 32, 33, 65, 1248, 1249, 1250]),
    data=st.data(),
)
def test_any_payload_parses_or_is_refused(hrp: str, size: int, data: st.DataObject) -> None:
    if size == 33:  # mostly valid prefixes, so the point check is reached
        payload = data.draw(st.sampled_from([b"\x02", b"\x03", b"\x04"])) + data.draw(
            st.binary(min_size=32, max_size=32)
        )
    elif size == 1249:
        good = HybridTagRecipient.parse(HYBRID).public_bytes
        flips = data.draw(st.lists(st.integers(0, size - 1), max_size=3))
        payload = bytes(b ^ (0xFF if i in flips else 0) for i, b in enumerate(good))
    else:
        payload = data.draw(st.binary(min_size=size, max_size=size))
    text = bech32.encode(hrp, payload)
    try:
        r = keys.parse_recipient(text)
    except KeyFormatError:
        return
    assert str(r) == text
    (stanza,) = r.wrap(os.urandom(16))
    assert stanza.type in ("p256tag", "mlkem768p256tag")
