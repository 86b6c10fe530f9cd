#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS: run every libFuzzer target for SECONDS each, starting
# from its seed corpus (tests/fuzz/corpus/NAME) into a scratch corpus, and print a
# table of targets, execs and coverage. A crash fails the run; the crashing input
# is left in BUILD_DIR/fuzz-findings/ to be added to the corpus as a regression.
set -euo pipefail
BUILD=${1:?build dir}; SECS=${2:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
export LSAN_OPTIONS="suppressions=$HERE/../lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1" VIPS_WARNING=0
mkdir -p "$BUILD/fuzz-findings"
status=0
printf '| target | seconds | execs | cov | ft |\n|---|---:|---:|---:|---:|\n' > "$BUILD/fuzz-report.md"
for bin in "$BUILD"/tests/fuzz/*-libfuzzer; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin" -libfuzzer)
    work="$BUILD/fuzz-work/$name"; mkdir -p "$work"
    seeds="$HERE/corpus/$name"; [ -d "$seeds" ] || seeds=
    dict="$HERE/$name.dict"; dictarg=(); [ -f "$dict" ] && dictarg=(-dict="$dict")
    log="$BUILD/fuzz-work/$name.log"
    if ! "$bin" -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz-findings/$name-" "${dictarg[@]}" "$work" $seeds >"$log" 2>&1; then
        echo "FUZZ FAILURE in $name:"; tail -40 "$log"; status=1
    fi
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$SECS" "${execs:-?}" "${cov:-?}" "${ft:-?}" >> "$BUILD/fuzz-report.md"
done
cat "$BUILD/fuzz-report.md"
exit $status
