#!/usr/bin/env bash
# Staff mode end to end (issue 6) against the real store and the shared
# private cupsd + ippeveprinter (fixture "cups", queue pk1; only our own jobs
# are looked at). Orders are made and printed with printkioskctl (as a
# customer's would be), then printkiosk is driven headlessly through the hidden
# gesture, the staff PIN and staff number 42, and the pickup code is typed on
# the desk's keypad.
#   test_staff_desk.sh reprint   reprint print 2 with a reason from the list;
#       the desk follows the job until it printed. Store: a new job for item 2
#       with the reason and staff:42, completed, once in CUPS and once on the
#       printer; an audit row kind "reprint" by staff:42; the order stays printed.
#   test_staff_desk.sh handover  hand over a printed order (collected; audit
#       printed->ready->collected by staff:42) and cancel a queued one
#       (cancelled by staff:42 with the chosen reason).
set -euo pipefail
mode=${1:?usage: test_staff_desk.sh reprint|handover}
. "${PK_BUILD_DIR:?}/cups-peer/env"
. "${PK_SOURCE_DIR:?}/tests/orders/lib.sh"
src=$PK_SOURCE_DIR; build=$PK_BUILD_DIR; ctl=${PK_CTL:?}
q=pk1
dirvar=PK_PRINTER_${q}_DIR
pdir=${!dirvar}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-staff.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
fail() { echo "FAIL: $*"; "$ctl" --data "$data" orders >&2 || true; exit 1; }
shots=$build/tests/ui/screens/staff-$mode
rm -rf "$shots"; mkdir -p "$shots"
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
audit() { # audit ORDER_ID: "actor kind from to reason" per row
        sqlite3 -readonly -separator ' ' "$data/kiosk.db" \
                "SELECT actor, kind, ifnull(from_state,''), to_state, reason FROM audit WHERE order_id = '$1' ORDER BY id"
}

mkdir "$tmp/photos"
pk_photos "$tmp/photos" 3
"$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/photos/p1.jpg" \
        "$tmp/photos/p2.jpg" > "$tmp/a.json" || fail "order create: $(cat "$tmp/a.json")"
a=$(jget code < "$tmp/a.json"); a_id=$(jget order_id < "$tmp/a.json")
"$ctl" --data "$data" print "$a" --printer "$q" --wait > "$tmp/pa.json" || fail "print: $(cat "$tmp/pa.json")"
[ "$(jget state < "$tmp/pa.json")" = printed ] || fail "not printed: $(cat "$tmp/pa.json")"
if [ "$mode" = handover ]; then
        "$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/photos/p3.jpg" \
                > "$tmp/b.json" || fail "order create b"
        b=$(jget code < "$tmp/b.json"); b_id=$(jget order_id < "$tmp/b.json")
fi

# A pickup code typed on the desk's keypad: one tap per character, no dash.
type_code() {
        echo "tap desk-code"
        local c=${1//-/} i
        for ((i = 0; i < ${#c}; i++)); do echo "tap key-${c:i:1}"; done
        echo "tap key-OK"
        echo "wait-id done-search-ok"
}
{
        echo "wait-screen attract"
        echo "hold 0.02 0.02 3300"
        echo "wait-screen staff"
        for k in 1 2 3 4 OK; do echo "tap pin-$k"; done
        echo "wait-id sid-OK"
        for k in 4 2 OK; do echo "tap sid-$k"; done
        echo "wait-screen desk"
        echo "wait-id done-refresh-ok"
        echo "wait-id order-0"
        echo "screenshot desk-today"
        type_code "$a"
        echo "wait-id item-reprint-1"
        echo "screenshot desk-order"
        if [ "$mode" = reprint ]; then
                echo "tap item-reprint-1"
                echo "wait-id reason-0"
                echo "screenshot desk-reprint-reason"
                echo "tap reason-0"
                echo "wait-id done-reprint-ok"
                echo "wait-id done-followed-ok"
                echo "screenshot desk-reprinted"
        else
                echo "tap desk-collect"
                echo "wait-id done-collect-ok"
                echo "screenshot desk-collected"
                echo "tap desk-close-order"
                type_code "$b"
                echo "tap desk-cancel"
                echo "wait-id cancel-reason-0"
                echo "tap cancel-reason-0"
                echo "wait-id done-cancel-ok"
                echo "screenshot desk-cancelled"
        fi
        echo "tap desk-back"
        echo "wait-screen attract"
        echo "wait 200"
        echo "quit"
} > "$tmp/staff.script"

"$build/ui/printkiosk" --demo --size 1280x720 --data "$data" --printer "$q" \
        --script "$tmp/staff.script" --screenshot-dir "$shots" || fail "printkiosk exited $?"
for f in "$shots"/*.bmp; do convert "$f" "${f%.bmp}.png" && rm -f "$f"; done

"$ctl" --data "$data" order show "$a" > "$tmp/show-a.json"
audit "$a_id" > "$tmp/audit-a.txt"
if [ "$mode" = reprint ]; then
        jq -e '.state == "printed" and (.jobs | length == 3)
               and ([.jobs[] | select(.reprint_reason != null)] | length == 1)
               and (.jobs[-1] | .item == 2 and .state == "completed" and .attempt == 2
                    and .reprint_reason == "Colours wrong" and .staff == "staff:42"
                    and .cups_job_id > 0)' "$tmp/show-a.json" > /dev/null \
                || fail "order after reprint: $(cat "$tmp/show-a.json")"
        grep -q '^staff:42 reprint printed printed Colours wrong$' "$tmp/audit-a.txt" \
                || fail "no reprint audit row by staff:42: $(cat "$tmp/audit-a.txt")"
        id=$(jq -r '.jobs[-1].job_id' "$tmp/show-a.json")
        cups_jobs "$tmp/cups.csv"
        n=$(grep -c "urn:uuid:$id" "$tmp/cups.csv" || true)
        [ "$n" = 1 ] || fail "reprint job $id: $n CUPS jobs"
        n=$(grep -c "state=printed .*pk-$id" "$pdir/jobs.log" || true)
        [ "$n" = 1 ] || fail "reprint job $id printed $n times"
        echo "ok: $a item 2 reprinted once by staff:42 (job $id), order still printed"
else
        jq -e '.state == "collected" and (.jobs | length == 2)' "$tmp/show-a.json" > /dev/null \
                || fail "order after handover: $(cat "$tmp/show-a.json")"
        grep -q '^staff:42 transition printed ready ' "$tmp/audit-a.txt" \
                || fail "no printed->ready by staff:42: $(cat "$tmp/audit-a.txt")"
        grep -q '^staff:42 transition ready collected' "$tmp/audit-a.txt" \
                || fail "no ready->collected by staff:42: $(cat "$tmp/audit-a.txt")"
        "$ctl" --data "$data" order show "$b" | jq -e '.state == "cancelled" and (.jobs | length == 0)' \
                > /dev/null || fail "order b: $("$ctl" --data "$data" order show "$b")"
        audit "$b_id" > "$tmp/audit-b.txt"
        grep -q '^staff:42 transition queued cancelled Customer asked$' "$tmp/audit-b.txt" \
                || fail "no cancel by staff:42: $(cat "$tmp/audit-b.txt")"
        echo "ok: $a handed over (collected) and $b cancelled, both audited as staff:42"
fi
