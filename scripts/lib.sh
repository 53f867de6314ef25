# Shared set-up steps for ./dev. Sourced, not executed. Every step is idempotent.

log() { printf '\033[1m[civicpay]\033[0m %s\n' "$*" >&2; }

# A Python >= 3.12: on the PATH first, then among pyenv's installed versions, then uv-managed ones.
find_python() {
  local c v
  for c in python3.14 python3.13 python3.12 python3 python; do
    if command -v "$c" >/dev/null 2>&1; then
      v=$("$c" -c 'import sys; print(int(sys.version_info >= (3, 12)))' 2>/dev/null || echo 0)
      if [ "$v" = 1 ]; then command -v "$c"; return 0; fi
    fi
  done
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  for c in $(ls -d "$root"/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -V -r); do
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

bootstrap_python() {
  local py
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    py=$(find_python) || { log "No Python >= 3.12 found (PATH, pyenv). Install one and retry."; exit 1; }
    log "Creating .venv with $py"
    rm -rf .venv
    "$py" -m venv .venv
  fi
  if [ ! -x .venv/bin/uv ]; then
    log "Installing uv into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.*"
  fi
  # Install exactly what uv.lock pins (no resolution, no surprises on the next machine).
  UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --quiet --python .venv/bin/python
}

# What the browser tests need: Debian's chromium (installed when missing and we are root) and axe-core.
bootstrap_browser() {
  if ! command -v chromium >/dev/null 2>&1 && [ -z "${CIVICPAY_CHROMIUM:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "Installing Debian's chromium for the browser tests"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      log "chromium is missing and cannot be installed (not root): browser tests will fail"
    fi
  fi
  if [ ! -f node_modules/axe-core/axe.min.js ]; then
    log "Installing axe-core from npm (package-lock.json)"
    npm ci --silent --no-audit --no-fund >/dev/null
  fi
}
