#!/bin/bash
# Sync torture: the kiosk's `printkioskctl sync run` is SIGKILLed at random
# moments and restarted while pk-central injects random faults; at the end the
# server must hold every order, event and asset exactly once, with the hashes
# of the bytes the kiosk stored.
#   tests/torture/sync-torture.sh [CYCLES] [ORDERS] [PHOTO_BYTES]
# ORDERS are there at the start; PK_TORTURE_ADD (default 1) more orders, each with
# its 4 events, are added before every restart, so every kill lands on work.
# Needs PK_BUILD_DIR (or run from the build tree). Prints one JSON line and a
# Markdown summary; exit 0 only with 0 lost and 0 duplicated.
set -euo pipefail
cycles=${1:-1000}
orders=${2:-60}
photo_bytes=${3:-200000}
add=${PK_TORTURE_ADD:-1}
build=${PK_BUILD_DIR:-$(pwd)}
ctl=${PK_CTL:-$build/app/printkioskctl}
central=$build/tests/central/pk-central
seed_tool=$build/tests/sync/pk-sync-seed
work=$(mktemp -d "${TMPDIR:-/tmp}/sync-torture.XXXXXX")
secret=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cpid=""; wpid=""
cleanup() {
        [ -n "$wpid" ] && kill -9 "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null || true
        if [ -n "$cpid" ]; then kill -TERM "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true; fi
        rm -rf "$work"
}
trap cleanup EXIT

"$central" --listen 127.0.0.1:0 --port-file "$work/port" --data "$work/central" \
        --kiosk "k1:$secret" --seed $RANDOM >"$work/central.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
url="http://127.0.0.1:$port"

mkdir -p "$work/kiosk"
"$seed_tool" "$work/kiosk" k1 "$orders" 2 "$photo_bytes" "$RANDOM" --events >/dev/null

# ~10-20 % of the write requests fail in every way the contract names.
curl -fsS -X POST "$url/admin/faults" --data-binary @- >/dev/null <<'JSON'
[{"route":"PATCH /v1/uploads/*","p":0.08,"action":"drop-after"},
 {"route":"PATCH /v1/uploads/*","p":0.04,"action":"status","status":460},
 {"route":"PATCH /v1/uploads/*","p":0.04,"action":"drop-before"},
 {"route":"POST /v1/uploads","p":0.1,"action":"drop-after"},
 {"route":"HEAD /v1/uploads/*","p":0.05,"action":"status","status":503,"retry_after":0},
 {"route":"POST /v1/orders","p":0.1,"action":"drop-after"},
 {"route":"POST /v1/orders","p":0.05,"action":"truncate"},
 {"route":"POST /v1/orders","p":0.05,"action":"status","status":500},
 {"route":"POST /v1/orders/*/events","p":0.1,"action":"drop-after"},
 {"route":"POST /v1/orders/*/events","p":0.05,"action":"garbage"},
 {"route":"POST /v1/orders/*/events","p":0.03,"action":"status","status":429,"retry_after":0}]
JSON

export PK_CENTRAL_URL=$url PK_KIOSK_ID=k1 PK_KIOSK_SECRET=$secret PK_SYNC_PROBE_MS=50
run_args=(--data "$work/kiosk" sync run --lease-ms 200 --chunk 65536 --backoff-base-ms 20 --backoff-cap-ms 200 --poll 0)
kills=0
for i in $(seq "$cycles"); do
        if [ "$add" -gt 0 ]; then
                "$seed_tool" "$work/kiosk" k1 "$add" 2 "$photo_bytes" "$((100000 + i))" --events >/dev/null
        fi
        "$ctl" "${run_args[@]}" >/dev/null 2>"$work/worker.err" &
        wpid=$!
        # a random moment 0.25-1.25 s into the run (start-up takes ~0.2 s)
        ms=$((250 + RANDOM % 1000))
        sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
        if kill -9 "$wpid" 2>/dev/null; then kills=$((kills + 1)); fi
        wait "$wpid" 2>/dev/null || true
        wpid=""
        [ $((i % 100)) = 0 ] && echo "torture: cycle $i at $SECONDS s" >&2
done
faults_hit=$(curl -fsS "$url/admin/faults" | python3 -c 'import json,sys; print(sum(r.get("hits",0) for r in json.load(sys.stdin)))')

echo "torture: $cycles cycles done at $SECONDS s" >&2
# Settle without faults: what is left must go up exactly once too.
curl -fsS -X POST "$url/admin/faults" --data '[]' >/dev/null
for _ in $(seq 50); do
        out=$("$ctl" --data "$work/kiosk" sync run --once --lease-ms 200 --backoff-base-ms 1 --backoff-cap-ms 1 --poll 0 2>>"$work/settle.err" || true)
        if grep -q "Sanitizer\|runtime error" "$work/settle.err"; then cat "$work/settle.err" >&2; exit 1; fi
        pending=$(PK_CENTRAL_URL= "$ctl" --data "$work/kiosk" sync status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])')
        [ "$pending" = 0 ] && break
        sleep 0.3  # let leases of killed workers run out
done

echo "torture: settled at $SECONDS s" >&2
curl -fsS "$url/admin/store" >"$work/hq.json"
python3 - "$work/kiosk/kiosk.db" "$work/hq.json" "$cycles" "$kills" "$faults_hit" "$((orders + cycles * add))" <<'PY'
import hashlib, json, sqlite3, sys
db, hq_path, cycles, kills, faults, n_orders = sys.argv[1:7]
hq = json.load(open(hq_path))
con = sqlite3.connect(db)
rows = con.execute("SELECT kind, order_id, event_id, payload, state FROM outbox").fetchall()
local_orders = {o: p for k, o, e, p, s in rows if k == "order"}
local_events = {e: p for k, o, e, p, s in rows if k == "event"}
local_assets = {r[0]: r[1] for r in con.execute("SELECT sha256, size FROM assets")}
dead = sum(1 for r in rows if r[4] == "dead")
pending = sum(1 for r in rows if r[4] == "pending")
ho = {o["order_id"]: o for o in hq["orders"]}
he = {e["event_id"]: e for e in hq["events"]}
ha = {a["sha256"]: a for a in hq["assets"]}
sha = lambda s: hashlib.sha256(s.encode()).hexdigest()
lost = [o for o in local_orders if o not in ho] + [e for e in local_events if e not in he] + \
       [a for a in local_assets if a not in ha]
dup = [o for o in ho.values() if o["applied"] != 1] + [e for e in he.values() if e["applied"] != 1]
mismatch = [o for o, p in local_orders.items() if o in ho and ho[o]["sha256"] != sha(p)] + \
           [e for e, p in local_events.items() if e in he and he[e]["sha256"] != sha(p)] + \
           [a for a, size in local_assets.items() if a in ha and ha[a]["size"] != size]
extra = [o for o in ho if o not in local_orders] + [e for e in he if e not in local_events]
res = {"cycles": int(cycles), "kills": int(kills), "faults_injected": int(faults),
       "orders": len(local_orders), "events": len(local_events), "assets": len(local_assets),
       "lost": len(lost), "duplicated": len(dup), "hash_mismatch": len(mismatch), "extra": len(extra),
       "dead": dead, "pending": pending,
       "received_orders": sum(o["received"] for o in ho.values())}
print(json.dumps(res))
print()
print("| cycles | SIGKILLs | faults injected | orders | events | assets | lost | duplicated | hash mismatch |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {res['cycles']} | {res['kills']} | {res['faults_injected']} | {res['orders']} | {res['events']} | {res['assets']} | {res['lost']} | {res['duplicated']} | {res['hash_mismatch']} |")
ok = not lost and not dup and not mismatch and not extra and dead == 0 and pending == 0 \
     and len(local_orders) == int(n_orders)
sys.exit(0 if ok else 1)
PY
