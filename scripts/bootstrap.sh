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
# Which interpreter matters for speed: a CPython whose executable links libpython as a
# shared library (pyenv's default build: --enable-shared, no PGO) calls every
# interpreter-internal function through the PLT, and ran a small 'sekret decrypt' with
# 22% more CPU instructions (160M vs 131M) and 30% more wall time than Debian's
# /usr/bin/python3.11, whose executable embeds libpython and is built with PGO and LTO.
# So: of the Pythons >= 3.11 that can make a venv (newest first), the first with libpython
# built in, else the first.
real_python() {  # the interpreter behind a name (a pyenv shim is a shell script)
  "$1" -c 'import os, sys
sys.exit(1) if sys.version_info < (3, 11) else print(os.path.realpath(sys.executable))' 2>/dev/null
}
embeds_libpython() {  # (ldd's output captured first: with pipefail, grep -q may SIGPIPE it)
  local libs; libs=$(ldd "$1" 2>/dev/null || true)
  [[ $libs != *libpython* ]]
}
can_venv() { "$1" -c 'import ensurepip, venv' >/dev/null 2>&1; }  # Debian splits ensurepip off
candidates=()
for cand in python3.13 python3.12 python3.11 python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null 2>&1 && exe=$(real_python "$cand") && [ -n "$exe" ]; then
    [[ " ${candidates[*]} " == *" $exe "* ]] || candidates+=("$exe")
  fi
done
if ((${#candidates[@]} == 0)); then
  log "error: Python >= 3.11 is required"; exit 1
fi
choose_python() {  # the preferred candidate that can make a venv
  py=""
  for exe in "${candidates[@]}"; do
    if can_venv "$exe" && embeds_libpython "$exe"; then py=$exe; return; fi
  done
  for exe in "${candidates[@]}"; do
    if can_venv "$exe"; then py=$exe; return; fi
  done
}
choose_python
if [ -z "$py" ] || ! embeds_libpython "$py"; then
  # A preferred Python that lacks only ensurepip is Debian's: python3-venv adds it (as root).
  for exe in "${candidates[@]}"; do
    if embeds_libpython "$exe" && ! can_venv "$exe" && [ "$(id -u)" = 0 ] &&
       command -v apt-get >/dev/null 2>&1; then
      log "installing python3-venv for $exe"
      apt-get install -y -qq python3-venv </dev/null >/dev/null 2>&1 || true
      choose_python; break
    fi
  done
fi
if [ -z "$py" ]; then
  log "error: no Python >= 3.11 here can create a virtualenv (install python3-venv)"; exit 1
fi
# A .venv made from another interpreter (or by an older bootstrap) is made again.
if [ -x .venv/bin/python ] && [ "$(cat .venv/.sekret-python 2>/dev/null)" != "$py" ]; then
  log "re-creating .venv with $py"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $py"
  "$py" -m venv .venv </dev/null >/dev/null
  echo "$py" > .venv/.sekret-python
fi

# --- Python dependencies, reinstalled only when pyproject.toml changes.
# Nothing at run time needs setuptools (pip builds sekret in an isolated environment), and
# the .pth file it puts in a 3.11 venv imports its distutils shim into every Python start.
uninstall_setuptools() {
  if .venv/bin/python -c 'import setuptools' 2>/dev/null; then
    .venv/bin/python -m pip uninstall -q -y setuptools
  fi
}
stamp=.venv/.sekret-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing Python dependencies into .venv"
  piplog=$(mktemp)
  if ! { .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' &&
         uninstall_setuptools; } \
       </dev/null >"$piplog" 2>&1; then
    cat "$piplog" >&2; rm -f "$piplog"; log "error: pip install failed"; exit 1
  fi
  rm -f "$piplog"
  echo "$want" > "$stamp"
fi
