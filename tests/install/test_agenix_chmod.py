"""agenix's modes ("a format understood by chmod"): sekret.install.chmod against the real
GNU chmod, which is the oracle. Hypothesis makes modes (valid and invalid), a starting
mode and a umask; chmod applies the mode to a real file; the parser must give the same
mode, or refuse exactly what chmod refuses."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sekret.install import chmod
from tests.conftest import require_tool

_who = st.text(alphabet="ugoa", max_size=3)
_perms = st.text(alphabet="rwxXst", max_size=4)
_action = st.tuples(
    st.sampled_from("+-="),
    st.one_of(_perms, st.sampled_from("ugo"), st.integers(0, 0o7777).map(lambda n: f"{n:o}")),
).map("".join)
_clause = st.tuples(_who, st.lists(_action, min_size=1, max_size=3).map("".join)).map("".join)
_symbolic = st.lists(_clause, min_size=1, max_size=3).map(",".join)
_numeric = st.integers(0, 0o7777).map(lambda n: f"{n:o}") | st.integers(0, 0o7777).map(
    lambda n: f"0{n:04o}")
_noise = st.text(alphabet="ugoarwxXst+-=,0123456789 ", min_size=0, max_size=8)
MODES = _symbolic | _numeric | _noise


def _real_chmod(path: Path, text: str, base: int, umask: int) -> int | None:
    """The mode the real chmod gives ``path`` (None: chmod says "invalid mode")."""
    os.chmod(path, base)
    proc = subprocess.run(
        [require_tool("sh"), "-c", 'umask "$1"; exec chmod -- "$2" "$3"', "sh",
         f"{umask:04o}", text, str(path)],
        capture_output=True, check=False)
    if b"invalid mode" in proc.stderr:
        assert proc.returncode != 0
        return None
    # chmod may also exit 1 with "new permissions are …, not …" (the umask hid some
    # bits): the mode it set is what counts, as agenix's script goes on either way.
    return stat.S_IMODE(path.stat().st_mode)


def _ours(text: str, base: int, umask: int) -> int | None:
    try:
        return chmod.apply(text, base, umask=umask)
    except chmod.InvalidMode:
        return None


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MODES, base=st.integers(0, 0o7777), umask=st.integers(0, 0o777))
@example(text="u=r,g=r", base=0o400, umask=0o022)
@example(text="g+r,o-rwx", base=0o400, umask=0o022)
@example(text="+w", base=0o400, umask=0o022)
@example(text="=r", base=0o600, umask=0o027)
@example(text="a+X", base=0o500, umask=0o022)
@example(text="u+X,g=rX", base=0o600, umask=0o022)
@example(text="g=u-w", base=0o750, umask=0o022)
@example(text="u+s,g+s,+t", base=0o755, umask=0o022)
@example(text="-022", base=0o666, umask=0o022)
@example(text="=r+7", base=0o600, umask=0o022)
@example(text="u=rw,", base=0o600, umask=0o022)
@example(text="", base=0o600, umask=0o022)
@example(text="10000", base=0o600, umask=0o022)
def test_chmod_matches_the_real_chmod(tmp_path: Path, text: str, base: int, umask: int) -> None:
    if os.geteuid() != 0:
        base &= ~0o2000  # a non-member cannot keep setgid; the test files are our own
    target = tmp_path / "f"
    target.touch(exist_ok=True)
    assert _ours(text, base, umask) == _real_chmod(target, text, base, umask), (
        text, oct(base), oct(umask))


@pytest.mark.parametrize(("text", "want"), [
    ("0400", 0o400), ("400", 0o400), ("0440", 0o440), ("u=r,g=r", 0o440), ("u+w", 0o600),
    ("g+r", 0o440), ("a=r", 0o444), ("=r", 0o444), ("+r", 0o444), ("go=", 0o400),
    ("u=rw,go=", 0o600), ("ug=r,o=", 0o440),
])
def test_agenix_modes_from_age_s_file(text: str, want: int) -> None:
    """What agenix's ``chmod MODE`` makes of age's 0400 file under the activation umask."""
    assert chmod.apply(text, chmod.AGENIX_BASE) == want


@pytest.mark.parametrize("text", ["", "u", "u=r,", ",u=r", "0o400", "r", "u=rz", "8",
                                  "u=gr", "u+7", "+7r", "-r w", "07777 "])
def test_invalid_modes(text: str) -> None:
    with pytest.raises(chmod.InvalidMode):
        chmod.apply(text, 0o400)
