"""What a small ``sekret decrypt`` imports: the start-up costs that were removed stay out.

Each module named here cost whole milliseconds of every run (sops's own run on a
50-value file is well under 100 ms); the test looks at ``sys.modules`` after a real
decrypt, not at timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sekret.age import X25519Identity

#: module → why it must not be loaded by a plain YAML decrypt.
KEPT_OUT = {
    "dataclasses": "imports inspect, ast, dis (see sekret._record)",
    "inspect": "via dataclasses",
    "cryptography.hazmat.backends.openssl": "X25519PrivateKey.from_private_bytes loads it",
    "cryptography.hazmat.primitives.ciphers": "every cipher and mode (see sekret.crypto._pyca)",
    "threading": "only age streams longer than one batch write from a thread",
    "queue": "queue.py imports threading and heapq",
    "copy": "only encrypt and rewrap copy metadata",
    "yaml": "PyYAML only for files the built-in YAML reader hands over",
    "datetime": "its pure-Python body runs before the C module replaces it (sekret._dates)",
    "sekret.sops.treepath": "paths only for --extract, set and unset",
    "sekret.sops.shamir": "only files with two or more key groups",
    "sekret.age.scrypt": "passphrase files only; a SOPS data key is wrapped to age keys",
    "cryptography.hazmat.primitives.kdf.scrypt": "via sekret.crypto.kdf.scrypt, when used",
    "base64": "binascii does what the age format needs, without one more module",
    "shutil": "argparse's help formatter asks it for the terminal width",
    "argparse": "sekret.cli._args parses the command line; argparse only writes -h",
    "gettext": "argparse's messages (translated through gettext)",
    "locale": "gettext's first lookup imports it",
    "sekret.pgp.gpg": "the user's gpg is run only for files with pgp entries",
    "sekret.sops.masterkeys.hc_vault": "only files with hc_vault (Vault transit) keys",
    "sekret.files.vault": "the Vault HTTP client, only when a Vault server is asked",
    "urllib.request": "HTTP, only for Vault/OpenBao servers",
    "ssl": "TLS, only for Vault/OpenBao servers",
}


def test_small_yaml_decrypt_keeps_heavy_modules_out(tmp_path: Path) -> None:
    ident = X25519Identity.generate()
    keys = tmp_path / "keys.txt"
    keys.write_text(ident.to_string() + "\n")
    plain = tmp_path / "s.yaml"
    plain.write_text("# c\na: 1\nb:\n    c: text\n    d:\n        - 2.5\n        - true\n")
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(keys)}
    sekret = [sys.executable, "-m", "sekret"]
    enc = subprocess.run(
        [*sekret, "encrypt", "--age", str(ident.recipient()), str(plain)],
        capture_output=True, check=True, env=env,
    ).stdout
    (tmp_path / "enc.yaml").write_bytes(enc)
    code = (
        "import sys\n"
        "from sekret.cli import main\n"
        "rc = main(['decrypt', sys.argv[1]])\n"
        "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "enc.yaml")],
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == plain.read_text()
    loaded = set(proc.stderr.split())
    assert "sekret.sops.engine" in loaded  # the decrypt really ran in this process
    assert {m: why for m, why in KEPT_OUT.items() if m in loaded} == {}


def test_console_entry_pauses_and_freezes_the_collector() -> None:
    # sekret.__main__:run is the console script: the collector is off from the first
    # import, and what is alive at exit is frozen (no final full collection over it).
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 0))\n"
        "from sekret.__main__ import run\n"
        "sys.argv = ['sekret', '--version']\n"
        "raise SystemExit(run())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False True"


def test_console_script_is_the_process_entry() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "sekret"]
    assert ep.value == "sekret.__main__:run"
