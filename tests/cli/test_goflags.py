"""Go's ``flag`` rules for ``sekret age`` and ``sekret age-keygen`` (sekret.cli._goflags).

The expectations are Go's ``flag.FlagSet.Parse`` (Go 1.22 ``flag.go`` ``parseOne``),
as age 1.3's ``age`` and ``age-keygen`` use it; the messages are Go's in sekret's voice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sekret.age import X25519Identity
from sekret.cli._goflags import FlagError, FlagSet
from tests.cli.helpers import run_cli


def _set() -> FlagSet:
    f = FlagSet("Usage: t\n")
    f.bool("armor", "a", "armor")
    f.string("output", "o", "output")
    f.repeated("recipients", "r", "recipient")
    f.repeated("keys", "i", "identity", tag="i")
    f.repeated("keys", "j", tag="j")
    return f


@pytest.mark.parametrize(("argv", "values", "rest"), [
    (["-a"], {"armor": True}, []),
    (["--armor"], {"armor": True}, []),
    (["-armor=false"], {"armor": False}, []),
    (["-a=1", "-a=F"], {"armor": False}, []),
    (["-a", "false"], {"armor": True}, ["false"]),  # a bool takes a value only after "="
    (["-o", "f"], {"output": "f"}, []),
    (["-output=f"], {"output": "f"}, []),
    (["--output", "f", "-o=g"], {"output": "g"}, []),  # the last one wins
    (["-o", "-a"], {"output": "-a", "armor": False}, []),  # the next argument, whatever
    (["-o="], {"output": ""}, []),
    (["-o", "a=b"], {"output": "a=b"}, []),
    (["-r", "x", "--recipient=y"], {"recipients": ["x", "y"]}, []),
    (["-i", "k", "-j", "p", "-identity", "l"],
     {"keys": [("i", "k"), ("j", "p"), ("i", "l")]}, []),
    (["in", "-a"], {"armor": False}, ["in", "-a"]),  # flags end at the first non-flag
    (["-", "-a"], {"armor": False}, ["-", "-a"]),  # "-" is not a flag
    (["--", "-a"], {"armor": False}, ["-a"]),
    (["-a", "--", "--", "x"], {"armor": True}, ["--", "x"]),
])
def test_parses_as_go(argv: list[str], values: dict[str, object], rest: list[str]) -> None:
    parsed = _set().parse(argv)
    assert not parsed.help
    for name, value in values.items():
        assert parsed.values[name] == value
    assert parsed.args == rest


@pytest.mark.parametrize(("argv", "message"), [
    (["-x"], "flag provided but not defined: -x"),
    (["--this-flag-does-not-exist"], "flag provided but not defined: -this-flag-does-not-exist"),
    (["-ao"], "flag provided but not defined: -ao"),  # no bundling
    (["-o"], "flag needs an argument: -o"),
    (["---a"], "bad flag syntax: ---a"),
    (["-=a"], "bad flag syntax: -=a"),
    (["-a=yes"], "invalid boolean value 'yes' for -a: parse error"),
])
def test_errors_as_go(argv: list[str], message: str) -> None:
    with pytest.raises(FlagError) as info:
        _set().parse(argv)
    assert str(info.value) == message
    assert info.value.exit_code == 2
    assert info.value.usage == "Usage: t\n"


@pytest.mark.parametrize("flag", ["-h", "-help", "--help", "--h"])
def test_help_unless_declared(flag: str) -> None:
    assert _set().parse(["-a", flag, "-x"]).help
    declared = FlagSet()
    declared.bool("h", "h")
    assert not declared.parse(["-h"]).help


# --------------------------------------------------------------- sekret age's flags


def _key(tmp_path: Path) -> str:
    identity = X25519Identity.generate()
    (tmp_path / "key.txt").write_text(identity.to_string() + "\n")
    return str(identity.recipient())


@pytest.mark.parametrize("armor", ["-a", "-armor", "--armor", "-a=true", "--armor=1"])
@pytest.mark.parametrize("output", [["-o", "c"], ["-output", "c"], ["-output=c"],
                                    ["--output=c"], ["--o", "c"]])
def test_age_accepts_go_spellings(tmp_path: Path, armor: str, output: list[str]) -> None:
    recipient = _key(tmp_path)
    (tmp_path / "p").write_bytes(b"plain")
    result = run_cli(["age", armor, *output, "-recipient", recipient, "p"], tmp_path)
    assert result.status == 0, result.err
    assert (tmp_path / "c").read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    back = run_cli(["age", "--decrypt", "-identity=key.txt", "c"], tmp_path)
    assert back.stdout == b"plain"


@pytest.mark.parametrize("flag", ["-h", "-help", "--help"])
def test_age_help_is_usage_on_stderr(tmp_path: Path, flag: str) -> None:
    result = run_cli(["age", "-p", flag], tmp_path)
    assert result.status == 0 and result.stdout == b""
    assert result.err.startswith("Usage:\n    sekret age [-e] (-r RECIPIENT")


def test_age_without_arguments_is_usage_and_status_1(tmp_path: Path) -> None:
    result = run_cli(["age"], tmp_path)
    assert result.status == 1 and result.stdout == b""
    assert result.err.startswith("Usage:\n")


def test_age_unknown_flag(tmp_path: Path) -> None:
    result = run_cli(["age", "-p", "-this-flag-does-not-exist"], tmp_path)
    assert result.status == 2 and result.stdout == b""
    lines = result.err.splitlines()
    assert lines[0] == "sekret: error: flag provided but not defined: -this-flag-does-not-exist"
    assert lines[1] == "Usage:"
    assert lines[-1] == "Run 'sekret age -h' for the options."


@pytest.mark.parametrize("command", ["age", "age-keygen"])
@pytest.mark.parametrize("flag", ["-version", "--version"])
def test_version(tmp_path: Path, command: str, flag: str) -> None:
    from sekret import __version__

    result = run_cli([command, flag], tmp_path)
    assert result.status == 0 and result.err == ""
    assert result.out == f"sekret {command} {__version__}\n"


def test_flag_after_input_suggests_the_command_line(tmp_path: Path) -> None:
    recipient = _key(tmp_path)
    (tmp_path / "p").write_bytes(b"x")
    result = run_cli(["age", "-r", recipient, "p", "-o", "c"], tmp_path)
    assert result.status == 1 and not (tmp_path / "c").exists()
    assert result.err.splitlines() == [
        "sekret: error: too many INPUT arguments: 'p' '-o' 'c'",
        "sekret: hint: the input file must come after all flags",
        f"sekret: hint: did you mean: sekret age -r {recipient} -o c p",
    ]
    # arguments a shell would need quoted get no suggestion
    result = run_cli(["age", "-r", recipient, "p p", "-a"], tmp_path)
    assert result.status == 1 and "did you mean" not in result.err
    result = run_cli(["age", "-r", recipient, "p", "q"], tmp_path)
    assert "give a single input file at a time" in result.err


def test_keygen_go_spellings(tmp_path: Path) -> None:
    result = run_cli(["age-keygen", "--pq", "-output=k.txt"], tmp_path)
    assert result.status == 0, result.err
    assert "AGE-SECRET-KEY-PQ-1" in (tmp_path / "k.txt").read_text()
    y = run_cli(["age-keygen", "-y", "-o=-", "k.txt"], tmp_path)
    assert y.status == 0 and y.out.startswith("age1pq1")
    bad = run_cli(["age-keygen", "-pq", "-y"], tmp_path)
    assert bad.status == 1 and "-pq can't be used with -y" in bad.err
    unknown = run_cli(["age-keygen", "-x"], tmp_path)
    assert unknown.status == 2 and "flag provided but not defined: -x" in unknown.err
