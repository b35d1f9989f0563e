"""``python -m sekret``: the same as the ``sekret`` console script."""

from __future__ import annotations

from sekret.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
