"""Decrypting sources: once per file, or once per secret (the comparison mode) — same values."""

from __future__ import annotations

from sekret.install import host, manifest, values
from tests.install.conftest import Kit

YAML = b"a: one\nb: two\nnested:\n  c: three\n"


def test_per_secret_mode_gives_the_same_values(kit: Kit) -> None:
    src = kit.sops_file("s.yaml", YAML, "yaml")
    other = kit.sops_file("t.json", b'{"x": {"y": "four"}}', "json")
    m = manifest.parse(kit.manifest([
        kit.secret("a", src), kit.secret("b", src), kit.secret("c", src, key="nested/c"),
        kit.secret("whole", src, key=""), kit.secret("y", other, key="x/y", format="json"),
    ]).read_bytes())
    ids = host.load_identities(m, print, print)
    once = values.decrypt_all(m, host.read_file, ids)
    each = values.decrypt_all(m, host.read_file, ids, per_secret=True)
    assert once == each
    assert once["c"].expose() == b"three" and once["y"].expose() == b"four"
    r = kit.install(kit.root / "manifest.json", "--decrypt-per-secret")
    assert r.status == 0, r.err
    assert (kit.root / "secrets/c").read_bytes() == b"three"
