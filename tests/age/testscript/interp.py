"""A small interpreter for go-internal testscript files, enough for age's CLI scripts.

What it implements is exactly what age's 15 scripts (cmd/age/testdata, v1.3.1) use:
the txtar layout (the script, then ``-- name --`` files unpacked into ``$WORK``),
``#`` comments, ``[cond]`` prefixes (``linux``, ``darwin``, ``go1.N``, ...), ``!``
negation, single-quoted words and ``$VAR`` expansion (:mod:`.words`), and the commands
``exec`` (and ``age``, which means ``exec age``), ``stdin``, ``ttyin [-stdin]``,
``stdout``/``stderr``/``ttyout``/``grep`` regexp checks (with ``-count=N``), ``cmp``,
``cp``, ``env``, ``exists [-readonly]``, ``mkdir``, ``rm``, ``chmod`` and ``skip``.

The environment is testscript's: only ``WORK``, ``PATH``, ``HOME=/no-home``,
``TMPDIR=$WORK/.tmp``, ``devnull``, ``/``, ``:``, ``$`` and ``exe``, plus ``PWD``
for each command. The setup hook may put programs first on ``PATH``.

Unlike testscript's default, a failing line does not stop the script: every line
runs and every failure is collected (testscript's ``ContinueOnError``), so one run
lists all that is wrong. Later failures may follow from earlier ones.

With ``relax_stderr`` (see :mod:`.commands`), ``stderr`` checks of wording only ask
whether something was printed; every other line is checked as testscript does.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.age.testscript import commands, ptyexec, txtar, words
from tests.age.testscript.commands import Fail, Skip

GOOS = {"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
        "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows"}
#: How much of a command's output a failure report shows.
CONTEXT_LINES = 24
GOARCH = {"386": "i686", "amd64": "x86_64", "arm64": "aarch64", "arm": "armv7l"}


@dataclass(frozen=True)
class LineFailure:
    """One failed line, with the output of the command it checked."""

    lineno: int
    line: str
    message: str
    context: str

    def __str__(self) -> str:
        message = self.message.replace("\n", "\n          ")
        text = f"line {self.lineno}: {self.line}\n    FAIL: {message}"
        lines = self.context.splitlines()
        if len(lines) > CONTEXT_LINES:
            lines = [*lines[:CONTEXT_LINES], f"… ({len(lines) - CONTEXT_LINES} more lines)"]
        text += "".join("\n    | " + ln for ln in lines)
        return text


@dataclass
class Result:
    """The outcome of one script."""

    name: str
    failures: list[LineFailure] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    skipped: str | None = None
    transcript: list[str] = field(default_factory=list)

    def report(self) -> str:
        parts = [f"{self.name}: {len(self.failures)} failing line(s)"]
        parts += [str(f) for f in self.failures]
        if self.skipped is not None:
            parts.append(f"script skipped itself ({self.skipped}); skips are not allowed here")
        if self.relaxed:
            parts.append("stderr checks passed on presence only (wording differs):")
            parts += ["    " + r for r in self.relaxed]
        return "\n".join(parts)


Setup = Callable[["Script"], None]


class Script:
    """One testscript file run in its own ``$WORK`` directory."""

    def __init__(self, path: Path, work: Path, *, programs: frozenset[str] = frozenset({"age"}),
                 setup: Setup | None = None, relax_stderr: bool = True,
                 timeout: float = 10.0) -> None:
        self.path = path
        self.work = work
        self.programs = programs  # script commands that mean "exec NAME"
        self.setup_hook = setup
        self.relax_stderr = relax_stderr
        self.timeout = timeout
        self.cd = str(work)
        self.env: dict[str, str] = {}
        self.stdin: bytes | None = None
        self.ttyin: bytes | None = None
        self.stdin_pty = False
        self.stdout = b""
        self.stderr = b""
        self.ttyout = b""
        self.last_output = ""  # the last command's output, shown with a failed check
        self.lineno = 0
        self.result = Result(path.stem)

    # --- set-up -------------------------------------------------------------------

    def getenv(self, key: str) -> str:
        return self.env.get(key, "")

    def prepend_path(self, directory: Path) -> None:
        self.env["PATH"] = f"{directory}{os.pathsep}{self.env['PATH']}"

    def _setup(self) -> bytes:
        tmp = self.work / ".tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.env = {
            "WORK": str(self.work), "PATH": os.environ.get("PATH", ""),
            "GOTRACEBACK": "system", "HOME": "/no-home", "TMPDIR": str(tmp),
            "devnull": os.devnull, "/": os.sep, ":": os.pathsep, "$": "$", "exe": "",
        }
        archive = txtar.parse(self.path.read_bytes())
        for name, data in archive.files:
            target = Path(self.abs(words.expand(name, self.getenv)))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if self.setup_hook is not None:
            self.setup_hook(self)
        return archive.comment

    def abs(self, name: str) -> str:
        return name if os.path.isabs(name) else os.path.join(self.cd, name)

    # --- running ------------------------------------------------------------------

    def run(self) -> Result:
        script = self._setup().decode()
        for self.lineno, line in enumerate(script.split("\n"), 1):
            if line.startswith("#"):
                self.result.transcript.append(line)
                continue
            try:
                self._run_line(line)
            except Fail as exc:
                self.result.failures.append(
                    LineFailure(self.lineno, line, str(exc), self.last_output))
                self.result.transcript.append(f"FAIL: {exc}")
            except Skip as exc:
                self.result.skipped = str(exc) or "skip"
                break
        return self.result

    def _run_line(self, line: str) -> None:
        try:
            args = words.split(line, self.getenv)
        except words.ParseError as exc:
            raise Fail(str(exc)) from None
        if not args:
            return
        self.result.transcript.append(f"> {line}")
        while args[0].startswith("[") and args[0].endswith("]"):
            cond = args[0][1:-1].strip()
            args = args[1:]
            if not args:
                raise Fail("missing command after condition")
            want = not cond.startswith("!")
            if self._condition(cond.lstrip("!").strip()) != want:
                return
        neg = args[0] == "!"
        if neg:
            args = args[1:]
            if not args:
                raise Fail("! on line by itself")
        name, rest = args[0], args[1:]
        if name in self.programs:
            name, rest = "exec", args
        command = COMMANDS.get(name)
        if command is None:
            raise Fail(f"unknown command {name!r}")
        command(self, neg, rest)

    def _condition(self, cond: str) -> bool:
        if cond in GOOS:
            return cond == "linux"
        if cond in GOARCH:
            return platform.machine() == GOARCH[cond]
        if cond == "unix":
            return True
        if re.fullmatch(r"go1\.\d+", cond):
            return True  # age's scripts want a modern Go; only [darwin] [go1.20] uses it
        if cond.startswith("exec:"):
            return shutil.which(cond[5:], path=self.env["PATH"]) is not None
        raise Fail(f"unknown condition {cond!r}")

    def read(self, name: str) -> bytes:
        """A file's bytes, or the last command's ``stdout``/``stderr``/``ttyout``."""
        if name in ("stdout", "stderr", "ttyout"):
            return bytes(getattr(self, name))
        try:
            return Path(self.abs(name)).read_bytes()
        except OSError as exc:
            raise Fail(f"cannot read {name}: {exc.strerror}") from None

    def exec(self, neg: bool, args: list[str]) -> None:
        if not args:
            raise Fail("usage: exec program [args...]")
        program = args[0]
        if os.sep not in program:
            found = shutil.which(program, path=self.env["PATH"])
        else:
            found = self.abs(program)
        if self.stdin_pty and self.stdin is not None:
            raise Fail("conflicting use of 'stdin' and 'ttyin -stdin'")
        ttyin = self.ttyin
        if found is None:
            res = ptyexec.ExecResult(None, b"", b"", None, error=f"{program!r}: executable "
                                     "file not found in $PATH")
        else:
            res = ptyexec.run([found, *args[1:]], cwd=self.cd,
                              env={**self.env, "PWD": self.cd}, stdin=self.stdin or b"",
                              ttyin=ttyin, stdin_is_tty=self.stdin_pty, timeout=self.timeout)
        self.stdin, self.ttyin, self.stdin_pty = None, None, False
        self.stdout, self.stderr = res.stdout, res.stderr
        if res.ttyout is not None:
            self.ttyout = res.ttyout
        self.last_output = _describe(res, ttyin)
        self.result.transcript.append(self.last_output)
        if res.timed_out:
            raise Fail(f"timed out after {self.timeout:g}s (killed)")
        if res.ok and neg:
            raise Fail("unexpected command success")
        if not res.ok and not neg:
            raise Fail("unexpected command failure")


def _describe(res: ptyexec.ExecResult, ttyin: bytes | None) -> str:
    lines: list[str] = []
    if ttyin is not None:
        lines.append(f"[ttyin] {ttyin!r}")
    for label, data in (("stdout", res.stdout), ("stderr", res.stderr),
                        ("ttyout", res.ttyout)):
        if data:
            text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\x1b", "\\x1b")
            lines.append(f"[{label}]")
            lines += text.rstrip("\n").split("\n")
    if res.error:
        lines.append(f"[{res.error}]")
    elif res.timed_out:
        lines.append("[killed: timed out]")
    else:
        lines.append(f"[exit status {res.status}]")
    return "\n".join(lines)


Command = Callable[[Script, bool, list[str]], None]
COMMANDS: Mapping[str, Command] = {"exec": Script.exec, **commands.COMMANDS}
