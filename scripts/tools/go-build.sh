#!/usr/bin/env bash
# Builds the Go program in scripts/tools/<name> once per source change (modules from the Go proxy),
# cached under ~/.cache/featurestore. Prints the binary's path. Usage: go-build.sh <name>
set -euo pipefail
name="$1"
src="$(cd "$(dirname "$0")/$name" && pwd)"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
bin="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/$name-$hash"
if [ ! -x "$bin" ]; then
  echo "building $name (once per machine)..." >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$bin.tmp" . >&2)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
