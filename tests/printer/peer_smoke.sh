#!/bin/bash
# The cups fixture works for everyone: every queue in PK_PRINTERS is enabled
# (idle, or printing for a test running in parallel) and accepting, and a PNG printed with lp on the first queue completes and reaches
# the ippeveprinter spool (kept with -k) and its jobs.log.
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for q in $PK_PRINTERS; do
        lpstat -p "$q" | grep -qE 'is idle|now printing' || { echo "FAIL: $q not enabled"; lpstat -p "$q"; exit 1; }
        lpstat -a "$q" | grep -q 'accepting' || { echo "FAIL: $q not accepting"; exit 1; }
done
q=${PK_PRINTERS%% *}
dirvar=PK_PRINTER_${q}_DIR
pdir=${!dirvar}
vips black "$tmp/smoke.png" 64 48 --bands 3
id=$(lp -d "$q" -t peer-smoke "$tmp/smoke.png" | sed -n 's/^request id is \([^ ]*\) .*/\1/p')
[ -n "$id" ] || { echo "FAIL: lp gave no job id"; exit 1; }
for _ in $(seq 1 150); do
        lpstat -W completed -o "$q" | grep -q "^$id " && break
        sleep 0.2
done
lpstat -W completed -o "$q" | grep -q "^$id " || { echo "FAIL: $id not completed"; lpstat -W all -o; exit 1; }
compgen -G "$pdir/spool/*peer-smoke*" >/dev/null || { echo "FAIL: document not kept in $pdir/spool"; ls -l "$pdir/spool"; exit 1; }
grep -q 'peer-smoke' "$pdir/jobs.log" || { echo "FAIL: no jobs.log line"; exit 1; }
echo "ok: $id printed on $q"
