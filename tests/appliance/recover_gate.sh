#!/usr/bin/env bash
# printkiosk-recover-gate (the kiosk unit's ExecStartPre): with nothing to
# recover it never starts printkioskctl; an order left locked (crash after
# the lock), an unfinished print job (crash after the job row) or a store it
# cannot read makes it exec `printkioskctl recover` with the same --config
# and --data; the real recover then finishes the order and the gate goes
# quiet again.
set -euo pipefail
. "$(dirname "$0")/../orders/lib.sh"
ctl=${PK_CTL:?}
gate=${PK_BUILD_DIR:?}/app/recover/printkiosk-recover-gate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
data=$tmp/data
# A stand-in for printkioskctl that records how it was called.
cat > "$tmp/fake-ctl" <<FAKE
#!/bin/sh
echo "\$*" >> "$tmp/calls"
exit 0
FAKE
chmod +x "$tmp/fake-ctl"
calls() { [ -e "$tmp/calls" ] && wc -l < "$tmp/calls" || echo 0; }
pk_photos "$tmp" 1

"$gate" --data "$data" --ctl "$tmp/fake-ctl" || fail "empty store: exit $?"
[ "$(calls)" = 0 ] || fail "empty store: recover was run"

code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/p1.jpg" | jget code)
[ -n "$code" ] || fail "order create"
"$gate" --data "$data" --ctl "$tmp/fake-ctl" || fail "queued order: exit $?"
[ "$(calls)" = 0 ] || fail "a queued (not yet printing) order made the gate run recover"

set +e
PK_TEST_CRASH_AT=after-lock "$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy \
        "$tmp/p1.jpg" > /dev/null 2>&1
rc=$?
set -e
[ "$rc" = 137 ] || fail "after-lock crash: exit $rc, want 137"
locked=$("$ctl" --data "$data" orders --state locked | jget code)
[ -n "$locked" ] || fail "no locked order left behind"
: > "$tmp/conf"
"$gate" --config "$tmp/conf" --data "$data" --ctl "$tmp/fake-ctl" || fail "locked order: exit $?"
[ "$(calls)" = 1 ] || fail "locked order: recover not run"
[ "$(cat "$tmp/calls")" = "--config $tmp/conf --data $data recover" ] \
        || fail "recover run as: $(cat "$tmp/calls")"
# The real recover renders it; afterwards there is nothing left to do.
"$gate" --data "$data" --ctl "$ctl" > "$tmp/recover.json" || fail "real recover: exit $?"
jq -e 'select(.summary) | .rendered == 1' "$tmp/recover.json" > /dev/null || fail "recover did not render: $(cat "$tmp/recover.json")"
[ "$("$ctl" --data "$data" order show "$locked" | jget state)" = queued ] || fail "order not queued after recover"
"$gate" --data "$data" --ctl "$tmp/fake-ctl"
[ "$(calls)" = 1 ] || fail "recover run again after everything was recovered"

# A job row written but never sent (crash before CUPS is called): the order is
# printing with an open job. No CUPS is needed to get there.
set +e
CUPS_SERVER=127.0.0.1:9 PK_TEST_CRASH_AT=after-job-row "$ctl" --data "$data" print "$code" \
        --printer nowhere > /dev/null 2>&1
rc=$?
set -e
[ "$rc" = 137 ] || fail "after-job-row crash: exit $rc, want 137"
"$gate" --data "$data" --ctl "$tmp/fake-ctl"
[ "$(calls)" = 2 ] || fail "open print job: recover not run"

# A store the gate cannot read is recover's to report, never skipped.
mkdir "$tmp/bad"
echo "not a database, not at all" > "$tmp/bad/$(basename "$(ls "$data"/*.db)")"
"$gate" --data "$tmp/bad" --ctl "$tmp/fake-ctl"
[ "$(calls)" = 3 ] || fail "unreadable store: recover not run"

set +e
"$gate" --data > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "usage error: exit $rc, want 2"
echo "1 passed, 0 failed"
