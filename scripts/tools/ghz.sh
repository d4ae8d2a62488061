#!/usr/bin/env bash
# ghz, the gRPC load generator bench/online.ts drives our gRPC path with (in a process of its own):
# built with `go install` if missing (about a minute, then cached in $(go env GOPATH)/bin). Prints its path.
set -euo pipefail
VERSION="v0.120.0"
bin="$(go env GOPATH)/bin/ghz"
if [ ! -x "$bin" ]; then
  echo "building ghz with go install (once per machine)..." >&2
  GOFLAGS=-mod=mod go install "github.com/bojand/ghz/cmd/ghz@$VERSION" >&2
fi
echo "$bin"
