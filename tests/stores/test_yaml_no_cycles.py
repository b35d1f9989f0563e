"""Loading and emitting YAML leaves no reference cycles holding the document: it is
freed as soon as the caller lets go (the CLI pauses the cyclic collector, and a
library user's memory should not wait for it)."""

from __future__ import annotations

import gc

import pytest

from sekret.stores.yaml import YamlStore


def _round_trip(data: bytes) -> None:
    store = YamlStore()
    docs = store.load_plain(data)
    store.emit_plain(docs)
    store.emit_encrypted(docs, {"mac": "m", "lastmodified": "t"})


@pytest.mark.parametrize("flow", ["", "  b: [1, 2]\n"], ids=["scanner", "libyaml"])
def test_no_cycles_after_load_and_emit(flow: str) -> None:
    data = "".join(f"# c{s}\ns{s}:\n  a: x{s}\n{flow}" for s in range(200)).encode()
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        _round_trip(data)
        unreachable = gc.collect()
    finally:
        if was:
            gc.enable()
    # a cycle through the document would leave its 2,000-odd objects for the collector
    assert unreachable < 50
