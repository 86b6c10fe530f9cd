#!/bin/bash
# CUPS 2.4 fact and its remedy, on a private peer of its own (cups-up.sh):
# a driverless queue for a printer without PDF drops copies of a JPEG/PNG
# (the generated PPD says cupsManualCopies: True and passes the file through);
# with the PPD changed to cupsManualCopies: False the backend sends copies and
# the printer receives them. See drivers/README.md.
set -euo pipefail
src=${PK_SOURCE_DIR:?}
peer=$(mktemp -d /tmp/pk-cups-copies.XXXXXX)
trap 'bash "$src/tests/peers/cups-down.sh" "$peer"; rm -rf "$peer"' EXIT
bash "$src/tests/peers/cups-up.sh" "$peer" 1 >/dev/null
. "$peer/env"
png=$peer/photo.png
vips black "$png" 32 32 --bands 3

print_and_get_copies() { # print_and_get_copies TITLE -> copies the printer saw
        lp -d pk1 -n 3 -t "$1" "$png" >/dev/null
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

before=$(print_and_get_copies copies-before)
[ "$before" = 1 ] || { echo "FAIL: expected CUPS to drop copies (got $before): update drivers/README.md"; exit 1; }

ppd=$peer/etc/ppd/pk1.ppd
grep -q '^\*cupsManualCopies: True' "$ppd"
sed 's/^\*cupsManualCopies: True/*cupsManualCopies: False/' "$ppd" > "$peer/pk1-fixed.ppd"
lpadmin -p pk1 -P "$peer/pk1-fixed.ppd" -E 2>/dev/null
after=$(print_and_get_copies copies-after)
[ "$after" = 3 ] || { echo "FAIL: copies after the PPD fix: $after, want 3"; exit 1; }
echo "ok: copies dropped before ($before), sent after the PPD fix ($after)"
