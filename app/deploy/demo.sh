#!/usr/bin/env bash
# Set up and run the kiosk in a window with the demo configuration (see README and
# ui/README.md). Builds the release tree if needed, then starts printkiosk --demo:
# a 1280x720 window, the demo photos and prices from assets/demo/, a private data
# folder under $TMPDIR and staff PIN 1234. Extra arguments go to printkiosk
# (e.g. --portrait --size 1080x1920). Not yet: the private cupsd + virtual IPP
# printer and the central server (the core reports ordering as unavailable).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
exec build/release/ui/printkiosk --demo "$@"
