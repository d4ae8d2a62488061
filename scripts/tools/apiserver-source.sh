#!/usr/bin/env bash
# Knative Eventing's ApiServerSource adapter (scripts/tools/apiserver-source, Go, knative.dev/eventing):
# about two minutes to build on a new machine, then cached. Prints the binary's path.
exec "$(dirname "$0")/go-build.sh" apiserver-source
