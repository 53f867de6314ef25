#!/usr/bin/env bash
# Embedded default: SQLite (WAL), database-backed task worker, sandboxes and dev mailbox, demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
PY=.venv/bin/python
export CIVICPAY_ENV=${CIVICPAY_ENV:-embedded}
HOST=${CIVICPAY_HOST:-127.0.0.1}
PORT=${CIVICPAY_PORT:-8000}
export CIVICPAY_BASE_URL=${CIVICPAY_BASE_URL:-http://$HOST:$PORT}

if compgen -G "civicpay/locale/*/LC_MESSAGES/*.po" >/dev/null; then
  $PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
fi
$PY manage.py migrate --no-input -v 0
$PY manage.py createcachetable
$PY manage.py collectstatic --no-input -v 0
$PY manage.py load_demo_data

log "Starting the task worker"
$PY manage.py civicpay_worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

log "CivicPay on $CIVICPAY_BASE_URL  (dev mailbox: $CIVICPAY_BASE_URL/sandbox/mailbox/)"
.venv/bin/gunicorn civicpay.wsgi:application --bind "$HOST:$PORT" \
  --workers "${WEB_CONCURRENCY:-2}" --threads 8 --access-logfile - --graceful-timeout 5
