#!/usr/bin/env bash
# Print-path crash torture: many orders, each printed by a process that is
# SIGKILLed at a random point, then `recover` and `print --wait` again.
# Proves: 0 lost orders (every order ends printed) and 0 duplicate jobs (every
# print job has exactly one live CUPS job by job-uuid and at most one printed
# document, counted in ippeveprinter's jobs.log).
#
#   tests/torture/print-crash.sh [--iterations N] [--fixture] [--seed S]
#
# Kills per iteration (chosen at random): a crash hook (PK_TEST_CRASH_AT =
# after-lock | after-printing | after-job-row | after-submit | after-cups-id,
# PK_TEST_CRASH_NTH 1..items), or an external SIGKILL of `print --wait` or of
# `recover` after a random 0-700 ms (lands anywhere, including between
# Create-Job and Send-Document). Without --fixture it starts its own private
# cupsd + ippeveprinter (tests/peers/cups-up.sh, needs root); with --fixture
# it uses queue pk2 of the CTest fixture. Needs PK_CTL (else the build-orders
# binary). Prints a Markdown report; exit 1 if anything was lost or duplicated.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$src/tests/orders/lib.sh"
iterations=200 fixture=0 seed=$$
while [ $# -gt 0 ]; do
        case "$1" in
        --iterations) iterations=$2; shift 2 ;;
        --fixture) fixture=1; shift ;;
        --seed) seed=$2; shift 2 ;;
        *) echo "usage: $0 [--iterations N] [--fixture] [--seed S]" >&2; exit 2 ;;
        esac
done
case "$iterations" in ''|*[!0-9]*) echo "bad --iterations" >&2; exit 2 ;; esac
[ "$iterations" -ge 1 ] && [ "$iterations" -le 100000 ] || { echo "bad --iterations" >&2; exit 2; }
export PK_CTL=${PK_CTL:-$src/build-orders/app/printkioskctl}
ctl=$PK_CTL
RANDOM=$seed
tmp=$(mktemp -d /tmp/pk-print-torture.XXXXXX)
chmod 755 "$tmp"
cleanup() {
        [ "$fixture" = 1 ] || bash "$src/tests/peers/cups-down.sh" "$tmp/peer" > /dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$fixture" = 1 ]; then
        . "${PK_BUILD_DIR:?}/cups-peer/env"
        q=pk2
        pdir=$PK_PRINTER_pk2_DIR
else
        mkdir "$tmp/peer" && chmod 755 "$tmp/peer"
        bash "$src/tests/peers/cups-up.sh" "$tmp/peer" 1 > "$tmp/peer-up.log" 2>&1 ||
                { cat "$tmp/peer-up.log"; exit 1; }
        . "$tmp/peer/env"
        q=pk1
        pdir=$PK_PRINTER_pk1_DIR
fi
data=$tmp/data
pk_photos "$tmp" 4
# Run a command whose SIGKILL is expected, without the shell's "Killed" line:
# the subshell (kept from exec'ing the command) is the one that reports it.
quiet() { ( "$@"; rc=$?; exit $rc ) > /dev/null 2>&1; }
t0=$(date +%s)
kills=0 hooks=0 external=0 reruns_failed=0 created=0
adopted=0 submitted_by_recover=0 incoming=0
declare -A by_mode=()

for it in $(seq 1 "$iterations"); do
        n_items=$((1 + RANDOM % 2))
        qty=$((1 + RANDOM % 3))
        files=()
        for k in $(seq 1 "$n_items"); do files+=("$tmp/p$((1 + RANDOM % 4)).jpg"); done
        mode=$((RANDOM % 7))
        code=""
        set +e
        case $mode in
        0) # killed during `order create`, after the lock, before the masters
                PK_TEST_CRASH_AT=after-lock quiet "$ctl" --data "$data" order create \
                        --sku PRINT-6X4 --paper glossy --qty "$qty" "${files[@]}"
                rc=$?; name=after-lock ;;
        *)
                code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy \
                        --qty "$qty" "${files[@]}" | jget code)
                case $mode in
                1|2|3|4)
                        points=(after-printing after-job-row after-submit after-cups-id)
                        name=${points[$((mode - 1))]}
                        PK_TEST_CRASH_AT=$name PK_TEST_CRASH_NTH=$((1 + RANDOM % n_items)) \
                                quiet "$ctl" --data "$data" print "$code" --printer "$q" --wait
                        rc=$? ;;
                5)
                        name=kill-print
                        "$ctl" --data "$data" print "$code" --printer "$q" --wait > /dev/null 2>&1 &
                        pid=$!
                        sleep "0.$((RANDOM % 7))$((RANDOM % 10))"
                        kill -KILL "$pid" 2> /dev/null
                        wait "$pid" 2> /dev/null; rc=$? ;;
                6)
                        name=kill-recover
                        # A print that is itself killed right after a job row,
                        # then a recover killed at a random moment.
                        PK_TEST_CRASH_AT=after-job-row quiet "$ctl" --data "$data" print \
                                "$code" --printer "$q"
                        "$ctl" --data "$data" recover --printer "$q" > /dev/null 2>&1 &
                        pid=$!
                        sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
                        kill -KILL "$pid" 2> /dev/null
                        wait "$pid" 2> /dev/null; rc=$? ;;
                esac ;;
        esac
        set -e
        if [ "$rc" = 137 ]; then
                kills=$((kills + 1))
                by_mode[$name]=$(( ${by_mode[$name]:-0} + 1 ))
        fi
        [ -n "$code" ] || code=$("$ctl" --data "$data" orders --state locked --state rendering | jq -r .code | head -1)
        [ -n "$code" ] && created=$((created + 1))
        # The kiosk restarts: recover, then staff (or the kiosk) print again.
        "$ctl" --data "$data" recover --printer "$q" > "$tmp/rec.json" 2> /dev/null || true
        adopted=$((adopted + $(jq -s 'map(select(.code) | .adopted) | add // 0' "$tmp/rec.json")))
        submitted_by_recover=$((submitted_by_recover + $(jq -s 'map(select(.code) | .submitted) | add // 0' "$tmp/rec.json")))
        incoming=$((incoming + $(jq -s 'map(select(.code) | .resubmitted_incoming) | add // 0' "$tmp/rec.json")))
        # No --wait here: the printer works while the next order is made; every
        # order is waited for at the end.
        if [ -n "$code" ] && ! "$ctl" --data "$data" print "$code" --printer "$q" > /dev/null 2> "$tmp/err"; then
                reruns_failed=$((reruns_failed + 1))
                echo "iteration $it ($name): rerun failed: $(cat "$tmp/err")" >&2
        fi
done
"$ctl" --data "$data" recover --printer "$q" > /dev/null 2>&1 || true
for code in $("$ctl" --data "$data" orders | jq -r .code); do
        if ! "$ctl" --data "$data" print "$code" --printer "$q" --wait --timeout 120 > /dev/null 2> "$tmp/err"; then
                reruns_failed=$((reruns_failed + 1))
                echo "order $code: final print --wait failed: $(cat "$tmp/err")" >&2
        fi
done

all_store_jobs "$data" "$tmp/store.txt"
cups_jobs "$tmp/cups.csv"
set +e
check=$(check_jobs "$tmp/store.txt" "$tmp/cups.csv" "$pdir/jobs.log" 2> "$tmp/check.err")
set -e
orders=$("$ctl" --data "$data" orders | wc -l)
lost_orders=$("$ctl" --data "$data" orders | jq -r .state | grep -vc '^printed$' || true)
lost_orders=$((lost_orders + iterations - orders))
dups=$(echo "$check" | sed -n 's/.*duplicates=\([0-9]*\).*/\1/p')
lost_jobs=$(echo "$check" | sed -n 's/.*lost=\([0-9]*\).*/\1/p')
jobs=$(echo "$check" | sed -n 's/.*jobs=\([0-9]*\) .*/\1/p')
secs=$(( $(date +%s) - t0 ))
modes=""
for m in "${!by_mode[@]}"; do modes="$modes $m=${by_mode[$m]}"; done

echo "| figure | value |"
echo "|---|---|"
echo "| iterations | $iterations |"
echo "| SIGKILLs | $kills ($modes ) |"
echo "| orders in store | $orders |"
echo "| print jobs | $jobs |"
echo "| jobs adopted by job-uuid after a kill | $adopted |"
echo "| pending rows submitted by recover | $submitted_by_recover |"
echo "| jobs CUPS held without document, resubmitted | $incoming |"
echo "| reruns that did not end printed | $reruns_failed |"
echo "| **lost orders** | **$lost_orders** |"
echo "| lost jobs | $lost_jobs |"
echo "| **duplicate jobs** | **$dups** |"
echo "| seconds | $secs |"
[ -s "$tmp/check.err" ] && cat "$tmp/check.err" >&2
[ "$lost_orders" = 0 ] && [ "$dups" = 0 ] && [ "$lost_jobs" = 0 ] && [ -n "$dups" ]
