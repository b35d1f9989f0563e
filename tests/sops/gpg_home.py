"""A throwaway GnuPG home holding sops's functional-test secret keys (tests/data/sops-pgp).

The home is a fresh 0700 directory with a short path (gpg-agent's socket must fit),
made and removed by :func:`sekret.pgp.gpg.temporary_home`, which also stops its agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool, vendored

#: the two secret keys of sops's pgp/sops_functional_tests_key.asc
FP = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"
FP2 = "D7229043384BCC60326C6FB9D8720D957C3D3074"
DATA = vendored("sops-pgp")


def make_home() -> Iterator[Path]:
    """Yield a GnuPG home with sops's test keys imported."""
    require_tool("gpg")
    from sekret.pgp import gpg

    with gpg.temporary_home(prefix="sk-gpg-") as home:
        gpg.import_keys((DATA / "sops_functional_tests_key.asc").read_bytes(), gnupg_home=home)
        yield Path(home)


@pytest.fixture(scope="module")
def gnupg_home() -> Iterator[Path]:
    """One GnuPG home with sops's test keys for a test module."""
    yield from make_home()


@pytest.fixture
def empty_gnupg_home() -> Iterator[Path]:
    """A GnuPG home without any key."""
    require_tool("gpg")
    from sekret.pgp import gpg

    with gpg.temporary_home(prefix="sk-gpg-") as home:
        yield Path(home)
