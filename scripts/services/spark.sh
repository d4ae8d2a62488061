#!/usr/bin/env bash
# Apache Spark for the Spark engines' tests and `spark-local`: pyspark from PyPI in a venv cached per
# version (~/.cache/featurestore/spark-<version>), Java 17 from the machine. 4.1.1 bundles Hadoop
# 3.4.2 (4.2+ bundles 3.5, which dropped WASB, the only Azure scheme Azurite serves). Nothing runs
# between jobs: `start` installs if needed and prints the spark-submit path; `stop` does nothing.
# grpcio (+ grpcio-tools, which compiles proto/ at the runner's start) is the runner's channel to the
# core (spark-k8s: progress and result over gRPC); the job image installs the same. The object-store
# connectors (spark/pom.xml: hadoop-aws with the AWS SDK bundle, ~640 MB, and hadoop-azure) come
# from Maven Central into $HOME_DIR/jars, once; `jars` prints them comma-separated for --jars.
set -euo pipefail

VERSION=4.1.1
GRPC_VERSION=1.85.1
HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/spark-$VERSION"

start() {
  if [ ! -x "$HOME_DIR/venv/bin/spark-submit" ] || ! "$HOME_DIR/venv/bin/python" -c 'import grpc_tools' 2>/dev/null; then
    echo "installing pyspark $VERSION and grpcio-tools $GRPC_VERSION from PyPI (once per machine)..." >&2
    [ -x "$HOME_DIR/venv/bin/python" ] || python3 -m venv "$HOME_DIR/venv" >&2
    "$HOME_DIR/venv/bin/pip" install -q "pyspark==$VERSION" "grpcio-tools==$GRPC_VERSION" >&2
  fi
  if [ ! -f "$HOME_DIR/jars/.complete" ]; then
    echo "fetching the s3a and wasb connectors from Maven Central (once per machine)..." >&2
    rm -rf "$HOME_DIR/jars"
    mvn -q -B -f "$(dirname "$0")/spark/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$HOME_DIR/jars" >&2
    touch "$HOME_DIR/jars/.complete"
  fi
  echo "$HOME_DIR/venv/bin/spark-submit"
}

jars() {
  start >/dev/null
  ls "$HOME_DIR"/jars/*.jar | paste -sd, -
}

case "${1:-}" in
  start) start ;;
  stop) ;;
  jars) jars ;;
  *) echo "usage: $0 start|stop|jars" >&2; exit 2 ;;
esac
