#!/bin/bash
# printkioskctl ingest end to end: records as found with sanitised names,
# thumbnails on disk, the DESIGN.md summary with per-reason skip counts
# matching the generator's manifest, --limit honoured, a camera through
# libgphoto2's directory camlib, and exit codes (0 done, 2 usage/no source).
set -euo pipefail
CTL=${PK_CTL:?PK_CTL not set}
SRC=${PK_SOURCE_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/pk-ingest-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T
# libgphoto2's camlibs are dlclose()d: LeakSanitizer needs full stacks to
# attribute their one-time allocations (suppressed in tests/lsan.supp). Only
# for the camera runs: slow unwinding makes every other run crawl.
GP_LSAN=${LSAN_OPTIONS:+$LSAN_OPTIONS:fast_unwind_on_malloc=0}
fail() { echo "FAIL: $*" >&2; exit 1; }

bash "$SRC/tests/ingest/make-nasty-volume.sh" "$T/vol" 120 >/dev/null
m() { sed -n "s/^$1=//p" "$T/vol.manifest"; }

"$CTL" ingest "$T/vol" --thumbs "$T/thumbs" > "$T/out.jsonl" || fail "exit $?"
python3 - "$T/out.jsonl" "$(m photos_probed)" "$(m symlink)" "$(m special)" "$(m hidden)" \
        "$(m not_image)" "$(m empty)" "$(m truncated)" <<'PY' || fail "records"
import json, os, sys
lines = open(sys.argv[1], 'rb').read().splitlines()
recs = [json.loads(l) for l in lines]
summary = recs[-1]
photos = recs[:-1]
want = dict(zip(['photos', 'symlink', 'special', 'hidden', 'not-image', 'empty', 'truncated'],
                map(int, sys.argv[2:])))
assert summary['summary'] is True
assert summary['photos'] == want['photos'] == len(photos), (summary['photos'], len(photos))
for k in ['symlink', 'special', 'hidden', 'not-image', 'empty', 'truncated']:
    assert summary['skipped'].get(k) == want[k], (k, summary['skipped'])
for k in ['files_seen', 'seconds_to_first_24', 'seconds_total']:
    assert k in summary, k
assert 0 <= summary['seconds_to_first_24'] <= summary['seconds_total']
for p in photos:
    for k in ['name', 'size', 'captured_at', 'format', 'width', 'height', 'thumb', 'group']:
        assert k in p, (k, p)
    n = p['name']
    assert not n.startswith('-'), n
    assert all(ord(ch) >= 0x20 and not 0x7f <= ord(ch) <= 0x9f for ch in n), repr(n)
    assert os.path.getsize(p['thumb']) > 0
# Raw bytes never reach stdout: JSON is ASCII with escapes only for sanitised names.
raw = open(sys.argv[1], 'rb').read()
assert b'\x1b' not in raw and b'\xff' not in raw and b'\\u001b' not in raw
PY

"$CTL" ingest "$T/vol" --limit 40 > "$T/lim.jsonl" || fail "limit exit $?"
python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert s["files_seen"] <= 40 and s["photos"] <= 40 and s["skipped"].get("limit", 0) > 0, s
' "$T/lim.jsonl" || fail "limit"

# A camera: libgphoto2's "Directory Browse" camlib on a disk: port.
mkdir -p "$T/card/DCIM/100TEST"
for i in 1 2 3; do cp "$T/vol/DCIM/100CANON/IMG_0000$i.JPG" "$T/card/DCIM/100TEST/P$i.JPG"; done
LSAN_OPTIONS=$GP_LSAN "$CTL" ingest "camera:Directory Browse@disk:$T/card" > "$T/cam.jsonl" || fail "camera exit $?"
python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert r[-1]["summary"] and r[-1]["photos"] == 3, r[-1]
' "$T/cam.jsonl" || fail "camera records"
ls "$T" | grep -q pk-ingest-camera && fail "camera temp folder left behind"

set +e
"$CTL" ingest "$T/missing" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing source should exit 2"
"$CTL" ingest >/dev/null 2>&1; [ $? -eq 2 ] || fail "no source should exit 2"
"$CTL" ingest "$T/vol" --jobs 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --jobs should exit 2"
LSAN_OPTIONS=$GP_LSAN "$CTL" ingest "camera:No Such Model@disk:$T/card" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad camera should exit 2"
echo "ok"
