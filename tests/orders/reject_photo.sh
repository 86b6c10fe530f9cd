#!/usr/bin/env bash
# `order create` with one bad photo among good ones: exit 1 with the probe's
# reason for that file, and nothing is created (no order, no spool file).
# Usage errors exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ctl=${PK_CTL:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
fail() { echo "FAIL: $*"; exit 1; }
pk_photos "$tmp" 1
head -c 3000 "$tmp/p1.jpg" > "$tmp/cut.jpg"      # truncated JPEG
printf 'not a photo at all, just text\n' > "$tmp/text.jpg"
for bad in cut text; do
        set +e
        out=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/p1.jpg" "$tmp/$bad.jpg" 2>/dev/null)
        rc=$?
        set -e
        [ "$rc" = 1 ] || fail "$bad: exit $rc, want 1"
        echo "$out" | jq -e '.ok == false and (.reason | IN("truncated", "corrupt", "unsupported"))' > /dev/null ||
                fail "$bad: $out"
        [ -z "$("$ctl" --data "$data" orders)" ] || fail "$bad: an order was created"
        [ -z "$(ls -A "$data/spool")" ] || fail "$bad: spool not empty: $(ls "$data/spool")"
done
set +e
"$ctl" --data "$data" order create --sku PRINT-6X4 "$tmp/p1.jpg" 2>/dev/null; r1=$?
"$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy --qty 0 "$tmp/p1.jpg" 2>/dev/null; r2=$?
"$ctl" --data "$data" order create --sku NO-SUCH --paper glossy "$tmp/p1.jpg" 2>/dev/null; r3=$?
"$ctl" --data "$data" print 2>/dev/null; r4=$?
set -e
[ "$r1 $r2 $r3 $r4" = "2 2 1 2" ] || fail "exit codes $r1 $r2 $r3 $r4, want 2 2 1 2"
echo "ok: rejected photos create nothing"
