"""The official YAML test suite as an oracle for the YAML store, with the real sops as peer.

Every case of yaml/yaml-test-suite (vendored in ``tests/data/yaml-test-suite``) is an input
a user may hand to ``sekret encrypt``:

* valid, and a SOPS YAML file can hold its data (every document a mapping with string
  keys, or empty; see ``_holdable``): (1) sekret encrypts and decrypts it back to the case's
  data, (2) the real sops decrypts sekret's file to that data, (3) sekret decrypts the file
  sops makes from the same input to that data;
* valid, but no SOPS YAML file can hold it (a top-level sequence or scalar, no document at
  all, a non-string key): sops 3.11 refuses every one of them ("cannot unmarshal !!seq into
  map[string]interface {}", "YAML documents that are sequences are not supported", "File
  cannot be completely empty", "Tree contains a non-string key"); sekret must refuse
  them too, cleanly;
* invalid (the case has ``error``): sekret refuses cleanly and writes nothing.

The expected data is ``in.json`` (one JSON text per document), else, for the few valid
cases JSON cannot express, what PyYAML reads from ``in.yaml`` (``_read``). Outputs are
compared as data, never as text: they are read by PyYAML (libyaml's parser, then PyYAML's
own where libyaml gives up) with YAML 1.2 core-schema resolution, which is how go-yaml v3
and so sops resolve plain scalars (``yes`` is a string, ``0o14`` an int). The
normalisations, each explained where it is done: tags are ignored (``_Constructor``); a
number is a number whatever its spelling, and ``!!binary`` its bytes (``_same``); an
empty document may come back as the empty mapping sops stores for it, and a plain
timestamp as the RFC 3339 time sops stores for it (``_as_sops_stores``).

Where the real sops itself refuses or changes a holdable case (``SOPS_LIMITED``, kept
honest by ``test_sops_itself``) sekret must do no worse: refuse cleanly, or round-trip.

Speed: sekret runs in-process (the CLI's ``main``, as ``sekret encrypt`` runs it, without
an interpreter start per call) and the ~600 sops runs go through a pool of two threads,
all once per module (the ``suite`` fixture).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.cyaml import CParser  # libyaml's parser (sekret's YAML store needs it too)

from tests.cli.helpers import Result, run_cli
from tests.conftest import vendored
from tests.stores.conftest import Identity, Run, run_sops

SUITE = vendored("yaml-test-suite")

#: Holdable cases the real sops 3.11 refuses, or gives back changed (verified by
#: test_sops_itself, so the table cannot go stale): case → what sops does.
SOPS_LIMITED: dict[str, str] = {
    # go-yaml v3 (a libyaml port) refuses valid YAML: sops says "Error unmarshalling file"
    "2SXE": "refuses an anchor name ending in a colon (&a: key)",
    "3UYS": r'refuses the \/ escape ("found unknown escape character")',
    "4MUZ/00": "refuses a flow-mapping colon on the line after the key",
    "4MUZ/01": "refuses a flow-mapping colon on the line after the key",
    "4MUZ/02": "refuses a flow-mapping colon on the line after the key",
    "58MP": "refuses {x: :x}",
    "5MUD": "refuses a flow-mapping colon on the line after the key",
    "96NN/00": "refuses a tab leading a literal's content",
    "96NN/01": "refuses a tab leading a literal's content",
    "9DXL": "refuses a %YAML directive after a bare document",
    "A2M4": "refuses a tab after a sequence indicator",
    "DK95/00": "refuses a tab in indentation-like white space",
    "DK95/03": "refuses a tab in indentation-like white space",
    "DK95/04": "refuses a tab in indentation-like white space",
    "DK95/07": "refuses a tab line between a directive and ---",
    "K3WX": "refuses a flow-mapping colon on the line after the key",
    "MUS6/05": "refuses a reserved directive (%YAM)",
    "MUS6/06": "refuses a reserved directive (%YAMLL)",
    "Q5MG": "refuses a tab before a flow mapping",
    "UT92": "refuses a flow-mapping colon on the line after the key",
    "VJP3/01": "refuses a flow-mapping colon on the line after the key",
    "W5VH": 'refuses an alias name with : @ * ! $ " < >',
    "WZ62": "refuses empty !!str nodes in a flow mapping",
    "Y79Y/001": "refuses a tab-only line in a literal",
    # sops takes it and changes the data
    "4ABK": "reads {omitted value:,} as the key 'omitted value:'",
    "652Z": "reads {?foo: bar} as the key 'foo'",
    "L24T/01": "drops the final line break of a literal whose last line is spaces",
    "Y2GN": "reads &an:chor value as the anchor 'an' on ':chor value'",
    "UKK6/02": "stores the document '!' (an empty string) as an empty mapping",
}


# --- reading YAML: PyYAML with YAML 1.2 core-schema resolution --------------------------


class _Resolver(yaml.resolver.BaseResolver):
    """The YAML 1.2 core schema (go-yaml v3 resolves plain scalars this way too); no
    timestamps, no 1.1 booleans (``yes``/``on``), no sexagesimal numbers, no ``<<``."""


for _tag, _pattern, _first in [
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
]:
    _Resolver.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}",
        re.compile(rf"^(?:{_pattern})$"),
        [*_first, ""] if _tag == "null" else list(_first),
    )


class _Constructor(yaml.constructor.SafeConstructor):
    """Plain data, tags ignored.

    sops keeps no tag (its tree has none: ``!!set``, ``!foo``, ``!<tag:…>`` nodes become
    plain mappings, sequences and strings), and ``in.json`` has none either, so a node with
    a tag other than the core scalar ones is read by its kind. ``!!binary`` is read as
    its bytes (``_same`` compares them with the base64 ``in.json`` shows), ``!!timestamp``
    as a string. A duplicate key is an error, not "the last one wins".
    """

    def construct_by_kind(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return self.construct_sequence(node, deep=True)
        return self.construct_mapping(node, deep=True)  # type: ignore[arg-type]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            raise yaml.constructor.ConstructorError(None, None, "duplicate key", node.start_mark)
        return mapping

    def construct_core_int(self, node: yaml.ScalarNode) -> int:
        text = self.construct_scalar(node)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)  # 1.2: "012" is twelve, not octal


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_core_int)
for _tag in ["timestamp", "str"]:
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _Constructor.construct_yaml_str)
for _tag in ["set", "omap", "pairs"]:
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _Constructor.construct_by_kind)
_Constructor.add_constructor(None, _Constructor.construct_by_kind)


class _LibyamlLoader(CParser, _Constructor, _Resolver):  # type: ignore[misc]
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


class _PythonLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    _Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def _read(text: bytes | str) -> list[Any]:
    """The documents of a YAML text: libyaml's parser (it takes tabs as separators where
    PyYAML's Python one stops), else PyYAML's; raises when neither reads it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return list(yaml.load_all(text, Loader=_LibyamlLoader))
    except yaml.YAMLError as first:
        try:
            return list(yaml.load_all(text, Loader=_PythonLoader))
        except yaml.YAMLError:
            raise first from None


# --- the cases ------------------------------------------------------------------------


def _json_stream(text: str) -> list[Any]:
    """The JSON texts of ``in.json``, one per YAML document."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        value, pos = decoder.raw_decode(text, pos)
        out.append(value)


@dataclass(frozen=True)
class Case:
    """One case of the suite."""

    id: str  # "229Q", or "2G84/02" for a numbered sub-case
    title: str
    source: bytes  # in.yaml
    invalid: bool
    #: The documents' data: in.json, else PyYAML's reading of in.yaml, else None (complex
    #: keys, which neither JSON nor a Python dict can hold).
    expect: list[Any] | None
    expect_from: str

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"


def _load_cases() -> list[Case]:
    cases = []
    for path in sorted(SUITE.rglob("in.yaml")):
        folder = path.parent
        source = path.read_bytes()
        expect: list[Any] | None = None
        expect_from = "none"
        invalid = (folder / "error").exists()
        if (folder / "in.json").exists():
            expect, expect_from = _json_stream((folder / "in.json").read_text("utf-8")), "in.json"
        elif not invalid:
            try:
                expect, expect_from = _read(source), "PyYAML"
            except (yaml.YAMLError, TypeError):  # TypeError: an unhashable (complex) key
                pass
        cases.append(
            Case(
                id=folder.relative_to(SUITE).as_posix(),
                title=(folder / "===").read_text("utf-8").strip(),
                source=source,
                invalid=invalid,
                expect=expect,
                expect_from=expect_from,
            )
        )
    return cases


def _string_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _string_keys(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_string_keys(v) for v in value)
    return True


def _holdable(case: Case) -> bool:
    """Whether a SOPS YAML file can hold the case's data: at least one document, each a
    mapping with string keys at every level, or empty (sops stores ``{}`` for it)."""
    docs = case.expect
    return (
        not case.invalid
        and bool(docs)
        and all(d is None or (isinstance(d, dict) and _string_keys(d)) for d in docs or [])
    )


CASES = _load_cases()
INVALID = [c for c in CASES if c.invalid]
HOLDABLE = [c for c in CASES if _holdable(c)]
UNHOLDABLE = [c for c in CASES if not c.invalid and not _holdable(c)]


def _ids(cases: list[Case]) -> list[str]:
    return [c.id.replace("/", "-") for c in cases]


# --- comparing data -------------------------------------------------------------------

_GO_TIMESTAMP = [
    # go-yaml v3's timestamp layouts (resolve.go, allowedTimestampFormats), matched whole:
    # "2006-1-2T15:4:5.999999999Z07:00" (and a lower-case t), "2006-1-2 15:4:5.999999999"
    # (a space in a Go layout matches a run of spaces; no zone: UTC), "2006-1-2".
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?)[Tt](\d\d?):(\d\d?):(\d\d?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)"),
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?) +(\d\d?):(\d\d?):(\d\d?)(?:\.(\d+))?()"),
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?)()()()()()"),
]


def _sops_time(text: str) -> str | None:
    """What sops gives back for a plain scalar go-yaml reads as a timestamp: the time in
    Go's RFC 3339 with nanoseconds (``2001-01-23`` → ``2001-01-23T00:00:00Z``,
    ``2001-12-14 21:59:43.10`` → ``2001-12-14T21:59:43.1Z``, as sops 3.11 does), or None
    when go-yaml reads ``text`` as a string (``2001-11-23 15:01:42 -5``)."""
    for pattern in _GO_TIMESTAMP:
        m = pattern.fullmatch(text)
        if m is not None:
            break
    else:
        return None
    year, month, day, hour, minute, second, fraction, zone = (g or "" for g in m.groups())
    numbers = [int(year), int(month), int(day), int(hour or 0), int(minute or 0)]
    try:
        datetime(*numbers, int(second or 0))  # Go refuses 2001-02-30 and 25:00 too
    except ValueError:
        return None
    fraction = fraction.rstrip("0")
    zone = "Z" if zone in ("", "Z", "+00:00", "-00:00") else zone
    return (
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}".format(*numbers)
        + f":{int(second or 0):02d}{'.' + fraction if fraction else ''}{zone}"
    )


def _as_sops_stores(value: Any, top: bool = True) -> Any:
    """The case's data as a SOPS file holds it.

    * An empty document (``null``) is stored as an empty mapping: sops writes ``{}``, or
      only the ``sops`` block, for it.
    * sops's YAML store keeps go-yaml's timestamps as times (type ``time``), decrypted to
      RFC 3339 (see ``_sops_time``). Matching by value, not by the plain style in the
      source, is exact for this corpus: no quoted value in it looks like a timestamp.
    """
    if top:
        return [{} if d is None else _as_sops_stores(d, False) for d in value]
    if isinstance(value, dict):
        return {k: _as_sops_stores(v, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sops_stores(v, False) for v in value]
    if isinstance(value, str):
        stored = _sops_time(value)
        return value if stored is None else stored
    return value


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        return None


def _same(got: Any, want: Any) -> bool:
    """Whether two readings hold the same data.

    Mappings compare as sets of entries (``in.json`` does not always keep the source's
    key order, e.g. RR7F). Booleans are not numbers (``True == 1`` in Python); ints and
    floats are one kind of number (JSON has one; go-yaml writes the float 450.00 as
    ``450``). ``!!binary`` (read as bytes) equals the base64 text ``in.json`` shows for it,
    whatever its line breaks: sops decodes it and writes it back re-wrapped.
    """
    if isinstance(got, bytes) or isinstance(want, bytes):
        if isinstance(got, str):
            got, want = want, got
        return got == (_base64(want) if isinstance(want, str) else want)
    if got is None or want is None or isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(got, int | float) and isinstance(want, int | float):
        return got == want or (got != got and want != want)  # NaN is NaN
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(map(_same, got, want))
    return type(got) is type(want) and got == want


def _holds(got: list[Any], case: Case) -> bool:
    """Whether ``got`` is the case's data, as written or as sops stores it."""
    assert case.expect is not None
    return _same(got, case.expect) or _same(got, _as_sops_stores(case.expect))


def _parse(output: bytes, case: Case, what: str) -> list[Any]:
    try:
        return _read(output)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        pytest.fail(f"{case}: {what} is not YAML PyYAML reads: {exc}\n{_show(output)}")


def _assert_data(output: bytes, case: Case, what: str) -> None:
    """``output`` (a decrypted file) holds the case's data."""
    got = _parse(output, case, what)
    limited = SOPS_LIMITED.get(case.id)
    assert _holds(got, case), (
        f"{case}: {what} differs from the suite's data ({case.expect_from})\n"
        f"expected: {case.expect!r}\n     got: {got!r}\n"
        + (f"(sops 3.11 {limited})\n" if limited else "")
        + _show(output)
    )


def _assert_as_sops(output: bytes, sops_output: bytes, case: Case, what: str) -> None:
    """``output`` holds what sops's own decryption ``sops_output`` holds."""
    got, want = _parse(output, case, what), _parse(sops_output, case, "sops's output")
    assert _same(got, want), (
        f"{case}: {what} differs from what sops reads from the same file\n"
        f"  sops: {want!r}\nsekret: {got!r}\n{_show(output)}"
    )


def _show(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return "----- text -----\n" + (text if len(text) < 3000 else text[:3000] + "…")


def _assert_clean_refusal(result: Result, what: str) -> None:
    """Non-zero, one ``sekret: error:`` line and hint lines only, nothing on stdout."""
    assert result.status != 0, f"{what}: sekret accepted it\n{_show(result.stdout)}"
    lines = result.err.splitlines()
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert [line for line in lines if line.startswith("sekret: error: ")] == lines[:1], result.err
    assert all(line.startswith(("sekret: error: ", "sekret: hint: ")) for line in lines), result.err
    assert result.stdout == b"", result.stdout[:500]


# --- running both tools once per case ---------------------------------------------------


@dataclass
class Outcome:
    """What sekret and sops did with one valid case."""

    folder: Path
    sek_enc: Result
    sek_wrote: bool  # the --output file exists
    sek_dec: Result | None = None  # sekret decrypt of sekret's file
    sops_enc: Run | None = None
    sops_dec_sops: Run | None = None  # sops decrypt of sops's file
    sops_dec_sek: Run | None = None  # sops decrypt of sekret's file
    sek_dec_sops: Result | None = None  # sekret decrypt of sops's file


def _sops_jobs(o: Outcome, key: Identity, holdable: bool) -> None:
    """The sops side of one case (runs in a worker thread; subprocesses only)."""
    yaml_io = ["--input-type", "yaml", "--output-type", "yaml"]
    o.sops_enc = run_sops(["encrypt", "--age", key.recipient, *yaml_io, "in.yaml"], o.folder, key)
    if not holdable:
        return
    if o.sops_enc.status == 0:
        (o.folder / "sops.enc.yaml").write_bytes(o.sops_enc.out)
        o.sops_dec_sops = run_sops(["decrypt", *yaml_io, "sops.enc.yaml"], o.folder, key)
    if o.sek_wrote:
        o.sops_dec_sek = run_sops(["decrypt", *yaml_io, "sekret.enc.yaml"], o.folder, key)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, age_key: Identity) -> dict[str, Outcome]:
    """Every valid case through sekret (in-process) and sops (two threads)."""
    root = tmp_path_factory.mktemp("yaml-suite")
    holdable = {c.id for c in HOLDABLE}
    outcomes: dict[str, Outcome] = {}
    decrypt = ["decrypt", "--input-type", "yaml", "--output-type", "yaml"]
    for case in [*HOLDABLE, *UNHOLDABLE]:
        folder = root / case.id.replace("/", "-")
        folder.mkdir()
        (folder / "in.yaml").write_bytes(case.source)
        env = {"SOPS_AGE_KEY": age_key.secret, "HOME": str(folder)}
        encrypt = ["encrypt", "--age", age_key.recipient, "--input-type", "yaml"]
        res = run_cli([*encrypt, "--output", "sekret.enc.yaml", "in.yaml"], folder, environ=env)
        o = outcomes[case.id] = Outcome(folder, res, (folder / "sekret.enc.yaml").exists())
        if res.status == 0 and case.id in holdable:
            o.sek_dec = run_cli([*decrypt, "sekret.enc.yaml"], folder, environ=env)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(_sops_jobs, o, age_key, cid in holdable) for cid, o in outcomes.items()]
        for job in jobs:
            job.result()
    for cid in holdable:
        o = outcomes[cid]
        if o.sops_dec_sops is not None:
            env = {"SOPS_AGE_KEY": age_key.secret, "HOME": str(o.folder)}
            o.sek_dec_sops = run_cli([*decrypt, "sops.enc.yaml"], o.folder, environ=env)
    return outcomes


# --- valid cases a SOPS file can hold ---------------------------------------------------


def _sekret_refusal_allowed(case: Case, o: Outcome) -> None:
    """sekret refused to encrypt: acceptable only where sops fails too, and only cleanly."""
    assert case.id in SOPS_LIMITED, (
        f"{case}: sekret refuses a file sops 3.11 encrypts and decrypts correctly\n"
        f"{o.sek_enc.err}{_show(case.source)}"
    )
    _assert_clean_refusal(o.sek_enc, str(case))
    assert not o.sek_wrote, f"{case}: sekret failed but wrote its --output file"


@pytest.mark.parametrize("case", HOLDABLE, ids=_ids(HOLDABLE))
def test_sekret_round_trip(case: Case, suite: dict[str, Outcome]) -> None:
    """(1) sekret encrypt, then sekret decrypt: the case's data."""
    o = suite[case.id]
    if o.sek_enc.status != 0:
        _sekret_refusal_allowed(case, o)
        return
    assert o.sek_dec is not None
    assert o.sek_dec.status == 0, (
        f"{case}: sekret cannot decrypt its own file\n{o.sek_dec.err}"
        f"{_show((o.folder / 'sekret.enc.yaml').read_bytes())}"
    )
    if o.sek_dec.stdout == case.source:
        return  # the input back byte for byte: its data, whatever PyYAML makes of it
    what = "sekret's decryption of its own file"
    if case.id in SOPS_LIMITED and o.sops_dec_sops is not None and o.sops_dec_sops.status == 0:
        # sops reads this valid case differently from the suite: sekret reads it as sops
        # does (both tools agree on such a file), or as the suite says
        got = _parse(o.sek_dec.stdout, case, what)
        if not _holds(got, case):
            _assert_as_sops(o.sek_dec.stdout, o.sops_dec_sops.out, case, what)
        return
    _assert_data(o.sek_dec.stdout, case, what)


@pytest.mark.parametrize("case", HOLDABLE, ids=_ids(HOLDABLE))
def test_sops_decrypts_sekret_file(case: Case, suite: dict[str, Outcome]) -> None:
    """(2) sekret encrypt, then the real sops decrypts: the case's data."""
    o = suite[case.id]
    if o.sek_enc.status != 0:
        _sekret_refusal_allowed(case, o)
        return
    assert o.sops_dec_sek is not None
    assert o.sops_dec_sek.status == 0, (
        f"{case}: sops cannot decrypt sekret's file: {o.sops_dec_sek.err}"
        f"{_show((o.folder / 'sekret.enc.yaml').read_bytes())}"
    )
    what = "sops's decryption of sekret's file"
    if case.id in SOPS_LIMITED and o.sops_dec_sops is not None and o.sops_dec_sops.status == 0:
        # sops changes this case: the data, or what sops makes of its own file, will do
        got = _parse(o.sops_dec_sek.out, case, what)
        if not _holds(got, case):
            _assert_as_sops(o.sops_dec_sek.out, o.sops_dec_sops.out, case, what)
        return
    _assert_data(o.sops_dec_sek.out, case, what)


@pytest.mark.parametrize("case", HOLDABLE, ids=_ids(HOLDABLE))
def test_sekret_decrypts_sops_file(case: Case, suite: dict[str, Outcome]) -> None:
    """(3) sops encrypt, then sekret decrypts: the case's data (for a case sops changes,
    what sops itself decrypts from its file)."""
    o = suite[case.id]
    assert o.sops_enc is not None
    if o.sops_enc.status != 0:
        assert case.id in SOPS_LIMITED, f"{case}: sops refuses it: {o.sops_enc.err}"
        return  # nothing to decrypt; test_sops_itself holds the table to sops's refusal
    assert o.sek_dec_sops is not None
    assert o.sek_dec_sops.status == 0, (
        f"{case}: sekret cannot decrypt sops's file\n{o.sek_dec_sops.err}{_show(o.sops_enc.out)}"
    )
    if case.id not in SOPS_LIMITED:
        _assert_data(o.sek_dec_sops.stdout, case, "sekret's decryption of sops's file")
        return
    assert o.sops_dec_sops is not None and o.sops_dec_sops.status == 0, o.sops_dec_sops
    _assert_as_sops(o.sek_dec_sops.stdout, o.sops_dec_sops.out, case, "sekret's decryption")


@pytest.mark.parametrize("case", HOLDABLE, ids=_ids(HOLDABLE))
def test_sops_itself(case: Case, suite: dict[str, Outcome]) -> None:
    """The real sops round-trips every holdable case but those of SOPS_LIMITED."""
    o = suite[case.id]
    assert o.sops_enc is not None
    if o.sops_enc.status != 0:
        problem = f"refuses it: {o.sops_enc.err.strip()}"
    else:
        assert o.sops_dec_sops is not None
        if o.sops_dec_sops.status != 0:
            problem = f"cannot decrypt its own file: {o.sops_dec_sops.err.strip()}"
        else:
            try:
                got = _read(o.sops_dec_sops.out)
            except yaml.YAMLError as exc:
                got = f"unreadable: {exc}"
            problem = "" if _holds(got, case) else f"gives back {got!r}"
    if case.id in SOPS_LIMITED:
        assert problem, f"{case}: sops 3.11 handles it now: drop it from SOPS_LIMITED"
    else:
        assert not problem, f"{case}: sops {problem}\nexpected {case.expect!r}"


# --- valid cases no SOPS file can hold --------------------------------------------------


@pytest.mark.parametrize("case", UNHOLDABLE, ids=_ids(UNHOLDABLE))
def test_unholdable_refused(case: Case, suite: dict[str, Outcome]) -> None:
    """sops refuses a top-level sequence or scalar, an empty stream, a non-string key;
    sekret refuses them too, with one clear error and no file."""
    o = suite[case.id]
    assert o.sops_enc is not None
    if case.id in SOPS_LIMITED:  # sops takes it, and changes it
        assert o.sops_enc.status == 0, f"{case}: sops 3.11 refuses it now: update SOPS_LIMITED"
    else:
        assert o.sops_enc.status != 0, f"{case}: sops encrypts it\n{_show(o.sops_enc.out)}"
    _assert_clean_refusal(o.sek_enc, str(case))
    assert not o.sek_wrote, f"{case}: sekret failed but wrote its --output file"


# --- invalid YAML -----------------------------------------------------------------------


@pytest.mark.parametrize("case", INVALID, ids=_ids(INVALID))
def test_invalid_refused(case: Case, tmp_path: Path, age_key: Identity) -> None:
    """Invalid YAML: one ``sekret: error:`` line, no traceback, nothing written."""
    (tmp_path / "in.yaml").write_bytes(case.source)
    base = ["encrypt", "--age", age_key.recipient, "--input-type", "yaml"]
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run_cli([*base, "--output", "out.yaml", "in.yaml"], tmp_path)
    _assert_clean_refusal(res, f"{case} (--output)")
    assert sorted(p.name for p in tmp_path.iterdir()) == before, f"{case}: --output wrote a file"
    res = run_cli([*base, "-i", "in.yaml"], tmp_path)
    _assert_clean_refusal(res, f"{case} (-i)")
    assert (tmp_path / "in.yaml").read_bytes() == case.source, f"{case}: -i changed the file"
    assert sorted(p.name for p in tmp_path.iterdir()) == before, f"{case}: -i left a file"


def test_the_corpus_is_whole() -> None:
    """The vendored copy has every case: a lost folder is a failure, not fewer tests."""
    assert len(CASES) == 402
    assert (len(INVALID), len(HOLDABLE) + len(UNHOLDABLE)) == (94, 308)
    assert sum(c.expect_from == "in.json" for c in CASES) == 282
