#!/usr/bin/env bash
# PNG, WebP and HEIC photos reach headquarters without GPS, owner, serial or
# XMP: one order with a photo of each format (HEIC where vips can write it),
# each with canary strings in EXIF (GPS area, owner, serial, artist, comment)
# and XMP (PNG: a tEXt comment too) plus Orientation 6, is made with
# `printkioskctl order create`, synced with `sync run --once` to its own
# pk-central on a free loopback port, and each asset that ARRIVED there is
# checked: no canary bytes, no GPS tag (exiftool), capture time kept,
# orientation 6 kept (PNG, WebP: EXIF decides there), the same pixels as the
# original (libvips raw decode), its sha256 the one the order names. Each
# order master is byte-identical to its transform record re-rendered from the
# ORIGINAL file.
set -euo pipefail
build=${PK_BUILD_DIR:?}; ctl=${PK_CTL:-$build/app/printkioskctl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-upload-formats.XXXXXX")
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

vips gaussnoise "$tmp/n.v" 600 400 --mean 128 --sigma 40
vips colourspace "$tmp/n.v" "$tmp/g.v" srgb
vips cast "$tmp/g.v" "$tmp/g8.v" uchar
files=()
vips pngsave "$tmp/g8.v" "$tmp/photo.png" --profile srgb && files+=("$tmp/photo.png")
vips webpsave "$tmp/g8.v" "$tmp/photo.webp" --Q 90 --profile srgb && files+=("$tmp/photo.webp")
if vips heifsave "$tmp/g8.v" "$tmp/photo.heic" --compression hevc 2>/dev/null; then
  files+=("$tmp/photo.heic")
else
  echo "note: vips cannot write HEIC here; PNG and WebP only"
fi
canaries="PKCANARY_GPSAREA PKCANARY_OWNER PKCANARY_SERIAL1 PKCANARY_ARTIST PKCANARY_COMMENT PKCANARY_XMP"
for f in "${files[@]}"; do
  extra=(); case "$f" in *.png) extra=(-PNG:Comment=PKCANARY_COMMENT) ;; esac
  exiftool -q -q -overwrite_original -Orientation#=6 -DateTimeOriginal="2026:11:20 10:11:12" \
    -GPSLatitude=51.5007 -GPSLatitudeRef=N -GPSLongitude=0.1246 -GPSLongitudeRef=W \
    -GPSAreaInformation=PKCANARY_GPSAREA -OwnerName=PKCANARY_OWNER -SerialNumber=PKCANARY_SERIAL1 \
    -Artist=PKCANARY_ARTIST -UserComment=PKCANARY_COMMENT -XMP-dc:Creator=PKCANARY_XMP "${extra[@]}" "$f"
  for c in $canaries; do grep -qa "$c" "$f" || fail "test setup: $c not planted in $f"; done
done

printf '[central]\nsecret = %s\n' "$secret" > "$tmp/secret.conf"
chmod 600 "$tmp/secret.conf"
printf '[kiosk]\nid = k1\n[central]\nurl = http://127.0.0.1:%s\nsecret_file = %s\n' "$port" "$tmp/secret.conf" \
  > "$tmp/printkiosk.conf"
kctl() { "$ctl" --config "$tmp/printkiosk.conf" --data "$tmp/k" "$@"; }
kctl order create --sku PRINT-6X4 --paper glossy "${files[@]}" > "$tmp/order.json" \
  || fail "order create: $(cat "$tmp/order.json")"
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$tmp/order.json")
kctl order show "$code" > "$tmp/show.json"
mapfile -t items < <(python3 -c '
import json, sys
for it in json.load(open(sys.argv[1]))["items"]:
    print(it["asset_sha256"], it["master_sha256"])' "$tmp/show.json")
[ "${#items[@]}" = "${#files[@]}" ] || fail "order has ${#items[@]} items for ${#files[@]} photos"
unstripped=()
for i in "${!files[@]}"; do
  read -r asset _ <<< "${items[$i]}"
  [ "$(sha256sum < "${files[$i]}" | cut -d' ' -f1)" = "$asset" ] && unstripped+=("${files[$i]##*.}")
done
[ "${#unstripped[@]}" = 0 ] || fail "app/orders.c spooled ${unstripped[*]} unchanged (metadata and all)"

kctl sync run --once --poll 0 > "$tmp/sync.out" 2>&1 || fail "sync: $(cat "$tmp/sync.out")"
curl -sS "http://127.0.0.1:$port/admin/store" > "$tmp/store.json"
get_asset() {
  local target=/v1/assets/$1 ts sig
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  sig=$(printf '%s\n%s\n%s\n%s' GET "$target" "$ts" "$(printf '' | sha256sum | cut -d' ' -f1)" |
        openssl dgst -sha256 -mac HMAC -macopt "hexkey:$secret" | sed 's/^.*= //')
  curl -sS -f -o "$2" "http://127.0.0.1:$port$target" \
       -H "X-Kiosk-Id: k1" -H "X-Timestamp: $ts" -H "X-Signature: v1=$sig"
}
for i in "${!files[@]}"; do
  f=${files[$i]}; ext=${f##*.}
  read -r asset master <<< "${items[$i]}"
  id=$(python3 - "$tmp/store.json" "$asset" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s["orders"]) == 1 and s["orders"][0]["applied"], s["orders"]
print([a for a in s["assets"] if a["kind"] == "photo" and a["sha256"] == sys.argv[2]][0]["asset_id"])
PY
  ) || fail "pk-central holds no photo $asset for the .$ext"
  hq="$tmp/hq.$ext"
  get_asset "$id" "$hq" || fail "GET the .$ext asset"
  [ "$(sha256sum < "$hq" | cut -d' ' -f1)" = "$asset" ] || fail ".$ext bytes do not match their sha256"
  for c in $canaries; do
    if grep -qa "$c" "$hq"; then fail "canary $c reached headquarters in the .$ext"; fi
  done
  gps=$(exiftool -s -GPS:all "$hq" | grep -v -e GPSVersionID || true)
  [ -z "$gps" ] || fail "GPS tags at HQ in the .$ext: $gps"
  [ "$(exiftool -s -s -s -DateTimeOriginal "$hq")" = "2026:11:20 10:11:12" ] || fail ".$ext: capture time lost"
  case "$ext" in png|webp)
    [ "$(exiftool -s -s -s -n -Orientation "$hq")" = 6 ] || fail ".$ext: orientation lost" ;;
  esac
  vips rawsave "$f" "$tmp/a.raw" && vips rawsave "$hq" "$tmp/b.raw"
  cmp -s "$tmp/a.raw" "$tmp/b.raw" || fail ".$ext: pixels at HQ differ from the original's"
  # The master: the item's own recipe applied to the ORIGINAL file.
  python3 - "$tmp/k/kiosk.db" "$asset" "$f" "$tmp/rec.json" "$tmp/ref.png" <<'PY' || fail "cannot build the record"
import hashlib, json, sqlite3, sys
db, asset, photo, out, ref = sys.argv[1:6]
(rec,) = sqlite3.connect(db).execute(
    "select transform_json from order_items where asset_sha256 = ?", (asset,)).fetchone()
r = json.loads(rec)
r["input"]["path"] = photo
r["input"]["sha256"] = hashlib.sha256(open(photo, "rb").read()).hexdigest()
r["output"]["path"] = ref
json.dump(r, open(out, "w"))
PY
  kctl rerender "$tmp/rec.json" --out "$tmp/ref.png" > "$tmp/render.json" \
    || fail "rerender of the original .$ext: $(cat "$tmp/render.json")"
  [ "$(sha256sum < "$tmp/ref.png" | cut -d' ' -f1)" = "$master" ] ||
    fail "the .$ext master differs from its recipe applied to the original photo"
  echo "ok: .$ext at HQ without GPS/owner/serial/XMP ($(stat -c %s "$f") -> $(stat -c %s "$hq") bytes), same pixels, master identical"
done
