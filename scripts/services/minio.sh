#!/usr/bin/env bash
# A private MinIO server (S3-compatible) for tests: built with `go install` if missing (about 6 min
# on a new machine, then cached in $(go env GOPATH)/bin), data under $FEATURESTORE_SERVICES_DIR,
# listening on 127.0.0.1 only, update checks and console off.
#   minio.sh start   -> prints the endpoint URL     minio.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_MINIO_PORT:-29000}"
VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
DATA="$DIR/minio"
PIDFILE="$DIR/minio.pid"
export MINIO_ROOT_USER=featurestore MINIO_ROOT_PASSWORD=featurestore-secret MINIO_UPDATE=off MINIO_BROWSER=off

binary() {
  local bin; bin="$(go env GOPATH)/bin/minio"
  if [ ! -x "$bin" ]; then
    echo "building MinIO with go install (once per machine)..." >&2
    GOFLAGS=-mod=mod go install "github.com/minio/minio@$VERSION" >&2
  fi
  echo "$bin"
}

start() {
  local bin; bin=$(binary)
  mkdir -p "$DATA"
  start_bg "$PIDFILE" "$DIR/minio.log" curl -fs "http://127.0.0.1:$PORT/minio/health/live" -- \
    "$bin" server --quiet --address "127.0.0.1:$PORT" "$DATA"
  echo "http://127.0.0.1:$PORT"
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg "$PIDFILE" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
