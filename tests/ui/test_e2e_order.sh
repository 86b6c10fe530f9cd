#!/usr/bin/env bash
# Headless end to end from attract to receipt (issue 6): printkiosk (SDL dummy
# video driver) with a private data folder and queue pk1 of the shared private
# cupsd + ippeveprinter (fixture "cups"), driven by tests/ui/e2e_order.script.
# Then: the store has the printed order (2 items, quantities 1 and 2, total =
# prices.ini unit price x 3) and the collect-later order (queued, with its
# code); CUPS has exactly one job per item, copies = quantity, and the printer
# itself received those copies (jobs.log). Only our own jobs (by job-uuid /
# name pk-<job id>) are looked at: pk1 is shared with other tests.
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
. "${PK_SOURCE_DIR:?}/tests/orders/lib.sh"
src=$PK_SOURCE_DIR; build=$PK_BUILD_DIR; ctl=${PK_CTL:?}
q=pk1
dirvar=PK_PRINTER_${q}_DIR
pdir=${!dirvar}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
data=$tmp/data
shots=$build/tests/ui/screens/e2e
rm -rf "$shots"; mkdir -p "$shots"
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp

"$build/ui/printkiosk" --demo --size 1280x720 --data "$data" --printer "$q" \
        --script "$src/tests/ui/e2e_order.script" --screenshot-dir "$shots" \
        || fail "printkiosk exited $?"
for s in e2e-grid e2e-products e2e-review e2e-review-gamut e2e-printing e2e-receipt e2e-collect-later; do
        [ -f "$shots/$s.bmp" ] || fail "no screenshot $s"
        convert "$shots/$s.bmp" "$shots/$s.png" && rm -f "$shots/$s.bmp"
done
# The gamut warning paints out-of-gamut colours: the two review shots differ.
m=$(compare -metric AE "$shots/e2e-review.png" "$shots/e2e-review-gamut.png" null: 2>&1 || true)
[ "${m%% *}" != 0 ] || fail "gamut warning changed nothing on the review screen"

"$ctl" --data "$data" orders > "$tmp/orders.jsonl"
[ "$(wc -l < "$tmp/orders.jsonl")" -eq 2 ] || fail "expected 2 orders: $(cat "$tmp/orders.jsonl")"
unit=$(awk -F= '/^\[PRINT-6X4\]/{g=1;next} /^\[/{g=0} g && $1=="glossy"{print $2}' "$src/assets/prices.ini")
[ -n "$unit" ] || fail "no PRINT-6X4 glossy price in prices.ini"

printed=$(jq -r 'select(.state == "printed") | .code' "$tmp/orders.jsonl")
[ -n "$printed" ] || fail "no printed order: $(cat "$tmp/orders.jsonl")"
"$ctl" --data "$data" order show "$printed" > "$tmp/show.json"
jq -e --argjson unit "$unit" '.state == "printed"
       and (.items | length == 2)
       and ([.items[].quantity] | sort == [1, 2])
       and (.items | all(.sku == "PRINT-6X4" and .paper == "glossy" and .rendered))
       and .total_minor == $unit * 3
       and (.jobs | length == 2)
       and (.jobs | all(.state == "completed" and .cups_job_id > 0))' \
        "$tmp/show.json" > /dev/null || fail "order show: $(cat "$tmp/show.json")"

later=$(jq -r 'select(.state == "queued") | .code' "$tmp/orders.jsonl")
[ -n "$later" ] || fail "no queued collect-later order: $(cat "$tmp/orders.jsonl")"
"$ctl" --data "$data" order show "$later" | jq -e --argjson unit "$unit" \
        '.state == "queued" and (.items | length == 1) and .total_minor == $unit and (.jobs | length == 0)' \
        > /dev/null || fail "collect-later order: $("$ctl" --data "$data" order show "$later")"

# CUPS: one job per item (by job-uuid), copies = quantity, and the copies
# reached the printer.
all_store_jobs "$data" "$tmp/store.txt"
cups_jobs "$tmp/cups.csv"
check_jobs "$tmp/store.txt" "$tmp/cups.csv" "$pdir/jobs.log" || fail "job check"
while read -r id _item qty _state _cups _code copies; do
        [ "$copies" = "$qty" ] || fail "job $id copies $copies != quantity $qty"
        n=$(grep -c "urn:uuid:$id" "$tmp/cups.csv" || true)
        [ "$n" = 1 ] || fail "job $id: $n CUPS jobs"
        line=$(grep "pk-$id" "$pdir/jobs.log") || fail "job $id never reached the printer"
        echo "$line" | grep -q " copies=$qty " || fail "printer did not receive copies=$qty: $line"
done < "$tmp/store.txt"
echo "ok: printed $printed (2 items, 3 prints, $((unit * 3)) minor units), queued $later"
