#!/usr/bin/env bash
# Staff and technician mode end by themselves (issue 6): with --staff-timeout 5
# a signed-in technician who walks away is signed out after 5 s without a
# touch, the kiosk shows the attract screen again, and the end is logged as an
# audit line with the staff actor; a staff PIN pad left open goes back too.
# Headless printkiosk --demo (its own data folder, staff PIN 1234, technician
# PIN 5678); no printer is needed.
set -euo pipefail
build=${PK_BUILD_DIR:?}
tmp=$(mktemp -d /tmp/pk-ui-staff-timeout.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
fail() { echo "FAIL: $*"; cat "$tmp/run.log" 2>/dev/null || true; exit 1; }

cat > "$tmp/signed-in.script" <<'S'
wait-screen attract
hold 0.02 0.02 3300
wait-screen staff
tap pin-1
tap pin-2
tap pin-3
tap pin-4
tap pin-OK
wait-id sid-OK
tap sid-9
tap sid-OK
wait-screen desk
wait-id done-refresh-ok
tap desk-tech
wait-screen tech
tap tpin-5
tap tpin-6
tap tpin-7
tap tpin-8
tap tpin-OK
wait-id done-techrefresh-ok
say technician signed in
wait-screen attract
say back on attract
hold 0.02 0.02 3300
wait-screen staff
say pin pad open
wait-screen attract
say pin pad closed
quit
S
start=$(date +%s%N)
"$build/ui/printkiosk" --demo --size 1280x720 --data "$tmp/data" --staff-timeout 5 \
        --script "$tmp/signed-in.script" > "$tmp/run.log" 2>&1 || fail "printkiosk exited $?"
end=$(date +%s%N)
grep -q "script: back on attract" "$tmp/run.log" || fail "never back on the attract screen"
grep -q "script: pin pad closed" "$tmp/run.log" || fail "the PIN pad stayed open"
grep -q "audit: staff session started by staff:9" "$tmp/run.log" || fail "sign-in not audited"
grep -q "audit: staff session of staff:9 ended (inactivity, 5 s, technician mode)" "$tmp/run.log" ||
        fail "the timeout end was not audited with its actor"
# The signed-in part waited >= 5 s and the PIN pad >= 5 s: at least 10 s in all.
secs=$(( (end - start) / 1000000000 ))
[ "$secs" -ge 10 ] || fail "ended after $secs s, before two 5 s timeouts"
echo "ok: staff and technician mode ended after 5 s idle (run ${secs} s), audited"
