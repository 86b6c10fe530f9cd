#!/usr/bin/env bash
# sync_drain.sh BUILD_DIR: how fast the kiosk drains its outbox to headquarters
# over loopback once connectivity is back, against a plain curl client doing
# the same uploads (signed tus POST + one PATCH per photo + the order POST) in
# the same run, alternating who goes first. Also: bytes sent / bytes needed with
# no faults and with 10 % of the PATCHes dropped mid-upload, outbox enqueue
# throughput (synchronous=FULL), and the worker's CPU while offline.
#   PK_ORDERS (25) x PK_PHOTOS (4) photos of PK_PHOTO_BYTES (3000000); PK_RUNS (5).
# The brief's 500 x 4 x 3 MB (6 GB) is scaled down by default: set PK_ORDERS=500
# for the full size. Prints a Markdown table of medians.
set -euo pipefail
BUILD=${1:?usage: sync_drain.sh BUILD_DIR}
ORDERS=${PK_ORDERS:-25}; PHOTOS=${PK_PHOTOS:-4}; BYTES=${PK_PHOTO_BYTES:-3000000}; RUNS=${PK_RUNS:-5}
CTL=$BUILD/app/printkioskctl; CENTRAL=$BUILD/tests/central/pk-central; SEED=$BUILD/tests/sync/pk-sync-seed
for b in "$CTL" "$CENTRAL" "$SEED"; do [ -x "$b" ] || { echo "build $b first" >&2; exit 2; }; done
WORK=$(mktemp -d "${PK_BENCH_DIR:-/var/tmp}/pk-bench-sync.XXXXXX")
SECRET=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
CPID=""
cleanup() {
        [ -n "$CPID" ] && { kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null || true; }
        rm -rf "$WORK"
}
trap cleanup EXIT

"$CENTRAL" --listen 127.0.0.1:0 --port-file "$WORK/port" --data "$WORK/central" --kiosk "k1:$SECRET" \
        >"$WORK/central.log" 2>&1 &
CPID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port"); URL=http://127.0.0.1:$PORT
export PK_CENTRAL_URL=$URL PK_KIOSK_ID=k1 PK_KIOSK_SECRET=$SECRET

now() { date +%s.%N; }
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
admin() { curl -fsS -X POST "$URL$1" --data "$2" >/dev/null; }

# The seed: orders with photos, locked (one "order" outbox row each).
mkdir -p "$WORK/seed"
"$SEED" "$WORK/seed" k1 "$ORDERS" "$PHOTOS" "$BYTES" 1 > "$WORK/seed.json"
ENQ=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["orders"]/d["enqueue_s"]))' "$WORK/seed.json")
NEED=$((ORDERS * PHOTOS * BYTES))

# ours: one `sync run --once` from a copy of the seed; repeat --once until
# nothing is pending (with faults, retries come due after a 1 ms backoff).
ours() {  # $1 = label; prints "seconds upload_bytes"
        rm -rf "$WORK/k"; cp -a "$WORK/seed" "$WORK/k"
        local t0 t1 up=0 pend=1 out
        t0=$(now)
        for _ in $(seq 200); do
                out=$("$CTL" --data "$WORK/k" sync run --once --poll 0 --backoff-base-ms 1 --backoff-cap-ms 1 || true)
                up=$((up + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["upload_bytes"])' "$out")))
                pend=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pending"])' "$out")
                [ "$pend" = 0 ] && break
        done
        t1=$(now)
        [ "$pend" = 0 ] || { echo "ours: rows still pending" >&2; exit 1; }
        echo "$(echo "$t1 - $t0" | bc) $up"
}

# peer: curl + openssl, the same photos and order bodies, one PATCH per photo.
sign() {  # METHOD TARGET BODY_SHA -> "ts sig"
        local ts; ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        echo "$ts $(printf '%s\n%s\n%s\n%s' "$1" "$2" "$ts" "$3" |
                openssl dgst -sha256 -mac HMAC -macopt "hexkey:$SECRET" | sed 's/^.*= //')"
}
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
peer() {
        sqlite3 "$WORK/seed/kiosk.db" "SELECT sha256 || ' ' || size || ' ' || path FROM assets" > "$WORK/assets.txt"
        sqlite3 "$WORK/seed/kiosk.db" "SELECT order_id FROM outbox WHERE kind='order'" > "$WORK/orders.txt"
        local t0 t1 sha size path s ts sig loc b64sha meta oid body
        t0=$(now)
        while read -r sha size path; do
                read -r ts sig <<<"$(sign POST /v1/uploads $EMPTY)"
                meta="sha256 $(printf %s "$sha" | base64 -w0),kind $(printf photo | base64 -w0),content-type $(printf image/jpeg | base64 -w0)"
                loc=$(curl -sS -D - -o /dev/null -X POST "$URL/v1/uploads" -H "X-Kiosk-Id: k1" -H "X-Timestamp: $ts" \
                        -H "X-Signature: v1=$sig" -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $size" \
                        -H "Upload-Metadata: $meta" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
                read -r ts sig <<<"$(sign PATCH "$loc" "$sha")"
                b64sha=$(printf %s "$sha" | xxd -r -p | base64 -w0)
                curl -sS -o /dev/null -X PATCH "$URL$loc" -H "X-Kiosk-Id: k1" -H "X-Timestamp: $ts" \
                        -H "X-Signature: v1=$sig" -H "Tus-Resumable: 1.0.0" -H "Expect:" \
                        -H "Content-Type: application/offset+octet-stream" -H "Upload-Offset: 0" \
                        -H "Upload-Checksum: sha256 $b64sha" --data-binary "@$path"
        done < "$WORK/assets.txt"
        while read -r oid; do
                body=$(sqlite3 "$WORK/seed/kiosk.db" "SELECT payload FROM outbox WHERE order_id='$oid' AND kind='order'" |
                        python3 -c 'import json,sys; o=json.load(sys.stdin)
for it in o["items"]:
    it.pop("render", None); it.pop("master_asset_id", None)
print(json.dumps(o, separators=(",", ":")), end="")')
                read -r ts sig <<<"$(sign POST /v1/orders "$(printf %s "$body" | sha256sum | cut -d' ' -f1)")"
                curl -sS -o /dev/null -X POST "$URL/v1/orders" -H "X-Kiosk-Id: k1" -H "X-Timestamp: $ts" \
                        -H "X-Signature: v1=$sig" -H "Idempotency-Key: $oid" -H "Content-Type: application/json" \
                        --data-binary "$body"
        done < "$WORK/orders.txt"
        t1=$(now)
        local held; held=$(curl -fsS "$URL/admin/store" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["assets"]), len(d["orders"]))')
        [ "$held" = "$((ORDERS * PHOTOS)) $ORDERS" ] || { echo "peer: server holds $held" >&2; exit 1; }
        echo "$(echo "$t1 - $t0" | bc)"
}

: > "$WORK/ours.txt"; : > "$WORK/peer.txt"; : > "$WORK/faulty.txt"
for run in $(seq "$RUNS"); do
        if [ $((run % 2)) -eq 1 ]; then order="ours peer"; else order="peer ours"; fi
        for who in $order; do
                admin /admin/faults '[]'; admin /admin/reset ''
                if [ "$who" = ours ]; then ours >> "$WORK/ours.txt"; else peer >> "$WORK/peer.txt"; fi
        done
        # 10 % of PATCHes dropped mid-upload: half before the server applies
        # the chunk (it must be resent), half after (HEAD shows it arrived).
        admin /admin/reset ''
        admin /admin/faults '[{"route":"PATCH /v1/uploads/*","p":0.05,"action":"drop-before"},{"route":"PATCH /v1/uploads/*","p":0.0526,"action":"drop-after"}]'
        ours >> "$WORK/faulty.txt"
        admin /admin/faults '[]'
done

# Idle CPU while offline: the worker against a closed port for PK_IDLE_S (10) s.
IDLE_S=${PK_IDLE_S:-10}
rm -rf "$WORK/k"; cp -a "$WORK/seed" "$WORK/k"
PK_CENTRAL_URL=http://127.0.0.1:9 "$CTL" --data "$WORK/k" sync run --poll 0 >/dev/null 2>&1 &
WPID=$!
sleep 1
c0=$(awk '{print $14 + $15}' "/proc/$WPID/stat")
sleep "$IDLE_S"
c1=$(awk '{print $14 + $15}' "/proc/$WPID/stat")
kill -TERM "$WPID"; wait "$WPID" || true
TCK=$(getconf CLK_TCK)
IDLE=$(echo "scale=3; 100 * ($c1 - $c0) / $TCK / $IDLE_S" | bc)

O_T=$(awk '{print $1}' "$WORK/ours.txt" | med); P_T=$(med < "$WORK/peer.txt")
O_B=$(awk '{print $2}' "$WORK/ours.txt" | med); F_B=$(awk '{print $2}' "$WORK/faulty.txt" | med)
F_T=$(awk '{print $1}' "$WORK/faulty.txt" | med)
MB=$(echo "scale=1; $NEED / 1000000" | bc)
echo
echo "Sync drain over loopback, $ORDERS orders x $PHOTOS photos x $BYTES bytes ($MB MB), medians of $RUNS runs"
echo
echo "| measure | ours (sync run --once) | peer (curl + openssl, 1 PATCH/photo) | ratio | target |"
echo "|---|---|---|---|---|"
echo "| drain time, no faults (s) | $O_T | $P_T | $(echo "scale=2; $O_T / $P_T" | bc) | - |"
echo "| throughput (MB/s) | $(echo "scale=1; $MB / $O_T" | bc) | $(echo "scale=1; $MB / $P_T" | bc) | | |"
echo "| bytes sent / needed, no faults | $(echo "scale=4; $O_B / $NEED" | bc) | 1 | | <= 1.02 |"
echo "| bytes sent / needed, 10 % PATCH drops | $(echo "scale=4; $F_B / $NEED" | bc) | | | <= 1.10 |"
echo "| drain time, 10 % PATCH drops (s) | $F_T | | | |"
echo "| outbox enqueue, synchronous=FULL (orders/s, $PHOTOS photos each, files included) | $ENQ | | | |"
echo "| worker CPU while offline (% of one core, ${IDLE_S} s) | $IDLE | | | ~0 |"
