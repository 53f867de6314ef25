#!/usr/bin/env bash
# Every check: ruff, mypy, the whole suite on SQLite (browser tests included), and the suite again on
# PostgreSQL when DATABASE_URL points at one. Extra arguments go to pytest (e.g. ./dev test -k mailbox).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
PY=.venv/bin/python
export CIVICPAY_ENV=test
PG_URL=${DATABASE_URL:-}
unset DATABASE_URL

if compgen -G "civicpay/locale/*/LC_MESSAGES/*.po" >/dev/null; then
  $PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
fi

log "ruff"
.venv/bin/ruff check . && .venv/bin/ruff format --check .
log "mypy"
.venv/bin/mypy $(ls -d civicpay tests bench 2>/dev/null)

log "pytest on SQLite"
$PY -m pytest -q -p no:cacheprovider "$@"

case "$PG_URL" in
  postgres://*|postgresql://*)
    log "pytest on PostgreSQL ($PG_URL), browser journeys excluded (they ran above)"
    DATABASE_URL=$PG_URL $PY -m pytest -q -p no:cacheprovider -m "not browser" "$@"
    ;;
  *) log "DATABASE_URL is not PostgreSQL: PostgreSQL run skipped" ;;
esac
