#!/usr/bin/env bash
# Set up and run the kiosk in a window with the demo configuration (see README).
# Builds the release tree if needed, then starts printkiosk --demo, which brings up
# its own private cupsd + virtual IPP printer and the reference central server
# when none is configured.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
exec build/release/ui/printkiosk --demo "$@"
