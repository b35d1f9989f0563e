"""A walk through sekret's workflow in a throwaway directory, printed as a transcript.

Each step runs the real command (sekret, and the real age next to it to show that the
files are interchangeable) and stops at the first failure with its exit status.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SEKRET = [sys.executable, "-m", "sekret"]


def run(
    cmd: list[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    show: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run one step, echo it like a shell transcript, and return its stdout."""
    words = ["sekret", *cmd[3:]] if cmd[:3] == SEKRET else cmd
    shown = show or " ".join(shlex.quote(c) for c in words)
    print(f"$ {shown}")
    full_env = {**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1", **(env or {})}
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, check=False, env=full_env)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    for line in (out + err).splitlines():
        print(f"  {line if len(line) <= 100 else line[:72] + '…'}")
    if proc.returncode != 0:
        print(f"demo: step failed with exit status {proc.returncode}", file=sys.stderr)
        sys.exit(1)
    return out


def main() -> int:
    """Run the demo; return the exit status."""
    with tempfile.TemporaryDirectory(prefix="sekret-demo-") as tmp:
        d = Path(tmp)
        import sekret

        print(
            f"# sekret {sekret.__version__} demo, run for real in a throwaway directory: {d}\n"
            "# (every file below lives there; the directory is deleted at the end)\n"
        )
        print("## 1. a key pair, in age's own format")
        run([*SEKRET, "age-keygen", "-o", "key.txt"], d)
        recipient = run([*SEKRET, "age-keygen", "-y", "key.txt"], d).strip()

        print("\n## 2. encrypt a secret to it (armored, so it can live in a git repo)")
        (d / "token.txt").write_text("ghp_example_token_not_real\n")
        run([*SEKRET, "age", "-a", "-r", recipient, "-o", "token.txt.age", "token.txt"], d)
        print("  " + (d / "token.txt.age").read_text().splitlines()[0] + " …")

        print("\n## 3. decrypt it with sekret, and with the real age")
        run([*SEKRET, "age", "-d", "-i", "key.txt", "token.txt.age"], d)
        if shutil.which("age"):
            run(["age", "-d", "-i", "key.txt", "token.txt.age"], d)

        print("\n## 4. the other way round: real age encrypts, sekret decrypts")
        if shutil.which("age"):
            run(["age", "-r", recipient, "-o", "from-age.age", "token.txt"], d)
            run([*SEKRET, "age", "-d", "-i", "key.txt", "from-age.age"], d)

        print("\n## 5. a machine's SSH host key as a recipient (ssh-to-age)")
        if shutil.which("ssh-keygen"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "host_key"],
                cwd=d,
                check=True,
                stdin=subprocess.DEVNULL,
            )
            host = run([*SEKRET, "ssh-to-age", "-i", "host_key.pub"], d).strip()
            run([*SEKRET, "age", "-r", host, "-o", "for-host.age", "token.txt"], d)
            run([*SEKRET, "ssh-to-age", "--private-key", "-i", "host_key", "-o", "host.agekey"], d)
            run([*SEKRET, "age", "-d", "-i", "host.agekey", "for-host.age"], d)

        print("\n## 6. a post-quantum key (age >= 1.3 format)")
        run([*SEKRET, "age-keygen", "--pq", "-o", "pq.txt"], d)
        pq = run([*SEKRET, "age-keygen", "-y", "pq.txt"], d).strip()
        run(
            [*SEKRET, "age", "-r", pq, "-o", "pq.age", "token.txt"],
            d,
            show="sekret age -r age1pq1… -o pq.age token.txt",
        )
        run([*SEKRET, "age", "-d", "-i", "pq.txt", "pq.age"], d)

        print("\n## 7. SOPS files: a .sops.yaml rule, encrypt, edit, decrypt, extract, exec-env")
        (d / ".sops.yaml").write_text(
            f"creation_rules:\n  - path_regex: secrets/.*\\.(yaml|env)$\n    age: {recipient}\n"
        )
        (d / "secrets").mkdir()
        (d / "secrets" / "app.yaml").write_text(
            "# database settings\ndb:\n    user: app\n    password: hunter2 # rotate me\n"
            "    port: 5432\napi_token: tok-123\n"
        )
        env_key = {"SOPS_AGE_KEY_FILE": str(d / "key.txt")}
        run([*SEKRET, "encrypt", "-i", "secrets/app.yaml"], d)
        for line in (d / "secrets" / "app.yaml").read_text().splitlines()[:4]:
            print(f"  {line if len(line) <= 100 else line[:72] + '…'}")
        print("  …")
        print(
            "  (keys stay readable for clean diffs; values and comments are encrypted, as sops\n"
            "   does it: a comment can hold a secret too)"
        )
        editor = d / "editor.py"
        editor.write_text(
            "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
            "p.write_text(p.read_text().replace('hunter2', 'correct-horse'))\n"
        )
        run(
            [*SEKRET, "edit", "secrets/app.yaml"],
            d,
            env={**env_key, "EDITOR": f"{sys.executable} {editor}"},
            show="EDITOR=<a script that changes the password> sekret edit secrets/app.yaml",
        )
        run([*SEKRET, "decrypt", "secrets/app.yaml"], d, env=env_key)
        run(
            [*SEKRET, "decrypt", "--extract", '["db"]["password"]', "secrets/app.yaml"],
            d,
            env=env_key,
        )
        print()
        if shutil.which("sops") or (Path(sys.executable).parent / "sops").exists():
            sops = shutil.which("sops") or str(Path(sys.executable).parent / "sops")
            run(
                [sops, "decrypt", "secrets/app.yaml"],
                d,
                env=env_key,
                show="sops decrypt secrets/app.yaml   # the real sops reads it too",
            )
            print(
                "  (same data; sops prints '# rotate me' above its key because it re-emits the\n"
                "   document from a tree that keeps comments as separate entries, while sekret\n"
                "   edits the file in place and keeps each line as it was written)"
            )
        (d / "secrets" / "app.env").write_text("DB_PASSWORD=correct-horse\n")
        run([*SEKRET, "encrypt", "-i", "secrets/app.env"], d)
        run(
            [*SEKRET, "exec-env", "secrets/app.env", "echo the service sees $DB_PASSWORD"],
            d,
            env=env_key,
        )

        print("\n## 8. a wrong key is a clear error, not a traceback")
        run([*SEKRET, "age-keygen", "-o", "other.txt"], d)
        proc = subprocess.run(
            [*SEKRET, "age", "-d", "-i", "other.txt", "token.txt.age"],
            cwd=d,
            capture_output=True,
            check=False,
        )
        print("$ sekret age -d -i other.txt token.txt.age")
        for line in proc.stderr.decode().splitlines():
            print(f"  {line}")
        print(f"  (exit status {proc.returncode})")
        if proc.returncode == 0:
            return 1
    print("\ndemo finished: every step ran for real; nothing was left on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
