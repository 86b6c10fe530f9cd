#!/usr/bin/env bash
# SIGKILL at each crash point of the print path (PK_TEST_CRASH_AT, see
# app/order_error.h), then `recover` and `print --wait` again: every order ends
# printed, each print job has exactly one CUPS job (found by job-uuid) and one
# printed document. after-submit must be healed by adopting the CUPS job found
# by its job-uuid, after-job-row by submitting the pending row once.
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
. "$(dirname "$0")/lib.sh"
ctl=${PK_CTL:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
q=pk2
pdir=$PK_PRINTER_pk2_DIR
fail() { echo "FAIL: $*"; exit 1; }
pk_photos "$tmp" 2

for point in after-lock after-printing after-job-row after-submit after-cups-id; do
        for nth in 1 2; do
                if [ "$point" = after-lock ]; then
                        [ "$nth" = 1 ] || continue
                        set +e
                        PK_TEST_CRASH_AT=$point "$ctl" --data "$data" order create --sku PRINT-6X4 \
                                --paper glossy "$tmp/p1.jpg" "$tmp/p2.jpg" > /dev/null 2>&1
                        rc=$?
                        set -e
                        code=$("$ctl" --data "$data" orders --state locked | jq -r .code)
                else
                        # The second item's job only where it differs (a CUPS job
                        # of the first item already exists): keeps the run short.
                        [ "$nth" = 1 ] || [ "$point" = after-submit ] || continue
                        code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy \
                                --qty 2 "$tmp/p1.jpg" "$tmp/p2.jpg" | jget code)
                        set +e
                        PK_TEST_CRASH_AT=$point PK_TEST_CRASH_NTH=$nth "$ctl" --data "$data" \
                                print "$code" --printer "$q" --wait > /dev/null 2>&1
                        rc=$?
                        set -e
                fi
                [ "$rc" = 137 ] || fail "$point/$nth: exit $rc, want 137 (SIGKILL)"
                [ -n "$code" ] || fail "$point: no order left behind"
                "$ctl" --data "$data" recover --printer "$q" > "$tmp/recover.json" || fail "$point: recover exit $?"
                case "$point/$nth" in
                after-submit/*)
                        jq -s -e 'map(select(.code)) | map(.adopted) | add >= 1' "$tmp/recover.json" > /dev/null ||
                                fail "$point: nothing adopted by job-uuid: $(cat "$tmp/recover.json")" ;;
                after-job-row/*)
                        jq -s -e 'map(select(.code)) | map(.submitted) | add >= 1' "$tmp/recover.json" > /dev/null ||
                                fail "$point: pending row not submitted: $(cat "$tmp/recover.json")" ;;
                esac
                "$ctl" --data "$data" print "$code" --printer "$q" > /dev/null ||
                        fail "$point/$nth: print after recover exit $?"
                echo "ok: killed at $point (#$nth), recovered, resubmitted"
        done
done
# Every order ends printed (waited for together: the printer works meanwhile).
for code in $("$ctl" --data "$data" orders | jq -r .code); do
        "$ctl" --data "$data" print "$code" --printer "$q" --wait > /dev/null ||
                fail "$code: print --wait after recovery exit $?"
done
all_store_jobs "$data" "$tmp/store.txt"
cups_jobs "$tmp/cups.csv"
check_jobs "$tmp/store.txt" "$tmp/cups.csv" "$pdir/jobs.log" || fail "job check"
n=$("$ctl" --data "$data" orders | jq -r .state | grep -vc '^printed$' || true)
[ "$n" = 0 ] || fail "$n orders not printed"
