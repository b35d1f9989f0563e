"""agenix rules: sekret's nix-subset reader against nix itself, TOML/JSON, shape checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sekret.install import agenix_rules as ar
from tests.conftest import require_tool, vendored

EXAMPLE = vendored("agenix-example") / "example" / "secrets.nix"
U1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH"
S1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJDyIr/FSz1cJdcoW69R+NrWzwGK/+3gJpqD1t8L2zE"

#: Shapes people write, all inside the subset (checked against nix below).
SUBSET = [
    EXAMPLE.read_text(),
    '{ "a.age".publicKeys = [ "age1x" ]; "a.age".armor = true; }',
    'let u = [ "k1" "k2" ]; h = "k3"; all = u ++ [ h ]; in { "x.age".publicKeys = all; }',
    'let keys = { alice = "k1"; hosts.web = "k2"; }; in\n'
    '{ "x.age".publicKeys = [ keys.alice keys.hosts.web ]; }',
    '# comment\n{ /* block */ "q\\"uote.age" = { publicKeys = [ "k\\n" ]; armor = false; }; }',
    'let a = "k1"; in let b = [ a ]; in { "nested/dir/x.age".publicKeys = (b ++ b); }',
]

#: Shapes that need nix: refused with the hint, never guessed at.
NEEDS_NIX = [
    'let keys = import ./keys.nix; in { "x.age".publicKeys = keys; }',
    'with { a = "k"; }; { "x.age".publicKeys = [ a ]; }',
    'rec { k = "k"; "x.age".publicKeys = [ k ]; }',
    'let k = "x"; in { "${k}.age".publicKeys = [ "k" ]; }',
    '{ "x.age".publicKeys = builtins.attrValues { a = "k"; }; }',
    'let f = x: [ x ]; in { "x.age".publicKeys = f "k"; }',
    '{ "x.age".publicKeys = [ ./key.pub ]; }',
    '{ "x.age".publicKeys = [ "k" ]; } // { }',
    'let a = b; b = [ "k" ]; in { "x.age".publicKeys = a; }',
]


def test_example_without_nix() -> None:
    rules = ar.parse_nix(EXAMPLE.read_text(), "secrets.nix")
    assert sorted(rules) == ["-leading-hyphen-filename.age", "armored-secret.age",
                             "passwordfile-user1.age", "secret1.age", "secret2.age"]
    assert rules["secret1.age"] == ar.Rule((U1, S1))
    assert rules["secret2.age"] == ar.Rule((U1,))
    assert rules["armored-secret.age"] == ar.Rule((U1,), armor=True)


@pytest.mark.parametrize("text", SUBSET)
def test_subset_reads_as_nix_evaluates(text: str, tmp_path: Path) -> None:
    nix = require_tool("nix-instantiate")
    f = tmp_path / "secrets.nix"
    f.write_text(text)
    out = subprocess.run([nix, "--eval", "--strict", "--json", "--readonly-mode", str(f)],
                         capture_output=True, check=True).stdout
    assert ar.parse_nix(text, "secrets.nix") == ar.from_data(json.loads(out), "secrets.nix")


@pytest.mark.parametrize("text", NEEDS_NIX)
def test_needs_nix_refused_with_hint(text: str) -> None:
    with pytest.raises(ar.RulesError) as info:
        ar.parse_nix(text, "secrets.nix")
    assert info.value.hint == ar.NIX_HINT
    assert str(info.value).startswith("secrets.nix")


def test_every_prefix_parses_or_fails_cleanly() -> None:
    """Truncated files end in a RulesError, never an IndexError or the like."""
    text = EXAMPLE.read_text()
    for end in range(len(text)):
        try:
            ar.parse_nix(text[:end], "secrets.nix")
        except ar.RulesError:
            pass


@pytest.mark.parametrize(("data", "where"), [
    ([], "expected an attribute set"),
    ({"x.age": "k"}, "'x.age': expected an attribute set"),
    ({"x.age": {}}, "'x.age'.publicKeys"),
    ({"x.age": {"publicKeys": []}}, "non-empty"),
    ({"x.age": {"publicKeys": ["k", 1]}}, "list of strings"),
    ({"x.age": {"publicKeys": ["k"], "armor": "yes"}}, "'x.age'.armor"),
])
def test_shape_errors(data: object, where: str) -> None:
    with pytest.raises(ar.RulesError, match="secrets rules are invalid") as info:
        ar.from_data(data, "r.json")
    assert where in str(info.value)


def test_duplicates_dropped_and_extra_keys_ignored() -> None:
    rules = ar.from_data({"x.age": {"publicKeys": ["k", "k ", "j"], "owner": "x"}}, "r")
    assert rules == {"x.age": ar.Rule(("k", "j"))}


def test_toml_and_json() -> None:
    toml = '["secret1.age"]\npublicKeys = ["k1", "k2"]\n\n["x/armored.age"]\n' \
           'publicKeys = ["k1"]\narmor = true\n'
    want = {"secret1.age": ar.Rule(("k1", "k2")), "x/armored.age": ar.Rule(("k1",), True)}
    assert ar.parse_toml(toml, "secrets.toml") == want
    data = {"secret1.age": {"publicKeys": ["k1", "k2"]},
            "x/armored.age": {"publicKeys": ["k1"], "armor": True}}
    assert ar.parse_json(json.dumps(data), "secrets.json") == want
    with pytest.raises(ar.RulesError, match=r"cannot parse 'secrets\.toml'"):
        ar.parse_toml("[x", "secrets.toml")
    with pytest.raises(ar.RulesError, match=r"cannot parse 'secrets\.json'"):
        ar.parse_json("{", "secrets.json")


def test_find_relative_to_rules_dir() -> None:
    rules = {"a.age": ar.Rule(("k",)), "sub/../b.age": ar.Rule(("k",))}
    assert ar.find(rules, "/repo/secrets/a.age", "/repo/secrets") == "a.age"
    assert ar.find(rules, "/repo/secrets/b.age", "/repo/secrets") == "sub/../b.age"
    assert ar.find(rules, "/repo/a.age", "/repo/secrets") is None
