""".sops.yaml edits keep the user's text; the real sops reads the result as intended."""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path

import pytest

from sekret.age import X25519Identity
from sekret.hosts import sops_yaml
from sekret.hosts.yamltext import YamlEditError
from tests.sops.conftest import clean_env, sops_path

ALICE = str(X25519Identity.generate().recipient())
BOB = str(X25519Identity.generate().recipient())
HOST = str(X25519Identity.generate().recipient())

#: layouts people write: (config, the rules' path → who must read it after adding the host)
LAYOUTS = {
    "sops-nix-readme": f"""\
# machines and admins
keys:
  - &admin_alice {ALICE} # laptop
  - &server_bob {BOB}
creation_rules:
  # shared
  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$
    key_groups:
    - age:
      - *admin_alice
      - *server_bob   # old box
""",
    "indented-groups": f"""\
keys:
- &alice {ALICE}
creation_rules:
    - path_regex: secrets/.*
      key_groups:
          - age:
                - *alice
""",
    "flow-and-strings": f"""\
keys: [&alice {ALICE}]
creation_rules:
  - path_regex: 'secrets/.*'
    age: [*alice]
  - path_regex: "other/.*"
    age: "{ALICE},{BOB}"
""",
    "no-keys-yet": f"""\
# no anchors at all
creation_rules:
  - path_regex: secrets/.*
    age: {ALICE}
""",
    "alias-scalar-and-pgp-only-group": f"""\
keys:
  - &alice {ALICE}
creation_rules:
  - path_regex: secrets/.*
    age: *alice
""",
}


def _recipients_by_real_sops(tmp: Path, config: str, rel: str) -> list[str]:
    """Encrypt a new file at ``rel`` with the real sops and this config; its recipients."""
    (tmp / ".sops.yaml").write_text(config)
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"a": "b"}')
    subprocess.run([sops_path(), "encrypt", "-i", str(path)], cwd=tmp, env=clean_env(),
                   check=True, capture_output=True, timeout=60)
    meta = json.loads(path.read_text())["sops"]
    return sorted(k["recipient"] for k in meta["age"])


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_add_then_real_sops_encrypts_for_the_host(layout: str, tmp_path: Path) -> None:
    text = LAYOUTS[layout]
    before = _recipients_by_real_sops(tmp_path, text, "secrets/x.json")
    result = sops_yaml.add_host(text, "web1", HOST, lambda rx: True)
    assert result.rules and all("secrets" in rx or "other" in rx for rx in result.rules.values())
    after = _recipients_by_real_sops(tmp_path, result.text, "secrets/x.json")
    assert after == sorted([*before, HOST])
    # text is only inserted (a lone alias becomes a list); every comment line is kept
    ops = {op for op, *_ in difflib.SequenceMatcher(None, text, result.text,
                                                      autojunk=False).get_opcodes()}
    assert ops <= ({"equal", "insert", "replace"} if "alias" in layout else {"equal", "insert"})
    for line in text.splitlines():
        if line.lstrip().startswith("#") or "  #" in line:
            assert line in result.text.splitlines()
    # and back: the host goes, nothing else does
    back = sops_yaml.remove_host(result.text, "web1")
    assert back.recipient == HOST
    assert _recipients_by_real_sops(tmp_path, back.text, "secrets/x.json") == before
    if layout not in ("alias-scalar-and-pgp-only-group",):
        assert back.text == text


def test_only_the_rules_named() -> None:
    text = LAYOUTS["flow-and-strings"]
    result = sops_yaml.add_host(text, "web1", HOST, lambda rx: rx == "other/.*")
    assert list(result.rules.values()) == ["other/.*"]
    assert f'"{ALICE},{BOB},{HOST}"' in result.text
    assert "age: [*alice]\n" in result.text


def test_idempotent_and_conflicts() -> None:
    text = LAYOUTS["sops-nix-readme"]
    once = sops_yaml.add_host(text, "web1", HOST, lambda rx: True)
    twice = sops_yaml.add_host(once.text, "web1", HOST, lambda rx: True)
    assert twice.text == once.text and twice.rules == {}
    with pytest.raises(YamlEditError, match="already has an anchor"):
        sops_yaml.add_host(once.text, "web1", BOB, lambda rx: True)
    with pytest.raises(YamlEditError, match="invalid host name"):
        sops_yaml.add_host(text, "web 1", HOST, lambda rx: True)
    with pytest.raises(YamlEditError, match="no key &nope"):
        sops_yaml.remove_host(text, "nope")


def test_keys_after_rules_is_refused() -> None:
    text = f"creation_rules:\n  - age: *a\nkeys:\n  - &a {ALICE}\n"
    with pytest.raises(YamlEditError, match="keys: comes after"):
        sops_yaml.add_host(text, "web1", HOST, lambda rx: True)
