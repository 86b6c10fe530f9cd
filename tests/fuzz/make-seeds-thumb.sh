#!/usr/bin/env bash
# make-seeds-thumb.sh [OUTDIR]: regenerate the thumb fuzz seeds
# (tests/fuzz/corpus/thumb): small progressive JPEGs whose 1/8 scale covers
# fuzz_thumb's 16 px, so they reach image/jpeg_dc.c's DC-only path, in every
# scan-script shape it handles (libjpeg's standard script, DC refinements
# first, one DC scan per component, 4:4:4, grey, restart markers), plus a
# truncated one and a baseline one. Made with cjpeg (libjpeg-turbo-progs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus/thumb}
command -v cjpeg >/dev/null || { echo "cjpeg missing (libjpeg-turbo-progs)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/src.ppm" <<'PY'
import math, sys
w, h = 176, 136
rows = bytearray()
for y in range(h):
    for x in range(w):
        t = 25 * math.sin(x * 0.3) * math.cos(y * 0.2)
        r, g, b = 40 + 180 * x / w + t, 30 + 200 * y / h - t, 200 - 150 * x * y / (w * h)
        if 20 < x < 60 and 20 < y < 50:
            r, g, b = 250, 240, 20
        rows += bytes(max(0, min(255, int(v))) for v in (r, g, b))
open(sys.argv[1], 'wb').write(b'P6\n%d %d\n255\n' % (w, h) + rows)
PY
mkdir -p "$OUT"
cat > "$tmp/dcfirst.txt" <<'S'
0,1,2: 0-0, 0, 2;
0,1,2: 0-0, 2, 1;
0,1,2: 0-0, 1, 0;
0: 1-63, 0, 0;
1: 1-63, 0, 0;
2: 1-63, 0, 0;
S
cat > "$tmp/percomp.txt" <<'S'
0: 0-0, 0, 0;
1: 0-0, 0, 0;
2: 0-0, 0, 0;
0: 1-63, 0, 0;
1: 1-63, 0, 0;
2: 1-63, 0, 0;
S
s="$tmp/src.ppm"
cjpeg -quality 85 -progressive "$s" > "$OUT/prog-standard.jpg"
cjpeg -quality 85 -progressive -sample 1x1 "$s" > "$OUT/prog-444.jpg"
cjpeg -quality 85 -progressive -grayscale "$s" > "$OUT/prog-grey.jpg"
cjpeg -quality 85 -scans "$tmp/dcfirst.txt" "$s" > "$OUT/prog-dc-refined-first.jpg"
cjpeg -quality 85 -scans "$tmp/percomp.txt" "$s" > "$OUT/prog-dc-per-component.jpg"
cjpeg -quality 85 -progressive -restart 1 "$s" > "$OUT/prog-restart.jpg"
cjpeg -quality 85 "$s" > "$OUT/baseline.jpg"
n=$(stat -c %s "$OUT/prog-standard.jpg")
head -c $((n / 3)) "$OUT/prog-standard.jpg" > "$OUT/prog-truncated.jpg"
ls "$OUT" | wc -l
