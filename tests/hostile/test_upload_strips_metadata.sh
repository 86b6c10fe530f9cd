#!/usr/bin/env bash
# Photos sent to headquarters carry no GPS, owner or serial EXIF: a JPEG with
# GPS position, owner name, body/lens serials, a user comment, XMP and IPTC
# (each a canary string) is ordered with `printkioskctl order create`, synced
# with `sync run --once` to the reference central server pk-central (own
# instance, free loopback port), and then the asset that ARRIVED at pk-central
# (GET /v1/assets/<id>) is checked with exiftool and a byte scan: no GPS tag,
# no canary; orientation, capture time and ICC profile kept; same JPEG scan
# data (not re-encoded); its sha256 is the one the order names. The order's
# print master (in the kiosk's spool; the order goes to HQ at lock, before its
# master exists) is byte-identical to its own transform record re-rendered
# (`printkioskctl rerender`) from the ORIGINAL file: the master is unaffected.
set -euo pipefail
build=${PK_BUILD_DIR:?}; ctl=${PK_CTL:-$build/app/printkioskctl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-upload-strip.XXXXXX")
cpid=""
cleanup() {
  [ -n "$cpid" ] && { kill -TERM "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null || true; }
  [ -n "${PK_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
secret=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')

"$build/tests/central/pk-central" --listen 127.0.0.1:0 --port-file "$tmp/port" --data "$tmp/c" \
  --kiosk "k1:$secret" > "$tmp/central.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "pk-central did not start: $(cat "$tmp/central.log")"
port=$(cat "$tmp/port")

# A camera-like JPEG (3:2, sRGB ICC) with every kind of personal metadata.
vips gaussnoise "$tmp/n.v" 1200 800 --mean 128 --sigma 40
vips colourspace "$tmp/n.v" "$tmp/g.v" srgb
vips cast "$tmp/g.v" "$tmp/g8.v" uchar
vips jpegsave "$tmp/g8.v" "$tmp/photo.jpg" --Q 85 --profile srgb
exiftool -q -overwrite_original \
  -GPSLatitude=51.5007 -GPSLatitudeRef=N -GPSLongitude=0.1246 -GPSLongitudeRef=W \
  -GPSAltitude=35 -GPSDateStamp=2026:11:25 \
  -OwnerName=PKCANARY_OWNER -SerialNumber=PKCANARY_SERIAL1 -LensSerialNumber=PKCANARY_LENSSN \
  -UserComment=PKCANARY_COMMENT -ImageDescription=PKCANARY_DESC \
  -XMP-dc:Creator=PKCANARY_XMP -IPTC:By-line=PKCANARY_IPTC \
  -Orientation#=6 -DateTimeOriginal="2026:11:20 10:11:12" -Make=Canon -Model=PKTest \
  "$tmp/photo.jpg"
exiftool -q -overwrite_original -comment=PKCANARY_COM "$tmp/photo.jpg"
canaries="PKCANARY_OWNER PKCANARY_SERIAL1 PKCANARY_LENSSN PKCANARY_COMMENT PKCANARY_XMP PKCANARY_IPTC PKCANARY_COM"
for c in $canaries; do grep -qa "$c" "$tmp/photo.jpg" || fail "test setup: canary $c not planted"; done
exiftool -s -s -s -GPSLatitude "$tmp/photo.jpg" | grep -q . || fail "test setup: no GPS planted"

# A configured kiosk (its id goes on the orders it locks; url and secret file).
printf '[central]\nsecret = %s\n' "$secret" > "$tmp/secret.conf"
chmod 600 "$tmp/secret.conf"
printf '[kiosk]\nid = k1\n[central]\nurl = http://127.0.0.1:%s\nsecret_file = %s\n' "$port" "$tmp/secret.conf" \
  > "$tmp/printkiosk.conf"
"$ctl" --config "$tmp/printkiosk.conf" --data "$tmp/k" order create --sku PRINT-6X4 --paper glossy \
  "$tmp/photo.jpg" > "$tmp/order.json" || fail "order create: $(cat "$tmp/order.json")"
"$ctl" --config "$tmp/printkiosk.conf" --data "$tmp/k" sync run --once --poll 0 > "$tmp/sync.out" 2>&1 \
  || fail "sync: $(cat "$tmp/sync.out")"
curl -sS "http://127.0.0.1:$port/admin/store" > "$tmp/store.json"

# Signed GET of an asset's bytes (the contract's signing: tests/central/pkc.sh).
get_asset() {
  local target=/v1/assets/$1 ts sig
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  sig=$(printf '%s\n%s\n%s\n%s' GET "$target" "$ts" "$(printf '' | sha256sum | cut -d' ' -f1)" |
        openssl dgst -sha256 -mac HMAC -macopt "hexkey:$secret" | sed 's/^.*= //')
  curl -sS -f -o "$2" "http://127.0.0.1:$port$target" \
       -H "X-Kiosk-Id: k1" -H "X-Timestamp: $ts" -H "X-Signature: v1=$sig"
}
read -r photo_id photo_sha < <(python3 - "$tmp/store.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
photos = [x for x in s["assets"] if x["kind"] == "photo"]
assert len(s["orders"]) == 1 and s["orders"][0]["applied"], s["orders"]
assert len(photos) == 1, s["assets"]
print(photos[0]["asset_id"], photos[0]["sha256"])
PY
) || fail "pk-central holds no order with one photo: $(cat "$tmp/store.json")"
get_asset "$photo_id" "$tmp/hq.jpg" || fail "GET photo asset"
# The kiosk's own record: the item names the stripped asset; its master.
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$tmp/order.json")
"$ctl" --config "$tmp/printkiosk.conf" --data "$tmp/k" order show "$code" > "$tmp/show.json"
read -r item_sha master_sha < <(python3 -c '
import json, sys
it = json.load(open(sys.argv[1]))["items"][0]
print(it["asset_sha256"], it["master_sha256"])' "$tmp/show.json")
[ "$item_sha" = "$photo_sha" ] || fail "the order item names $item_sha, HQ holds $photo_sha"
master=$(find "$tmp/k" -name "$master_sha.*" -type f | head -1)
[ -n "$master" ] || fail "master $master_sha not in the spool"
[ "$(sha256sum < "$tmp/hq.jpg" | cut -d' ' -f1)" = "$photo_sha" ] || fail "photo bytes do not match their sha256"
[ "$(sha256sum < "$tmp/photo.jpg" | cut -d' ' -f1)" != "$photo_sha" ] || fail "the original (with GPS) was uploaded"

# No GPS, owner, serial, comment, XMP or IPTC at HQ; what decides the print stays.
gps=$(exiftool -s -GPS:all "$tmp/hq.jpg" | grep -v -e GPSVersionID || true)
[ -z "$gps" ] || fail "GPS tags at HQ: $gps"
for c in $canaries; do
  if grep -qa "$c" "$tmp/hq.jpg"; then fail "canary $c reached headquarters"; fi
  if grep -qa "$c" "$master"; then fail "canary $c in the master"; fi
done
for t in OwnerName SerialNumber LensSerialNumber XMP-dc:Creator IPTC:By-line Comment; do
  v=$(exiftool -s -s -s "-$t" "$tmp/hq.jpg" | tr -d ' \0')
  [ -z "$v" ] || fail "tag $t at HQ: $v"
done
[ "$(exiftool -s -s -s -n -Orientation "$tmp/hq.jpg")" = 6 ] || fail "orientation lost"
[ "$(exiftool -s -s -s -DateTimeOriginal "$tmp/hq.jpg")" = "2026:11:20 10:11:12" ] || fail "capture time lost"
[ "$(exiftool -s -s -s -Model "$tmp/hq.jpg")" = PKTest ] || fail "camera model lost"
# Not re-encoded: the entropy-coded data from the first SOS on is the same.
python3 - "$tmp/photo.jpg" "$tmp/hq.jpg" <<'PY' || fail "scan data changed (re-encoded?)"
import sys
def scan(p):
    b = open(p, "rb").read(); i = 2
    while i + 4 <= len(b):
        m, n = b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
        if m == 0xDA: return b[i:]
        i += 2 + n
    raise SystemExit("no SOS in " + p)
sys.exit(0 if scan(sys.argv[1]) == scan(sys.argv[2]) else 1)
PY
[ -n "$(exiftool -s -s -s -ICC_Profile:ProfileDescription "$tmp/photo.jpg")" ] || fail "test setup: no ICC"
[ "$(exiftool -s -s -s -ICC_Profile:ProfileDescription "$tmp/photo.jpg")" = \
  "$(exiftool -s -s -s -ICC_Profile:ProfileDescription "$tmp/hq.jpg")" ] || fail "ICC profile changed"

# The printed master is unaffected: the order's own transform record (crop,
# rotation, paper, intent...) applied to the ORIGINAL file by `rerender` gives
# the very bytes of the order's master.
python3 - "$tmp/k/kiosk.db" "$tmp/photo.jpg" "$tmp/rec-orig.json" "$tmp/ref.png" <<'PY' || fail "cannot build the record"
import hashlib, json, sqlite3, sys
db, photo, out, ref = sys.argv[1:5]
(rec,) = sqlite3.connect(db).execute("select transform_json from order_items").fetchone()
r = json.loads(rec)
r["input"]["path"] = photo
r["input"]["sha256"] = hashlib.sha256(open(photo, "rb").read()).hexdigest()
r["output"]["path"] = ref
json.dump(r, open(out, "w"))
PY
"$ctl" --config "$tmp/printkiosk.conf" --data "$tmp/k" rerender "$tmp/rec-orig.json" --out "$tmp/ref.png" \
  > "$tmp/render.json" || fail "rerender of the original: $(cat "$tmp/render.json")"
[ "$(sha256sum < "$tmp/ref.png" | cut -d' ' -f1)" = "$master_sha" ] ||
  fail "the order's master differs from its recipe applied to the original photo"
cmp -s "$tmp/ref.png" "$master" || fail "master bytes differ"
echo "ok: HQ holds the photo without GPS/owner/serial/comments ($(stat -c %s "$tmp/photo.jpg") -> $(stat -c %s "$tmp/hq.jpg") bytes, scan data identical), master identical to a render of the original"
