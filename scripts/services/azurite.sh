#!/usr/bin/env bash
# A private Azurite blob service (Azure storage emulator, from npm devDependencies) for tests:
# data under $FEATURESTORE_SERVICES_DIR, 127.0.0.1 only, telemetry off (it would call out otherwise).
#   azurite.sh start   -> prints the blob endpoint     azurite.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_AZURITE_PORT:-29010}"
PIDFILE="$DIR/azurite.pid"

start() {
  mkdir -p "$DIR/azurite"
  start_bg "$PIDFILE" "$DIR/azurite.log" tcp_open "$PORT" -- \
    node "$ROOT/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$PORT" \
    --location "$DIR/azurite" --skipApiVersionCheck --disableTelemetry --silent
  echo "http://127.0.0.1:$PORT/devstoreaccount1"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg "$PIDFILE" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
