#!/usr/bin/env bash
# The kiosk UI with a phone: printkiosk driven headlessly (SDL dummy video,
# software renderer) by a generated --script. A phone (libgphoto2's real
# "Directory Browse" camlib on a disk: port) arrives on the source screen
# (the script's `camera` command, as the USB watcher reports one), the
# screen shows the download's progress, the phone is unplugged mid-way
# ("connect your phone again", the photos read so far can be shown), comes
# back, and the grid shows every photo. Screenshots go to
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
left=$(find "$tmp" -maxdepth 2 -name 's-*' | wc -l)
[ "$left" -eq 0 ] || { echo "FAIL: $left session folder(s) left after quit"; find "$tmp"; exit 1; }
echo "ok: phone read, unplugged, resumed; screenshots in $out"
