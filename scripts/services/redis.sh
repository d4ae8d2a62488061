#!/usr/bin/env bash
# Private Redis servers from Debian's redis-server for tests: one standalone server and a 3-master
# Redis Cluster (with FEATURESTORE_REDIS_CLUSTER_REPLICAS=1, 3 masters + 3 replicas), data under
# $FEATURESTORE_SERVICES_DIR, 127.0.0.1 only, no persistence.
#   redis.sh start   -> prints "redis://127.0.0.1:P redis-cluster://127.0.0.1:C1,127.0.0.1:C2,127.0.0.1:C3"
#   redis.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
# Cluster nodes also listen on port + 10000 (the cluster bus), so ports stay below 55535.
PORT="${FEATURESTORE_REDIS_PORT:-26380}"
REPLICAS="${FEATURESTORE_REDIS_CLUSTER_REPLICAS:-0}"
CLUSTER_PORTS=()
for i in $(seq 1 $((3 * (1 + REPLICAS)))); do CLUSTER_PORTS+=("$((PORT + i))"); done

install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  echo "installing redis-server (Debian)..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  }
}

server() { # server PORT EXTRA-ARGS...
  local port=$1; shift
  mkdir -p "$DIR/redis-$port"
  start_bg "$DIR/redis-$port.pid" "$DIR/redis-$port.log" redis-cli -p "$port" ping -- \
    redis-server --port "$port" --bind 127.0.0.1 --dir "$DIR/redis-$port" --save '' --appendonly no --protected-mode yes "$@"
}

start() {
  install
  server "$PORT"
  for p in "${CLUSTER_PORTS[@]}"; do server "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" --cluster-node-timeout 2000; done
  # Form the cluster once. Nodes restarted on their data dir reload nodes.conf and know each
  # other already (creating again would fail): then only wait for cluster_state:ok.
  if ! redis-cli -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q "cluster_known_nodes:${#CLUSTER_PORTS[@]}"; then
    redis-cli --cluster create "${CLUSTER_PORTS[@]/#/127.0.0.1:}" --cluster-replicas "$REPLICAS" --cluster-yes >"$DIR/redis-cluster-create.log" 2>&1 || {
      cat "$DIR/redis-cluster-create.log" >&2; exit 1; }
  fi
  for i in $(seq 1 100); do
    redis-cli -p "${CLUSTER_PORTS[0]}" cluster info | grep -q 'cluster_state:ok' && break
    [ "$i" -lt 100 ] || { echo "the Redis cluster did not become ready in 10 s" >&2; exit 1; }
    sleep 0.1
  done
  # Replicas attach after cluster_state:ok; a master killed before its replica has synced has no
  # one to fail over to. Ready means every replica is attached and in sync.
  for i in $(seq 1 300); do
    local synced=0
    for p in "${CLUSTER_PORTS[@]}"; do
      redis-cli -p "$p" info replication | grep -q 'master_link_status:up' && synced=$((synced + 1))
    done
    [ "$synced" -ge $((3 * REPLICAS)) ] && break
    [ "$i" -lt 300 ] || { echo "the Redis cluster replicas did not sync in 30 s" >&2; exit 1; }
    sleep 0.1
  done
  local nodes
  nodes=$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")
  echo "redis://127.0.0.1:$PORT redis-cluster://${nodes%,}"
}

stop() {
  for p in "$PORT" "${CLUSTER_PORTS[@]}"; do stop_bg "$DIR/redis-$p.pid"; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
