#!/bin/bash
# printkioskctl printers: one JSON line per queue of the peer cupsd (reached
# through CUPS_SERVER), with the fields the technician docs promise; a printer
# reporting a jam shows it with the mapped staff message; an unreachable cupsd
# exits 2 with a message and no output.
set -euo pipefail
. "${PK_BUILD_DIR:?}/cups-peer/env"
ctl=${PK_CTL:?}
out=$(mktemp)
trap 'rm -f "$out" "$PK_PRINTER_pk5_DIR/fault"' EXIT

"$ctl" printers > "$out"
python3 - "$out" "$PK_PRINTERS" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
want = sys.argv[2].split()
objs = [json.loads(l) for l in lines]
names = [o["name"] for o in objs]
assert sorted(names) == sorted(want), (names, want)
for o in objs:
    for k in ("name", "make_model", "state", "reasons", "message", "customer_message",
              "staff_message", "media_supported", "media_ready", "markers", "accepting"):
        assert k in o, (k, o)
    assert o["state"] in ("idle", "processing", "stopped"), o["state"]
    assert isinstance(o["reasons"], list) and isinstance(o["markers"], list)
    assert "na_index-4x6_4x6in" in o["media_supported"], o["media_supported"]
    if o["name"] in ("pk1", "pk2"):
        assert o["accepting"] is True
print("ok:", len(objs), "queues")
PY

# A jam on pk5 while a job waits: printers shows it to staff.
echo media-jam > "$PK_PRINTER_pk5_DIR/fault"
png=$(mktemp --suffix=.png)
vips black "$png" 32 32 --bands 3
lp -d pk5 -t cli-jam "$png" >/dev/null
rm -f "$png"
seen=0
for _ in $(seq 1 150); do
        "$ctl" printers > "$out"
        if python3 - "$out" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["name"] == "pk5" and any(r.startswith("media-jam") for r in o["reasons"]):
        assert o["customer_message"] == "printer-needs-attention", o
        assert "jam" in o["staff_message"].lower(), o
        sys.exit(0)
sys.exit(1)
PY
        then seen=1; break; fi
        sleep 0.2
done
rm -f "$PK_PRINTER_pk5_DIR/fault"
[ "$seen" = 1 ] || { echo "FAIL: pk5 jam never shown"; cat "$out"; exit 1; }
echo "ok: jam shown"

# cupsd unreachable: exit 2, nothing on stdout.
set +e
CUPS_SERVER=127.0.0.1:1 "$ctl" printers > "$out" 2>/dev/null
rc=$?
set -e
[ "$rc" = 2 ] || { echo "FAIL: exit $rc for unreachable cupsd"; exit 1; }
[ ! -s "$out" ] || { echo "FAIL: output for unreachable cupsd"; exit 1; }
echo "ok: unreachable cupsd"
