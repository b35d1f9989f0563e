"""``sekret age`` in-process: round trips, streaming, prompts, failure hygiene."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from sekret.age import X25519Identity
from sekret.cli import main
from tests.cli.helpers import assert_clean_failure, fake_env, run_cli

DATA = Path(__file__).parent / "cases" / "data"
SIZES = [0, 1, 65536, 65537, 3 * 1024 * 1024 + 5]


@pytest.fixture
def key(tmp_path: Path) -> tuple[str, str]:
    """(recipient, identity) of a fresh key written to key.txt."""
    identity = X25519Identity.generate()
    (tmp_path / "key.txt").write_text(identity.to_string() + "\n")
    return str(identity.recipient()), identity.to_string()


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("armor", [False, True])
def test_round_trip_files(tmp_path: Path, key: tuple[str, str], size: int, armor: bool) -> None:
    data = os.urandom(size)
    (tmp_path / "in.bin").write_bytes(data)
    args = ["age", "-r", key[0], "-o", "ct.age", *(["-a"] if armor else []), "in.bin"]
    assert run_cli(args, tmp_path).status == 0
    ct = (tmp_path / "ct.age").read_bytes()
    assert ct.startswith(b"-----BEGIN AGE" if armor else b"age-encryption.org/v1\n")
    # as age makes them: ciphertext 0666 less the umask, plaintext 0600
    assert stat.S_IMODE((tmp_path / "ct.age").stat().st_mode) == 0o666 & ~_umask()
    result = run_cli(["age", "-d", "-i", "key.txt", "ct.age"], tmp_path)
    assert result.status == 0 and result.stdout == data
    assert run_cli(["age", "-d", "-i", "key.txt", "-o", "pt", "ct.age"], tmp_path).status == 0
    assert (tmp_path / "pt").read_bytes() == data
    assert stat.S_IMODE((tmp_path / "pt").stat().st_mode) == 0o600
    assert not _leftovers(tmp_path)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_pipe_round_trip_and_dash(tmp_path: Path, key: tuple[str, str]) -> None:
    ct = run_cli(["age", "-r", key[0], "-o", "-"], tmp_path, stdin=b"via pipes", tty=["stdout"])
    assert ct.status == 0
    pt = run_cli(["age", "-d", "-i", "key.txt", "-"], tmp_path, stdin=ct.stdout)
    assert pt.stdout == b"via pipes"


def test_identities_from_stdin(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "m").write_bytes(b"msg")
    run_cli(["age", "-r", key[0], "-o", "m.age", "m"], tmp_path)
    result = run_cli(["age", "-d", "-i", "-", "m.age"], tmp_path, stdin=key[1].encode() + b"\n")
    assert result.stdout == b"msg"


def test_several_recipients_and_recipients_file(tmp_path: Path) -> None:
    ids = [X25519Identity.generate() for _ in range(3)]
    (tmp_path / "r.txt").write_text(
        f"# team\n{ids[1].recipient()}\n\n{ids[2].recipient()}\n"
    )
    result = run_cli(["age", "-a", "-r", str(ids[0].recipient()), "-R", "r.txt"], tmp_path,
                     stdin=b"for three")
    for identity in ids:
        (tmp_path / "k").write_text(identity.to_string())
        out = run_cli(["age", "-d", "-i", "k"], tmp_path, stdin=result.stdout)
        assert out.stdout == b"for three"


def test_symmetric_encrypt_with_identity_file(tmp_path: Path, key: tuple[str, str]) -> None:
    ct = run_cli(["age", "-e", "-i", "key.txt", "-a"], tmp_path, stdin=b"to myself")
    assert ct.status == 0, ct.err
    assert run_cli(["age", "-d", "-i", "key.txt"], tmp_path, stdin=ct.stdout).stdout == b"to myself"


def test_output_replaced_only_on_success(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "out").write_bytes(b"previous")
    (tmp_path / "bad.age").write_bytes(b"age-encryption.org/v1\n-> X25519 garbage\n")
    result = run_cli(["age", "-d", "-i", "key.txt", "-o", "out", "bad.age"], tmp_path)
    assert_clean_failure(result, key[1])
    assert (tmp_path / "out").read_bytes() == b"previous"
    (tmp_path / "m").write_bytes(b"new")
    run_cli(["age", "-r", key[0], "-o", "m.age", "m"], tmp_path)
    assert run_cli(["age", "-d", "-i", "key.txt", "-o", "out", "m.age"], tmp_path).status == 0
    assert (tmp_path / "out").read_bytes() == b"new"
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("cut", [30, 200, 70000, -1])
def test_truncated_file_leaves_no_output(tmp_path: Path, key: tuple[str, str], cut: int) -> None:
    plaintext = b"TOP-SECRET-PLAINTEXT " * 10000  # 210 kB: several chunks
    (tmp_path / "p").write_bytes(plaintext)
    run_cli(["age", "-r", key[0], "-o", "ct", "p"], tmp_path)
    ct = (tmp_path / "ct").read_bytes()
    (tmp_path / "ct").write_bytes(ct[:cut])
    result = run_cli(["age", "-d", "-i", "key.txt", "-o", "out", "ct"], tmp_path)
    assert_clean_failure(result, b"TOP-SECRET", key[1])
    assert not (tmp_path / "out").exists()
    assert not _leftovers(tmp_path)


def test_payload_error_category_is_named(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "p").write_bytes(b"x" * 100)
    run_cli(["age", "-r", key[0], "-o", "ct", "p"], tmp_path)
    ct = bytearray((tmp_path / "ct").read_bytes())
    ct[-1] ^= 1
    (tmp_path / "ct").write_bytes(bytes(ct))
    result = run_cli(["age", "-d", "-i", "key.txt", "-o", "out", "ct"], tmp_path)
    assert_clean_failure(result)
    assert not (tmp_path / "out").exists()


def test_symlink_loop_and_unreadable(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "loop").symlink_to("loop")
    result = run_cli(["age", "-r", key[0], "-o", "o", "loop"], tmp_path)
    assert_clean_failure(result)
    assert "symbolic link" in result.err or "too many levels" in result.err
    if os.geteuid() != 0:  # root reads through chmod 000; the ENOTDIR case covers root
        (tmp_path / "locked").write_bytes(b"x")
        (tmp_path / "locked").chmod(0)
        result = run_cli(["age", "-r", key[0], "-o", "o", "locked"], tmp_path)
        assert_clean_failure(result)
        assert "permission denied" in result.err
    assert not (tmp_path / "o").exists()


def test_output_into_missing_directory(tmp_path: Path, key: tuple[str, str]) -> None:
    result = run_cli(["age", "-r", key[0], "-o", "no/such/dir/x"], tmp_path, stdin=b"s")
    assert_clean_failure(result)
    assert "cannot create output file 'no/such/dir/x'" in result.err


def test_output_to_dev_null_is_written_in_place(tmp_path: Path, key: tuple[str, str]) -> None:
    result = run_cli(["age", "-r", key[0], "-o", "/dev/null"], tmp_path, stdin=b"s")
    assert result.status == 0, result.err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_passphrase_round_trip_and_prompts(tmp_path: Path) -> None:
    enc = run_cli(["age", "-p", "-a"], tmp_path, stdin=b"pw data", secrets=["hunter2", "hunter2"])
    assert enc.status == 0, enc.err
    assert enc.prompts == ["Enter passphrase (leave empty to autogenerate a secure one):",
                           "Confirm passphrase:"]
    assert b"hunter2" not in enc.stderr
    dec = run_cli(["age", "-d"], tmp_path, stdin=enc.stdout, secrets=["hunter2"])
    assert dec.stdout == b"pw data" and dec.prompts == ["Enter passphrase:"]


def test_autogenerated_passphrase(tmp_path: Path) -> None:
    from sekret.cli._wordlist import WORDS

    enc = run_cli(["age", "-p", "-a"], tmp_path, stdin=b"auto", secrets=[""])
    assert enc.status == 0, enc.err
    assert enc.err == ""  # shown on the terminal only, as age does: stderr may be a log
    (line,) = enc.terminal
    assert line.startswith("sekret: using autogenerated passphrase '") and line.endswith("'\n")
    passphrase = line.split("'")[1]
    words = passphrase.split("-")
    assert len(words) == 10 and set(words) <= set(WORDS)
    dec = run_cli(["age", "-d"], tmp_path, stdin=enc.stdout, secrets=[passphrase])
    assert dec.stdout == b"auto"
    other = run_cli(["age", "-p", "-a"], tmp_path, stdin=b"auto", secrets=[""])
    assert other.terminal != enc.terminal


def test_encrypted_identity_file_prompts_lazily(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "m").write_bytes(b"inner")
    run_cli(["age", "-r", key[0], "-o", "m.age", "m"], tmp_path)
    protected = run_cli(["age", "-p", "-o", "key.age", "key.txt"], tmp_path, secrets=["kp", "kp"])
    assert protected.status == 0, protected.err
    result = run_cli(["age", "-d", "-i", "key.age", "m.age"], tmp_path, secrets=["kp"])
    assert result.stdout == b"inner"
    assert result.prompts == ['Enter passphrase for identity file "key.age":']


def test_plaintext_never_in_stderr_on_failure(tmp_path: Path, key: tuple[str, str]) -> None:
    secret = b"PLAINTEXT-MARKER-42"
    (tmp_path / "p").write_bytes(secret)
    result = run_cli(["age", "-r", "age1notakey", "-o", "c", "p"], tmp_path)
    assert_clean_failure(result, secret)


def _peaks(tmp_path: Path, recipient: str, size: int) -> tuple[int, int]:
    with (tmp_path / "big").open("wb") as f:
        for _ in range(size // (1 << 20)):
            f.write(os.urandom(1 << 20))
    tracemalloc.start()
    try:
        assert run_cli(["age", "-r", recipient, "-o", "big.age", "big"], tmp_path).status == 0
        enc_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        assert run_cli(["age", "-d", "-i", "key.txt", "-o", "big.out", "big.age"],
                       tmp_path).status == 0
        dec_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "big.out").stat().st_size == size
    return enc_peak, dec_peak


def test_streaming_uses_constant_memory(tmp_path: Path, key: tuple[str, str]) -> None:
    """Peak memory does not grow with the file: 16 MiB and 48 MiB peak the same."""
    small = _peaks(tmp_path, key[0], 16 << 20)
    large = _peaks(tmp_path, key[0], 48 << 20)
    # The STREAM writer thread keeps a few 1 MiB batches in flight: allow for them,
    # but a buffering implementation would need more than the whole 48 MiB.
    for a, b in zip(small, large, strict=True):
        assert b < a + (8 << 20), (small, large)
        assert b < 24 << 20, (small, large)


def test_keyboard_interrupt_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    env = fake_env(tmp_path, stdin=b"x")

    def interrupted(prompt: str) -> str | None:
        raise KeyboardInterrupt

    env.read_secret = interrupted
    assert main(["age", "-p", "-o", "out.age"], env) == 130
    assert isinstance(env.stderr, io.BytesIO) and env.stderr.getvalue() == b""
    assert not (tmp_path / "out.age").exists()


class _Exploding(io.BytesIO):
    def write(self, data: object) -> int:
        raise RuntimeError("boom with SECRET-IN-MESSAGE")


def test_internal_error_is_one_line_without_traceback(tmp_path: Path, key: tuple[str, str]) -> None:
    env = fake_env(tmp_path, stdin=b"x")
    env.stdout = _Exploding()
    assert main(["age", "-a", "-r", key[0]], env) == 1
    assert isinstance(env.stderr, io.BytesIO)
    err = env.stderr.getvalue().decode()
    assert err == (
        "sekret: error: internal error: RuntimeError\n"
        "sekret: hint: this is a bug in sekret; rerun with --debug to see the traceback\n"
    )
    env = fake_env(tmp_path, stdin=b"x")
    env.stdout = _Exploding()
    assert main(["--debug", "age", "-a", "-r", key[0]], env) == 1
    assert isinstance(env.stderr, io.BytesIO)
    assert b"Traceback" in env.stderr.getvalue()


def test_debug_shows_traceback_for_sekret_errors(tmp_path: Path) -> None:
    result = run_cli(["age", "-r", "bogus", "--debug"], tmp_path)
    assert result.status == 1 and "Traceback" in result.err
    assert result.err.count("sekret: error:") == 1


def test_help_does_not_import_cryptography() -> None:
    code = ("import sys; from sekret.cli import main; "
            "assert main(['age', '--help']) == 0; "
            "assert main(['age-keygen', '--help']) == 0; "
            "assert main(['ssh-to-age', '--help']) == 0; "
            "sys.exit(1 if 'cryptography' in sys.modules else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    # age and age-keygen print their usage on stderr, as Go programs do
    assert proc.stderr.count(b"examples:") == 2
    assert proc.stdout.count(b"examples:") == 1


def test_top_level_help_version_and_unknown(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from sekret.cli import _guard

    # 'sekret FILE' is sops's edit, which forbids core dumps for good: not in this process
    monkeypatch.setattr(_guard, "no_core_dumps", lambda: None)
    assert "age-keygen" in run_cli(["--help"], tmp_path).out
    assert run_cli(["--version"], tmp_path).out.startswith("sekret ")
    bad = run_cli(["frobnicate"], tmp_path)
    assert bad.status == 2 and bad.err.startswith("sekret: error: unknown command 'frobnicate'")
    assert run_cli([], tmp_path).status == 2


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sekret", "age", "-r", "x"],
                          capture_output=True, check=False, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"sekret: error: unknown recipient type: 'x'\n")


def test_write_error_midway_is_one_line(tmp_path: Path, key: tuple[str, str]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    result = run_cli(["age", "-r", key[0], "-o", "/dev/full"], tmp_path, stdin=b"x" * 300_000)
    assert_clean_failure(result)
    assert "no space left on device" in result.err, result.err


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path, key: tuple[str, str]) -> None:
    (tmp_path / "real.age").write_bytes(b"old")
    (tmp_path / "link.age").symlink_to("real.age")
    assert run_cli(["age", "-a", "-r", key[0], "-o", "link.age"], tmp_path, stdin=b"s").status == 0
    assert (tmp_path / "link.age").is_symlink()
    assert (tmp_path / "real.age").read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE")
