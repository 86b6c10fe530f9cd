#!/usr/bin/env bash
# kill_torture.sh BUILD_DIR [ITERATIONS]: the long version of test_store_kill
# (CTest runs 50 kills): SIGKILL a child driving the order state machine at
# random moments ITERATIONS times (default 1000), re-checking after each kill
# that state, audit and outbox rows are all-or-nothing.
set -euo pipefail
BUILD=${1:?usage: kill_torture.sh BUILD_DIR [ITERATIONS]}
exec "$BUILD/tests/store/test_store_kill" "${2:-1000}"
