"""Time the sops format stores in-process: 20,000 values per format, stage by stage.

For JSON, dotenv and INI (and a 16 MiB binary file), a plaintext of N string values is
encrypted and decrypted with the store and the engine directly, no CLI and no files:
parse, encrypt the values, emit the encrypted file; parse it back, decrypt, emit the
plaintext. The round trip is checked (the plaintext must come back byte for byte).
Medians of RUNS runs. The issue's target for JSON is an encrypt at most 0.1x the real
sops 3.11, which takes about 40 s for 20,000 values (its writer is quadratic; see
bench/sops_bench.py for the side-by-side CLI comparison).

    .venv/bin/python bench/stores_bench.py --out bench/results/stores.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from age_bench import CheckFailed, machine_line, markdown_table

from sekret.age import X25519Identity
from sekret.sops import engine
from sekret.sops.keysources import new_data_key, recover_data_key, wrap_data_key
from sekret.sops.metadata import AgeKey, KeyGroup, Metadata, format_lastmodified, from_dict, to_dict
from sekret.sops.rules import CryptRules
from sekret.sops.values import Cipher
from sekret.stores.base import get_store

STAGES = ("parse", "encrypt", "emit", "parse enc", "decrypt", "emit plain")


def plaintexts(n: int) -> dict[str, tuple[str, bytes]]:
    """label → (format, plaintext): ``n`` ~30-character string values, 16 MiB for binary.

    Flat JSON (``n`` top-level keys) is where sops's quadratic writer hurts most.
    """
    value = "value-{}-{}-abcdefghijklmnop"
    sections = range(n // 10)
    as_json = {
        f"section{s:05d}": {f"key{k}": value.format(s, k) for k in range(10)} for s in sections
    }
    ini = "\n".join(
        f"[section{s:05d}]\n" + "".join(f"key{k} = {value.format(s, k)}\n" for k in range(10))
        for s in sections
    )
    flat = {f"KEY_{i:06d}": value.format(i, 0) for i in range(n)}
    return {
        "json": ("json", (json.dumps(as_json, indent="\t") + "\n").encode()),
        "json (flat)": ("json", (json.dumps(flat, indent="\t") + "\n").encode()),
        "dotenv": ("dotenv", "".join(f"{k}={v}\n" for k, v in flat.items()).encode()),
        "ini": ("ini", ini.encode()),
        "binary": ("binary", os.urandom(16 << 20)),
    }


class _Clock:
    """Records how long each named stage took."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = now - self._last
        self._last = now

    def restart(self) -> None:
        """Do not count what happened since the last lap."""
        self._last = time.perf_counter()


def one_run(fmt: str, plain: bytes, ident: X25519Identity) -> tuple[dict[str, float], bytes]:
    """Encrypt and decrypt once; the seconds each stage took, and the plaintext emitted."""
    store = get_store(fmt)
    rule = None if fmt == "binary" else ("unencrypted_suffix", "_unencrypted")
    meta = Metadata(key_groups=[KeyGroup(age=[AgeKey(str(ident.recipient()))])], crypt_rule=rule)
    data_key = new_data_key()
    wrap_data_key(data_key, meta)  # age wrapping: once per file, outside the timings
    cipher = Cipher(data_key)
    clock = _Clock()
    docs = store.load_plain(plain)
    clock.lap("parse")
    enc_docs, mac = engine.encrypt_documents(docs, cipher, CryptRules(rule))
    meta.lastmodified = format_lastmodified(datetime.now(UTC))
    meta.mac = cipher.encrypt(mac, meta.lastmodified)
    clock.lap("encrypt")
    encrypted = store.emit_encrypted(enc_docs, to_dict(meta))
    clock.lap("emit")
    loaded, raw = store.load_encrypted(encrypted)
    clock.lap("parse enc")
    read_meta = from_dict(raw)
    key2 = recover_data_key(read_meta, lambda _r: [ident])
    clock.restart()  # the age unwrap is not the store's work
    plain_docs, result = engine.decrypt_documents(
        loaded, Cipher(key2), CryptRules(read_meta.crypt_rule)
    )
    clock.lap("decrypt")
    if result.mac != mac:
        raise CheckFailed(f"{fmt}: the MAC of the decrypted values differs")
    back = store.emit_plain(plain_docs)
    clock.lap("emit plain")
    return clock.times, back


def main(argv: list[str] | None = None) -> int:
    """Run the store benchmark; print and save the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")))
    parser.add_argument("--out", type=Path, default=Path("bench/results/stores.md"))
    args = parser.parse_args(argv)
    ident = X25519Identity.generate()
    rows = []
    try:
        for label, (fmt, plain) in plaintexts(args.values).items():
            runs = []
            for _ in range(args.runs):
                times, back = one_run(fmt, plain, ident)
                # JSON is re-indented and INI realigned: compare with the emitted form
                expected = get_store(fmt).emit_plain(get_store(fmt).load_plain(plain))
                if back != expected:
                    raise CheckFailed(f"{fmt}: the plaintext did not round-trip")
                runs.append(times)
            med = {s: statistics.median(r[s] for r in runs) for s in STAGES}
            enc = med["parse"] + med["encrypt"] + med["emit"]
            dec = med["parse enc"] + med["decrypt"] + med["emit plain"]
            size = f"{len(plain) / 1e6:.1f} MB" if fmt == "binary" else f"{args.values:,}"
            rows.append(
                [label, size, *(f"{med[s] * 1e3:.0f}" for s in STAGES), f"{enc:.2f}", f"{dec:.2f}"]
            )
    except CheckFailed as exc:
        print(f"stores bench: FAILED: {exc}", file=sys.stderr)
        return 1
    header = ["format", "values", *(f"{s} ms" for s in STAGES), "encrypt s", "decrypt s"]
    text = (
        "## sops stores, in-process (no CLI, no files)\n\n"
        f"{machine_line()}; medians of {args.runs} runs; "
        "encrypt = parse + encrypt + emit, decrypt = parse enc + decrypt + emit plain.\n\n"
        f"{markdown_table(header, rows)}\n\n"
        "Target: JSON encrypt of 20,000 values <= 0.1x the real sops 3.11. For reference, "
        "sops 3.11 took 27.7 s (flat) and 3.3 s (nested) to encrypt these JSON files on this "
        "machine class (its JSON writer is quadratic in the size of one object); "
        "bench/sops_bench.py compares the two CLIs side by side.\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
