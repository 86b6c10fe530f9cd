#!/usr/bin/env bash
# The kiosk UI with a phone: printkiosk driven headlessly (SDL dummy video,
# software renderer) by a generated --script. A phone (libgphoto2's real
# "Directory Browse" camlib on a disk: port) arrives on the source screen
# (the script's `camera` command, as the USB watcher reports one), the
# screen shows the download's progress, the phone is unplugged mid-way
# ("connect your phone again", the photos read so far can be shown), comes
# back, and the grid shows every photo. A second phone's photos carry red
# EXIF thumbnails (its previews): the grid comes up from them while the
# downloads have barely begun (the screenshot is mostly red), and once every
# file is in, the photos' own thumbnails replace them. Screenshots go to
# $PK_BUILD_DIR/tests/ingest/screens/ as PNG for a person to look at (no
# goldens: the photos are random noise). At the end no session folder is left.
set -euo pipefail
src=${PK_SOURCE_DIR:?}; build=${PK_BUILD_DIR:?}
bin=$build/ui/printkiosk
[ -x "$bin" ] || { echo "skip: no printkiosk (PK_BUILD_UI=OFF)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-camera.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$build/tests/ingest/screens
rm -rf "$out"; mkdir -p "$out"
card=$tmp/phone
mkdir -p "$card/DCIM/100APPLE"
vips gaussnoise "$tmp/base.jpg[Q=70]" 320 240
for i in 1 2 3 4 5 6; do
  cp "$tmp/base.jpg" "$card/DCIM/100APPLE/IMG_000$i.JPG"
  printf '%s' "$i" >> "$card/DCIM/100APPLE/IMG_000$i.JPG"
  touch -d "2024-03-0$i 10:00:00" "$card/DCIM/100APPLE/IMG_000$i.JPG"
done
cat > "$tmp/camera.script" <<SCRIPT
wait-screen attract
tap start
wait-screen source
camera test:phone-1 disk:$card Directory Browse
wait-photos 2
screenshot camera-reading
wait 300
camera-left test:phone-1
wait-id camera-show
screenshot camera-gone
wait 300
camera test:phone-1 disk:$card Directory Browse
wait-screen grid
wait-idle
screenshot camera-grid
say photos on the grid
SCRIPT
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
export PK_KIOSK_TEST_CAMERA_DELAY_MS=400 PK_KIOSK_NO_USB=1
log=$tmp/out.txt
if ! timeout 100 "$bin" --size 1280x720 --script "$tmp/camera.script" --screenshot-dir "$out" >"$log" 2>&1; then
  cat "$log"; echo "FAIL: printkiosk exited non-zero"; exit 1
fi
grep -q "script: photos on the grid" "$log" || { cat "$log"; echo "FAIL: the script did not reach the grid"; exit 1; }
for s in camera-reading camera-gone camera-grid; do
  [ -f "$out/$s.bmp" ] || { echo "FAIL: no screenshot $s"; exit 1; }
  convert "$out/$s.bmp" "$out/$s.png" && rm -f "$out/$s.bmp"
done
# The phone with previews: 26 photos, each with a red 96x96 EXIF thumbnail.
card2=$tmp/phone2
mkdir -p "$card2/DCIM/100APPLE"
vips black "$tmp/red0.v" 96 96 --bands 3
vips linear "$tmp/red0.v" "$tmp/red.jpg[Q=90]" "1 1 1" "220 20 20" --uchar
exif --create-exif --insert-thumbnail="$tmp/red.jpg" -o "$tmp/base_th.jpg" "$tmp/base.jpg" >/dev/null
for i in $(seq 10 35); do
  cp "$tmp/base_th.jpg" "$card2/DCIM/100APPLE/IMG_00$i.JPG"
  printf '%s' "$i" >> "$card2/DCIM/100APPLE/IMG_00$i.JPG"
  touch -d "2024-04-01 10:$i:00" "$card2/DCIM/100APPLE/IMG_00$i.JPG"
done
# wait-idle waits for the whole download (26 s here) before the second screenshot.
cat > "$tmp/previews.script" <<SCRIPT
wait-screen attract
tap start
wait-screen source
camera test:phone-2 disk:$card2 Directory Browse
wait-screen grid
wait 2000
screenshot camera-previews
say previews on the grid
wait-idle
screenshot camera-downloaded
say downloaded
SCRIPT
export PK_KIOSK_TEST_CAMERA_DELAY_MS=1000
if ! timeout 100 "$bin" --size 1280x720 --script "$tmp/previews.script" --screenshot-dir "$out" >"$log" 2>&1; then
  cat "$log"; echo "FAIL: printkiosk exited non-zero (previews)"; exit 1
fi
grep -q "script: previews on the grid" "$log" || { cat "$log"; echo "FAIL: no grid from the previews"; exit 1; }
convert "$out/camera-previews.bmp" "$out/camera-previews.png" && rm -f "$out/camera-previews.bmp"
red=$(convert "$out/camera-previews.png" -format '%[fx:mean.r-mean.g]' info:)
awk -v r="$red" 'BEGIN{exit !(r > 0.1)}' || { echo "FAIL: the grid does not show the red previews (mean r-g $red)"; exit 1; }
# Once every file is in, each cell shows the photo's own thumbnail, not the
# phone's red preview (the grid forgets a preview's texture on the photo's
# state change and asks again).
grep -q "script: downloaded" "$log" || { cat "$log"; echo "FAIL: the download did not finish"; exit 1; }
convert "$out/camera-downloaded.bmp" "$out/camera-downloaded.png" && rm -f "$out/camera-downloaded.bmp"
red2=$(convert "$out/camera-downloaded.png" -format '%[fx:mean.r-mean.g]' info:)
awk -v a="$red" -v b="$red2" 'BEGIN{exit !(b < a / 2)}' || { echo "FAIL: previews still on the grid after the download (mean r-g $red -> $red2)"; exit 1; }
left=$(find "$tmp" -maxdepth 2 -name 's-*' | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: $left session folder(s) left after quit"; find "$tmp"; exit 1; }
echo "ok: phone read, unplugged, resumed; a phone's previews fill the grid (mean r-g $red), its photos replace them ($red2); screenshots in $out"
