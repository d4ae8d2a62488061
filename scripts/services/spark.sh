#!/usr/bin/env bash
# Apache Spark for the Spark engines' tests and `spark-local`: pyspark from PyPI in a venv cached per
# version (~/.cache/featurestore/spark-<version>), Java 17 from the machine. 4.1.1 bundles Hadoop
# 3.4.2 (4.2+ bundles 3.5, which dropped WASB, the only Azure scheme Azurite serves). Nothing runs
# between jobs: `start` installs if needed and prints the spark-submit path; `stop` does nothing.
set -euo pipefail

VERSION=4.1.1
HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/spark-$VERSION"

start() {
  if [ ! -x "$HOME_DIR/venv/bin/spark-submit" ]; then
    echo "installing pyspark $VERSION from PyPI (once per machine)..." >&2
    python3 -m venv "$HOME_DIR/venv" >&2
    "$HOME_DIR/venv/bin/pip" install -q "pyspark==$VERSION" >&2
  fi
  echo "$HOME_DIR/venv/bin/spark-submit"
}

case "${1:-}" in
  start) start ;;
  stop) ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
