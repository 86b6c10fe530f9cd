#!/usr/bin/env bash
# thumbs.sh [CORPUS] [PRINTKIOSKCTL]: grid-thumbnail speed of printkioskctl thumb
# (one process, two worker threads) against vipsthumbnail run the way
# ../shared/bench/peers.sh part a runs it (one process for all photos; two
# processes side by side; one process with sRGB export), in the same run.
# Medians of PK_RUNS (default 5) hyperfine runs after a warm-up; peak RSS of one
# run by /usr/bin/time -f %M. Prints a Markdown table on stdout.
#
# CORPUS defaults to /var/tmp/pk-corpus (../shared/bench/make-corpus.sh: 24 photos,
# 12-24 MP); PRINTKIOSKCTL to build-probe/app/printkioskctl or $PK_CTL.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$(cd "${1:-/var/tmp/pk-corpus}" && pwd)
CTL=${2:-${PK_CTL:-$HERE/../../build-probe/app/printkioskctl}}
RUNS=${PK_RUNS:-5}
[ -x "$CTL" ] || { echo "no printkioskctl at $CTL" >&2; exit 2; }
SRGB=$CORPUS/icc/srgb.icc
[ -f "$SRGB" ] || SRGB=/usr/share/color/argyll/ref/sRGB.icm
for t in hyperfine vipsthumbnail python3; do
    command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time" >&2; exit 2; }
mapfile -t FILES < <(ls "$CORPUS"/*.jpg)
N=${#FILES[@]}
[ "$N" -gt 0 ] || { echo "no photos in $CORPUS" >&2; exit 2; }
HALF=$(( (N + 1) / 2 ))
export VIPS_WARNING=0
WORK=$(mktemp -d /var/tmp/pk-bench-thumbs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/pk1" "$WORK/pk2" "$WORK/vt" "$WORK/vt2" "$WORK/vts"
Q=$(printf "'%s' " "${FILES[@]}")

names=(); cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "printkioskctl thumb --jobs 2" "'$CTL' thumb --size 256 --jobs 2 $Q --out '$WORK/pk2' > /dev/null"
add "printkioskctl thumb --jobs 1" "'$CTL' thumb --size 256 --jobs 1 $Q --out '$WORK/pk1' > /dev/null"
add "vipsthumbnail, 1 process" "vipsthumbnail --size 256x256 -o '$WORK/vt/%s.jpg' $Q"
add "vipsthumbnail x2 side by side" "printf '%s\\n' $Q | xargs -d '\\n' -P 2 -n $HALF vipsthumbnail --size 256x256 -o '$WORK/vt2/%s.jpg'"
add "vipsthumbnail -e sRGB, 1 process" "vipsthumbnail --size 256x256 --export-profile '$SRGB' -o '$WORK/vts/%s.jpg' $Q"
# Progressive JPEGs decode without DCT scaling: time them apart (DESIGN.md "Speed").
mapfile -t PROG < <(VIPS_WARNING=0 "$CTL" probe --no-hash "${FILES[@]}" 2>/dev/null |
    python3 -c 'import json,sys; [print(d["path"]) for d in map(json.loads, sys.stdin) if d.get("progressive")]')
if [ "${#PROG[@]}" -gt 0 ]; then
    QP=$(printf "'%s' " "${PROG[@]}")
    mkdir -p "$WORK/pkp" "$WORK/vtp"
    add "printkioskctl thumb --jobs 2, ${#PROG[@]} progressive only" "'$CTL' thumb --size 256 --jobs 2 $QP --out '$WORK/pkp' > /dev/null"
    add "vipsthumbnail, 1 process, ${#PROG[@]} progressive only" "vipsthumbnail --size 256x256 -o '$WORK/vtp/%s.jpg' $QP"
fi

echo "timing $N photos, $RUNS runs each ..." >&2
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" "${cmds[@]}" >/dev/null
rss=()
for c in "${cmds[@]}"; do
    /usr/bin/time -f %M -o "$WORK/rss" bash -c "$c" >/dev/null 2>&1
    rss+=("$(cat "$WORK/rss")")
done
python3 - "$WORK/h.json" "$N" "${#PROG[@]}" "${names[@]}" -- "${rss[@]}" <<'PY'
import json, sys, statistics
res = json.load(open(sys.argv[1]))['results']
n = int(sys.argv[2])
nprog = int(sys.argv[3])
sys.argv.pop(3)
rest = sys.argv[3:]
k = rest.index('--')
names, rss = rest[:k], [int(x) for x in rest[k + 1:]]
med = [statistics.median(r['times']) for r in res]
ours, vt1, vt2 = med[0], med[2], med[3]
print('| tool | median s | photos/s | time vs ours | peak RSS MB | RSS vs vipsthumbnail 1 proc |')
print('|---|---:|---:|---:|---:|---:|')
for i, (name, m, r) in enumerate(zip(names, med, rss)):
    cnt, base = (n, ours) if i < 5 else (nprog, med[5])
    print('| %s | %.3f | %.2f | %.2fx | %.1f | %.2fx |' % (name, m, cnt / m, m / base, r / 1024, r / rss[2]))
print()
print('Target (DESIGN.md "Speed"): photos/s >= 1.0x "vipsthumbnail x2" -> %.2fx; '
      'peak RSS <= 1.2x one vipsthumbnail process -> %.2fx' % (vt2 / ours, rss[0] / rss[2]))
PY
