#!/usr/bin/env bash
# printkioskctl probe / thumb: JSON Lines records with the design's keys, the
# verdicts of tests/corpus/expected.tsv, thumbnails written as JPEGs, and exit
# codes 0 (all ok), 1 (some rejected), 2 (usage).
set -euo pipefail
ctl=${PK_CTL:?}
corpus=${PK_BUILD_DIR:?}/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-cli-thumb-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

files=$(awk -F'\t' '!/^#/ && NF { print $1 }' "$corpus/expected.tsv")
set +e
(cd "$corpus" && "$ctl" probe $files) > "$tmp/probe.jsonl"; rc=$?
set -e
[ "$rc" = 1 ] || fail "probe of the whole corpus exited $rc, want 1"
python3 - "$corpus/expected.tsv" "$tmp/probe.jsonl" <<'PY' || exit 1
import json, sys
want = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip():
        continue
    f = line.rstrip('\n').split('\t')
    want[f[0]] = f
got = [json.loads(l) for l in open(sys.argv[2])]
assert [g['path'] for g in got] == list(want), 'one record per file, in order'
bad = 0
for g in got:
    w = want[g['path']]
    if w[1] == 'ok':
        keys = ['path', 'ok', 'format', 'width', 'height', 'orientation', 'colour', 'captured_at', 'camera', 'sha256']
        missing = [k for k in keys if k not in g]
        ok = g['ok'] is True and not missing and g['format'] == (w[2] if w[2] != '-' else g['format']) \
            and g['colour']['source'] in ('icc', 'exif', 'assumed') and len(g['sha256']) == 64
        if w[5] != '-':
            ok = ok and g['colour']['name'] == w[5]
    else:
        ok = g['ok'] is False and g['reason'] == w[1] and isinstance(g.get('message'), str)
    if not ok:
        print('mismatch', g, 'want', w); bad += 1
assert bad == 0, bad
print('probe records match expected.tsv:', len(got))
PY

"$ctl" probe "$corpus/noprofile.jpg" "$corpus/photo.heic" > /dev/null || fail "probe of good files did not exit 0"
set +e
"$ctl" probe > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "probe without files exited $rc, want 2"
"$ctl" probe --allow-tiff "$corpus/photo.tif" | grep -q '"format":"tiff"' || fail "--allow-tiff"

mkdir "$tmp/out"
set +e
"$ctl" thumb --size 128 --jobs 2 "$corpus/orient-6.jpg" "$corpus/alpha.png" "$corpus/truncated.jpg" \
    "$corpus/photo.heic" "$corpus/noprofile.jpg" --out "$tmp/out" > "$tmp/thumb.jsonl"; rc=$?
set -e
[ "$rc" = 1 ] || fail "thumb with one truncated file exited $rc, want 1"
python3 - "$tmp/thumb.jsonl" <<'PY' || exit 1
import json, os, sys
got = [json.loads(l) for l in open(sys.argv[1])]
assert len(got) == 5, got
for g in got:
    if g['path'].endswith('truncated.jpg'):
        assert g['ok'] is False and g['reason'] == 'truncated', g
        continue
    assert g['ok'] is True, g
    assert max(g['width'], g['height']) == 128, g
    assert isinstance(g['from_exif'], bool), g
    assert os.path.getsize(g['thumb']) > 0 and g['thumb'].endswith('.jpg'), g
    with open(g['thumb'], 'rb') as f:
        assert f.read(3) == b'\xff\xd8\xff', g
o6 = [g for g in got if g['path'].endswith('orient-6.jpg')][0]
assert (o6['width'], o6['height']) == (128, 85), o6     # upright landscape
print('thumb records ok:', len(got))
PY
# The same name twice gets two files; --square gives squares.
mkdir "$tmp/sq"
"$ctl" thumb --square --size 64 "$corpus/noprofile.jpg" "$corpus/noprofile.jpg" --out "$tmp/sq" > "$tmp/sq.jsonl"
[ "$(ls "$tmp/sq" | wc -l)" = 2 ] || fail "duplicate names were not made unique: $(ls "$tmp/sq")"
grep -q '"width":64,"height":64' "$tmp/sq.jsonl" || fail "--square"
for bad in "--size 3" "--jobs 0" "--size x"; do
    set +e
    "$ctl" thumb $bad "$corpus/noprofile.jpg" --out "$tmp/out" > /dev/null 2>&1; rc=$?
    set -e
    [ "$rc" = 2 ] || fail "thumb $bad exited $rc, want 2"
done
set +e
"$ctl" thumb "$corpus/noprofile.jpg" > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "thumb without --out exited $rc, want 2"
echo "cli probe/thumb: all passed"
