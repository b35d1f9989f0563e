"""Benchmark bulk re-encryption: 500 SOPS files after a ``.sops.yaml`` change, side by side.

A new recipient is added to the creation rule of FILES (default 500) small SOPS files
(20 values each, YAML). Timed, each from the same starting files:

* ``sops updatekeys -y FILE`` once per file, as scripts and ``find … -exec`` do it;
* ``sops updatekeys -y FILE…`` in one process (sops 3.11 takes many files too);
* ``sekret updatekeys -y FILE…`` in one process [target: <= 0.1x sops per file].

Every run is checked: each file must list the new recipient, and the real sops must
decrypt a sample of them with the new key alone, to the original data. Medians of RUNS
runs (default 3); work files on tmpfs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from age_bench import (
    REPO,
    CheckFailed,
    Row,
    machine_line,
    markdown_table,
    median_row,
    run_timed,
    tool_version,
    workdir,
)

TARGET = 0.1


def make_yaml(i: int) -> str:
    """A small secrets file: 20 values in two sections, with comments."""
    out = []
    for s in range(2):
        out.append(f"# section {s}\nsection{s}:\n")
        out.extend(f"    key{k}: value-{i:04d}-{s}-{k}-abcdefghijklmnop\n" for k in range(10))
    return "".join(out)


def _config(*recipients: str) -> str:
    keys = "".join(f"  - &k{i} {r}\n" for i, r in enumerate(recipients))
    aliases = "".join(f"          - *k{i}\n" for i in range(len(recipients)))
    return (f"# bench config\nkeys:\n{keys}creation_rules:\n  - path_regex: secrets/.*\n"
            f"    key_groups:\n      - age:\n{aliases}")


def _check(sops: str, tmp: Path, names: list[str], new_recipient: str, new_key: Path) -> None:
    for name in names:
        if new_recipient not in (tmp / "secrets" / name).read_text():
            raise CheckFailed(f"{name} does not list the new recipient")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_AGE")}
    env["SOPS_AGE_KEY_FILE"] = str(new_key)
    for name in names[:: max(1, len(names) // 5)]:
        out = subprocess.run([sops, "decrypt", f"secrets/{name}"], cwd=tmp, env=env,
                             capture_output=True, check=False)
        plain = (tmp / "plain" / name).read_bytes()
        if out.returncode != 0 or out.stdout != plain:
            raise CheckFailed(f"sops cannot decrypt {name} with the new key alone")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rekey benchmark; print and save the report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")))
    p.add_argument("--files", type=int, default=int(os.environ.get("REKEY_FILES", "500")))
    p.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "rekey.md")
    args = p.parse_args(argv)
    args.out = args.out.resolve()
    bindir = Path(args.python).parent
    sops, sekret = str(bindir / "sops"), str(bindir / "sekret")
    if not Path(sops).exists():
        raise SystemExit("error: sops not found in the venv (run scripts/bootstrap.sh)")
    subprocess.run([args.python, "-m", "compileall", "-q", str(REPO / "src")], check=True)
    from sekret.age import X25519Identity
    from sekret.files import document
    from sekret.sops.metadata import AgeKey, KeyGroup
    from sekret.stores.base import get_store

    old, new = X25519Identity.generate(), X25519Identity.generate()
    started = time.perf_counter()
    env_backup = dict(os.environ)
    samples: dict[str, list] = {"sops per file": [], "sops, one process": [],  # type: ignore[type-arg]
                                "sekret, one process": []}
    try:
        with workdir("sekret-bench-rekey-", 256 << 20) as tmp:
            (tmp / "old.txt").write_text(old.to_string() + "\n")
            (tmp / "new.txt").write_text(new.to_string() + "\n")
            os.environ["SOPS_AGE_KEY_FILE"] = str(tmp / "old.txt")
            os.environ["SOPS_DISABLE_VERSION_CHECK"] = "1"
            os.chdir(tmp)
            (tmp / "plain").mkdir()
            pristine = tmp / "pristine"
            pristine.mkdir()
            names = [f"s{i:04d}.yaml" for i in range(args.files)]
            opts = document.EncryptOptions([KeyGroup(age=[AgeKey(str(old.recipient()))])])
            for i, name in enumerate(names):
                text = make_yaml(i).encode()
                (tmp / "plain" / name).write_bytes(text)
                # made in-process (500 sops runs would double the bench); read by sops below
                (pristine / name).write_bytes(document.encrypt(text, get_store("yaml"), opts))
            (tmp / ".sops.yaml").write_text(_config(str(old.recipient()),
                                                    str(new.recipient())))
            files = [f"secrets/{n}" for n in names]
            plans = {
                "sops per file": lambda: [run_timed([sops, "updatekeys", "-y", f])
                                          for f in files],
                "sops, one process": lambda: [run_timed([sops, "updatekeys", "-y",
                                                         *files])],
                "sekret, one process": lambda: [run_timed([sekret, "updatekeys",
                                                           "-y", *files])],
            }
            for i in range(args.runs + 1):  # one warm-up
                order = list(plans) if i % 2 else list(reversed(plans))
                for label in order:
                    shutil.rmtree(tmp / "secrets", ignore_errors=True)
                    shutil.copytree(pristine, tmp / "secrets")
                    t0 = time.perf_counter()
                    runs = plans[label]()
                    wall = time.perf_counter() - t0
                    _check(sops, tmp, names, str(new.recipient()), tmp / "new.txt")
                    if i:
                        import dataclasses

                        total = dataclasses.replace(
                            runs[0], wall=wall, user=sum(r.user for r in runs),
                            system=sum(r.system for r in runs),
                            max_rss_kib=max(r.max_rss_kib for r in runs))
                        samples[label].append(total)
    except CheckFailed as exc:
        print(f"rekey bench: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        os.chdir(REPO)
        os.environ.clear()
        os.environ.update(env_backup)
    rows = {label: median_row(label, s) for label, s in samples.items()}
    text = _report(rows, args, sops, time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    sys.stdout.write(text)
    return 0


def _report(rows: dict[str, Row], args: argparse.Namespace, sops: str, total: float) -> str:
    base = rows["sops per file"].wall
    header = ["how", "files", "wall s", "per file ms", "vs sops per file", "max RSS MiB"]
    body = [[label, str(args.files), f"{r.wall:.2f}", f"{r.wall / args.files * 1000:.1f}",
             f"{r.wall / base:.3f}x", f"{r.max_rss_mib:.1f}"] for label, r in rows.items()]
    ratio = rows["sekret, one process"].wall / base
    vs_one = rows["sekret, one process"].wall / rows["sops, one process"].wall
    lines = [
        "# rekey: re-encrypting many SOPS files after a .sops.yaml change",
        "",
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine_line()}",
        f"- {tool_version([sops, '--version', '--disable-version-check'])}; sekret via its "
        "console script; one recipient added to a rule of 20-value YAML files",
        f"- {args.runs} timed runs per way after one warm-up, interleaved; medians of wall",
        "",
        markdown_table(header, body),
        "",
        f"sekret in one process: {ratio:.3f}x sops per file (target <= {TARGET}x: "
        f"{'met' if ratio <= TARGET else 'NOT met'}); {vs_one:.2f}x sops given every file "
        f"in one process. Every run checked: each file lists the new recipient and the real "
        f"sops decrypts a sample with the new key alone. Total bench time {total:.0f} s.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
