"""secrets.nix edits in nix syntax, checked by evaluating with the real nix-instantiate."""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path

import pytest

from sekret.hosts import rules_data, secrets_nix
from sekret.hosts.secrets_nix import NixEditError
from sekret.install import agenix_rules as ar
from tests.conftest import require_tool, vendored

EXAMPLE = (vendored("agenix-example") / "example" / "secrets.nix").read_text()
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEKAZs++U7xoUcT1vJOIafOtl3bAfup5Vo1MS4+pBf2q"
OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH"

SHAPES = {
    "agenix-example": EXAMPLE,
    "no-let": f'# rules\n{{\n  "a.age".publicKeys = [ "{OTHER}" ];\n}}\n',
    "expressions": f"""\
let
  keys = import ./keys.nix;
  users = [ keys.alice ];
  systems = [ "{OTHER}" ];
in {{
  "a.age".publicKeys = users ++ systems;
  "b.age".publicKeys = if true then users else systems;
  "c.age" = {{ publicKeys = users; armor = true; }};
}}
""",
}


def _eval(tmp: Path, text: str) -> dict[str, ar.Rule]:
    nix = require_tool("nix-instantiate")
    (tmp / "keys.nix").write_text(f'{{ alice = "{OTHER}"; }}\n')
    path = tmp / "secrets.nix"
    path.write_text(text)
    out = subprocess.run([nix, "--eval", "--strict", "--json", "--readonly-mode", str(path)],
                         capture_output=True, check=True, timeout=120)
    return ar.from_data(json.loads(out.stdout), "secrets.nix")


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_add_and_remove_evaluate_as_intended(shape: str, tmp_path: Path) -> None:
    text = SHAPES[shape]
    before = _eval(tmp_path, text)
    new, changed = secrets_nix.add_host(text, "web1", KEY, lambda n: n != "secret2.age")
    after = _eval(tmp_path, new)
    assert set(changed) == {n for n in before if n != "secret2.age"}
    for name, rule in before.items():
        want = (*rule.public_keys, KEY) if name in changed else rule.public_keys
        assert after[name] == ar.Rule(want, rule.armor)
    if shape != "expressions":  # sekret's own reader agrees with nix
        assert ar.parse_nix(new, "secrets.nix") == after
    assert secrets_nix.bound_key(new, "web1") == KEY
    back, removed = secrets_nix.remove_host(new, "web1")
    assert sorted(removed) == sorted(changed)
    assert _eval(tmp_path, back) == before
    if shape != "expressions":
        assert back == text


def test_example_keeps_its_layout() -> None:
    new, _ = secrets_nix.add_host(EXAMPLE, "web1", KEY, lambda n: True)
    assert f'  web1 = "{KEY}";\n' in new
    assert "    system1\n    web1\n  ];" in new
    assert "publicKeys = [ user1 web1 ];" in new
    ops = {op for op, *_ in difflib.SequenceMatcher(None, EXAMPLE, new,
                                                      autojunk=False).get_opcodes()}
    assert ops == {"equal", "insert"}


def test_refusals() -> None:
    with pytest.raises(NixEditError, match="already bound"):
        secrets_nix.add_host(EXAMPLE, "user1", KEY, lambda n: True)
    with pytest.raises(NixEditError, match="not an attribute set"):
        secrets_nix.add_host("import ./rules.nix", "web1", KEY, lambda n: True)
    with pytest.raises(NixEditError, match="not a nix identifier"):
        secrets_nix.add_host(EXAMPLE, "1web", KEY, lambda n: True)


def test_toml_and_json_forms() -> None:
    toml = (f'# rules\n["a.age"]\npublicKeys = ["{OTHER}"]\n\n'
            f'["b.age"]\npublicKeys = [\n  "{OTHER}",\n]\narmor = true\n')
    new, changed = rules_data.add_toml(toml, KEY, lambda n: True)
    assert changed == ["a.age", "b.age"]
    assert ar.parse_toml(new, "t")["b.age"] == ar.Rule((OTHER, KEY), True)
    assert new.startswith("# rules\n")
    back, removed = rules_data.remove_toml(new, KEY)
    assert removed == ["a.age", "b.age"] and ar.parse_toml(back, "t") == ar.parse_toml(toml, "t")
    js = json.dumps({"a.age": {"publicKeys": [OTHER]}}, indent=4) + "\n"
    new, changed = rules_data.add_json(js, KEY, lambda n: True)
    assert json.loads(new)["a.age"]["publicKeys"] == [OTHER, KEY] and changed == ["a.age"]
    assert rules_data.remove_json(new, KEY)[0] == js
