#!/usr/bin/env bash
# Set up (idempotently) and run every check: ruff, mypy --strict, and the whole pytest
# suite (unit, property, CCTV vectors, interop with the real age / sops / git-crypt, the
# built wheel). Extra arguments go to pytest. With CI=true a skipped test counts as a failure.
#
#   scripts/test.sh            with the exact versions of uv.lock (what CI runs)
#   scripts/test.sh --latest   with the newest releases pyproject.toml allows, to see the
#                              next breaking release before users do
#   scripts/test.sh --lowest   with the runtime dependencies at their lowest allowed versions
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
case "${1:-}" in
  --latest|--lowest) bash scripts/bootstrap.sh "$1"; venv=.venv-${1#--}; shift ;;
  *) bash scripts/bootstrap.sh ;;
esac
export VIRTUAL_ENV="$PWD/$venv"
export PATH="$VIRTUAL_ENV/bin:$PWD/.tools/bin:$PATH"
echo "== $(python -c 'import sys, cryptography, yaml; print(f"Python {sys.version.split()[0]}, cryptography {cryptography.__version__}, PyYAML {yaml.__version__}")') ($venv)"
echo "== ruff"
ruff check src tests bench scripts
echo "== mypy --strict"
mypy
echo "== pytest"
set +e
# One worker per core (pytest-xdist); a test file's tests stay on one worker, so its
# module fixtures (the YAML test suite's batch runs of sops) run once. Arguments after
# ours win: `scripts/test.sh -n 0` runs in one process.
python -m pytest -n auto --dist loadfile "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
