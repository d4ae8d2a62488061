#!/bin/sh
# The image's entrypoint: one image for every function, FUNCTION picks which one runs.
# exec replaces the shell: node gets SIGTERM itself and drains its calls in flight.
set -eu
dist="$(cd "$(dirname "$0")/.." && pwd)/dist/functions"
available="$(ls "$dist" 2>/dev/null | sed -n 's/\.mjs$//p' | tr '\n' ' ' | sed 's/ $//')"
if [ -z "${FUNCTION:-}" ]; then
  echo "{\"level\":60,\"msg\":\"FUNCTION is not set: set it to one of: ${available}\"}" >&2
  exit 64
fi
case "$FUNCTION" in
  */* | .*) echo "{\"level\":60,\"msg\":\"FUNCTION must be a function name, one of: ${available}\"}" >&2; exit 64 ;;
esac
if [ ! -f "$dist/$FUNCTION.mjs" ]; then
  echo "{\"level\":60,\"msg\":\"no function named ${FUNCTION}: set FUNCTION to one of: ${available}\"}" >&2
  exit 64
fi
exec node "$dist/$FUNCTION.mjs"
