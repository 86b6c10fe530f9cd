#!/usr/bin/env bash
# Drives printkiosk headlessly (SDL dummy video driver, software renderer;
# the offscreen driver dlopens EGL, whose exit-time leaks LeakSanitizer cannot name) through
# tests/ui/flow.script in landscape and portrait, converts every screenshot to
# PNG under $PK_BUILD_DIR/tests/ui/screens/<orientation>/, and compares each
# with tests/ui/golden/<orientation>/<name>.png by mean absolute colour
# difference at half size (ImageMagick `compare -metric MAE`, normalised 0..1). Never writes
# a golden: a missing one fails and says how to make it.
set -euo pipefail
src=${PK_SOURCE_DIR:?}; build=${PK_BUILD_DIR:?}
bin=$build/ui/printkiosk
tolerance=${PK_UI_GOLDEN_TOLERANCE:-0.02}
out=$build/tests/ui/screens
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-screens.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
screens="attract attract-de source grid grid-selected products products-scrolled review edit checkout staff-wrong-pin staff desk desk-keypad tech-pin tech"
fail=0
for orient in landscape portrait; do
  rm -rf "${out:?}/$orient"; mkdir -p "$out/$orient"
  flags=(--demo --size 1280x720 --script "$src/tests/ui/flow.script" --screenshot-dir "$out/$orient"
         --stats "$out/$orient/stats.json")
  [ "$orient" = portrait ] && flags+=(--portrait)
  if ! "$bin" "${flags[@]}"; then
    echo "FAIL: printkiosk exited non-zero in $orient"; exit 1
  fi
  for s in $screens; do
    bmp=$out/$orient/$s.bmp
    [ -f "$bmp" ] || { echo "FAIL: no screenshot $orient/$s"; fail=1; continue; }
    convert "$bmp" "$out/$orient/$s.png" && rm -f "$bmp"
    golden=$src/tests/ui/golden/$orient/$s.png
    if [ ! -f "$golden" ]; then
      echo "FAIL: missing golden $golden"
      echo "      look at $out/$orient/$s.png; if it is right, run tests/ui/make-goldens.sh $build"
      fail=1; continue
    fi
    # "compare" prints "ABS (NORMALISED)" on stderr and exits 1 when images differ
    # goldens are stored at half size to keep the repository small
    convert "$out/$orient/$s.png" -resize 50% "$tmp/half.png"
    m=$(compare -metric MAE "$tmp/half.png" "$golden" null: 2>&1 || true)
    norm=$(sed -n 's/.*(\(.*\)).*/\1/p' <<<"$m")
    if [ -z "$norm" ]; then echo "FAIL: $orient/$s: compare said: $m"; fail=1; continue; fi
    if awk -v n="$norm" -v t="$tolerance" 'BEGIN{exit !(n <= t)}'; then
      echo "ok   $orient/$s mean difference $norm <= $tolerance"
    else
      echo "FAIL: $orient/$s mean difference $norm > $tolerance (see $out/$orient/$s.png)"; fail=1
    fi
  done
done
exit $fail
