#!/usr/bin/env bash
# sandbox.sh [CORPUS] [BUILD_DIR]: the cost of the decode sandbox. Grid
# thumbnails (256 px, to memory) of every JPEG in CORPUS, in process
# (img_thumb_to_pixels, 2 threads) against the sandboxed pool (2 helpers,
# app_decode_thumb), with vipsthumbnail (2 processes side by side) as the peer,
# in the same run. Medians of PK_RUNS (default 5) hyperfine runs after a
# warm-up; thumbnails/s = files / median; ratio sandbox / in-process (goal
# >= 0.9). Peak RSS of one run by /usr/bin/time. Prints a Markdown table.
# Then the same for review-screen soft proofs (960 x 720, glossy paper, gamut
# warning): in process (img_probe_file + img_proof_to_pixels, 2 threads)
# against the helpers (app_decode_proof, 2 helpers), with vipsthumbnail
# --export-profile to the paper profile (2 processes) as the peer.
# Last, the warm figures a running kiosk sees (helpers already up): each of our
# four paths PK_RUNS times, round robin, timing only the photos after one
# untimed photo per thread (bench_decode_pool with PK_BENCH_WARM=1); medians.
#
# CORPUS defaults to /var/tmp/pk-corpus (../shared/bench/make-corpus.sh);
# BUILD_DIR to build-hostile (needs bench_decode_pool and printkiosk-decode).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$(cd "${1:-/var/tmp/pk-corpus}" && pwd)
BUILD=$(cd "${2:-$HERE/../../build-hostile}" && pwd)
RUNS=${PK_RUNS:-5}
BENCH=$BUILD/tests/hostile/bench_decode_pool
export PK_DECODE_HELPER=$BUILD/app/decode/printkiosk-decode VIPS_WARNING=0
export PK_PROFILES_DIR=$HERE/../../profiles
[ -x "$BENCH" ] && [ -x "$PK_DECODE_HELPER" ] || { echo "build bench_decode_pool and printkiosk-decode in $BUILD" >&2; exit 2; }
for t in hyperfine vipsthumbnail python3; do
    command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
mapfile -t FILES < <(ls "$CORPUS"/*.jpg)
N=${#FILES[@]}
[ "$N" -gt 0 ] || { echo "no photos in $CORPUS" >&2; exit 2; }
HALF=$(( (N + 1) / 2 ))
WORK=$(mktemp -d /var/tmp/pk-bench-sandbox.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
Q=$(printf "'%s' " "${FILES[@]}")
names=("in-process, 2 threads" "sandbox, 2 helpers" "vipsthumbnail x2 side by side"
       "preview in-process, 2 threads" "preview sandbox, 2 helpers"
       "vipsthumbnail 960x720 --export-profile paper x2")
cmds=("'$BENCH' inproc 2 $Q"
      "'$BENCH' sandbox 2 $Q"
      "printf '%s\\n' $Q | xargs -d '\\n' -P 2 -n $HALF vipsthumbnail --size 256x256 -o '$WORK/%s.jpg'"
      "'$BENCH' proof-inproc 2 $Q"
      "'$BENCH' proof-sandbox 2 $Q"
      "printf '%s\\n' $Q | xargs -d '\\n' -P 2 -n $HALF vipsthumbnail --size 960x720 --export-profile '$PK_PROFILES_DIR/pk-glossy.icc' -o '$WORK/p-%s.jpg'")
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N 2>/dev/null >/dev/null || true
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" --style none "${args[@]}" >/dev/null 2>&1
for i in "${!cmds[@]}"; do
    /usr/bin/time -f %M -o "$WORK/rss$i" bash -c "${cmds[$i]}" >/dev/null 2>&1 || true
done
# Warm (steady state), round robin so a load change hits every path alike.
modes=(inproc sandbox proof-inproc proof-sandbox)
for r in $(seq "$RUNS"); do
    for m in "${modes[@]}"; do
        PK_BENCH_WARM=1 "$BENCH" "$m" 2 "${FILES[@]}" 2>/dev/null | sed -n 's/^seconds //p' >> "$WORK/warm-$m"
    done
done
python3 - "$WORK" "$N" "$(nproc)" "$(uptime | sed 's/.*load average: //')" <<'PY'
import json, sys, statistics
w, n, cpus, load = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
res = json.load(open(w + '/h.json'))['results']
print('Decode sandbox cost: %d photos, 256 px thumbnails, %s CPUs, load %s' % (n, cpus, load))
print()
print('| path | median s | min s | max s | photos/s | peak RSS MB |')
print('|---|---:|---:|---:|---:|---:|')
med = []
for i, r in enumerate(res):
    if i == 3:
        print('| *review previews (960x720 soft proof)* | | | | | |')
    m = statistics.median(r['times'])
    med.append(m)
    try:
        rss = int(open('%s/rss%d' % (w, i)).read().split()[-1]) / 1024
    except Exception:
        rss = float('nan')
    print('| %s | %.2f | %.2f | %.2f | %.2f | %.0f |' % (r['command'], m, min(r['times']), max(r['times']), n / m, rss))
print()
print('sandbox / in-process throughput: thumbnails %.2fx (goal >= 0.9x), previews %.2fx; per preview: in-process %.0f ms, sandbox %.0f ms (2 at a time); peak RSS of the sandbox rows is the kiosk side only (helpers are children: /usr/bin/time counts the largest one)' % (med[0] / med[1], med[3] / med[4], 1000 * med[3] / n * 2, 1000 * med[4] / n * 2))
print()
print('Warm (helpers already running, as in a kiosk that is up), medians of the photos alone:')
print()
print('| path | median s | photos/s | ms per photo (2 at a time) |')
print('|---|---:|---:|---:|')
wm = {}
for m, label in (('inproc', 'thumbnails in-process'), ('sandbox', 'thumbnails sandbox'),
                 ('proof-inproc', 'previews in-process'), ('proof-sandbox', 'previews sandbox')):
    v = [float(x) for x in open('%s/warm-%s' % (w, m)).read().split()]
    wm[m] = statistics.median(v)
    print('| %s | %.2f | %.2f | %.0f |' % (label, wm[m], n / wm[m], 2000 * wm[m] / n))
print()
print('warm sandbox / in-process throughput: thumbnails %.2fx, previews %.2fx' % (wm['inproc'] / wm['sandbox'], wm['proof-inproc'] / wm['proof-sandbox']))
PY
