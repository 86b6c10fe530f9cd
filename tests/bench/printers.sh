#!/bin/bash
# Benchmark: `printkioskctl printers` (cupsGetDests2 + Get-Printer-Attributes per
# queue + one direct query of each printer for loaded media) beside the CUPS
# tools doing comparable discovery (`lpstat -l -p -a`, and ipptool asking each
# queue for its attributes), on a private peer with N printers, in the same run.
# Prints a Markdown table (hyperfine, median of >= 7 runs).
# usage: tests/bench/printers.sh [BUILD_DIR] [N_PRINTERS]
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$src/build}
n=${2:-4}
ctl=$build/app/printkioskctl
[ -x "$ctl" ] || { echo "no $ctl: build first" >&2; exit 2; }
peer=$(mktemp -d /tmp/pk-bench-printers.XXXXXX)
trap 'bash "$src/tests/peers/cups-down.sh" "$peer"; rm -rf "$peer"' EXIT
bash "$src/tests/peers/cups-up.sh" "$peer" "$n" >/dev/null
. "$peer/env"
ipp_all="for q in $PK_PRINTERS; do ipptool -T 5 ipp://$CUPS_SERVER/printers/\$q get-printer-attributes.test >/dev/null; done"
hyperfine -N --warmup 2 --runs 9 --style none --export-json "$peer/a.json" \
        -n "printkioskctl version (process start only)" "$ctl version" \
        -n "printkioskctl printers" "$ctl printers" \
        -n "lpstat -l -p -a" "lpstat -l -p -a" >/dev/null
hyperfine --warmup 2 --runs 9 --style none --export-json "$peer/b.json" \
        -n "ipptool get-printer-attributes, each queue" "$ipp_all" >/dev/null
python3 - "$n" "$peer/a.json" "$peer/b.json" <<'PY'
import json, sys
print(f"| command ({sys.argv[1]} queues) | median [ms] | min [ms] | max [ms] | runs |")
print("|:---|---:|---:|---:|---:|")
for f in sys.argv[2:]:
    for r in json.load(open(f))["results"]:
        t = r["times"]
        print(f"| {r['command']} | {r['median']*1000:.1f} | {min(t)*1000:.1f} | {max(t)*1000:.1f} | {len(t)} |")
PY
