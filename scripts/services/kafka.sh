#!/usr/bin/env bash
# A private Apache Kafka broker for tests and local service mode: single node, KRaft (no
# ZooKeeper), jars from Maven Central fetched once per machine into ~/.cache/featurestore (Maven,
# scripts/services/kafka/pom.xml), data under $FEATURESTORE_SERVICES_DIR, 127.0.0.1 only.
#   kafka.sh start   -> creates the topic catalogue, prints the bootstrap address (host:port)
#   kafka.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}"
PORT="${FEATURESTORE_KAFKA_PORT:-29092}"
CONTROLLER_PORT=$((PORT + 1))
VERSION="3.9.1"
LIBS="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/kafka-$VERSION/libs"
DATA="$DIR/kafka"
PIDFILE="$DIR/kafka.pid"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

fetch() {
  if [ ! -f "$LIBS/.complete" ]; then
    echo "fetching Kafka $VERSION jars from Maven Central (once per machine)..." >&2
    mkdir -p "$LIBS"
    mvn -q -B -f "$(dirname "$0")/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
    touch "$LIBS/.complete"
  fi
}

start() {
  fetch
  mkdir -p "$DATA"
  cat > "$DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cat > "$DATA/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java=(java "-Dlog4j.configuration=file:$DATA/log4j.properties" -cp "$LIBS/*")
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    "${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$DATA/server.properties" --ignore-formatted >/dev/null
  fi
  # The JVM takes several seconds to listen: start_bg waits 15 s, then up to 45 s more here.
  start_bg "$PIDFILE" "$DIR/kafka.log" tcp_open "$PORT" -- "${java[@]:0:1}" -Xmx512m "${java[@]:1}" kafka.Kafka "$DATA/server.properties" || true
  for _ in $(seq 1 450); do
    if tcp_open "$PORT"; then
      # The topic catalogue (never auto-created: auto.create.topics.enable=false).
      (cd "$ROOT" && node --import tsx scripts/services/kafka-topics.ts "127.0.0.1:$PORT" >&2)
      echo "127.0.0.1:$PORT"
      return 0
    fi
    running "$PIDFILE" || break
    sleep 0.1
  done
  cat "$DIR/kafka.log" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop_bg "$PIDFILE" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
