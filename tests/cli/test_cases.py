"""Data-only CLI cases (rage's trycmd style): ``cases/*.toml``, run in-process.

Each ``[[case]]`` gives ``args``, optional ``stdin``, ``tty`` (streams that are
terminals), ``secrets`` (answers to passphrase prompts; absent means no terminal),
``env`` and ``[case.files]`` (written to a fresh directory first; values are text, or
``@NAME`` for a file under ``cases/data``). Expectations: ``status``; ``stdout`` or
``stderr`` (exact), ``stdout_contains``/``stderr_contains`` (lists), ``prompts``
(exact list), ``absent`` (files that must not exist afterwards), ``modes`` (file →
permission bits) and ``secret`` (strings that must never appear on stderr).
Every failing case must print exactly one ``sekret: error:`` line and no traceback.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import run_cli

CASES_DIR = Path(__file__).parent / "cases"


def _load() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        with path.open("rb") as f:
            doc = tomllib.load(f)
        out.extend(
            pytest.param(case, id=f"{path.stem}:{case['name']}") for case in doc["case"]
        )
    return out


@pytest.mark.parametrize("case", _load())
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    for name, text in case.get("files", {}).items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("@"):
            target.write_bytes((CASES_DIR / "data" / text[1:]).read_bytes())
        else:
            target.write_text(text)
    result = run_cli(
        case["args"],
        tmp_path,
        stdin=case.get("stdin", "").encode(),
        tty=case.get("tty", []),
        secrets=case.get("secrets"),
        environ=case.get("env"),
    )
    assert result.status == case.get("status", 0), result.err
    if "stdout" in case:
        assert result.out == case["stdout"]
    if "stderr" in case:
        assert result.err == case["stderr"]
    for text in case.get("stdout_contains", []):
        assert text in result.out
    for text in case.get("stderr_contains", []):
        assert text in result.err, result.err
    if "prompts" in case:
        assert result.prompts == case["prompts"]
    for name in case.get("absent", []):
        assert not (tmp_path / name).exists(), name
    for name, mode in case.get("modes", {}).items():
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name
    for secret in case.get("secret", []):
        assert secret not in result.err
    assert "Traceback" not in result.err
    if result.status != 0:
        assert len(result.error_lines()) == 1, result.err
    # No temporary output file is ever left behind.
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
