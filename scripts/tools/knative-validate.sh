#!/usr/bin/env bash
# Knative Serving's own webhook validation (scripts/tools/knative-validate, Go, knative.dev/serving):
# about a minute to build on a new machine, then cached. Prints the binary's path.
exec "$(dirname "$0")/go-build.sh" knative-validate
