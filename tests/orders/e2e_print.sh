#!/usr/bin/env bash
# End to end through the private cupsd + ippeveprinter (fixture "cups", queue pk1):
# order create -> print --wait -> printed, exactly one CUPS job per item with
# copies = quantity and the product's media (4x6 borderless), the documents
# kept by the printer; printing again adds no job; order show / orders JSON;
# reprint (audit + "reprinted" event), collect (ready -> collected events),
# cancel (audited staff), and the refusals (exit 1) and usage errors (exit 2).
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
. "$(dirname "$0")/lib.sh"
ctl=${PK_CTL:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
q=pk1
dirvar=PK_PRINTER_${q}_DIR
pdir=${!dirvar}
fail() { echo "FAIL: $*"; exit 1; }
pk_photos "$tmp" 2

out=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy --qty 2 "$tmp/p1.jpg" "$tmp/p2.jpg")
code=$(echo "$out" | jget code)
[ "$(echo "$out" | jget state)" = queued ] || fail "new order not queued: $out"

"$ctl" --data "$data" print "$code" --printer "$q" --wait > "$tmp/print.json" || fail "print --wait exit $?"
[ "$(jget state < "$tmp/print.json")" = printed ] || fail "summary: $(cat "$tmp/print.json")"

"$ctl" --data "$data" order show "$code" > "$tmp/show.json"
jq -e '.state == "printed"
       and (.items | length == 2 and all(.quantity == 2 and .rendered))
       and .total_minor > 0
       and .total_minor == ([.items[] | .unit_price_minor * .quantity] | add)
       and (.jobs | length == 2)
       and ([.jobs[].item] | sort == [1, 2])
       and (.jobs | all(.state == "completed" and .copies == 2 and .cups_job_id > 0))
       and .outbox[0].kind == "order"
       and ([.outbox[].type] | index("printing") != null and index("printed") != null)' \
        "$tmp/show.json" > /dev/null || fail "order show: $(cat "$tmp/show.json")"

all_store_jobs "$data" "$tmp/store.txt"
cups_jobs "$tmp/cups.csv"
check_jobs "$tmp/store.txt" "$tmp/cups.csv" "$pdir/jobs.log" || fail "job check"
# What reached the printer: 4x6 media with zero margins (borderless), colour.
for id in $(awk '{print $1}' "$tmp/store.txt"); do
        line=$(grep "pk-$id" "$pdir/jobs.log") || fail "job $id never reached the printer"
        echo "$line" | grep -q 'x-dimension=10160 y-dimension=15240' || fail "media: $line"
        echo "$line" | grep -q 'media-top-margin=0' || fail "not borderless: $line"
        # copies = quantity reach the printer itself, not only the CUPS job
        # (the queue was set up by app/deploy/pk-add-printer: see drivers/README.md)
        echo "$line" | grep -q ' copies=2 ' || fail "printer did not receive copies=2: $line"
        ls "$pdir/spool" | grep -q "pk-$id" || fail "document of $id not kept"
done

# Printing again never adds a job.
before=$(wc -l < "$tmp/cups.csv")
"$ctl" --data "$data" print "$code" --printer "$q" --wait > /dev/null || fail "second print exit $?"
cups_jobs "$tmp/cups2.csv"
grep -c "$(awk '{print $1}' "$tmp/store.txt" | head -1)" "$tmp/cups2.csv" | grep -qx 1 || fail "reprinted on rerun"
[ "$(wc -l < "$tmp/cups2.csv")" -ge "$before" ] || true

n=$("$ctl" --data "$data" orders | grep -c "\"code\":\"$code\"")
[ "$n" = 1 ] || fail "orders lists $code $n times"

# Staff reprint of item 1: audit row, "reprinted" event, one more CUPS job.
audit0=$("$ctl" --data "$data" order show "$code" | jget audit_rows)
"$ctl" --data "$data" reprint "$code" 1 --reason "ink smudge" --staff alice --wait > "$tmp/re.json" ||
        fail "reprint exit $?"
[ "$(jget attempt < "$tmp/re.json")" = 2 ] || fail "reprint: $(cat "$tmp/re.json")"
[ "$(jget job_state < "$tmp/re.json")" = completed ] || fail "reprint: $(cat "$tmp/re.json")"
"$ctl" --data "$data" order show "$code" > "$tmp/show2.json"
jq -e --argjson a0 "$audit0" '.state == "printed" and .audit_rows == $a0 + 1
       and ([.jobs[] | select(.attempt == 2)] | length == 1
            and .[0].reprint_reason == "ink smudge" and .[0].staff == "staff:alice")
       and ([.outbox[].type] | index("reprinted") != null)' "$tmp/show2.json" > /dev/null ||
        fail "after reprint: $(cat "$tmp/show2.json")"
"$ctl" --data "$data" reprint "$code" 9 --reason x --staff alice > /dev/null 2>&1 && fail "reprint of item 9"

# Collect: printed -> ready -> collected, audited and announced.
"$ctl" --data "$data" collect "$code" --staff alice > /dev/null || fail "collect exit $?"
"$ctl" --data "$data" order show "$code" |
        jq -e '.state == "collected" and ([.outbox[].type] | index("ready") != null and index("collected") != null)' \
        > /dev/null || fail "collect"
set +e
"$ctl" --data "$data" cancel "$code" --staff bob > /dev/null 2>&1; rc1=$?
"$ctl" --data "$data" collect "$code" > /dev/null 2>&1; rc2=$?
"$ctl" --data "$data" order show NO-SUCH > /dev/null 2>&1; rc3=$?
set -e
[ "$rc1" = 1 ] && [ "$rc2" = 2 ] && [ "$rc3" = 1 ] || fail "exit codes $rc1 $rc2 $rc3, want 1 2 1"

# Cancel a queued order: staff audited, "cancelled" announced, nothing printed.
code2=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper lustre "$tmp/p1.jpg" | jget code)
"$ctl" --data "$data" cancel "$code2" --staff bob --reason "customer left" > /dev/null || fail "cancel exit $?"
"$ctl" --data "$data" order show "$code2" |
        jq -e '.state == "cancelled" and .reason == "customer left" and (.jobs | length == 0)
               and ([.outbox[].type] | index("cancelled") != null)' > /dev/null ||
        fail "cancel: $("$ctl" --data "$data" order show "$code2")"
"$ctl" --data "$data" print "$code2" --printer "$q" > /dev/null 2>&1 && fail "printed a cancelled order"
echo "ok: order $code printed, reprinted, collected; $code2 cancelled"
