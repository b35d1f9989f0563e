#!/usr/bin/env bash
# Set up everything sekret's demo and tests need, idempotently: the real peer tools
# (Debian packages), the installer uv (pinned by hash, in .tools/), and a virtualenv with
# the Python packages of uv.lock. Installs only what is missing; a second run only checks.
# Safe with no stdin (CI).
#
#   bootstrap.sh            .venv from uv.lock, exactly (uv sync --locked)
#   bootstrap.sh --latest   .venv-latest: the newest releases pyproject.toml allows
#   bootstrap.sh --lowest   .venv-lowest: the runtime dependencies at their lowest allowed
#                           versions (the dev tools at their newest)
#
# Why uv.lock: one lock for every platform and Python that pyproject allows (a Nix or macOS
# user gets the same versions), sha256 of every file, and `uv sync --locked` refuses a lock
# that no longer matches pyproject.toml instead of quietly resolving something else.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { log "error: $1"; [ -z "${2:-}" ] || log "hint: $2"; exit 1; }

mode=locked
case "${1:-}" in
  "") ;;
  --latest) mode=latest ;;
  --lowest) mode=lowest ;;
  *) die "unknown option ${1@Q}" "bootstrap.sh [--latest | --lowest]" ;;
esac

# --- Debian packages: real age / git-crypt (interop peers), gpg, ssh-keygen, git, openssl,
# and nix-instantiate (nix-bin) to evaluate agenix's secrets.nix as agenix does; it needs
# no daemon: evaluating a file with --readonly-mode writes nothing to the store; jq for
# agenix's own agenix.sh, which the tests run as the oracle.
declare -A pkg_for=([age]=age [age-keygen]=age [git-crypt]=git-crypt [gpg]=gnupg
                    [ssh-keygen]=openssh-client [git]=git [openssl]=openssl
                    [nix-instantiate]=nix-bin [jq]=jq)
missing=()
for cmd in "${!pkg_for[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if ! command -v apt-get >/dev/null 2>&1; then
    log "warning: missing ${missing[*]} (Debian package names) and no apt-get:" \
        "install them with your package manager; tests that need them say what is missing"
  elif [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    log "installing Debian packages with sudo: ${missing[*]}"
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
  else
    log "warning: missing ${missing[*]} and not root: sudo apt-get install ${missing[*]};" \
        "tests that need them say what is missing"
  fi
fi

# --- Python >= 3.11 for the project's virtualenv.
# Which interpreter matters for speed: a CPython whose executable links libpython as a
# shared library (pyenv's default build: --enable-shared, no PGO) calls every
# interpreter-internal function through the PLT, and ran a small 'sekret decrypt' with
# 22% more CPU instructions (160M vs 131M) and 30% more wall time than Debian's
# /usr/bin/python3.11, whose executable embeds libpython and is built with PGO and LTO.
# So: of the Pythons >= 3.11 (newest first), the first with libpython built in, else the
# first. SEKRET_PYTHON overrides the choice. uv makes the venv, so no ensurepip is needed.
real_python() {  # the interpreter behind a name (a pyenv shim is a shell script)
  "$1" -c 'import os, sys
sys.exit(1) if sys.version_info < (3, 11) else print(os.path.realpath(sys.executable))' 2>/dev/null
}
embeds_libpython() {  # (ldd's output captured first: with pipefail, grep -q may SIGPIPE ldd)
  local libs; libs=$(ldd "$1" 2>/dev/null || true)
  [[ $libs != *libpython* ]]
}
candidates=()
for cand in ${SEKRET_PYTHON:-} python3.13 python3.12 python3.11 python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && exe=$(real_python "$cand") && [ -n "$exe" ]; then
    [[ " ${candidates[*]} " == *" $exe "* ]] || candidates+=("$exe")
  fi
done
((${#candidates[@]})) || die "Python >= 3.11 is required" "install python3 (3.11 or newer)"
py=${candidates[0]}
if [ -z "${SEKRET_PYTHON:-}" ]; then
  for exe in "${candidates[@]}"; do
    if embeds_libpython "$exe"; then py=$exe; break; fi
  done
fi

# --- uv, pinned with the hash of every file PyPI has for it (scripts/uv-requirements.txt).
uv_version=$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' scripts/uv-requirements.txt)
uv=.tools/bin/uv
if ! { [ -x "$uv" ] && [ "$("$uv" --version | cut -d' ' -f2)" = "$uv_version" ]; }; then
  if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$uv_version" ]; then
    mkdir -p .tools/bin && ln -sf "$(command -v uv)" "$uv"
  else
    # Any Python that can make a venv with pip will do for this one tool.
    tool_py=""
    for exe in "${candidates[@]}"; do
      if "$exe" -c 'import ensurepip, venv' >/dev/null 2>&1; then tool_py=$exe; break; fi
    done
    if [ -z "$tool_py" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing python3-venv (for the uv tool venv)"
      apt-get install -y -qq python3-venv </dev/null >/dev/null 2>&1 || true
      "${candidates[0]}" -c 'import ensurepip, venv' >/dev/null 2>&1 && tool_py=${candidates[0]}
    fi
    [ -n "$tool_py" ] || die "cannot install uv $uv_version: no Python here can make a venv" \
      "install python3-venv, or put uv $uv_version on PATH (https://docs.astral.sh/uv/)"
    log "installing uv $uv_version into .tools (pip --require-hashes)"
    rm -rf .tools
    piplog=$(mktemp)
    if ! { "$tool_py" -m venv .tools && .tools/bin/python -m pip install -q \
             --disable-pip-version-check --require-hashes -r scripts/uv-requirements.txt; } \
         </dev/null >"$piplog" 2>&1; then
      cat "$piplog" >&2; rm -f "$piplog"; die "installing uv failed"
    fi
    rm -f "$piplog"
  fi
fi
export UV_PYTHON_DOWNLOADS=never   # the interpreter is chosen above, never downloaded
export UV_NO_PROGRESS=1

# --- The project's virtualenv.
case $mode in
locked)
  # A lock that does not match pyproject.toml is an error, never a silent re-resolution.
  if ! "$uv" lock --check --python "$py" </dev/null >/dev/null 2>&1; then
    die "uv.lock is stale: it does not match pyproject.toml" \
        "run '$uv lock' (or 'uv lock'), review the version changes, and commit uv.lock"
  fi
  # Re-syncs only when something changed; re-creates .venv if the interpreter changed.
  synclog=$(mktemp)
  if ! "$uv" sync --locked --all-extras --python "$py" </dev/null >"$synclog" 2>&1; then
    cat "$synclog" >&2; rm -f "$synclog"; die "uv sync --locked failed"
  fi
  grep -E '^(Creating|Using|Installed|Uninstalled|Removed)' "$synclog" | sed 's/^/bootstrap: /' >&2 || true
  rm -f "$synclog"
  ;;
latest|lowest)
  venv=.venv-$mode
  if [ ! -x "$venv/bin/python" ] || [ "$(realpath "$venv/bin/python")" != "$py" ]; then
    "$uv" venv -q --clear --python "$py" "$venv" </dev/null
  fi
  constraints=$(mktemp)
  if [ "$mode" = lowest ]; then
    # Every runtime '>=X' of pyproject.toml as '==X': the oldest release sekret claims.
    "$py" - >"$constraints" <<'PY'
import re, tomllib
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    m = re.fullmatch(r"([A-Za-z0-9._-]+)\s*>=\s*([0-9][0-9.]*)(?:\s*,.*)?", dep)
    if not m:
        raise SystemExit(f"--lowest: cannot read a lower bound in {dep!r}")
    print(f"{m[1]}=={m[2]}")
PY
    log "--lowest: $(tr '\n' ' ' <"$constraints")"
  fi
  log "installing into $venv ($mode)"
  "$uv" pip install -q --python "$venv/bin/python" --upgrade --refresh \
    --constraint "$constraints" -e ".[keyservice]" --group dev </dev/null
  rm -f "$constraints"
  # What differs from the lock, so a run names the release that broke (or did not).
  "$uv" export -q --frozen --no-hashes --no-emit-project --no-header --no-annotate \
    </dev/null 2>/dev/null | sed -n 's/^\([A-Za-z0-9._-]*\)==\([^ ;]*\).*/\L\1 \2/p' \
    | sort >"$venv/.locked-versions"
  "$uv" pip freeze -q --python "$venv/bin/python" </dev/null 2>/dev/null \
    | sed -n 's/^\([A-Za-z0-9._-]*\)==\(.*\)/\L\1 \2/p' | sort \
    | join - "$venv/.locked-versions" \
    | awk '$2 != $3 { printf "bootstrap: %s %s (uv.lock: %s)\n", $1, $2, $3 }' >&2 || true
  ;;
esac
