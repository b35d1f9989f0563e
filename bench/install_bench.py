"""Benchmark ``sekret install``: 10,000 secrets from 20 SOPS YAML files (500 keys each).

Workload (issue 4): FILES YAML files of KEYS random 32-character values each, encrypted
by sekret to one age key, and a sops-nix manifest naming every value as its own secret
(``svcNN/key_NNN``, path ``/run/secrets/…``-style, a restart unit per file,
``keepGenerations = 1``), everything on tmpfs (``/dev/shm``).

Timed, each a child process from spawn to exit (:func:`age_bench.run_timed`, which
also gives user/system CPU and the peak RSS of sekret alone through GNU time):

* ``sekret install --no-mount --activation-dir DIR MANIFEST`` — the first install (no
  previous generation), then RUNS re-installs (each compares all files with the
  previous generation and writes a new one, as every boot or switch after the first
  does); the goal is the median re-install <= 2 s;

The real sops-install-secrets (Go) is not available on this machine (no Debian or PyPI
package, no Go toolchain), so there is no side-by-side row for it; sekret has no
benchmark-only mode that would imitate it.

Checks (not timed): every installed file holds its plaintext value. ``--profile`` also runs one
install in-process under cProfile and lists the functions of sekret's SOPS decrypt path
(stores, sops, files.document, age) by cumulative time. Report: Markdown on stdout and
in ``--out``; exit status 1 if a check failed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from age_bench import (
    CheckFailed,
    Row,
    machine_line,
    markdown_table,
    median_row,
    run_timed,
    sekret_revision,
    workdir,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
GOAL_S = 2.0


def make_workload(work: Path, files: int, keys: int) -> tuple[Path, dict[str, bytes]]:
    """Encrypted YAML sources and the manifest; returns it and every secret's plaintext."""
    from sekret.age.x25519 import X25519Identity
    from sekret.files import document
    from sekret.sops.metadata import AgeKey, KeyGroup
    from sekret.stores import get_store

    ident = X25519Identity.generate()
    (work / "age-keys.txt").write_text(ident.to_string() + "\n")
    opts = document.EncryptOptions([KeyGroup([AgeKey(str(ident.recipient()))])])
    store = get_store("yaml")
    plain: dict[str, bytes] = {}
    entries = []
    run = work / "run"
    for f in range(files):
        values = {f"key_{k:03d}": secrets.token_hex(16) for k in range(keys)}
        text = "".join(f"{k}: {v}\n" for k, v in values.items())
        src = work / "src" / f"svc{f:02d}.yaml"
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(document.encrypt(text.encode(), store, opts))
        for k, v in values.items():
            name = f"svc{f:02d}/{k}"
            plain[name] = v.encode()
            entries.append({
                "name": name, "key": k, "path": str(run / "secrets" / name),
                "owner": None, "uid": 0, "group": None, "gid": 0, "sopsFile": str(src),
                "format": "yaml", "mode": "0400", "restartUnits": [f"svc{f:02d}.service"],
                "reloadUnits": [], "neededForUsers": False})
    manifest = {
        "secrets": entries, "templates": [], "placeholderBySecretName": {},
        "secretsMountPoint": str(run / "secrets.d"), "symlinkPath": str(run / "secrets"),
        "keepGenerations": 1, "gnupgHome": None, "sshKeyPaths": [],
        "ageKeyFile": str(work / "age-keys.txt"), "ageSshKeyPaths": [], "useTmpfs": False,
        "userMode": False, "logging": {"keyImport": False, "secretChanges": True},
    }
    path = work / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path, plain


def check_installed(work: Path, plain: dict[str, bytes]) -> None:
    """Every secret installed with its value."""
    root = work / "run" / "secrets"
    for name, value in plain.items():
        got = (root / name).read_bytes()
        if got != value:
            raise CheckFailed(f"{name}: wrong value installed")


def install_argv(work: Path, manifest: Path, *extra: str) -> list[str]:
    """The timed command."""
    return [sys.executable, "-m", "sekret", "install", "--no-mount", "--activation-dir",
            str(work / "nixos"), *extra, str(manifest)]


def profile(work: Path, manifest: Path, top: int = 25) -> str:
    """One install in-process under cProfile; the SOPS decrypt path by cumulative time."""
    from sekret.cli import main
    from sekret.cli._env import Environment

    env = Environment(stdin=io.BytesIO(), stdout=io.BytesIO(), stderr=io.BytesIO(),
                      environ={}, cwd=str(work))
    prof = cProfile.Profile()
    prof.enable()
    status = main(install_argv(work, manifest)[3:], env)
    prof.disable()
    if status != 0:
        raise CheckFailed("profiled install failed")
    stats = pstats.Stats(prof)
    total = max(t for (_f, _l, _n), (_cc, _nc, _tt, t, _c) in stats.stats.items())  # type: ignore[attr-defined]
    rows = []
    watched = ("/sekret/stores/", "/sekret/sops/", "/sekret/files/document.py", "/sekret/age/")
    for (file, line, func), (_cc, calls, tottime, cum, _c) in stats.stats.items():  # type: ignore[attr-defined]
        if any(w in file for w in watched):
            rel = file.split("/src/sekret/")[-1]
            rows.append((cum, [f"{rel}:{line} {func}", str(calls), f"{tottime:.3f}",
                               f"{cum:.3f}", f"{100 * cum / total:.0f} %"]))
    rows.sort(key=lambda r: -r[0])
    table = markdown_table(["function (decrypt path)", "calls", "own s", "cumulative s",
                            "of install"], [r[1] for r in rows[:top]])
    return (f"cProfile of one in-process install ({total:.2f} s under the profiler, "
            "which slows Python calls 2-3x):\n\n" + table)


def row(label: str, secrets_n: int, decryptions: int, r: Row, goal: bool = False) -> list[str]:
    user, system = r.cpu
    wall = r.wall
    verdict = (" — goal <= 2 s " + ("MET" if wall <= GOAL_S else "NOT MET")) if goal else ""
    shown = f"{wall:.2f}"
    return [label, f"{secrets_n:,}", f"{decryptions:,}", f"{len(r.samples)}",
            shown + verdict, f"{r.best:.2f}", f"{user + system:.2f}",
            f"{r.max_rss_mib:.0f}"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--keys", type=int, default=500)
    p.add_argument("--runs", type=int, default=max(3, int(os.environ.get("RUNS", 3))))
    p.add_argument("--profile", action="store_true")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    n = args.files * args.keys
    rows: list[list[str]] = []
    notes: list[str] = []
    try:
        with workdir("install-bench-", 512 << 20) as work:
            (work / "nixos").mkdir()
            manifest, plain = make_workload(work, args.files, args.keys)
            first = run_timed(install_argv(work, manifest))
            check_installed(work, plain)
            again = [run_timed(install_argv(work, manifest)) for _ in range(args.runs)]
            check_installed(work, plain)
            rows.append(row("first install (no previous generation)", n, args.files,
                            median_row("first", [first])))
            rows.append(row("re-install (compare with previous, new generation)", n,
                            args.files, median_row("again", again), goal=True))
            if args.profile:
                notes.append(profile(work, manifest))
    except CheckFailed as exc:
        print(f"bench: check failed: {exc}", file=sys.stderr)
        return 1
    lines = [
        f"## install: {n:,} secrets from {args.files} SOPS YAML files ({args.keys} keys "
        "each)",
        "",
        machine_line(),
        f"sekret {sekret_revision()}; tmpfs work directory; `sekret install --no-mount "
        "--activation-dir DIR`, each run a fresh process (Python start-up included)",
        "",
        markdown_table(["run", "secrets", "decryptions", "runs", "wall s (median)",
                        "best s", "CPU s", "peak RSS MiB"], rows),
        "",
        *notes,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
