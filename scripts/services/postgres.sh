#!/usr/bin/env bash
# A private PostgreSQL server for tests and local service mode: installed from Debian if missing,
# data under $FEATURESTORE_SERVICES_DIR (a temp dir), listening on 127.0.0.1 only.
#   postgres.sh start   -> prints the connection URL (also written to $DIR/postgres.url)
#   postgres.sh stop
# Idempotent: start on a running server prints its URL; stop on a stopped one does nothing.
set -euo pipefail

DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_PG_PORT:-25432}"
DATA="$DIR/postgres"
URL="postgres://featurestore:featurestore@127.0.0.1:$PORT/postgres"

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

as_owner() {
  # initdb and postgres refuse to run as root: run them as the postgres system user.
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ -z "$(pg_bin)" ]; then
    echo "installing PostgreSQL from Debian..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

start() {
  install
  local bin; bin=$(pg_bin)
  mkdir -p "$DIR"
  # The postgres user must be able to reach its data dir inside ours.
  [ "$(id -u)" = "0" ] && chmod 755 "$DIR"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$DATA" && chmod 700 "$DATA"
    local pw; pw=$(mktemp); echo featurestore > "$pw"; chmod 644 "$pw"
    as_owner "$bin/initdb" -D "$DATA" -U featurestore --pwfile="$pw" -A scram-sha-256 --no-sync >/dev/null
    rm -f "$pw"
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 30 start \
      -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  echo "$URL" > "$DIR/postgres.url"
  echo "$URL"
}

stop() {
  local bin; bin=$(pg_bin) || true
  if [ -n "$bin" ] && [ -s "$DATA/PG_VERSION" ]; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
