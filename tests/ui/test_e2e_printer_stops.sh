#!/usr/bin/env bash
# Print now on a printer that is out of paper (a private cupsd + ippeveprinter
# of its own: the fault must not touch the shared queue): the printing screen
# tells the customer staff were called, the order is in the store (printing
# or failed, its job kept, not cancelled), and once the fault is cleared the
# held job prints exactly once.
set -euo pipefail
. "${PK_SOURCE_DIR:?}/tests/orders/lib.sh"
src=$PK_SOURCE_DIR; build=${PK_BUILD_DIR:?}; ctl=${PK_CTL:?}
peers=$src/tests/peers
tmp=$(mktemp -d /tmp/pk-ui-stops.XXXXXX)
chmod 755 "$tmp"
trap 'bash "$peers/cups-down.sh" "$tmp/peer" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/peer" && chmod 755 "$tmp/peer"
bash "$peers/cups-up.sh" "$tmp/peer" 1 > "$tmp/peer-up.log" 2>&1 || { cat "$tmp/peer-up.log"; exit 1; }
. "$tmp/peer/env"
pdir=$PK_PRINTER_pk1_DIR
data=$tmp/data
fail() { echo "FAIL: $*"; "$ctl" --data "$data" orders >&2 || true; exit 1; }
shots=$build/tests/ui/screens/e2e
mkdir -p "$shots"
echo media-empty > "$pdir/fault"
SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp \
        "$build/ui/printkiosk" --demo --size 1280x720 --data "$data" --printer pk1 \
        --script "$src/tests/ui/e2e_printer_stops.script" --screenshot-dir "$shots" \
        || fail "printkiosk exited $?"
[ -f "$shots/e2e-printer-stops.bmp" ] || fail "no screenshot"
convert "$shots/e2e-printer-stops.bmp" "$shots/e2e-printer-stops.png" && rm -f "$shots/e2e-printer-stops.bmp"
code=$("$ctl" --data "$data" orders | jq -r .code)
[ -n "$code" ] || fail "no order in the store"
"$ctl" --data "$data" order show "$code" > "$tmp/show.json"
jq -e '(.state == "printing" or .state == "failed") and (.jobs | length == 1)
       and (.jobs[0].state != "cancelled")' "$tmp/show.json" > /dev/null \
        || fail "order after the fault: $(cat "$tmp/show.json")"
# Staff clear the fault and print the order again: the held job prints once.
rm -f "$pdir/fault"
"$ctl" --data "$data" print "$code" --printer pk1 --wait --timeout 90 > "$tmp/p.json" \
        || fail "print after clearing: $(cat "$tmp/p.json")"
[ "$(jget state < "$tmp/p.json")" = printed ] || fail "not printed: $(cat "$tmp/p.json")"
id=$("$ctl" --data "$data" order show "$code" | jq -r '.jobs[-1].job_id')
n=$(grep -c "state=printed .*pk-$id" "$pdir/jobs.log" || true)
[ "$n" = 1 ] || fail "printed $n times"
echo "ok: $code held while out of paper, printed once after staff cleared it"
