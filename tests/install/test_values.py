"""Decrypting sources: each file once, every secret its own value."""

from __future__ import annotations

from sekret.install import host, manifest, values
from tests.install.conftest import Kit

YAML = b"a: one\nb: two\nnested:\n  c: three\n"


def test_each_source_decrypted_gives_every_secret_its_value(kit: Kit) -> None:
    src = kit.sops_file("s.yaml", YAML, "yaml")
    other = kit.sops_file("t.json", b'{"x": {"y": "four"}}', "json")
    m = manifest.parse(kit.manifest([
        kit.secret("a", src), kit.secret("b", src), kit.secret("c", src, key="nested/c"),
        kit.secret("whole", src, key=""), kit.secret("y", other, key="x/y", format="json"),
    ]).read_bytes())
    ids = host.load_identities(m, print, print)
    once = values.decrypt_all(m, host.read_file, ids)
    assert set(once) == {"a", "b", "c", "whole", "y"}
    assert once["a"].expose() == b"one" and once["b"].expose() == b"two"
    assert once["c"].expose() == b"three" and once["y"].expose() == b"four"
    r = kit.install(kit.root / "manifest.json")
    assert r.status == 0, r.err
    assert (kit.root / "secrets/c").read_bytes() == b"three"
