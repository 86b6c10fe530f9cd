#!/usr/bin/env bash
# strip.sh [CORPUS] [BUILD_DIR]: the cost of stripping an order's photos in
# the sandboxed decode helper (app_decode_strip_file, what app/orders.c does
# since protocol 3) against the in-process stripper (app_strip_file, what it
# did before), one photo after another as an order is copied, each written
# durably (temp, fsync, rename, fsync dir). One photo is stripped untimed
# first (helper started, a kiosk's pool is up); that first photo, helper
# start included, is shown apart. Peer,
# same run: one exiftool process removing GPS, serial, owner, XMP, IPTC and
# comments from the same files into a folder (no fsync; perl start included).
# PK_RUNS (default 5) rounds, round robin so a load change hits every path
# alike; medians. Prints a Markdown table. A control row runs the in-process
# path with the helper's glibc malloc tunables (heap reuse, huge pages), which
# alone make a difference here: the sandbox's own cost is helper vs that row.
#
# CORPUS defaults to /var/tmp/pk-corpus (../shared/bench/make-corpus.sh);
# BUILD_DIR to build-hostile (needs bench_strip and printkiosk-decode).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$(cd "${1:-/var/tmp/pk-corpus}" && pwd)
BUILD=$(cd "${2:-$HERE/../../build-hostile}" && pwd)
RUNS=${PK_RUNS:-5}
BENCH=$BUILD/tests/hostile/bench_strip
export PK_DECODE_HELPER=$BUILD/app/decode/printkiosk-decode VIPS_WARNING=0
[ -x "$BENCH" ] && [ -x "$PK_DECODE_HELPER" ] || { echo "build bench_strip and printkiosk-decode in $BUILD" >&2; exit 2; }
for t in exiftool python3; do
    command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
mapfile -t FILES < <(ls "$CORPUS"/*.jpg)
N=${#FILES[@]}
[ "$N" -gt 0 ] || { echo "no photos in $CORPUS" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/pk-bench-strip.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
BYTES=$(cat "${FILES[@]}" | wc -c)
for r in $(seq "$RUNS"); do
    for m in inproc inproc-tuned helper; do
        if [ "$m" = inproc-tuned ]; then
            # Control: the helper's glibc malloc tunables (app/decode_pool.c
            # helper_spawn) in this process, so the sandbox's own cost shows.
            GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=16777216 \
                "$BENCH" inproc "$WORK" "${FILES[@]}" > "$WORK/out" 2>/dev/null
        else
            "$BENCH" "$m" "$WORK" "${FILES[@]}" > "$WORK/out" 2>/dev/null
        fi
        sed -n 's/^seconds //p' "$WORK/out" >> "$WORK/t-$m"
        sed -n 's/^start //p' "$WORK/out" >> "$WORK/s-$m"
    done
    mkdir "$WORK/ex$r"
    t0=$(date +%s.%N)
    exiftool -q -q -m -gps:all= -SerialNumber= -OwnerName= -xmp:all= -iptc:all= -comment= \
        -o "$WORK/ex$r/" "${FILES[@]}" || true
    t1=$(date +%s.%N)
    python3 -c "print($t1 - $t0)" >> "$WORK/t-exiftool"
    rm -rf "$WORK/ex$r"
done
python3 - "$WORK" "$N" "$BYTES" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
work, n, nbytes, runs, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def col(name):
    return [float(x) for x in open(f"{work}/{name}").read().split()]
t = {m: col(f"t-{m}") for m in ("inproc", "inproc-tuned", "helper", "exiftool")}
med = {m: statistics.median(v) for m, v in t.items()}
print(f"Upload-copy stripping: {n} JPEGs, {nbytes / 1e6:.1f} MB, one after another, "
      f"medians of {runs} rounds, load {load}")
print()
print("| path | median s | min s | max s | ms per photo | MB/s |")
print("|---|---:|---:|---:|---:|---:|")
rows = (("inproc", "in-process app_strip_file (before)"),
        ("inproc-tuned", "in-process, with the helper's malloc tunables (control)"),
        ("helper", "decode helper app_decode_strip_file (now)"),
        ("exiftool", "exiftool, one process, no fsync (peer)"))
for m, label in rows:
    v = t[m]
    print(f"| {label} | {med[m]:.3f} | {min(v):.3f} | {max(v):.3f} | "
          f"{1000 * med[m] / n:.1f} | {nbytes / 1e6 / med[m]:.0f} |")
start = statistics.median(col("s-helper"))
print()
print(f"helper / in-process time: {med['helper'] / med['inproc']:.2f}x "
      f"({1000 * (med['helper'] - med['inproc']) / n:+.1f} ms per photo); "
      f"helper / in-process with the same tunables: {med['helper'] / med['inproc-tuned']:.2f}x "
      f"({1000 * (med['helper'] - med['inproc-tuned']) / n:+.1f} ms per photo); "
      f"first photo with the helper's start (untimed in the rows): {1000 * start:.0f} ms; "
      f"exiftool / helper: {med['exiftool'] / med['helper']:.2f}x")
PY
