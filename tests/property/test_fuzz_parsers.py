"""Every parser of outside input, fuzzed for a bounded time: sekret's own errors only.

Inputs are random bytes and random edits of valid samples (so the fuzzer reaches past
the first byte). A parser may accept an input or raise a :class:`SekretError`; any
other exception (an internal error: a traceback for the user) fails the test. The
budgets are fixed numbers of examples, not wall-clock time, so CI stays repeatable.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sekret.errors import SekretError
from sekret.sops import treepath
from sekret.stores.base import get_store

#: SEKRET_FUZZ_EXAMPLES=20000 for a long local run (CI keeps the fixed, derandomized budget)
FUZZ = settings(
    max_examples=int(os.environ.get("SEKRET_FUZZ_EXAMPLES", "400")),
    deadline=None,
    derandomize="SEKRET_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SAMPLES: dict[str, bytes] = {
    "yaml": b"# c\na: 1\nb:\n  - x # t\n  - {k: v}\nc: |\n  text\nd: &x [1, 2]\ne: *x\n",
    "json": b'{"a": 1, "b": [true, null, "x\\u00e9"], "c": {"d": 1.5e3}}\n',
    "dotenv": b"# comment\nA=1\nB='two words'\nC=\"x\\ny\"\nD=\n",
    "ini": b"; c\n[sec]\nk = v\nq = \"quoted\"\n[other]\nx=1\n",
    "binary": b"\x00\x01 binary \xff",
}
ENCRYPTED_YAML = (
    b"a: ENC[AES256_GCM,data:Zm9v,iv:" + b"A" * 43 + b"=,tag:" + b"B" * 22 + b"==,type:str]\n"
    b"sops:\n    age:\n        - recipient: age1x\n          enc: |\n            x\n"
    b"    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[x]\n    version: 3.11.0\n"
)


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """``sample`` with a few random byte edits: replace, insert, delete, or cut."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.sampled_from([*b"\x00\n\r\t :-#[]{}\"'\\&*!|>%@`=;,", 0xFF, 0xC3]))
        if op == "replace" and data:
            data[pos] = byte
        elif op == "insert":
            data.insert(pos, byte)
        elif op == "delete" and data:
            del data[pos]
        else:
            del data[pos:]
    return bytes(data)


def inputs(sample: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=200), mutated(sample))


def only_our_errors(parse: Callable[[bytes], object], data: bytes) -> None:
    try:
        parse(data)
    except SekretError:
        pass


@given(st.sampled_from(sorted(SAMPLES)), st.data())
@FUZZ
def test_store_plain_parsers(fmt: str, data: st.DataObject) -> None:
    raw = data.draw(inputs(SAMPLES[fmt]))
    only_our_errors(get_store(fmt).load_plain, raw)


@given(st.sampled_from(sorted(SAMPLES)), inputs(ENCRYPTED_YAML))
@FUZZ
def test_store_encrypted_parsers(fmt: str, raw: bytes) -> None:
    only_our_errors(get_store(fmt).load_encrypted, raw)
    only_our_errors(get_store(fmt).has_metadata, raw)


@given(inputs(ENCRYPTED_YAML))
@FUZZ
def test_sops_metadata(raw: bytes) -> None:
    from sekret.files import document

    only_our_errors(lambda b: document.load_metadata(b, get_store("yaml")), raw)


@given(
    inputs(
        b"creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: age1x,age1y\n"
        b"    encrypted_regex: ^data$\n  - key_groups:\n      - age: [age1z]\n"
        b"    shamir_threshold: 1\nstores:\n  yaml:\n    indent: 2\n"
    )
)
@FUZZ
def test_sops_config(raw: bytes) -> None:
    from sekret.files import config

    def parse(b: bytes) -> object:
        cfg = config.parse(b.decode("utf-8", "replace"), None)
        return cfg.match("secrets/a.yaml")

    only_our_errors(parse, raw)


@given(
    inputs(
        json.dumps(
            {
                "secrets": [
                    {
                        "name": "a",
                        "key": "a",
                        "path": "/run/secrets/a",
                        "owner": "root",
                        "group": "root",
                        "mode": "0400",
                        "sopsFile": "/x.yaml",
                        "format": "yaml",
                        "restartUnits": [],
                        "reloadUnits": [],
                    }
                ],
                "templates": [],
                "secretsMountPoint": "/run/secrets.d",
                "symlinkPath": "/run/secrets",
                "keepGenerations": 1,
                "gnupgHome": "",
                "sshKeyPaths": [],
                "ageKeyFile": "/k",
                "ageSshKeyPaths": [],
                "useTmpfs": False,
                "userMode": False,
                "logging": {"keyImport": True, "secretChanges": True},
            }
        ).encode()
    )
)
@FUZZ
def test_install_manifest(raw: bytes) -> None:
    from sekret.install import manifest

    def parse(b: bytes) -> object:
        m = manifest.parse(b)
        manifest.validate(m)
        return m

    only_our_errors(parse, raw)


def _pkt(text: bytes) -> bytes:
    return f"{len(text) + 4:04x}".encode() + text


GIT_SESSION = (
    _pkt(b"git-filter-client\n") + _pkt(b"version=2\n") + b"0000"
    + _pkt(b"capability=clean\n") + _pkt(b"capability=smudge\n") + b"0000"
    + _pkt(b"command=clean\n") + _pkt(b"pathname=a.txt\n") + b"0000"
    + _pkt(b"hello") + b"0000"
)  # fmt: skip


@given(inputs(GIT_SESSION))
@FUZZ
def test_git_filter_process_input(raw: bytes) -> None:
    from sekret.gitcrypt import process

    def parse(b: bytes) -> object:
        return process.serve(io.BytesIO(b), io.BytesIO(), lambda _c, _p, content: content)

    only_our_errors(parse, raw)


@given(inputs(b'["a"][0]["b c"]'))
@FUZZ
def test_tree_paths(raw: bytes) -> None:
    only_our_errors(lambda b: treepath.parse(b.decode("utf-8", "replace")), raw)
    only_our_errors(lambda b: treepath.value_from_json(b.decode("utf-8", "replace")), raw)


@given(inputs(b"age-encryption.org/v1\n-> X25519 abc\nYWJj\n--- " + b"A" * 43 + b"\n\x00\x01"))
@FUZZ
def test_age_header(raw: bytes) -> None:
    from sekret.age import core

    only_our_errors(lambda b: core.read_header(io.BytesIO(b)), raw)
