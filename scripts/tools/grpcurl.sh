#!/usr/bin/env bash
# Builds grpcurl (github.com/fullstorydev/grpcurl, Go) once per version through the Go module proxy
# (about a minute on a new machine), cached under ~/.cache/featurestore. Prints the binary's path.
# The reflection test uses it as users would: no proto files, only the server's reflection.
set -euo pipefail
VERSION=v1.9.4
bin="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/grpcurl-$VERSION"
if [ ! -x "$bin" ]; then
  echo "building grpcurl $VERSION (once per machine)..." >&2
  dir="$(mktemp -d)"
  GOBIN="$dir" go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$VERSION" >&2
  mkdir -p "$(dirname "$bin")"
  mv "$dir/grpcurl" "$bin"
  rm -rf "$dir"
fi
echo "$bin"
