#!/usr/bin/env bash
# Set up (idempotently) and run every check: ruff, mypy --strict, and the whole pytest
# suite (unit, property, CCTV vectors, interop with the real age / sops / git-crypt).
# Extra arguments go to pytest. With CI=true a skipped test counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"
ruff check src tests bench scripts
echo "== mypy --strict"
mypy
echo "== pytest"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
