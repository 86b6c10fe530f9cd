#!/usr/bin/env bash
# campaign.sh FUZZ_BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]: the long fuzz
# campaign (hours per target; CI only runs tests/fuzz/run.sh for seconds).
#
# FUZZ_BUILD_DIR is a clang build with -DPK_FUZZ=ON (and ideally
# -DPK_SANITIZE=ON): CC=clang cmake -S . -B build-fuzz -DPK_FUZZ=ON -DPK_SANITIZE=ON
#   && cmake --build build-fuzz -j2 --target exif-libfuzzer ...
# Default: 4 hours per target, every *-libfuzzer binary in the build.
#
# For each target: fuzz from tests/fuzz/corpus/NAME into a persistent working
# corpus (FUZZ_BUILD_DIR/campaign/NAME, kept between runs so a campaign can be
# resumed), then
#   - every crash/timeout/oom artifact is minimised and copied into
#     tests/fuzz/corpus/NAME/regress-<sha1> so the CTest replay of that target
#     fails until the bug is fixed, and stays as a regression test after;
#   - with PK_CAMPAIGN_MERGE=1 the inputs that add coverage are merged (-merge=1)
#     into tests/fuzz/corpus/NAME/ as cov-<sha1> (review before committing).
# Prints a Markdown table: target, seconds, execs, exec/s, cov, ft, findings.
# Exit status 1 when any target produced a finding.
set -uo pipefail
BUILD=${1:?usage: campaign.sh FUZZ_BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]}
SECS=${2:-14400}
shift 2 2>/dev/null || shift $#
HERE=$(cd "$(dirname "$0")" && pwd)
export LSAN_OPTIONS="suppressions=$HERE/../lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" VIPS_WARNING=0
OUT="$BUILD/campaign"
mkdir -p "$OUT/findings"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for bin in "$BUILD"/tests/fuzz/*-libfuzzer; do
        [ -x "$bin" ] && targets+=("$(basename "$bin" -libfuzzer)")
    done
fi
[ ${#targets[@]} -gt 0 ] || { echo "campaign: no *-libfuzzer binaries in $BUILD/tests/fuzz (build with -DPK_FUZZ=ON)" >&2; exit 2; }

report="$OUT/report.md"
printf '| target | seconds | execs | exec/s | cov | ft | corpus | findings |\n|---|---:|---:|---:|---:|---:|---:|---:|\n' > "$report"
status=0
for name in "${targets[@]}"; do
    bin="$BUILD/tests/fuzz/$name-libfuzzer"
    [ -x "$bin" ] || { echo "campaign: $bin missing" >&2; status=1; continue; }
    seeds="$HERE/corpus/$name"; mkdir -p "$seeds"
    work="$OUT/$name"; mkdir -p "$work"
    art="$OUT/findings/$name"; mkdir -p "$art"
    dict="$HERE/$name.dict"; dictarg=(); [ -f "$dict" ] && dictarg=(-dict="$dict")
    log="$OUT/$name.log"
    echo "campaign: $name for $SECS s" >&2
    # -fork=1 keeps going after a crash (each crash is an artifact), bounded
    # by -ignore_crashes/-ignore_timeouts/-ignore_ooms.
    "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$art/" "${dictarg[@]}" "$work" "$seeds" >"$log" 2>&1
    found=0
    for a in "$art"/crash-* "$art"/timeout-* "$art"/oom-* "$art"/leak-*; do
        [ -f "$a" ] || continue
        min="$a.min"
        "$bin" -minimize_crash=1 -runs=20000 -exact_artifact_path="$min" "$a" >/dev/null 2>&1 || true
        [ -s "$min" ] || cp "$a" "$min"
        sha=$(sha1sum "$min" | cut -c1-16)
        if [ ! -f "$seeds/regress-$sha" ]; then
            cp "$min" "$seeds/regress-$sha"
            echo "campaign: $name finding -> tests/fuzz/corpus/$name/regress-$sha ($(basename "$a"))" >&2
            found=$((found + 1))
        fi
        mv "$a" "$a.done"
    done
    if [ "${PK_CAMPAIGN_MERGE:-0}" = 1 ]; then
        tmp=$(mktemp -d)
        "$bin" -merge=1 "$tmp" "$seeds" "$work" >/dev/null 2>&1 || true
        for f in "$tmp"/*; do
            [ -f "$f" ] || continue
            sha=$(sha1sum "$f" | cut -c1-16)
            cmp -s "$f" "$seeds/cov-$sha" 2>/dev/null || cp "$f" "$seeds/cov-$sha"
        done
        rm -rf "$tmp"
    fi
    # -fork mode prints "#EXECS: cov: ..." progress lines, not final stats.
    execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    ncorp=$(find "$work" -type f | wc -l)
    rate=$(awk -v e="${execs:-0}" -v s="$SECS" 'BEGIN {printf "%.0f", e / (s > 0 ? s : 1)}')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$SECS" "${execs:-?}" "$rate" \
        "${cov:-?}" "${ft:-?}" "$ncorp" "$found" >> "$report"
    [ "$found" -eq 0 ] || status=1
done
cat "$report"
exit $status
