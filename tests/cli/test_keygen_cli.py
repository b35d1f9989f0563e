"""``sekret age-keygen``: new keys in age-keygen's exact format and stderr behaviour."""

from __future__ import annotations

import datetime
import io
import re
import stat
from pathlib import Path

from sekret.age import HybridIdentity, X25519Identity
from sekret.cli import main
from sekret.cli.keygen import created_stamp
from tests.cli.helpers import fake_env, run_cli

KEY_FILE = re.compile(
    r"# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n"
    r"# public key: (age1[a-z0-9]{58})\n"
    r"(AGE-SECRET-KEY-1[A-Z0-9]{58})\n\Z"
)


def test_key_to_pipe_prints_public_key_on_stderr(tmp_path: Path) -> None:
    result = run_cli(["age-keygen"], tmp_path)
    m = KEY_FILE.match(result.out)
    assert m, result.out
    assert str(X25519Identity.parse(m[3]).recipient()) == m[2]
    assert result.err == f"Public key: {m[2]}\n"


def test_key_to_terminal_prints_nothing_else(tmp_path: Path) -> None:
    result = run_cli(["age-keygen"], tmp_path, tty=["stdout"])
    assert KEY_FILE.match(result.out) and result.err == ""


def test_output_file_is_new_and_private(tmp_path: Path) -> None:
    result = run_cli(["age-keygen", "-o", "k.txt"], tmp_path, tty=["stdout"])
    text = (tmp_path / "k.txt").read_text()
    m = KEY_FILE.match(text)
    assert m and result.out == "" and result.err == f"Public key: {m[2]}\n"
    assert stat.S_IMODE((tmp_path / "k.txt").stat().st_mode) == 0o600
    again = run_cli(["age-keygen", "-o", "k.txt"], tmp_path)
    assert again.status == 1 and (tmp_path / "k.txt").read_text() == text


def test_world_readable_stdout_warns(tmp_path: Path) -> None:
    target = tmp_path / "redirected.txt"
    with target.open("wb") as f:
        target.chmod(0o644)
        env = fake_env(tmp_path)
        env.stdout = f
        assert main(["age-keygen"], env) == 0
    assert isinstance(env.stderr, io.BytesIO)
    lines = env.stderr.getvalue().decode().splitlines()
    assert lines[0] == "sekret: warning: writing secret key to a world-readable file"
    assert lines[1].startswith("Public key: age1")
    assert KEY_FILE.match(target.read_text())


def test_post_quantum_key(tmp_path: Path) -> None:
    result = run_cli(["age-keygen", "--pq"], tmp_path)
    lines = result.out.splitlines()
    assert lines[1].startswith("# public key: age1pq1")
    assert lines[2].startswith("AGE-SECRET-KEY-PQ-1")
    assert str(HybridIdentity.parse(lines[2]).recipient()) == lines[1].split(": ")[1]
    (tmp_path / "pq.txt").write_text(result.out)
    y = run_cli(["age-keygen", "-y", "pq.txt"], tmp_path)
    assert y.out == lines[1].split(": ")[1] + "\n"


def test_created_stamp_is_rfc3339_like_go() -> None:
    utc = datetime.datetime(2021, 1, 2, 15, 30, 45, 123, tzinfo=datetime.UTC)
    assert created_stamp(utc) == "2021-01-02T15:30:45Z"
    cet = utc.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    assert created_stamp(cet) == "2021-01-02T16:30:45+01:00"
