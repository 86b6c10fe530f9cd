#!/usr/bin/env bash
# Build and run every test: the normal build, the ASan/UBSan build (LeakSanitizer
# on), and a short libFuzzer run of every fuzz target. This is the README's test
# command after the dependencies are installed (.ci/install-deps).
#   PK_SKIP_ASAN=1, PK_SKIP_FUZZ=1 to leave a stage out; PK_FUZZ_SECONDS (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${PK_JOBS:-$(nproc)}
export VIPS_WARNING=0

stage() { printf '\n=== %s ===\n' "$*"; }

stage "release build"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$JOBS"
ctest --test-dir build/release --output-on-failure -j"$JOBS"

if [ "${PK_SKIP_ASAN:-}" != 1 ]; then
    stage "ASan/UBSan build"
    cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DPK_SANITIZE=ON >/dev/null
    cmake --build build/asan -j"$JOBS"
    ctest --test-dir build/asan --output-on-failure -j"$JOBS" -LE nosan
fi

if [ "${PK_SKIP_FUZZ:-}" != 1 ]; then
    stage "fuzz (short)"
    CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DPK_SANITIZE=ON -DPK_FUZZ=ON \
        -DPK_BUILD_UI=OFF >/dev/null
    cmake --build build/fuzz -j"$JOBS"
    bash tests/fuzz/run.sh build/fuzz "${PK_FUZZ_SECONDS:-15}"
fi
