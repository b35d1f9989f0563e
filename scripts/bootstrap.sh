#!/usr/bin/env bash
# Set up everything sekret's demo and tests need, idempotently: the real peer tools
# (Debian packages), a virtualenv in .venv and the Python dependencies. Installs only
# what is missing; a second run does nothing but check. Safe with no stdin (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- Debian packages: real age / git-crypt (interop peers), gpg, ssh-keygen, git, openssl,
# and nix-instantiate (nix-bin) to evaluate agenix's secrets.nix as agenix does; it needs
# no daemon: evaluating a file with --readonly-mode writes nothing to the store.
declare -A pkg_for=([age]=age [age-keygen]=age [git-crypt]=git-crypt [gpg]=gnupg
                    [ssh-keygen]=openssh-client [git]=git [openssl]=openssl
                    [nix-instantiate]=nix-bin)
missing=()
for cmd in "${!pkg_for[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    log "installing Debian packages with sudo: ${missing[*]}"
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
  else
    log "warning: missing ${missing[*]} and not root: interop tests will say what is missing"
  fi
fi

# --- Python >= 3.11 and a virtualenv.
py=""
for cand in python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 &&
     "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py=$cand; break
  fi
done
if [ -z "$py" ]; then
  log "error: Python >= 3.11 is required"; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $py"
  "$py" -m venv .venv || {
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-venv </dev/null >/dev/null; "$py" -m venv .venv; else exit 1; fi
  }
fi

# --- Python dependencies, reinstalled only when pyproject.toml changes.
stamp=.venv/.sekret-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing Python dependencies into .venv"
  piplog=$(mktemp)
  if ! { .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'; } \
       </dev/null >"$piplog" 2>&1; then
    cat "$piplog" >&2; rm -f "$piplog"; log "error: pip install failed"; exit 1
  fi
  rm -f "$piplog"
  echo "$want" > "$stamp"
fi
