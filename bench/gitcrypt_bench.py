"""Benchmark ``sekret git-crypt`` against the real ``git-crypt``, side by side in one run.

Workload (the one from issue 5 and spec §4.4): FILES small files (50-300 random bytes)
in 20 directories under ``secrets/``, all matching ``secrets/** filter=git-crypt``, in a
repository on tmpfs (``/dev/shm``). Both tools use the same key, so they must produce
the same blobs: the tree ids are compared after every ``git add`` (a check, not timed).

Operations, each timed from spawn to exit, runs interleaved (the order alternates)
so the machine's drift hits both tools:

* ``git add -A`` after deleting the index (every file goes through clean);
* a fresh checkout: ``rm -rf secrets`` then ``git checkout -- secrets`` (every smudge);
* unlock of a fresh clone: ``git-crypt unlock KEY`` vs ``sekret git-crypt unlock KEY``.

sekret runs its filter as one long-running process per git command; git-crypt runs
three processes per file. Reports medians (and best runs) and sekret/git-crypt ratios
as Markdown on stdout and in ``--out``. Exit status 1 if a check failed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from age_bench import machine_line, markdown_table, sekret_revision

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("git-crypt", "sekret")


class CheckFailed(Exception):
    """A command failed or the two tools disagreed."""


def git_env(home: Path) -> dict[str, str]:
    """An environment whose git sees only ``home`` (never the user's config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    (home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench",
               GIT_AUTHOR_EMAIL="bench@example.invalid", GIT_COMMITTER_NAME="bench",
               GIT_COMMITTER_EMAIL="bench@example.invalid")
    return env


def sh(argv: list[str], cwd: Path, env: dict[str, str], *, input: bytes | None = None) -> bytes:
    """Run a command; raise :class:`CheckFailed` unless it exits 0."""
    proc = subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True)
    if proc.returncode != 0:
        raise CheckFailed(f"{' '.join(argv)} exited {proc.returncode}: "
                          f"{proc.stderr.decode(errors='replace').strip()[-400:]}")
    return proc.stdout


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one run of ``argv``."""
    start = time.perf_counter()
    sh(argv, cwd, env)
    return time.perf_counter() - start


def sekret_cmd(*args: str) -> list[str]:
    """``sekret git-crypt ARGS`` through this Python (as a user's console script would)."""
    return [sys.executable, "-P", "-m", "sekret", "git-crypt", *args]


def populate(top: Path, files: int, rng: random.Random) -> None:
    """The small-file workload and its .gitattributes."""
    (top / ".gitattributes").write_text("secrets/** filter=git-crypt diff=git-crypt\n")
    for i in range(files):
        d = top / "secrets" / f"d{i % 20:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.txt").write_bytes(rng.randbytes(rng.randint(50, 300)))


def setup(work: Path, env: dict[str, str], files: int, git_crypt: str) -> dict[str, Path]:
    """One unlocked repository per tool, same key and content; returns tool → repo."""
    key = work / "key"
    repos = {t: work / t for t in TOOLS}
    for tool, repo in repos.items():
        repo.mkdir()
        sh(["git", "init", "-q"], repo, env)
        if tool == "git-crypt":
            sh([git_crypt, "init"], repo, env)
            key.write_bytes(sh([git_crypt, "export-key", "-"], repo, env))
        else:
            sh(sekret_cmd("unlock", str(key)), repo, env)
        populate(repo, files, random.Random(1234))
    return repos


def bench_add(repos: dict[str, Path], env: dict[str, str], git_crypt: str) -> dict[str, float]:
    """``git add -A`` from an empty index; checks the two trees are identical."""
    out = {}
    for tool, repo in repos.items():
        (repo / ".git" / "index").unlink(missing_ok=True)
        out[tool] = timed(["git", "add", "-A"], repo, env)
    trees = {sh(["git", "write-tree"], r, env) for r in repos.values()}
    if len(trees) != 1:
        raise CheckFailed("git-crypt and sekret produced different trees")
    return out


def bench_checkout(repos: dict[str, Path], env: dict[str, str],
                   git_crypt: str) -> dict[str, float]:
    """``git checkout -- secrets`` into an empty directory."""
    out = {}
    for tool, repo in repos.items():
        shutil.rmtree(repo / "secrets")
        out[tool] = timed(["git", "checkout", "--", "secrets"], repo, env)
        if sh(["git", "diff", "--name-only"], repo, env):
            raise CheckFailed(f"{tool}: tree not clean after checkout")
    return out


def bench_unlock(repos: dict[str, Path], env: dict[str, str], git_crypt: str,
                 work: Path) -> dict[str, float]:
    """Unlock a fresh clone of the committed repository with the key file."""
    out = {}
    origin = repos["git-crypt"]
    expected = (origin / "secrets/d00/f00000.txt").read_bytes()
    for tool in repos:
        clone = work / f"clone-{tool}"
        shutil.rmtree(clone, ignore_errors=True)
        sh(["git", "clone", "-q", str(origin), str(clone)], work, env)
        argv = [git_crypt, "unlock"] if tool == "git-crypt" else sekret_cmd("unlock")
        out[tool] = timed([*argv, str(work / "key")], clone, env)
        if (clone / "secrets/d00/f00000.txt").read_bytes() != expected:
            raise CheckFailed(f"{tool}: unlock did not decrypt")
        shutil.rmtree(clone)
    return out


def interleave(runs: int, order: list[str], step: Callable[[], dict[str, float]]
               ) -> dict[str, list[float]]:
    """Run ``step`` ``runs`` times; collect samples per tool."""
    samples: dict[str, list[float]] = {t: [] for t in order}
    for _ in range(runs):
        for tool, secs in step().items():
            samples[tool].append(secs)
    return samples


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--files", type=int, default=int(os.environ.get("GITCRYPT_FILES", 2000)))
    p.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 3)))
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    git_crypt = shutil.which("git-crypt")
    if git_crypt is None:
        print("bench: git-crypt is not installed", file=sys.stderr)
        return 1
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    rows: list[list[str]] = []
    ratios = []
    try:
        with tempfile.TemporaryDirectory(prefix="gitcrypt-bench-", dir=base) as tmp:
            work = Path(tmp)
            (work / "home").mkdir()
            env = git_env(work / "home")
            env["PYTHONPATH"] = str(REPO_ROOT / "src")
            repos = setup(work, env, args.files, git_crypt)
            order = list(TOOLS)
            for label, step in (
                ("git add -A", lambda: bench_add(_order(repos, order), env, git_crypt)),
                ("fresh checkout", lambda: bench_checkout(_order(repos, order), env,
                                                          git_crypt)),
            ):
                s = interleave(args.runs, order, step)
                rows.append(_row(label, s))
                ratios.append((label, statistics.median(s["sekret"])
                               / statistics.median(s["git-crypt"])))
                order.reverse()
            sh(["git", "commit", "-qm", "bench"], repos["git-crypt"], env)
            s = interleave(args.runs, order,
                           lambda: bench_unlock(_order(repos, order), env, git_crypt, work))
            rows.append(_row("unlock (fresh clone)", s))
            ratios.append(("unlock", statistics.median(s["sekret"])
                           / statistics.median(s["git-crypt"])))
    except CheckFailed as exc:
        print(f"bench: check failed: {exc}", file=sys.stderr)
        return 1
    lines = [
        f"## git-crypt: {args.files} small files, sekret vs git-crypt "
        f"({args.runs} runs, medians)",
        "",
        machine_line(),
        f"sekret {sekret_revision()}; {_version(git_crypt)}; tmpfs work directory",
        "",
        markdown_table(["operation", "git-crypt s (best)", "sekret s (best)",
                        "sekret / git-crypt"], rows),
        "",
        "goal: each ratio <= 0.10 — " + ", ".join(
            f"{label} {r:.3f} {'ok' if r <= 0.10 else 'MISSED'}" for label, r in ratios),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


def _version(git_crypt: str) -> str:
    proc = subprocess.run([git_crypt, "--version"], capture_output=True)
    return (proc.stdout + proc.stderr).decode(errors="replace").strip()


def _order(repos: dict[str, Path], order: list[str]) -> dict[str, Path]:
    return {t: repos[t] for t in order}


def _row(label: str, s: dict[str, list[float]]) -> list[str]:
    g, k = s["git-crypt"], s["sekret"]
    return [label, f"{statistics.median(g):.2f} ({min(g):.2f})",
            f"{statistics.median(k):.3f} ({min(k):.3f})",
            f"{statistics.median(k) / statistics.median(g):.3f}"]


if __name__ == "__main__":
    sys.exit(main())
