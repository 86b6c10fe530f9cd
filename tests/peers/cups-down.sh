#!/bin/bash
# cups-down.sh DIR: stop everything cups-up.sh DIR started (cupsd, the
# ippeveprinter instances, the private dbus-daemon), by the PIDs it recorded in
# DIR/pids, and remove DIR/env. Safe to run twice or after a failed start.
# Leaves DIR (logs, kept documents) for post-mortems; the caller removes it.
set -u
dir=${1:?usage: cups-down.sh DIR}
[ -r "$dir/pids" ] || { rm -f "$dir/env"; exit 0; }
pids=$(sed -n 's/^PK_[A-Z_a-z0-9]*PID[A-Za-z0-9_]*=\([0-9][0-9]*\)$/\1/p' "$dir/pids")
# cupsd first, so it stops talking to the printers before they go away.
cupsd=$(sed -n 's/^PK_CUPSD_PID=//p' "$dir/pids")
order="$cupsd $(echo "$pids" | grep -vx "${cupsd:-none}")"
for p in $order; do
        kill -TERM "$p" 2>/dev/null || true
done
for p in $order; do
        for _ in $(seq 1 50); do
                kill -0 "$p" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null || true
done
rm -f "$dir/env" "$dir/pids" "$dir/dbus.sock"
exit 0
