"""Signals during ``sekret edit``, and core dumps, for the commands holding plaintext.

A real editor process (a small Python script that records the file it was given, then
sleeps) is running when the signal is sent to sekret: the temporary directory must be
gone afterwards, the SOPS file unchanged, the editor stopped, and the exit status the
one a shell reports for the signal (128 + its number).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sekret.age import X25519Identity

EDITOR = """\
import os, sys, time
with open(os.environ["MARKER"] + ".tmp", "w") as f:
    f.write(f"{os.getpid()}\\n{sys.argv[1]}\\n")
os.rename(os.environ["MARKER"] + ".tmp", os.environ["MARKER"])
time.sleep(60)
"""


def _setup(tmp_path: Path) -> tuple[dict[str, str], Path]:
    ident = X25519Identity.generate()
    keys = tmp_path / "keys.txt"
    keys.write_text(ident.to_string() + "\n")
    plain = tmp_path / "s.yaml"
    plain.write_text("password: hunter2\n")
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(keys)}
    env.pop("SOPS_EDITOR", None)
    subprocess.run(
        [sys.executable, "-m", "sekret", "encrypt", "-i", "--age", str(ident.recipient()),
         str(plain)], check=True, env=env, capture_output=True,
    )  # fmt: skip
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    env["EDITOR"] = f"{sys.executable} {editor}"
    env["MARKER"] = str(tmp_path / "marker")
    return env, plain


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the editor did not start"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT], ids=lambda s: s.name
)
def test_signal_during_edit_removes_the_plaintext(tmp_path: Path, signum: signal.Signals) -> None:
    env, sops_file = _setup(tmp_path)
    before = sops_file.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sekret", "edit", str(sops_file)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(Path(env["MARKER"]))
        editor_pid, tmp_file = Path(env["MARKER"]).read_text().splitlines()
        assert Path(tmp_file).read_text() == "password: hunter2\n"  # the plaintext, on tmpfs
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    assert b"Traceback" not in err
    assert not Path(tmp_file).exists()
    assert not Path(tmp_file).parent.exists()  # the private directory too
    assert sops_file.read_bytes() == before
    deadline = time.monotonic() + 10
    while not _gone(int(editor_pid)):
        assert time.monotonic() < deadline, "the editor was left running"
        time.sleep(0.05)


def test_exec_env_runs_without_core_dumps(tmp_path: Path) -> None:
    env, sops_file = _setup(tmp_path)
    # The child exec-env starts inherits RLIMIT_CORE 0 (hard limit too); sekret itself is
    # not dumpable any more (PR_GET_DUMPABLE, read after the command in the same process).
    code = (
        "import ctypes, sys\n"
        "from sekret.cli import _guard, main\n"
        "_guard.own_process()  # as the console script does\n"
        "rc = main(['exec-env', sys.argv[1], 'grep \"core file size\" /proc/self/limits'])\n"
        "print('dumpable', ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(sops_file)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    limits, dumpable = proc.stdout.splitlines()
    assert limits.split()[4:6] == ["0", "0"], limits
    assert dumpable == "dumpable 0"


@pytest.mark.parametrize("command", [["decrypt"], ["edit"]])
def test_decrypt_and_edit_disable_core_dumps(tmp_path: Path, command: list[str]) -> None:
    env, sops_file = _setup(tmp_path)
    env["EDITOR"] = "true"  # leaves the file unchanged: exit 200
    code = (
        "import ctypes, resource, sys\n"
        "from sekret.cli import _guard, main\n"
        "_guard.own_process()  # as the console script does\n"
        "rc = main(sys.argv[1:])\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE), ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"
        "sys.exit(0 if rc in (0, 200) else rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *command, str(sops_file)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "(0, 0) 0"


def test_in_process_callers_keep_their_core_limit(tmp_path: Path) -> None:
    # A program (or test runner) calling sekret.cli.main keeps its own RLIMIT_CORE: a
    # lowered hard limit could never be raised again without CAP_SYS_RESOURCE.
    env, sops_file = _setup(tmp_path)
    code = (
        "import resource, sys\n"
        "from sekret.cli import main\n"
        "before = resource.getrlimit(resource.RLIMIT_CORE)\n"
        "rc = main(['decrypt', sys.argv[1]])\n"
        "print(before == resource.getrlimit(resource.RLIMIT_CORE))\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(sops_file)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "True"


def test_console_script_disables_core_dumps(tmp_path: Path) -> None:
    env, sops_file = _setup(tmp_path)
    sekret = Path(sys.executable).with_name("sekret")
    assert sekret.exists(), "the console script is installed by the test command"
    proc = subprocess.run(
        [str(sekret), "exec-env", str(sops_file), 'grep "core file size" /proc/self/limits'],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[4:6] == ["0", "0"], proc.stdout
