#!/usr/bin/env bash
# Builds scripts/tools/apiserver-source (Knative Eventing's ApiServerSource adapter, Go) once per
# source change: about two minutes on a new machine (modules from the Go proxy), then cached under
# ~/.cache/featurestore. Prints the binary's path.
set -euo pipefail
src="$(cd "$(dirname "$0")/apiserver-source" && pwd)"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/apiserver-source-$hash"
if [ ! -x "$bin" ]; then
  echo "building apiserver-source (knative.dev/eventing, once per machine)..." >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$bin.tmp" . >&2)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
