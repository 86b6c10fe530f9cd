#!/bin/bash
# CUPS 2.4 fact and its remedy, on a private peer of its own (cups-up.sh):
# a driverless queue for a printer without PDF drops copies of a JPEG/PNG
# (the generated PPD says cupsManualCopies: True and passes the file through);
# a queue set up by app/deploy/pk-add-printer (PPD changed to cupsManualCopies:
# False) sends the copies and the printer receives them. See drivers/README.md.
set -euo pipefail
src=${PK_SOURCE_DIR:?}
peer=$(mktemp -d /tmp/pk-cups-copies.XXXXXX)
trap 'bash "$src/tests/peers/cups-down.sh" "$peer"; rm -rf "$peer"' EXIT
bash "$src/tests/peers/cups-up.sh" "$peer" 1 >/dev/null
. "$peer/env"
png=$peer/photo.png
vips black "$png" 32 32 --bands 3

print_and_get_copies() { # print_and_get_copies QUEUE TITLE -> copies the printer saw
        local q=$1; shift
        lp -d "$q" -n 3 -t "$1" "$png" >/dev/null
        for _ in $(seq 1 150); do
                line=$(grep " file=.*$1" "$PK_PRINTER_pk1_DIR/jobs.log" 2>/dev/null || true)
                if [ -n "$line" ]; then
                        sed -n 's/.* copies=\([0-9]*\) .*/\1/p' <<<"$line"
                        return 0
                fi
                sleep 0.2
        done
        echo "FAIL: job $1 never reached the printer" >&2
        return 1
}

# pk1 was set up by app/deploy/pk-add-printer (through cups-up.sh); "plain"
# points at the same printer, added with lpadmin -m everywhere alone.
lpadmin -p plain -v "$PK_PRINTER_pk1_URI" -m everywhere -E
before=$(print_and_get_copies plain copies-before)
[ "$before" = 1 ] || { echo "FAIL: expected CUPS to drop copies on a plain queue (got $before): update drivers/README.md and app/deploy/pk-add-printer"; exit 1; }
after=$(print_and_get_copies pk1 copies-after)
[ "$after" = 3 ] || { echo "FAIL: copies through a pk-add-printer queue: $after, want 3"; exit 1; }
echo "ok: copies dropped on a plain queue ($before), sent through pk-add-printer ($after)"
