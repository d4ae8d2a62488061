#!/usr/bin/env bash
# A private MinIO server (S3-compatible) for tests: built with `go install` if missing (about 6 min
# on a new machine, then cached in $(go env GOPATH)/bin), data under $FEATURESTORE_SERVICES_DIR,
# listening on 127.0.0.1 only, update checks and console off.
#   minio.sh start   -> prints the endpoint URL     minio.sh stop
set -euo pipefail

DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_MINIO_PORT:-59000}"
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
  if ! { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }; then
    nohup "$bin" server --quiet --address "127.0.0.1:$PORT" "$DATA" >"$DIR/minio.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 100); do
      curl -fs "http://127.0.0.1:$PORT/minio/health/live" >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -fs "http://127.0.0.1:$PORT/minio/health/live" >/dev/null || { cat "$DIR/minio.log" >&2; exit 1; }
  fi
  echo "http://127.0.0.1:$PORT"
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
