#!/usr/bin/env bash
# app/deploy/demo.sh: the whole kiosk demo on one machine (README's first
# command; Debian 12 after .ci/install-deps, as root).
#
# Builds the tree (build/release) if needed, then starts, all on loopback and
# all under one temp folder:
#   - a private cupsd + ippeveprinter virtual photo printer, queue pk1
#     (tests/peers/cups-up.sh; the queue is set up by app/deploy/pk-add-printer
#     so copies reach the printer; printed documents are kept in
#     $DEMO/cups/printers/pk1/spool and listed in .../jobs.log);
#   - the reference central server pk-central (tests/central) with one kiosk
#     identity, and the sync worker `printkioskctl --data DATA sync run`
#     pointed at it (PK_CENTRAL_URL / PK_KIOSK_ID / PK_KIOSK_SECRET);
#   - the kiosk, printkiosk --demo in a 1280x720 window: demo photos, the
#     catalogue and price list of assets/, its store in $DEMO/data, staff PIN
#     1234 (then any staff number), technician PIN 5678, "print now" on pk1;
#     the technician's log export writes to $DEMO/usb/DEMO-STICK (a stand-in
#     for a USB stick under /media).
# Everything is stopped when the kiosk exits (or on Ctrl-C); the folder is
# kept so the orders can be looked at:
#   build/release/app/printkioskctl --data $DEMO/data orders
# Extra arguments go to printkiosk (e.g. --portrait --size 1080x1920).
# PK_DEMO_BUILD=DIR uses an existing build tree instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=${PK_DEMO_BUILD:-$root/build/release}
if [ -z "${PK_DEMO_BUILD:-}" ]; then
        cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build "$build" -j"$(nproc)" --target printkiosk printkioskctl pk-central >/dev/null
fi
for b in ui/printkiosk app/printkioskctl tests/central/pk-central; do
        [ -x "$build/$b" ] || { echo "demo: $build/$b was not built" >&2; exit 2; }
done

# cupsd runs as lp: the folder and its parents must be traversable by lp.
demo=$(mktemp -d /tmp/printkiosk-demo.XXXXXX)
chmod 755 "$demo"
central_pid= sync_pid=
stop() {
        trap - EXIT INT TERM
        [ -n "$sync_pid" ] && kill "$sync_pid" 2>/dev/null && wait "$sync_pid" 2>/dev/null || true
        [ -n "$central_pid" ] && kill "$central_pid" 2>/dev/null && wait "$central_pid" 2>/dev/null || true
        [ -f "$demo/cups/pids" ] && "$root/tests/peers/cups-down.sh" "$demo/cups" >/dev/null 2>&1 || true
        echo "demo: stopped; orders are in $demo/data ($build/app/printkioskctl --data $demo/data orders)"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "demo: starting the virtual printer (private cupsd + ippeveprinter) in $demo/cups"
mkdir -p "$demo/cups"
"$root/tests/peers/cups-up.sh" "$demo/cups" 1 >"$demo/cups-up.log" 2>&1 || {
        echo "demo: the virtual printer did not start; see $demo/cups-up.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$demo/cups/env"
export CUPS_SERVER

echo "demo: starting the central server (pk-central) on loopback"
secret=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
kiosk_id=demo-kiosk-0001
"$build/tests/central/pk-central" --listen 127.0.0.1:0 --port-file "$demo/central.port" \
        --data "$demo/central" --kiosk "$kiosk_id:$secret" >"$demo/central.log" 2>&1 &
central_pid=$!
for _ in $(seq 1 100); do # up to 10 s
        [ -s "$demo/central.port" ] && break
        kill -0 "$central_pid" 2>/dev/null || { echo "demo: pk-central exited; see $demo/central.log" >&2; exit 1; }
        sleep 0.1
done
[ -s "$demo/central.port" ] || { echo "demo: pk-central did not listen" >&2; exit 1; }
central_url=http://127.0.0.1:$(cat "$demo/central.port")

mkdir -p -m 700 "$demo/data"
# The kiosk's identity, stamped on every order it locks (central checks it).
printf '[kiosk]\nid = %s\nstore = demo-store\n' "$kiosk_id" > "$demo/printkiosk.conf"
echo "demo: starting the sync worker against $central_url"
PK_CENTRAL_URL=$central_url PK_KIOSK_ID=$kiosk_id PK_KIOSK_SECRET=$secret \
        "$build/app/printkioskctl" --data "$demo/data" sync run --poll 2 >"$demo/sync.log" 2>&1 &
sync_pid=$!

mkdir -p -m 700 "$demo/usb/DEMO-STICK"
echo "demo: starting the kiosk (staff PIN 1234, technician PIN 5678; Esc or closing the window quits)"
rc=0
"$build/ui/printkiosk" --demo --config "$demo/printkiosk.conf" --data "$demo/data" --printer pk1 \
        --export-root "$demo/usb" "$@" || rc=$?
exit "$rc"
