"""The testscript interpreter itself: archive layout, word splitting, terminal, checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.age.testscript import ptyexec, txtar, words
from tests.age.testscript.interp import Result, Script

ENV = {"WORK": "/w", "A": "a b", "DOT": ".", "$": "$"}  # testscript sets $=$


def test_txtar_splits_script_and_files_and_fixes_the_last_newline() -> None:
    archive = txtar.parse(b"exec x\n-- a --\none\n-- not -- a marker\n--  b  --\ntwo")
    assert archive.comment == b"exec x\n"
    assert archive.files == (("a", b"one\n-- not -- a marker\n"), ("b", b"two\n"))
    assert txtar.parse(b"only a script").comment == b"only a script\n"


@pytest.mark.parametrize(("line", "expected"), [
    ("stderr 'passphrases didn''t match'", ["stderr", "passphrases didn't match"]),
    ("stderr /awesome#plugins", ["stderr", "/awesome"]),
    ("exec cat a b # a comment", ["exec", "cat", "a", "b"]),
    ("mkdir $WORK/x ${WORK}y '$WORK'", ["mkdir", "/w/x", "/wy", "$WORK"]),
    ("echo $A ${DOT@R} $$ $", ["echo", "a b", r"\.", "$", "$"]),
    ("stdout ''", ["stdout", ""]),
    ("   ", []),
])
def test_words_split_like_testscript(line: str, expected: list[str]) -> None:
    assert words.split(line, lambda k: ENV.get(k, "")) == expected


def test_an_unterminated_quote_is_an_error() -> None:
    with pytest.raises(words.ParseError):
        words.split("stdout 'oops", lambda k: "")


READ_TTY = "import os; fd = os.open('/dev/tty', os.O_RDWR); print(os.read(fd, 100))"
FLUSH_TTY = (  # as a slow-starting program would: the input is typed before it flushes
    "import os, termios, time; fd = os.open('/dev/tty', os.O_RDWR); time.sleep(0.5);"
    "termios.tcsetattr(fd, termios.TCSAFLUSH, termios.tcgetattr(fd)); print(os.read(fd, 9))"
)


def test_ttyin_is_typed_ahead_on_the_controlling_terminal(tmp_path: Path) -> None:
    res = ptyexec.run([sys.executable, "-c", READ_TTY], cwd=str(tmp_path), env={},
                      ttyin=b"secret\n")
    assert res.ok, res
    assert res.stdout == b"b'secret\\n'\n"
    assert res.ttyout is not None and b"secret" in res.ttyout  # the terminal's echo


def test_ttyin_stdin_makes_the_terminal_standard_input(tmp_path: Path) -> None:
    code = "import sys; print(sys.stdin.isatty(), sys.stdin.readline().strip())"
    res = ptyexec.run([sys.executable, "-c", code], cwd=str(tmp_path), env={},
                      ttyin=b"typed\n", stdin_is_tty=True)
    assert res.stdout == b"True typed\n", res


def test_typed_ahead_input_is_lost_to_a_flushing_reader(tmp_path: Path) -> None:
    """Why the harness must type ahead: a program that flushes pending input hangs."""
    res = ptyexec.run([sys.executable, "-c", FLUSH_TTY], cwd=str(tmp_path), env={},
                      ttyin=b"secret\n", timeout=3)
    assert res.timed_out


def test_without_ttyin_there_is_no_controlling_terminal(tmp_path: Path) -> None:
    res = ptyexec.run([sys.executable, "-c", READ_TTY], cwd=str(tmp_path), env={})
    assert not res.ok and b"/dev/tty" in res.stderr


SCRIPT = """\
exec sh -c 'echo out; echo oops >&2; exit 1'
stdout out
stderr 'some wording'
! stderr 'other wording'
! exec sh -c 'exit 0'
cmp f g
exists f
! exists nope
stdin f
exec cat
cmp stdout g
-- f --
same
-- g --
same
"""


def run(tmp_path: Path, text: str, *, relax: bool = True) -> Result:
    path = tmp_path / "t.txt"
    path.write_text(text)
    return Script(path, tmp_path / "work", relax_stderr=relax).run()


def test_every_failing_line_is_reported_with_relaxed_stderr(tmp_path: Path) -> None:
    result = run(tmp_path, SCRIPT)
    assert [f.lineno for f in result.failures] == [1, 4, 5], result.report()
    assert "unexpected command failure" in result.failures[0].message
    assert "nothing may be printed" in result.failures[1].message
    assert "unexpected command success" in result.failures[2].message
    assert len(result.relaxed) == 1 and "some wording" in result.relaxed[0]


def test_stderr_is_exact_without_the_relaxation(tmp_path: Path) -> None:
    result = run(tmp_path, SCRIPT, relax=False)
    assert [f.lineno for f in result.failures] == [1, 3, 5], result.report()


def test_a_skip_is_reported(tmp_path: Path) -> None:
    assert run(tmp_path, "[linux] skip 'not here'\n").skipped == "not here"
    assert run(tmp_path, "[!linux] skip\n[darwin] [go1.20] skip\n").skipped is None
