#!/usr/bin/env bash
# The grid with 10 000 synthetic photos at 1920x1080: flings up and down must
# not crash, only visible cells are drawn, and thumbnail textures stay within
# the cache's byte bound (printkiosk --stats).
set -euo pipefail
build=${PK_BUILD_DIR:?}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-grid.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/fling.script" <<'S'
tap start
wait-screen source
tap demo-photos
wait-screen grid
wait-idle
drag 0.5 0.8 0.5 0.2 120
wait 300
drag 0.5 0.8 0.5 0.1 80
wait 300
drag 0.5 0.9 0.5 0.1 60
wait-idle
wheel -40
wait-idle
drag 0.5 0.2 0.5 0.9 60
wait-idle
tap-at 0.3 0.5
wait-idle
S
SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp \
  "$build/ui/printkiosk" --synthetic 10000 --size 1920x1080 --script "$tmp/fling.script" \
  --stats "$tmp/stats.json"
cat "$tmp/stats.json"
python3 - "$tmp/stats.json" <<'P'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["photos"] == 10000, s
# 1080 px tall at 320 dp cells: a few rows of 5 cells are visible at once
assert 0 < s["max_visible_cells"] <= 40, s
assert s["texture_bytes"] <= 36 * 1024 * 1024, s
assert s["textures"] < 10000, s
print("ok: %d photos, at most %d cells drawn, %d textures (%d bytes)" %
      (s["photos"], s["max_visible_cells"], s["textures"], s["texture_bytes"]))
P
