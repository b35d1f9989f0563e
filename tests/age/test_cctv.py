"""All 143 C2SP/CCTV age vectors: exact results and exact failure categories."""

from __future__ import annotations

import hashlib
import io

import pytest

from sekret.age import armor, core
from sekret.age.keys import parse_identity
from sekret.age.recipients import Identity
from sekret.age.scrypt import ScryptIdentity
from sekret.errors import (
    ArmorError,
    HeaderError,
    HeaderMACError,
    NoIdentityMatchError,
    PayloadError,
    SekretError,
)
from tests.conftest import vendored
from tests.vectors import cctv

FOLDER = vendored("cctv-age")
PATHS = cctv.all_vectors(FOLDER)

CATEGORY: dict[str, tuple[type[SekretError], ...]] = {
    "header failure": (HeaderError,),
    "HMAC failure": (HeaderMACError,),
    "payload failure": (PayloadError,),
    "armor failure": (ArmorError,),
    "no match": (NoIdentityMatchError,),
}


def test_all_vectors_present() -> None:
    assert len(PATHS) == 143, f"expected the 143 CCTV vectors in {FOLDER}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_vector(path: object) -> None:
    v = cctv.load(path)  # type: ignore[arg-type]
    assert v is not None, "every vector uses only known keys"
    identities: list[Identity] = [parse_identity(s) for s in v.identities]
    identities += [ScryptIdentity(p) for p in v.passphrases]
    out = io.BytesIO()
    error: SekretError | None = None
    try:
        core.decrypt_stream(io.BytesIO(v.data), out, identities)
    except SekretError as exc:
        error = exc
    released = hashlib.sha256(out.getvalue()).hexdigest()
    if v.expect == "success":
        assert error is None, f"unexpected {type(error).__name__}: {error}"
        assert released == v.payload_sha256
        return
    assert error is not None, f"{v.name} must fail with {v.expect!r}"
    allowed = CATEGORY[v.expect]
    assert isinstance(error, allowed), f"{type(error).__name__}: {error} (want {v.expect})"
    # Only one category may match: an armor failure must not pass as a header failure.
    for other, classes in CATEGORY.items():
        if other != v.expect:
            assert not isinstance(error, classes) or set(classes) & set(allowed)
    if v.expect == "payload failure":
        assert released == v.payload_sha256, "the released prefix must match"
    elif v.payload_sha256 is None:
        assert out.getvalue() == b"", "nothing may be released before a header failure"


def test_armored_flag_matches_detection() -> None:
    for path in PATHS:
        v = cctv.load(path)
        assert v is not None
        # decrypt detects armor by itself: every armored vector must be seen as armored,
        # and no binary one.
        assert armor.starts_armored(v.data[:1100]) == v.armored, v.name
