"""Benchmark ``sekret age`` against the real ``age`` binary, side by side in one run.

What it measures, on a tmpfs (``/dev/shm``) so that disk speed stays out of it:

* binary encrypt ``-e -r`` and decrypt ``-d -i`` of the same random file by both tools,
  interleaved run by run (the order alternates) so that the machine's drift hits both;
* armored ``-a`` encrypt / decrypt, for information (smaller size by default);
* two references: OpenSSL's single-core ChaCha20-Poly1305 at 64 KiB blocks (the
  crypto limit) and a plain copy of the input with ``cat`` (the tmpfs I/O limit).

Each run is a child process timed with :func:`time.perf_counter` from spawn to
:func:`os.wait4`; its peak RSS comes from the rusage ``wait4`` returns. Every decrypted
output is hashed and compared with the input; real ``age`` decrypts what ``sekret``
encrypted (and the other way round), outside the timings. Results: medians, MB/s
(MB = 10^6 B), the sekret/age throughput ratio and the share of OpenSSL's speed,
as a Markdown table on stdout and in ``--out``. Exit status 1 if a check failed.

The generic part (:class:`Sample`, :func:`run_timed`, :func:`median_row`,
:func:`markdown_table`, :func:`workdir`) knows nothing of age, so that sibling benches
(sops, installer, git-crypt) can import it: ``from age_bench import run_timed``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as _dt
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
REPO = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- generic part


@dataclass(frozen=True)
class Sample:
    """One timed child process."""

    wall: float  # seconds, spawn to reaped
    user: float  # CPU seconds in user mode
    system: float  # CPU seconds in the kernel
    max_rss_kib: int  # peak resident set size (Linux reports KiB)
    others: float = 0.0  # CPU seconds the rest of the machine used meanwhile


def busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (/proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CheckFailed(Exception):
    """A benchmarked command failed or produced a wrong result."""


def _gnu_time() -> str | None:
    """GNU time, if installed: it reports the peak RSS of the tool alone (see below)."""
    path = shutil.which("time")
    if not path:
        return None
    ok = subprocess.run([path, "-f", "%M", "-o", os.devnull, "true"], capture_output=True,
                        check=False)
    return path if ok.returncode == 0 else None


#: ``ru_maxrss`` of a child we fork ourselves includes the memory of *this* Python
#: process before the child exec'd (Linux keeps the high-water mark across exec), so it
#: would hide anything below ~25 MiB. GNU time is small: the RSS it reports for its own
#: child is the tool's. Without it we fall back to wait4 and say so in the report.
GNU_TIME = _gnu_time()


def run_timed(argv: Sequence[str], *, stdin: Path | None = None,
              stdout: Path | None = None) -> Sample:
    """Run ``argv`` once; raise :class:`CheckFailed` unless it exits 0."""
    with contextlib.ExitStack() as stack:
        fin = stack.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        fout = stack.enter_context(stdout.open("wb")) if stdout else subprocess.DEVNULL
        rfile = None
        full = list(argv)
        if GNU_TIME:
            fd, name = tempfile.mkstemp(prefix="rusage-", dir="/dev/shm"
                                        if os.access("/dev/shm", os.W_OK) else None)
            os.close(fd)
            rfile = Path(name)
            stack.callback(rfile.unlink, missing_ok=True)
            full = [GNU_TIME, "-q", "-f", "%U %S %M", "-o", name, *argv]
        # stderr goes to a file, not a pipe: a child that writes more than a pipe holds
        # (hundreds of per-file lines) would block, as nothing reads the pipe until it exits
        ferr = stack.enter_context(tempfile.TemporaryFile())
        busy0 = busy_seconds()
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdin=fin, stdout=fout, stderr=ferr)
        # wait4 reaps the child and returns its own rusage (not the sum of all children).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy1 = busy_seconds()
        busy = busy1 - busy0 if busy0 is not None and busy1 is not None else None
        proc.returncode = os.waitstatus_to_exitcode(status)
        ferr.seek(0)
        err = ferr.read().decode(errors="replace").strip()
        if proc.returncode != 0:
            raise CheckFailed(f"{' '.join(argv)} exited {proc.returncode}: {err}")
        if rfile is not None:
            user, system, rss = rfile.read_text().split()[-3:]
            sample = Sample(wall, float(user), float(system), int(rss))
        else:
            sample = Sample(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss)
    if busy is None:
        return sample
    others = max(0.0, busy - sample.user - sample.system)
    return dataclasses.replace(sample, others=others)


@dataclass(frozen=True)
class Row:
    """Medians of one command's samples."""

    label: str
    samples: tuple[Sample, ...]

    @property
    def wall(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(s.wall for s in self.samples)

    @property
    def best(self) -> float:
        """Fastest wall time in seconds (the run the machine disturbed least)."""
        return min(s.wall for s in self.samples)

    @property
    def cpu(self) -> tuple[float, float]:
        """Median user and system CPU seconds."""
        return (statistics.median(s.user for s in self.samples),
                statistics.median(s.system for s in self.samples))

    @property
    def others_load(self) -> float:
        """Median CPU load (in cores) of other processes during the runs."""
        return statistics.median(s.others / s.wall for s in self.samples)

    @property
    def max_rss_mib(self) -> float:
        """The highest peak RSS over all samples, in MiB."""
        return max(s.max_rss_kib for s in self.samples) / 1024

    def mb_s(self, nbytes: int) -> float:
        """Median throughput in MB/s (10^6 B) for ``nbytes`` of plaintext."""
        return nbytes / 1e6 / self.wall


def median_row(label: str, samples: Sequence[Sample]) -> Row:
    """A :class:`Row` for ``samples`` (at least one)."""
    if not samples:
        raise ValueError("no samples")
    return Row(label, tuple(samples))


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table, columns padded for reading as plain text."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


@contextlib.contextmanager
def workdir(prefix: str, need_bytes: int) -> Iterator[Path]:
    """A fresh directory on /dev/shm (tmpfs), removed afterwards whatever happens."""
    base = Path("/dev/shm")
    if not base.is_dir() or not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir())
        print(f"warning: no writable /dev/shm, using {base} (timings include its disk)",
              file=sys.stderr)
    free = shutil.disk_usage(base).free
    if free < need_bytes:
        raise SystemExit(f"error: {base} has {free // MIB} MiB free, need {need_bytes // MIB}")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def make_random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path``; return their SHA-256."""
    h = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 4 * MIB))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def unlink(*paths: Path) -> None:
    """Remove files if they exist."""
    for p in paths:
        p.unlink(missing_ok=True)


def tool_version(argv: Sequence[str]) -> str:
    """First line a ``--version`` style command prints, or "?"."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine_line() -> str:
    """CPU model, core count and kernel, for the report header."""
    model = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


# --------------------------------------------------------------------------- age part

SEKRET_RUNNER = """\
import sys
from sekret import age
mode, armor, key, src, dst = sys.argv[1:6]
with open(src, "rb") as s, open(dst, "wb") as d:
    if mode == "-e":
        age.encrypt_stream(s, d, [key], armor=armor == "1")
    else:
        age.decrypt_stream(s, d, [open(key, "rb").read()])
"""


@dataclass(frozen=True)
class Tools:
    """How to invoke each side."""

    age: str
    age_keygen: str
    sekret: tuple[str, ...]  # argv prefix that takes age's flags; empty: use the runner
    how: str  # a sentence for the report

    def argv(self, tool: str, mode: str, *, armor: bool, key: str, src: Path,
             dst: Path) -> list[str]:
        """Command line for ``tool`` ("age" or "sekret"): encrypt (-e) or decrypt (-d)."""
        if tool == "sekret" and not self.sekret:
            return [sys.executable, "-c", SEKRET_RUNNER, mode, "1" if armor else "0", key,
                    str(src), str(dst)]
        flags = ["-e", "-r", key] if mode == "-e" else ["-d", "-i", key]
        if armor and mode == "-e":  # decryption detects armor by itself
            flags.insert(1, "-a")
        prefix = [self.age] if tool == "age" else list(self.sekret)
        return [*prefix, *flags, "-o", str(dst), str(src)]


def find_tools(python: str) -> Tools:
    """Real age from PATH; sekret through its CLI when it answers, else the library."""
    age = shutil.which("age")
    keygen = shutil.which("age-keygen")
    if not age or not keygen:
        raise SystemExit("error: the real age / age-keygen are not on PATH "
                         "(scripts/bootstrap.sh installs them)")
    cli = [python, "-m", "sekret", "age"]
    probe = subprocess.run([*cli, "--help"], capture_output=True, timeout=60, check=False)
    if probe.returncode == 0:
        return Tools(age, keygen, tuple(cli), f"`{' '.join(['python', *cli[1:]])}` (the CLI)")
    return Tools(age, keygen, (), "`python -c` runner calling `sekret.age.encrypt_stream` / "
                 "`decrypt_stream` on files (the CLI did not answer `--help`)")


def openssl_chacha_mb_s(seconds: int) -> float | None:
    """OpenSSL's ``speed -evp chacha20-poly1305`` at 64 KiB blocks, single core, MB/s."""
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    argv = [openssl, "speed", "-evp", "chacha20-poly1305", "-bytes", "65536",
            "-seconds", str(seconds)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    # "ChaCha20-Poly1305  3365174.30k": thousands of bytes per second.
    m = re.search(r"^chacha20-poly1305\s+([0-9.]+)k\s*$", out.stdout, re.I | re.M)
    return float(m.group(1)) / 1000 if m else None


@dataclass(frozen=True)
class Case:
    """One operation both tools perform on the same input."""

    name: str
    mode: str  # "-e" or "-d"
    armor: bool
    src: Path
    plain_bytes: int


def bench_case(tools: Tools, case: Case, runs: int, warmup: int, keys: dict[str, str],
               expect_sha: str, out: Path) -> dict[str, Row]:
    """Time ``case`` for both tools, interleaved; verify each decrypted output."""
    samples: dict[str, list[Sample]] = {"age": [], "sekret": []}
    key = keys["recipient"] if case.mode == "-e" else keys["identity"]
    for i in range(warmup + runs):
        order = ("age", "sekret") if i % 2 == 0 else ("sekret", "age")
        for tool in order:
            unlink(out)  # each run writes a new file, like a user's first run
            s = run_timed(tools.argv(tool, case.mode, armor=case.armor, key=key,
                                     src=case.src, dst=out))
            if case.mode == "-d" and sha256_file(out) != expect_sha:
                raise CheckFailed(f"{tool} {case.name}: decrypted output differs from input")
            if i >= warmup:
                samples[tool].append(s)
            print(f"  {case.name:<16} {tool:<6} run {i - warmup + 1 if i >= warmup else 'w'}: "
                  f"{s.wall:6.2f} s  {s.max_rss_kib / 1024:6.1f} MiB", file=sys.stderr)
    unlink(out)
    return {t: median_row(f"{t} {case.name}", v) for t, v in samples.items()}


def cross_check(tools: Tools, keys: dict[str, str], plain: Path, sha: str, tmp: Path,
                armor: bool) -> None:
    """age decrypts what sekret encrypted, and sekret decrypts age's output."""
    for enc_tool, dec_tool in (("sekret", "age"), ("age", "sekret")):
        enc, dec = tmp / "x.age", tmp / "x.out"
        run_timed(tools.argv(enc_tool, "-e", armor=armor, key=keys["recipient"], src=plain,
                             dst=enc))
        run_timed(tools.argv(dec_tool, "-d", armor=False, key=keys["identity"], src=enc,
                             dst=dec))
        ok = sha256_file(dec) == sha
        unlink(enc, dec)
        if not ok:
            raise CheckFailed(f"{dec_tool} could not decrypt {enc_tool}'s output "
                              f"(armor={armor})")


def report(args: argparse.Namespace, tools: Tools, rows: list[tuple[Case, dict[str, Row]]],
           copy: Row, openssl: float | None, elapsed: float) -> str:
    """The Markdown report."""
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# age: sekret vs real age",
        "",
        f"- {when}; {machine_line()}; tmpfs (/dev/shm); MB = 10^6 B",
        f"- age {tool_version([tools.age, '--version'])}; "
        f"{tool_version(['openssl', 'version'])}; Python {platform.python_version()}",
        f"- sekret {sekret_revision()} invoked as {tools.how}",
        f"- {args.runs} timed runs per tool (after {args.warmup} warm-up), tools interleaved, "
        "order alternating; each output file is new; medians (the best-run ratio compares the "
        "fastest run of each); sekret/openssl = sekret's median MB/s over OpenSSL's; peak RSS = "
        "max over runs"
        + (" (GNU time)" if GNU_TIME else " (wait4: an upper bound, includes the bench's "
           "own memory before exec)"),
        "",
    ]
    header = ["operation", "size", "age s", "sekret s", "age MB/s", "sekret MB/s",
              "sekret/age", "best-run sekret/age", "sekret/openssl", "age RSS MiB",
              "sekret RSS MiB", "sekret user+sys s", "others' load"]
    body: list[list[str]] = []
    noisy = False
    for case, r in rows:
        a, s = r["age"], r["sekret"]
        mb = case.plain_bytes
        user, system = s.cpu
        body.append([
            case.name, f"{mb // MIB} MiB", f"{a.wall:.2f}", f"{s.wall:.2f}",
            f"{a.mb_s(mb):.0f}", f"{s.mb_s(mb):.0f}", f"{a.wall / s.wall:.2f}x",
            f"{a.best / s.best:.2f}x",
            f"{s.mb_s(mb) / openssl:.0%}" if openssl else "n/a",
            f"{a.max_rss_mib:.1f}", f"{s.max_rss_mib:.1f}", f"{user:.2f}+{system:.2f}",
            f"{max(a.others_load, s.others_load):.2f} cores",
        ])
        noisy = noisy or max(a.others_load, s.others_load) > 0.2
    lines.append(markdown_table(header, body))
    if noisy:
        lines += ["", "**Warning: other processes used more than 0.2 of a core during these "
                  "runs (see \"others' load\"); the figures are disturbed. Re-run on a quiet "
                  "machine.**"]
    lines += [
        "",
        "References (same run):",
        "",
        "- OpenSSL ChaCha20-Poly1305, 64 KiB blocks, 1 core: "
        + (f"**{openssl:.0f} MB/s**" if openssl else "not available"),
        f"- tmpfs copy floor (`cat` input > new file, {args.size_mib} MiB): median "
        f"{copy.wall:.2f} s = **{copy.mb_s(args.size_mib * MIB):.0f} MB/s**",
        "",
        "Goals (binary, " + f"{args.size_mib} MiB): "
        + "; ".join(goal_lines(rows)),
        "",
        f"Total bench time {elapsed:.0f} s. Cross-checks passed: age decrypts sekret's "
        "output and sekret decrypts age's, binary and armored; every decrypted output "
        "matched the input's SHA-256.",
    ]
    return "\n".join(lines) + "\n"


def sekret_revision() -> str:
    """The benchmarked commit, with "+changes" when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                                "src"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "(unknown commit)"
    return f"at {head}" + (" +uncommitted changes in src/" if dirty.strip() else "")


def goal_lines(rows: list[tuple[Case, dict[str, Row]]]) -> list[str]:
    """Throughput >= 1.0x age and peak RSS < 64 MiB, for the binary cases."""
    out = []
    for case, r in rows:
        if case.armor:
            continue
        ratio = r["age"].wall / r["sekret"].wall
        rss = r["sekret"].max_rss_mib
        ok = ratio >= 1.0 and rss < 64
        out.append(f"{case.name} {ratio:.2f}x age, {rss:.0f} MiB RSS "
                   f"{'MET' if ok else 'NOT MET'}")
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; defaults come from the environment (see bench/run.sh)."""
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mib", type=int, default=int(env.get("SIZE_MIB", "1024")))
    p.add_argument("--armor-size-mib", type=int,
                   default=int(env.get("ARMOR_SIZE_MIB", "0")) or None,
                   help="size for the armored cases (default: min(size, 256))")
    p.add_argument("--runs", type=int, default=int(env.get("RUNS", "3")))
    p.add_argument("--warmup", type=int, default=int(env.get("WARMUP", "1")))
    p.add_argument("--openssl-seconds", type=int, default=2)
    p.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "age.md")
    args = p.parse_args(argv)
    if args.armor_size_mib is None:
        args.armor_size_mib = min(args.size_mib, 256)
    if args.runs < 1 or args.size_mib < 1:
        p.error("--runs and --size-mib must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every age benchmark; print and save the report."""
    args = parse_args(argv)
    started = time.perf_counter()
    tools = find_tools(args.python)
    size, asize = args.size_mib * MIB, args.armor_size_mib * MIB
    # input + binary and armored ciphertexts + one output at a time, with margin
    need = size + (size + MIB) + 2 * (asize * 4 // 3 + MIB) + size * 4 // 3 + 64 * MIB
    print(f"age bench: {args.size_mib} MiB, {args.runs} runs; sekret via {tools.how}",
          file=sys.stderr)
    try:
        with workdir("sekret-bench-age-", need) as tmp:
            keys = make_keys(tools, tmp)
            plain = tmp / "plain.bin"
            sha = make_random_file(plain, size)
            small, small_sha = plain, sha
            if asize != size:
                small = tmp / "plain-armor.bin"
                small_sha = make_random_file(small, asize)
            openssl = openssl_chacha_mb_s(args.openssl_seconds)
            enc, aenc = tmp / "age.age", tmp / "age-armor.age"
            run_timed(tools.argv("age", "-e", armor=False, key=keys["recipient"], src=plain,
                                 dst=enc))
            run_timed(tools.argv("age", "-e", armor=True, key=keys["recipient"], src=small,
                                 dst=aenc))
            out = tmp / "out"
            cases = [
                Case("encrypt", "-e", False, plain, size),
                Case("decrypt", "-d", False, enc, size),
                Case("encrypt armored", "-e", True, small, asize),
                Case("decrypt armored", "-d", True, aenc, asize),
            ]
            rows = []
            for case in cases:
                sha_for = sha if case.plain_bytes == size and not case.armor else small_sha
                rows.append((case, bench_case(tools, case, args.runs, args.warmup, keys,
                                              sha_for, out)))
            copy = median_row("copy", copy_floor(plain, out, args.runs))
            cross_check(tools, keys, small, small_sha, tmp, armor=False)
            cross_check(tools, keys, small, small_sha, tmp, armor=True)
    except CheckFailed as exc:
        print(f"age bench: FAILED: {exc}", file=sys.stderr)
        return 1
    text = report(args, tools, rows, copy, openssl, time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    sys.stdout.write(text)
    return 0


def copy_floor(src: Path, out: Path, runs: int) -> list[Sample]:
    """``cat src > out`` into a new file, ``runs`` times: what tmpfs I/O alone costs."""
    samples = []
    for _ in range(runs):
        unlink(out)
        samples.append(run_timed(["cat", str(src)], stdout=out))
    unlink(out)
    return samples


def make_keys(tools: Tools, tmp: Path) -> dict[str, str]:
    """An X25519 identity file made by the real age-keygen, and its recipient."""
    identity = tmp / "key.txt"
    subprocess.run([tools.age_keygen, "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run([tools.age_keygen, "-y", str(identity)], check=True,
                               capture_output=True, text=True).stdout.strip()
    return {"identity": str(identity), "recipient": recipient}


if __name__ == "__main__":
    sys.exit(main())
