"""No command writes over its own input or key file (age issue 491, for every command).

Each command is given, as its output, one of its inputs spelled six ways: the same
path, ``./`` before it, a ``dir/../`` detour, the absolute path, a hard link and a
symbolic link to it. It must fail with one error line, before asking or reading
anything, and leave the file byte for byte as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sekret.age import X25519Identity
from sekret.cli._env import Environment
from sekret.cli._paths import clashing_input, same_file
from tests.cli.helpers import fake_env, run_cli

DATA = Path(__file__).parent / "cases" / "data"
KEY = X25519Identity.generate()
RECIPIENT = str(KEY.recipient())
PLAIN_YAML = "a: 1\nb: text\n"


@pytest.fixture(autouse=True)
def _cores_stay_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """sops decrypt forbids core dumps for good: not for the whole test process."""
    from sekret.cli import _guard

    monkeypatch.setattr(_guard, "no_core_dumps", lambda: None)


def _spellings(tmp_path: Path, name: str) -> dict[str, str]:
    """Six ways to name ``name`` (the links are made here)."""
    (tmp_path / "sub").mkdir(exist_ok=True)
    os.link(tmp_path / name, tmp_path / f"{name}.hard")
    (tmp_path / f"{name}.sym").symlink_to(name)
    return {
        "same": name,
        "dot": f"./{name}",
        "detour": f"sub/../{name}",
        "absolute": str(tmp_path / name),
        "hard link": f"{name}.hard",
        "symlink": f"{name}.sym",
    }


@dataclass
class Case:
    """A command whose output names ``target``, one of its inputs."""

    argv: Callable[[str], list[str]]
    target: str
    secrets: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None


def _sops_file(tmp_path: Path) -> None:
    (tmp_path / "plain.yaml").write_text(PLAIN_YAML)
    (tmp_path / "keys.txt").write_text(KEY.to_string() + "\n")
    result = run_cli(["encrypt", "--age", RECIPIENT, "--output", "s.yaml", "plain.yaml"],
                     tmp_path)
    assert result.status == 0, result.err


CASES = {
    "age encrypt: INPUT": Case(lambda o: ["age", "-r", RECIPIENT, "-o", o, "in.txt"], "in.txt"),
    "age encrypt -a: INPUT": Case(lambda o: ["age", "-a", "-R", "r.txt", "-o", o, "in.txt"],
                                  "in.txt"),
    "age encrypt: -R file": Case(lambda o: ["age", "-R", "r.txt", "-o", o, "in.txt"], "r.txt"),
    "age encrypt -e: -i file": Case(lambda o: ["age", "-e", "-i", "key.txt", "-o", o, "in.txt"],
                                    "key.txt"),
    "age -p: INPUT, before the prompt": Case(lambda o: ["age", "-p", "-o", o, "in.txt"],
                                             "in.txt", secrets=["pw", "pw"]),
    "age decrypt: INPUT": Case(lambda o: ["age", "-d", "-i", "key.txt", "-o", o, "ct.age"],
                               "ct.age"),
    "age decrypt: -i file": Case(lambda o: ["age", "-d", "-i", "key.txt", "-o", o, "ct.age"],
                                 "key.txt"),
    "age decrypt passphrase file: INPUT": Case(lambda o: ["age", "-d", "-o", o, "pw.age"],
                                               "pw.age", secrets=["pw"]),
    "age-keygen -y: INPUT": Case(lambda o: ["age-keygen", "-y", "-o", o, "key.txt"], "key.txt"),
    "ssh-to-age: -i": Case(lambda o: ["ssh-to-age", "-i", "host.pub", "-o", o], "host.pub"),
    "ssh-to-age --private-key: -i": Case(
        lambda o: ["ssh-to-age", "--private-key", "-i", "host", "-o", o], "host"),
    "sops encrypt: FILE": Case(lambda o: ["encrypt", "--age", RECIPIENT, "--output", o,
                                          "plain.yaml"], "plain.yaml", prepare=_sops_file),
    "sops decrypt: FILE": Case(lambda o: ["decrypt", "--output", o, "s.yaml"], "s.yaml",
                               prepare=_sops_file),
    "sops decrypt: the age key file": Case(lambda o: ["decrypt", "--output", o, "s.yaml"],
                                           "keys.txt", prepare=_sops_file),
    "sops rotate: FILE": Case(lambda o: ["rotate", "--output", o, "s.yaml"], "s.yaml",
                              prepare=_sops_file),
}


def _setup(tmp_path: Path, case: Case) -> None:
    (tmp_path / "in.txt").write_bytes(b"the input\n")
    (tmp_path / "key.txt").write_text(KEY.to_string() + "\n")
    (tmp_path / "r.txt").write_text(RECIPIENT + "\n")
    (tmp_path / "host.pub").write_bytes((DATA / "host_ed25519.pub").read_bytes())
    (tmp_path / "host").write_bytes((DATA / "host_ed25519").read_bytes())
    (tmp_path / "pw.age").write_bytes((DATA / "pw.age").read_bytes())
    made = run_cli(["age", "-r", RECIPIENT, "-o", "ct.age", "in.txt"], tmp_path)
    assert made.status == 0, made.err
    if case.prepare:
        case.prepare(tmp_path)


@pytest.mark.parametrize("spelling", ["same", "dot", "detour", "absolute", "hard link",
                                      "symlink"])
@pytest.mark.parametrize("name", list(CASES))
def test_output_never_overwrites_an_input(tmp_path: Path, name: str, spelling: str) -> None:
    case = CASES[name]
    _setup(tmp_path, case)
    before = (tmp_path / case.target).read_bytes()
    output = _spellings(tmp_path, case.target)[spelling]
    env = {"SOPS_AGE_KEY_FILE": str(tmp_path / "keys.txt"), **case.env}
    result = run_cli(case.argv(output), tmp_path, secrets=case.secrets, environ=env)
    assert result.status != 0
    errors = result.error_lines()
    assert len(errors) == 1 and "input and output file are the same" in errors[0], result.err
    assert "Traceback" not in result.err
    assert result.prompts == []  # refused before anything was asked
    assert result.stdout == b""
    assert (tmp_path / case.target).read_bytes() == before
    assert (tmp_path / f"{case.target}.sym").is_symlink()
    assert os.path.samefile(tmp_path / case.target, tmp_path / f"{case.target}.hard")
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_keygen_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(KEY.to_string() + "\n")
    before = (tmp_path / "key.txt").read_bytes()
    for output in _spellings(tmp_path, "key.txt").values():
        result = run_cli(["age-keygen", "-o", output], tmp_path)
        assert result.status == 1 and len(result.error_lines()) == 1, result.err
        assert (tmp_path / "key.txt").read_bytes() == before


def test_a_different_existing_output_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    _setup(tmp_path, CASES["age encrypt: INPUT"])
    (tmp_path / "old").write_bytes(b"previous content")
    (tmp_path / "old").chmod(0o640)
    result = run_cli(["age", "-d", "-i", "key.txt", "-o", "old", "ct.age"], tmp_path)
    assert result.status == 0, result.err
    assert (tmp_path / "old").read_bytes() == b"the input\n"
    assert (tmp_path / "old").stat().st_mode & 0o777 == 0o640
    result = run_cli(["age", "-a", "-r", RECIPIENT, "-o", "old", "in.txt"], tmp_path)
    assert result.status == 0 and (tmp_path / "old").stat().st_mode & 0o777 == 0o640


def test_standard_streams_and_new_files_never_clash(tmp_path: Path) -> None:
    env: Environment = fake_env(tmp_path)
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"a")  # same content, another file
    assert not same_file(env, "-", "-")
    assert not same_file(env, "a", "b")
    assert not same_file(env, "a", "new")
    assert same_file(env, "new", "./new")  # not there yet: compared by path
    assert clashing_input(env, None, ["a"]) is None
    assert clashing_input(env, "-", ["-"]) is None
    assert clashing_input(env, "x/../a", ["b", "a"]) == "a"
