#!/usr/bin/env bash
# Technician screen end to end (issue 6): staff PIN, staff number, then the
# technician's own PIN (a wrong one first: refused), the status page, a
# colour-target test print on the shared private CUPS peer (fixture "cups",
# queue pk1) and the log export to a "USB stick" (a folder under
# --export-root in this test's temp dir).
# Asserts: the test print's job (named in techprint/last-test-print.json)
# reached the printer exactly once; the technician picks the paper: one test
# print on every paper of the printer (the profiles manifest's papers, cycled
# with "Other paper"), each rendered through its own profile and printed; the export folder holds the bundle
# (manifest.json, doctor.jsonl, store.json) and none of the customer's photo
# names nor the pickup code.
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
. "${PK_SOURCE_DIR:?}/tests/orders/lib.sh"
build=$PK_BUILD_DIR; ctl=${PK_CTL:?}
q=pk1
dirvar=PK_PRINTER_${q}_DIR
pdir=${!dirvar}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-tech.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
fail() { echo "FAIL: $*"; exit 1; }
shots=$build/tests/ui/screens/tech
rm -rf "$shots"; mkdir -p "$shots" "$tmp/usb/STICK"
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp

# A customer's order with a telling file name: it must not leak into the export.
mkdir "$tmp/photos"
pk_photos "$tmp/photos" 1
mv "$tmp/photos/p1.jpg" "$tmp/photos/Annas-secret-holiday.jpg"
"$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy \
        "$tmp/photos/Annas-secret-holiday.jpg" > "$tmp/a.json" || fail "order create"
code=$(jget code < "$tmp/a.json")

cat > "$tmp/tech.script" <<'SCRIPT'
wait-screen attract
hold 0.02 0.02 3300
wait-screen staff
tap pin-1
tap pin-2
tap pin-3
tap pin-4
tap pin-OK
wait-id sid-OK
tap sid-7
tap sid-OK
wait-screen desk
wait-id done-refresh-ok
tap desk-tech
wait-screen tech
tap tpin-1
tap tpin-1
tap tpin-1
tap tpin-1
tap tpin-OK
wait-id done-techpin-wrong-pin
screenshot tech-wrong-pin
tap tpin-5
tap tpin-6
tap tpin-7
tap tpin-8
tap tpin-OK
wait-id done-techrefresh-ok
screenshot tech-status
tap tech-test
wait 300
wait-id done-testprint-ok
screenshot tech-test-first
tap tech-paper
wait 200
screenshot tech-test-second
tap tech-test
wait 300
wait-id done-testprint-ok
tap tech-export
wait-id done-export-ok
tap tech-refresh
wait-id done-techrefresh-ok
screenshot tech-done
tap tech-back
wait-screen desk
tap desk-back
wait-screen attract
wait 200
quit
SCRIPT
"$build/ui/printkiosk" --demo --size 1280x720 --data "$data" --printer "$q" \
        --export-root "$tmp/usb" --script "$tmp/tech.script" --screenshot-dir "$shots" \
        || fail "printkiosk exited $?"
for f in "$shots"/*.bmp; do convert "$f" "${f%.bmp}.png" && rm -f "$f"; done

rec=$data/techprint/last-test-print.json
[ -f "$rec" ] || fail "no test print record"
id=$(jget job_id < "$rec")
[ "$(jget queue < "$rec")" = "$q" ] || fail "test print went to $(jget queue < "$rec")"
for _ in $(seq 1 600); do
        grep -q "state=printed .*pk-$id" "$pdir/jobs.log" && break
        sleep 0.1
done
n=$(grep -c "pk-$id" "$pdir/jobs.log" || true)
[ "$n" = 1 ] || fail "test print pk-$id reached the printer $n times"
grep -q "state=printed .*pk-$id" "$pdir/jobs.log" || fail "test print pk-$id did not print"
# The master is the colour target through the paper profile: a 6x4 PNG.
grep "pk-$id" "$pdir/jobs.log" | grep -q "format=image/png" || fail "not a PNG: $(grep "pk-$id" "$pdir/jobs.log")"

 # Every paper of the printer got its own test print (masters target-<paper>.png),
# and the last record names the paper picked with "Other paper", not glossy.
papers=$(sed -n 's/^\[paper \([a-z0-9_-]*\)\]$/\1/p' "$PK_SOURCE_DIR/profiles/manifest.ini" | sort | head -n 4)
[ "$(echo "$papers" | wc -l)" -ge 2 ] || fail "the manifest has fewer than 2 papers: '$papers'"
# two papers printed: the default (first) and the next one
printed=$(cd "$data/techprint" && ls target-*.png | sed 's/^target-\(.*\)\.png$/\1/' | sort)
[ "$(echo "$printed" | wc -l)" = 2 ] || fail "test prints on papers '$printed'"
for p in $printed; do echo "$papers" | grep -qx "$p" || fail "test print on unknown paper $p"; done
last=$(jget paper < "$rec")
[ "$last" != glossy ] || fail "the second test print was glossy again: the paper choice is ignored"
echo "$printed" | grep -qx "$last" || fail "last record paper $last not among $printed"

out=$(find "$tmp/usb/STICK" -mindepth 1 -maxdepth 1 -type d -name 'printkiosk-logs-*')
[ -n "$out" ] && [ "$(echo "$out" | wc -l)" = 1 ] || fail "export folder: '$out'"
for f in manifest.json doctor.jsonl store.json; do
        [ -s "$out/$f" ] || fail "export has no $f: $(ls "$out")"
done
jq -e '.' "$out/manifest.json" > /dev/null || fail "manifest is not JSON"
if grep -rqiE "Annas-secret|holiday|${code//-/-?}" "$out"; then
        fail "customer data in the export: $(grep -rliE "Annas-secret|holiday|${code//-/-?}" "$out")"
fi
for p in "$PK_SOURCE_DIR"/assets/demo/photos/*; do
        b=$(basename "$p"); b=${b%.*}
        ! grep -rqF "$b" "$out" || fail "demo photo name $b in the export"
done
echo "ok: test prints on $(echo $printed) (the last pk-$id, $last, printed once on $q); export $(basename "$out") without photo names or codes"
