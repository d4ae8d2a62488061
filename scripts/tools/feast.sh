#!/usr/bin/env bash
# Feast (the peer users would pick instead) from PyPI, in a virtualenv of its own under
# ~/.cache/featurestore, once per version (a few minutes on a new machine). Prints the venv's bin
# folder (feast, python). bench/feast.ts drives it.
set -euo pipefail
VERSION=0.66.0
venv="${XDG_CACHE_HOME:-$HOME/.cache}/featurestore/feast-$VERSION"
if [ ! -f "$venv/.installed" ]; then
  echo "installing feast $VERSION from PyPI (once per machine)..." >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "feast[redis]==$VERSION" >&2 || { rm -rf "$venv"; exit 1; }
  touch "$venv/.installed"
fi
echo "$venv/bin"
