#!/usr/bin/env bash
# Set up (idempotently) and show sekret's main workflow in a throwaway directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
exec python scripts/demo.py
