#!/usr/bin/env bash
# Printer faults on a private peer of its own (one queue): paper out (a jam is
# the same path) holds the job -> `print --wait` exits 1, the order is failed with the mapped
# staff reason and the job is kept (not cancelled); after the fault is cleared a
# retry follows the same job: printed, one CUPS job, one printed document. An
# aborted job -> failed; the retry prints a second attempt, still only one
# printed document for the item. A stopped queue -> failed, retry after
# enabling it -> printed without a duplicate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ctl=${PK_CTL:?}
peers=${PK_SOURCE_DIR:?}/tests/peers
tmp=$(mktemp -d /tmp/pk-orders-fault.XXXXXX)
chmod 755 "$tmp"
trap 'bash "$peers/cups-down.sh" "$tmp/peer" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/peer" && chmod 755 "$tmp/peer"
bash "$peers/cups-up.sh" "$tmp/peer" 1 > "$tmp/peer-up.log" 2>&1 || { cat "$tmp/peer-up.log"; exit 1; }
. "$tmp/peer/env"
q=pk1
pdir=$PK_PRINTER_pk1_DIR
data=$tmp/data
fail() { echo "FAIL: $*"; "$ctl" --data "$data" orders >&2 || true; exit 1; }
pk_photos "$tmp" 1

# printed_docs CODE: documents the printer printed for the order's jobs.
printed_docs() {
        local n=0 id
        for id in $("$ctl" --data "$data" order show "$1" | jq -r '.jobs[].job_id'); do
                n=$((n + $(grep -c "state=printed .*pk-$id" "$pdir/jobs.log" || true)))
        done
        echo "$n"
}

for fault in media-empty; do
        code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/p1.jpg" | jget code)
        echo "$fault" > "$pdir/fault"
        set +e
        "$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > "$tmp/p.json" 2> "$tmp/p.err"
        rc=$?
        set -e
        [ "$rc" = 1 ] || fail "$fault: print --wait exit $rc, want 1: $(cat "$tmp/p.err")"
        "$ctl" --data "$data" order show "$code" > "$tmp/show.json"
        jq -e --arg f "$fault" '.state == "failed" and (.reason | contains($f))
               and (.jobs | length == 1) and (.jobs[0].state | IN("submitted", "processing"))
               and ([.outbox[].type] | index("failed") != null)' "$tmp/show.json" > /dev/null ||
                fail "$fault: $(cat "$tmp/show.json")"
        rm -f "$pdir/fault"
        # Staff retry once the printer says the paper is back (CUPS updates the
        # queue's reasons a little after the printer: slow under load).
        for _ in $(seq 1 150); do
                "$ctl" printers | jq -e --arg q "$q" --arg f "$fault" \
                        'select(.name == $q) | [.reasons[] | select(startswith($f))] | length == 0' \
                        > /dev/null && break
                sleep 0.2
        done
        "$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > /dev/null ||
                fail "$fault: retry exit $?"
        "$ctl" --data "$data" order show "$code" > "$tmp/show.json"
        jq -e '.state == "printed" and (.jobs | length == 1) and .jobs[0].state == "completed"' \
                "$tmp/show.json" > /dev/null || fail "$fault retry: $(cat "$tmp/show.json")"
        [ "$(printed_docs "$code")" = 1 ] || fail "$fault: printed $(printed_docs "$code") times"
        echo "ok: $fault -> failed with reason, retry printed once"
done

code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/p1.jpg" | jget code)
echo abort > "$pdir/fault"
set +e
"$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 1 ] || fail "abort: exit $rc, want 1"
"$ctl" --data "$data" order show "$code" |
        jq -e '.state == "failed" and .reason != "" and (.jobs[0].state | IN("failed", "cancelled"))' \
        > /dev/null || fail "abort: $("$ctl" --data "$data" order show "$code")"
"$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > /dev/null || fail "abort retry exit $?"
"$ctl" --data "$data" order show "$code" |
        jq -e '.state == "printed" and (.jobs | length == 2) and ([.jobs[].attempt] | sort == [1, 2])' \
        > /dev/null || fail "abort retry: $("$ctl" --data "$data" order show "$code")"
[ "$(printed_docs "$code")" = 1 ] || fail "abort: printed $(printed_docs "$code") times"
echo "ok: aborted job -> failed, retry printed once (attempt 2)"

code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/p1.jpg" | jget code)
cupsdisable "$q"
set +e
"$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > /dev/null 2> "$tmp/p.err"; rc=$?
set -e
cupsenable "$q"
[ "$rc" = 1 ] || fail "stopped queue: exit $rc, want 1: $(cat "$tmp/p.err")"
"$ctl" --data "$data" order show "$code" | jq -e '.state == "failed" and .reason != ""' > /dev/null ||
        fail "stopped: $("$ctl" --data "$data" order show "$code")"
"$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 60 > /dev/null || fail "stopped retry exit $?"
[ "$(printed_docs "$code")" = 1 ] || fail "stopped: printed $(printed_docs "$code") times"

all_store_jobs "$data" "$tmp/store.txt"
cups_jobs "$tmp/cups.csv"
check_jobs "$tmp/store.txt" "$tmp/cups.csv" "$pdir/jobs.log" || fail "job check"
echo "ok: stopped queue -> failed, retry printed once"
