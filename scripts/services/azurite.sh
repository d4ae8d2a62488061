#!/usr/bin/env bash
# A private Azurite blob service (Azure storage emulator, from npm devDependencies) for tests:
# data under $FEATURESTORE_SERVICES_DIR, 127.0.0.1 only, telemetry off (it would call out otherwise).
#   azurite.sh start   -> prints the blob endpoint     azurite.sh stop
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_AZURITE_PORT:-59010}"
PIDFILE="$DIR/azurite.pid"

start() {
  mkdir -p "$DIR/azurite"
  if ! { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }; then
    nohup node "$ROOT/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$PORT" \
      --location "$DIR/azurite" --skipApiVersionCheck --disableTelemetry --silent >"$DIR/azurite.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 150); do
      (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
      sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { cat "$DIR/azurite.log" >&2; exit 1; }
  fi
  echo "http://127.0.0.1:$PORT/devstoreaccount1"
}

stop() {
  if [ -s "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
