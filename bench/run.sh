#!/usr/bin/env bash
# Run every benchmark, idempotently: set up (scripts/bootstrap.sh), then each bench in
# turn. Each bench is a sibling script bench/<name>_bench.py that prints a Markdown report
# on stdout and saves it to bench/results/<name>.md (git-ignored); this script collects
# them into bench/results/summary.md.
#
#   bench/run.sh                 # everything, 1 GiB, 3 runs
#   SIZE_MIB=256 RUNS=5 bench/run.sh
#   BENCHES="age" bench/run.sh   # a subset
#
# Knobs (environment): SIZE_MIB (1024), RUNS (3), WARMUP (1), ARMOR_SIZE_MIB
# (min(SIZE_MIB, 256)). Work files live on /dev/shm and are removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export SIZE_MIB="${SIZE_MIB:-1024}" RUNS="${RUNS:-3}" WARMUP="${WARMUP:-1}"
# New benches: add the name here and create bench/<name>_bench.py.
all_benches=(age sops gitcrypt install rekey)
read -r -a benches <<<"${BENCHES:-${all_benches[*]}}"
mkdir -p bench/results
summary=bench/results/summary.md
: >"$summary.tmp"
status=0
for name in "${benches[@]}"; do
  script="bench/${name}_bench.py"
  if [ ! -f "$script" ]; then
    echo "bench: no $script" >&2; status=1; continue
  fi
  echo "== bench: $name (SIZE_MIB=$SIZE_MIB RUNS=$RUNS)" >&2
  if .venv/bin/python "$script" --out "bench/results/$name.md"; then
    cat "bench/results/$name.md" >>"$summary.tmp"
    echo >>"$summary.tmp"
  else
    echo "bench: $name FAILED" >&2; status=1
  fi
done
mv "$summary.tmp" "$summary"
exit "$status"
