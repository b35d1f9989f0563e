"""A work factor above the identity's limit: a header failure with a clear message.

The spec lets identities cap scrypt's work factor; age and the CCTV vectors
(``scrypt_work_factor_23``) treat a file above the cap as a header failure, so sekret
raises :class:`ExcessiveWorkError`, a :class:`HeaderError`, before any scrypt work.
"""

from __future__ import annotations

import io

import pytest

import sekret.age
from sekret.age import core
from sekret.age.scrypt import DEFAULT_MAX_WORK_FACTOR, ScryptIdentity, ScryptRecipient
from sekret.errors import ExcessiveWorkError, HeaderError, UnsupportedError
from tests.conftest import vendored
from tests.vectors import cctv

PASSPHRASE = "correct horse battery staple"


def test_above_the_limit_is_a_header_failure() -> None:
    ct = sekret.age.encrypt(b"secret", [ScryptRecipient(PASSPHRASE, work_factor=12)])
    with pytest.raises(ExcessiveWorkError) as info:
        sekret.age.decrypt(ct, [ScryptIdentity(PASSPHRASE, max_work_factor=11)])
    err = info.value
    assert isinstance(err, HeaderError) and not isinstance(err, UnsupportedError)
    assert (err.work_factor, err.limit) == (12, 11)
    assert str(err) == (
        "the passphrase-encrypted file asks for too much work (2^12; the limit is 2^11)"
    )
    assert err.hint is not None and "4 MiB" in err.hint
    assert PASSPHRASE not in err.diagnostics()
    # At the limit it decrypts.
    assert sekret.age.decrypt(ct, [ScryptIdentity(PASSPHRASE, max_work_factor=12)]) == b"secret"


def test_cctv_work_factor_23() -> None:
    (path,) = [
        p for p in cctv.all_vectors(vendored("cctv-age")) if p.name == "scrypt_work_factor_23"
    ]
    v = cctv.load(path)
    assert v is not None and v.expect == "header failure"
    out = io.BytesIO()
    with pytest.raises(ExcessiveWorkError) as info:
        core.decrypt_stream(io.BytesIO(v.data), out, [ScryptIdentity(p) for p in v.passphrases])
    assert "asks for too much work (2^23" in str(info.value)
    assert f"2^{DEFAULT_MAX_WORK_FACTOR}" in str(info.value)
    assert info.value.hint is not None and "8 GiB" in info.value.hint
    assert out.getvalue() == b""
