"""Property tests: encrypt∘decrypt is the identity; parse∘serialise is the identity for
every header and armor the strict parsers accept (age's FuzzMalleability)."""

from __future__ import annotations

import io
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sekret.age as age
from sekret.age import armor
from sekret.age.format import Header, Stanza, parse_prefix
from sekret.crypto import ssh as sshcrypto
from sekret.errors import AgeError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _x25519() -> list[age.X25519Identity]:
    return [age.X25519Identity.generate() for _ in range(3)]


@cache
def _pq() -> list[age.HybridIdentity]:
    return [age.HybridIdentity.generate() for _ in range(2)]


@cache
def _ssh() -> list[age.SSHIdentity]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    out = []
    for key in (ed25519.Ed25519PrivateKey.generate(), rsa.generate_private_key(65537, 2048)):
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        out.append(age.SSHIdentity(sshcrypto.load_private_key(pem, None)))
    return out


classic = st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True)
payloads = st.one_of(
    st.binary(max_size=300),
    st.integers(0, 3).map(lambda k: b"\x5a" * (65536 * k)),
    st.integers(1, 2).map(lambda k: b"\xa5" * (65536 * k + 1)),
)


@SETTINGS
@given(data=payloads, picks=classic, use_armor=st.booleans(), pick_id=st.integers(0, 4))
def test_classic_roundtrip(data: bytes, picks: list[int], use_armor: bool, pick_id: int) -> None:
    identities = [*_x25519(), *_ssh()]
    recipients = [identities[i].recipient() for i in picks]
    ct = age.encrypt(data, recipients, armor=use_armor)
    holder = identities[picks[pick_id % len(picks)]]
    assert age.decrypt(ct, [holder]) == data
    outsiders = [i for n, i in enumerate(identities) if n not in picks]
    if outsiders:
        try:
            age.decrypt(ct, outsiders)
        except AgeError:
            pass
        else:  # pragma: no cover - a failure of the property
            raise AssertionError("an identity that is not a recipient decrypted the file")


@SETTINGS
@given(data=st.binary(max_size=2000), both=st.booleans())
def test_postquantum_roundtrip(data: bytes, both: bool) -> None:
    ids = _pq()
    recipients = [i.recipient() for i in (ids if both else ids[:1])]
    ct = age.encrypt(data, recipients)
    assert age.decrypt(ct, [ids[-1] if both else ids[0]]) == data


@settings(max_examples=10, deadline=None)
@given(data=st.binary(max_size=100), passphrase=st.text(min_size=1, max_size=20))
def test_scrypt_roundtrip(data: bytes, passphrase: str) -> None:
    ct = age.encrypt(data, [age.ScryptRecipient(passphrase, work_factor=4)])
    assert age.decrypt(ct, [age.ScryptIdentity(passphrase)]) == data


vchar_token = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
)
stanzas = st.builds(
    Stanza,
    type=vchar_token,
    args=st.lists(vchar_token, max_size=4).map(tuple),
    body=st.binary(max_size=200),
)
headers = st.builds(
    Header,
    stanzas=st.lists(stanzas, min_size=1, max_size=5).map(tuple),
    mac=st.binary(min_size=32, max_size=32),
)


@SETTINGS
@given(header=headers)
def test_header_serialise_parse(header: Header) -> None:
    data = header.marshal()
    assert Header.parse(data) == header
    assert Header.parse(data).marshal() == data


@SETTINGS
@given(header=headers, pos=st.integers(0, 10_000), byte=st.integers(0, 255), cut=st.booleans())
def test_header_malleability(header: Header, pos: int, byte: int, cut: bool) -> None:
    """Whatever mutated header the parser accepts serialises back to the same bytes."""
    data = bytearray(header.marshal())
    pos %= len(data)
    if cut:
        del data[pos]
    else:
        data[pos] = byte
    try:
        parsed, end = parse_prefix(bytes(data))
    except AgeError:
        return
    assert parsed.marshal() == bytes(data[:end])


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_armor_roundtrip(data: bytes) -> None:
    text = armor.armor(data)
    assert armor.dearmor(text) == data
    assert armor.armor(armor.dearmor(text)) == text


def _normalise(text: bytes) -> bytes:
    """What the reader tolerates: CRLF endings, whitespace around the block."""
    return text.strip(b" \t\r\n\v\f").replace(b"\r\n", b"\n") + b"\n"


@SETTINGS
@given(
    data=st.binary(min_size=1, max_size=400),
    pos=st.integers(0, 5000),
    byte=st.integers(0, 255),
    cut=st.booleans(),
)
def test_armor_malleability(data: bytes, pos: int, byte: int, cut: bool) -> None:
    """Whatever mutated armor the reader accepts is the canonical armor of what it decodes."""
    text = bytearray(armor.armor(data))
    pos %= len(text)
    if cut:
        del text[pos]
    else:
        text[pos] = byte
    try:
        decoded = armor.ArmorReader(io.BytesIO(bytes(text))).read()
    except AgeError:
        return
    assert armor.armor(decoded) == _normalise(bytes(text))
