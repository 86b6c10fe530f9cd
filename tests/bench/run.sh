#!/usr/bin/env bash
# run.sh [CORPUS] [BUILD]: every benchmark, each beside its peer tool in the same
# run, one Markdown report on stdout (progress on stderr).
#   CORPUS: ../shared/bench/make-corpus.sh's output (default /var/tmp/pk-corpus;
#           built here if missing).  BUILD: a release build tree (default build/release,
#           built if missing).
#   PK_BENCH="thumbs master order_lock ingest sandbox sync_drain printers ui" picks
#   the parts (default: all); PK_RUNS (default 5) as each script documents.
# Run it on an idle machine: the ratios are what to compare, absolute times are not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${1:-/var/tmp/pk-corpus}
build=${2:-$root/build/release}
parts=${PK_BENCH:-thumbs master order_lock ingest sandbox sync_drain printers ui}
if [ ! -f "$corpus/SHA256SUMS" ]; then
        shared=$root/../shared/bench/make-corpus.sh
        [ -x "$shared" ] || { echo "no corpus at $corpus and no $shared to make it" >&2; exit 2; }
        bash "$shared" "$corpus" >&2
fi
if [ ! -x "$build/app/printkioskctl" ]; then
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
        cmake --build "$build" -j"$(nproc)" >&2
fi
export PK_CTL=$build/app/printkioskctl PK_CORPUS=$corpus
echo "# PrintKiosk benchmarks — $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
for p in $parts; do
        echo
        echo "## $p"
        echo
        case $p in
        thumbs) bash "$here/thumbs.sh" "$corpus" "$PK_CTL" ;;
        master) bash "$here/master.sh" "$corpus" ;;
        order_lock) bash "$here/order_lock.sh" "$build" ;;
        ingest) bash "$here/ingest.sh" ;;
        sandbox) bash "$here/sandbox.sh" "$corpus" "$build" ;;
        sync_drain) bash "$here/sync_drain.sh" "$build" ;;
        printers) bash "$here/printers.sh" "$build" ;;
        ui) bash "$here/ui.sh" "$build" "$corpus" ;;
        *) echo "unknown part $p" >&2; exit 2 ;;
        esac || echo "**$p failed (exit $?)**"
done
