#!/usr/bin/env bash
# The dev OpenID provider (oidc-provider from npm devDependencies, dev/oidc/main.ts) for tests and
# local development: 127.0.0.1 only, keys made fresh at each start, state in memory.
#   oidc.sh start   -> prints the issuer URL     oidc.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_OIDC_PORT:-29400}"
PIDFILE="$DIR/oidc.pid"

start() {
  mkdir -p "$DIR"
  FEATURESTORE_OIDC_PORT="$PORT" start_bg "$PIDFILE" "$DIR/oidc.log" tcp_open "$PORT" -- \
    node --import tsx "$ROOT/dev/oidc/main.ts"
  echo "http://127.0.0.1:$PORT"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg "$PIDFILE" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
