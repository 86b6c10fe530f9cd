#!/usr/bin/env bash
# make-goldens.sh BUILD_DIR: copy the screenshots of the last ui_screens_golden
# run into tests/ui/golden/ (a person looks at them first; CI never runs this).
set -euo pipefail
build=${1:?usage: make-goldens.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
for orient in landscape portrait; do
  mkdir -p "$here/golden/$orient"
  for f in "$build/tests/ui/screens/$orient"/*.png; do
    convert "$f" -resize 50% -strip "$here/golden/$orient/$(basename "$f")"
  done
done
ls -la "$here/golden"/*
