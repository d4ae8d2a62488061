#!/bin/sh
# The image's entrypoint: one image for every function, FUNCTION picks which one runs.
# exec replaces the shell: node gets SIGTERM itself and drains its calls in flight.
set -eu
dist="$(cd "$(dirname "$0")/.." && pwd)/dist/functions"
available="$(ls "$dist" 2>/dev/null | sed -n 's/\.mjs$//p' | tr '\n' ' ' | sed 's/ $//')"
fail() {
  echo "{\"level\":60,\"msg\":\"$1: ${available}\"}" >&2
  exit 64
}
[ -n "${FUNCTION:-}" ] || fail "FUNCTION is not set: set it to one of"
case "$FUNCTION" in */* | .*) fail "FUNCTION must be a function name, one of" ;; esac
[ -f "$dist/$FUNCTION.mjs" ] || fail "no function named ${FUNCTION}: set FUNCTION to one of"
exec node "$dist/$FUNCTION.mjs"
