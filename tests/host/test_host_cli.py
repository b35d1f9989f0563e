"""``sekret host add|rm`` end to end in a temp repo; the real sops, age and ssh-keygen judge.

The repo has a commented .sops.yaml with several rules, SOPS files in yaml, json, dotenv
and binary made by the real sops, a secrets.nix and .age files made by the real age.
After ``host add`` the new host key ALONE must decrypt every file its rules cover (real
sops with the ssh-to-age form of the key, real ``age -i`` with the SSH key itself).
"""

from __future__ import annotations

import difflib
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sekret.age import X25519Identity, sshconv
from sekret.files import document
from sekret.files.keys import IdentityFinder
from sekret.stores.base import get_store
from tests.cli.helpers import Result, assert_clean_failure, run_cli
from tests.conftest import require_tool
from tests.sops.conftest import clean_env, sops_path

SOPS_FILES = {
    "secrets/app.yaml": b"# the app\ndb:\n    password: hunter2 # old\n",
    "secrets/x.json": b'{"token": "abc", "n": 1}',
    "secrets/e.env": b"API_KEY=xyz\n",
    "secrets/bin/blob": b"\x00\x01binary secret\xff",
    "hosts/other/o.yaml": b"other: secret\n",
}
AGE_FILES = {"a.age": b"agenix one\n", "sub/b.age": b"agenix two\n"}
CONFIG = """\
# Who reads what. Keep the anchors above the rules.
keys:
  - &admin {admin}  # my laptop
creation_rules:
  # shared by every machine
  - path_regex: secrets/[^/]+\\.(yaml|json|env)$
    key_groups:
      - age:
          - *admin
  # binary blobs
  - path_regex: secrets/bin/.*
    age: [*admin]
  - path_regex: hosts/other/.*
    age: '{admin}'
"""
RULES = """\
let
  admin = "{user}";
in
{{
  "a.age".publicKeys = [ admin ];
  "sub/b.age" = {{
    publicKeys = [ admin ];
    armor = true;
  }};
}}
"""


@dataclass
class Repo:
    root: Path
    repo: Path
    environ: dict[str, str]

    def files(self) -> dict[str, bytes]:
        """Every file under the temp root (repo, key dirs), for all-or-nothing checks."""
        return {str(p.relative_to(self.root)): p.read_bytes()
                for p in sorted(self.root.rglob("*")) if p.is_file()}

    def host(self, *args: str, tty: bool = False) -> Result:
        return run_cli(["host", *args], self.repo, environ=self.environ,
                       tty=["stderr"] if tty else [])


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    age_bin, keygen = require_tool("age"), require_tool("ssh-keygen")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f",
                    str(home / ".ssh" / "id_ed25519")], check=True)
    admin = X25519Identity.generate()
    key_file = tmp_path / "admin.txt"
    key_file.write_text(admin.to_string() + "\n")
    environ = clean_env(HOME=str(home), SOPS_AGE_KEY_FILE=str(key_file))
    environ["PATH"] = os.environ.get("PATH", "")
    work = tmp_path / "repo"
    work.mkdir()
    (work / ".sops.yaml").write_text(CONFIG.format(admin=admin.recipient()))
    user = " ".join((home / ".ssh" / "id_ed25519.pub").read_text().split()[:2])
    (work / "secrets.nix").write_text(RULES.format(user=user))
    for rel, plain in SOPS_FILES.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(plain)
        subprocess.run([sops_path(), "encrypt", "-i", str(path)], cwd=work, env=environ,
                       check=True, capture_output=True, timeout=60)
    for rel, plain in AGE_FILES.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        armor = ["-a"] if rel.startswith("sub/") else []
        subprocess.run([age_bin, *armor, "-R", str(home / ".ssh" / "id_ed25519.pub"), "-o",
                        str(path)], input=plain, check=True)
    return Repo(tmp_path, work, environ)


def _host_sops(repo: Repo, key: Path, rel: str) -> subprocess.CompletedProcess[bytes]:
    """The real sops, with nothing but the host key (in its ssh-to-age form)."""
    identity = sshconv.private_to_identity(key.read_bytes())
    env = clean_env(HOME=str(repo.root / "nobody"), SOPS_AGE_KEY=identity)
    return subprocess.run([sops_path(), "decrypt", rel], cwd=repo.repo, env=env,
                          capture_output=True, timeout=60, check=False)


def _host_age(key: Path, path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([require_tool("age"), "-d", "-i", str(key), str(path)],
                          capture_output=True, check=False)


def _plain(repo: Repo, rel: str) -> bytes:
    env = repo.environ
    return subprocess.run([sops_path(), "decrypt", rel], cwd=repo.repo, env=env,
                          capture_output=True, check=True, timeout=60).stdout


def test_add_host_alone_decrypts_everything_it_is_given(repo: Repo) -> None:
    config_before = (repo.repo / ".sops.yaml").read_text()
    plain_before = {rel: _plain(repo, rel) for rel in SOPS_FILES}
    result = repo.host("add", "web1", "--extra-files", "../web1", "-y")
    assert result.status == 0, result.err
    assert "nixos-anywhere --extra-files ../web1 --flake .#web1" in result.out
    key = repo.root / "web1" / "etc" / "ssh" / "ssh_host_ed25519_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{key}.pub").stat().st_mode) == 0o644
    derived = subprocess.run([require_tool("ssh-keygen"), "-y", "-f", str(key)],
                             capture_output=True, check=True).stdout.decode()
    assert derived.strip() == Path(f"{key}.pub").read_text().strip()
    for rel in SOPS_FILES:
        out = _host_sops(repo, key, rel)
        assert out.returncode == 0, (rel, out.stderr)
        assert out.stdout == plain_before[rel]
        assert _plain(repo, rel) == plain_before[rel]  # the admin still reads it
    for rel, plain in AGE_FILES.items():
        out = _host_age(key, repo.repo / rel)
        assert out.returncode == 0 and out.stdout == plain, rel
    assert (repo.repo / "sub/b.age").read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE")
    # .sops.yaml: text only inserted, every comment where it was
    config_after = (repo.repo / ".sops.yaml").read_text()
    ops = {op for op, *_ in difflib.SequenceMatcher(None, config_before, config_after,
                                                      autojunk=False).get_opcodes()}
    assert ops == {"equal", "insert"}
    assert "  - &web1 age1" in config_after and "          - *web1\n" in config_after


def test_rules_chosen_by_rule_flags(repo: Repo) -> None:
    result = repo.host("add", "db1", "--extra-files", "../db1", "--rule", "secrets/bin/.*",
                       "--rule", r"^a\.age$", "-y")
    assert result.status == 0, result.err
    key = repo.root / "db1" / "etc" / "ssh" / "ssh_host_ed25519_key"
    assert _host_sops(repo, key, "secrets/bin/blob").returncode == 0
    for rel in ("secrets/app.yaml", "secrets/x.json", "hosts/other/o.yaml"):
        assert _host_sops(repo, key, rel).returncode != 0, rel
    assert _host_age(key, repo.repo / "a.age").returncode == 0
    assert _host_age(key, repo.repo / "sub/b.age").returncode != 0
    bad = repo.host("add", "db2", "--ssh-key", f"{key}.pub", "--rule", "nothing/.*", "-y")
    assert_clean_failure(bad)
    assert "chooses no creation rule" in bad.err


def test_existing_key_and_rm_rotates(repo: Repo) -> None:
    keygen = require_tool("ssh-keygen")
    key = repo.root / "existing"
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    config_before = (repo.repo / ".sops.yaml").read_text()
    rules_before = (repo.repo / "secrets.nix").read_text()
    pub = (repo.root / "existing.pub").read_text()
    assert repo.host("add", "web2", "--ssh-key", pub, "-y").status == 0
    assert _host_sops(repo, key, "secrets/app.yaml").returncode == 0
    finder = IdentityFinder(repo.environ)
    data_keys = {rel: document.open_((repo.repo / rel).read_bytes(), get_store(
        "yaml" if rel.endswith("yaml") else "json"), finder).data_key
        for rel in ("secrets/app.yaml", "secrets/x.json")}
    result = repo.host("rm", "web2", "-y")
    assert result.status == 0, result.err
    assert (repo.repo / ".sops.yaml").read_text() == config_before
    assert (repo.repo / "secrets.nix").read_text() == rules_before
    for rel in SOPS_FILES:
        assert _host_sops(repo, key, rel).returncode != 0, rel
        assert _plain(repo, rel)  # the admin still reads it
    for rel, opened in data_keys.items():
        store = get_store("yaml" if rel.endswith("yaml") else "json")
        assert document.open_((repo.repo / rel).read_bytes(), store, finder).data_key != opened
    for rel in AGE_FILES:
        assert _host_age(key, repo.repo / rel).returncode != 0


def test_a_file_the_user_cannot_decrypt_changes_nothing(repo: Repo) -> None:
    stranger = X25519Identity.generate()
    path = repo.repo / "secrets" / "foreign.yaml"
    path.write_bytes(b"x: 1\n")
    subprocess.run([sops_path(), "encrypt", "--age", str(stranger.recipient()), "-i",
                    str(path)], cwd=repo.repo, env=repo.environ, check=True,
                   capture_output=True, timeout=60)
    before = repo.files()
    result = repo.host("add", "web1", "--extra-files", "../web1", "-y")
    assert_clean_failure(result)
    assert "foreign.yaml" in result.err
    assert repo.files() == before
    assert not (repo.root / "web1").exists()


def test_a_failed_rename_changes_nothing(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from sekret.files import transaction

    before = repo.files()
    real = os.replace
    calls = []

    def flaky(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 4 and not str(src).endswith(".old"):
            raise OSError(28, "No space left on device", dst)
        real(src, dst)

    monkeypatch.setattr(transaction.os, "replace", flaky)
    result = repo.host("add", "web1", "--extra-files", "../web1", "-y")
    assert_clean_failure(result)
    assert "no space left on device" in result.err
    assert repo.files() == before
    assert not (repo.root / "web1").exists()


def test_progress_on_a_terminal_only(repo: Repo) -> None:
    piped = repo.host("add", "p1", "--extra-files", "../p1", "-y")
    assert piped.status == 0 and b"re-encrypting" not in piped.stderr
    shown = repo.host("add", "p2", "--extra-files", "../p2", "-y", tty=True)
    assert shown.status == 0
    assert b"re-encrypting 7/7 [" in shown.stderr


def test_usage_errors(repo: Repo) -> None:
    for args in (["add"], ["frob", "x"], ["add", "x"],
                 ["add", "x", "--ssh-key", "k", "--extra-files", "d"]):
        assert_clean_failure(repo.host(*args))
    (repo.root / "taken" / "etc" / "ssh").mkdir(parents=True)
    (repo.root / "taken" / "etc" / "ssh" / "ssh_host_ed25519_key").write_text("mine")
    result = repo.host("add", "t", "--extra-files", "../taken", "-y")
    assert_clean_failure(result)
    assert "never overwritten" in result.err
