"""Run ``sekret`` in-process with a fake :class:`Environment` (byte buffers, scripted prompts)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sekret.cli import main
from sekret.cli._env import Environment


@dataclass
class Result:
    """What one in-process run produced."""

    status: int
    stdout: bytes
    stderr: bytes
    prompts: list[str] = field(default_factory=list)
    terminal: list[str] = field(default_factory=list)  # what was shown on the terminal

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("sekret: error:")]


def fake_env(
    cwd: Path,
    *,
    stdin: bytes = b"",
    tty: Iterable[str] = (),
    secrets: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    prompts: list[str] | None = None,
    terminal: list[str] | None = None,
) -> Environment:
    """An Environment over BytesIO; ``secrets`` answers prompts in order (None: no terminal).

    With a terminal, what is shown on it (not on stderr) is appended to ``terminal``.
    """
    ttys = set(tty)
    answers = list(secrets) if secrets is not None else None
    seen = prompts if prompts is not None else []
    shown = terminal if terminal is not None else []

    def read_secret(prompt: str) -> str | None:
        seen.append(prompt)
        if not answers:
            return None
        return answers.pop(0)

    def write_terminal(text: str) -> bool:
        shown.append(text)
        return True

    return Environment(
        stdin=io.BytesIO(stdin),
        stdout=io.BytesIO(),
        stderr=io.BytesIO(),
        stdin_isatty="stdin" in ttys,
        stdout_isatty="stdout" in ttys,
        stderr_isatty="stderr" in ttys,
        environ=dict(environ or {}),
        cwd=str(cwd),
        read_secret=read_secret if answers is not None else None,
        write_terminal=write_terminal if answers is not None else None,
    )


def run_cli(args: Sequence[str], cwd: Path, **kwargs: object) -> Result:
    """``sekret ARGS`` in-process; never raises (main never does)."""
    prompts: list[str] = []
    terminal: list[str] = []
    env = fake_env(cwd, prompts=prompts, terminal=terminal, **kwargs)  # type: ignore[arg-type]
    status = main(list(args), env)
    assert isinstance(env.stdout, io.BytesIO) and isinstance(env.stderr, io.BytesIO)
    return Result(status, env.stdout.getvalue(), env.stderr.getvalue(), prompts, terminal)


def assert_clean_failure(result: Result, *secrets: str | bytes) -> None:
    """Non-zero status, exactly one error line, no traceback, no secret in stderr."""
    assert result.status != 0, result.err
    assert len(result.error_lines()) == 1, result.err
    assert "Traceback" not in result.err
    assert "internal error" not in result.err, result.err
    for secret in secrets:
        s = secret.encode() if isinstance(secret, str) else secret
        assert s not in result.stderr
