#!/usr/bin/env bash
# tests/bench/ui.sh [BUILD_DIR] [CORPUS_DIR]: the kiosk UI's figures, medians of
# $RUNS (default 5) runs, as a Markdown table.
#
# Everything runs under SDL's dummy video driver with the SOFTWARE renderer
# (no GPU on the build machine), so frame times are an upper bound of what a
# kiosk with a GPU sees. Figures:
#   cold start  exec -> first attract frame presented (/proc/self/stat starttime,
#               so dynamic linking counts), main() -> frame, and the part that is
#               SDL_Init + window + renderer, the floor any SDL app pays; exec ->
#               the price list (the script's mark once the core is up, as
#               before) and exec -> READY=1 (at the first frame that drew it)
#   fling       frame time p50/p99 at 1920x1080 while flinging a 10 000-photo
#               grid with synthetic thumbnails loading on the 2 workers, and
#               the same frames' own time (wall minus time spent runnable but
#               waiting for a CPU, /proc/thread-self/schedstat): on a loaded
#               box the wall p99 mostly measures the others' load
#   load        the 1-minute load average before and after the runs
#   tap         finger-up -> the frame showing the result presented (p50, max)
#   RSS         peak resident memory of that 10 000-photo session
#   grid fill   open the CORPUS folder -> every visible thumbnail on screen,
#               beside the peer `vipsthumbnail` making the same number of
#               256 px thumbnails with 2 processes side by side (same run)
set -euo pipefail
build=${1:-$(dirname "$0")/../../build}
corpus=${2:-/var/tmp/pk-corpus}
runs=${RUNS:-5}
bin=$build/ui/printkiosk
[ -x "$bin" ] || { echo "no $bin: build first" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-bench-ui.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
prices=$(cd "$(dirname "$0")/../.." && pwd)/assets/prices.ini
median() { sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
j() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

printf 'wait-screen attract\nmark attract\nquit\n' >"$tmp/cold.script"
cat >"$tmp/fling.script" <<'S'
tap start
wait-screen source
tap demo-photos
wait-screen grid
wait-idle
tap-at 0.3 0.5
wait-idle
drag 0.5 0.85 0.5 0.15 100
wait 400
drag 0.5 0.85 0.5 0.15 80
wait 400
drag 0.5 0.9 0.5 0.1 60
wait 600
drag 0.5 0.15 0.5 0.85 80
wait-idle
tap-at 0.5 0.5
wait-idle
S
: >"$tmp/cold"; : >"$tmp/notify"; : >"$tmp/main"; : >"$tmp/sdl"; : >"$tmp/ready"; : >"$tmp/cold_sync"; : >"$tmp/ready_sync"; : >"$tmp/p50"; : >"$tmp/p99"; : >"$tmp/own50"; : >"$tmp/own99"; : >"$tmp/g99"; : >"$tmp/gown99"; : >"$tmp/tap50"; : >"$tmp/tapmax"; : >"$tmp/rss"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  PK_UI_SCRIPT_SETTLE_MS=0 "$bin" --prices "$prices" --size 1920x1080 --script "$tmp/cold.script" --stats "$tmp/c.json"
  j "$tmp/c.json" exec_to_first_frame_ms >>"$tmp/cold"
  j "$tmp/c.json" first_frame_ms >>"$tmp/main"
  j "$tmp/c.json" sdl_ready_ms >>"$tmp/sdl"
  # exec -> the core is up and the price list drawn (the mark is taken on
  # the loop turn that takes the core; the next frame draws the prices)
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["exec_to_first_frame_ms"]-d["first_frame_ms"]+d["marks"]["attract"]))' "$tmp/c.json" >>"$tmp/ready"
  # exec -> READY=1 decided (app/watchdog: the loop turn after the first
  # frame that drew the price list; the same moment systemd is told)
  j "$tmp/c.json" ready.exec_ms >>"$tmp/notify" 2>/dev/null || echo n/a >>"$tmp/notify"
  # the same binary with the core made before the first frame (the order
  # before the boot thread): the comparison of this run
  PK_UI_SYNC_BOOT=1 PK_UI_SCRIPT_SETTLE_MS=0 "$bin" --prices "$prices" --size 1920x1080 --script "$tmp/cold.script" --stats "$tmp/c.json"
  j "$tmp/c.json" exec_to_first_frame_ms >>"$tmp/cold_sync"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["exec_to_first_frame_ms"]-d["first_frame_ms"]+d["marks"]["attract"]))' "$tmp/c.json" >>"$tmp/ready_sync"
  "$bin" --prices "$prices" --synthetic 10000 --size 1920x1080 --script "$tmp/fling.script" --stats "$tmp/f.json"
  j "$tmp/f.json" frame_ms_p50 >>"$tmp/p50"; j "$tmp/f.json" frame_ms_p99 >>"$tmp/p99"
  # the same frames' own time (wall minus waiting for a CPU: other processes'
  # load on the shared box taken out)
  j "$tmp/f.json" frame_own_ms_p50 >>"$tmp/own50" 2>/dev/null || echo n/a >>"$tmp/own50"
  j "$tmp/f.json" frame_own_ms_p99 >>"$tmp/own99" 2>/dev/null || echo n/a >>"$tmp/own99"
  # the grid screen's frames alone (the fling, without the attract and
  # source screens' first frames, which render their text for the first time)
  j "$tmp/f.json" grid_frame_ms_p99 >>"$tmp/g99" 2>/dev/null || echo n/a >>"$tmp/g99"
  j "$tmp/f.json" grid_frame_own_ms_p99 >>"$tmp/gown99" 2>/dev/null || echo n/a >>"$tmp/gown99"
  j "$tmp/f.json" tap_ms_p50 >>"$tmp/tap50"; j "$tmp/f.json" tap_ms_max >>"$tmp/tapmax"
  j "$tmp/f.json" rss_hwm_kb >>"$tmp/rss"
done
fill=n/a; peer=n/a; nvis=0
if [ -d "$corpus" ] && ls "$corpus"/*.jpg >/dev/null 2>&1; then
  mkdir -p "$tmp/photos"; cp "$corpus"/*.jpg "$tmp/photos/"
  printf 'tap start\nwait-screen source\nmark open\ntap demo-photos\nwait-screen grid\nwait-idle\nmark filled\n' >"$tmp/fill.script"
  : >"$tmp/fill"; : >"$tmp/peer"
  for i in $(seq "$runs"); do
    "$bin" --prices "$prices" --photos "$tmp/photos" --size 1920x1080 --script "$tmp/fill.script" --stats "$tmp/g.json"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["marks"]["filled"]-d["marks"]["open"]))' "$tmp/g.json" >>"$tmp/fill"
    nvis=$(j "$tmp/g.json" textures)
    # peer: the same number of thumbnails, 2 vipsthumbnail processes side by side
    ls "$tmp/photos"/*.jpg | head -n "$nvis" >"$tmp/list"
    rm -rf "$tmp/vt"; mkdir -p "$tmp/vt"
    t0=$(date +%s%N)
    xargs -P 2 -n 1 vipsthumbnail --size 256 -o "$tmp/vt/%s.jpg" <"$tmp/list"
    t1=$(date +%s%N)
    echo "scale=1; ($t1 - $t0) / 1000000" | bc >>"$tmp/peer"
  done
  fill=$(median <"$tmp/fill"); peer=$(median <"$tmp/peer")
fi
echo "load average: before $load0, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| figure (medians of $runs runs, software renderer, SDL dummy video driver) | ours | peer / floor |"
echo "|---|---|---|"
echo "| cold start: exec to first attract frame, 1920x1080 (ms) | $(median <"$tmp/cold") (main to frame: $(median <"$tmp/main")) | core before the first frame (PK_UI_SYNC_BOOT): $(median <"$tmp/cold_sync"); SDL init+window+renderer: $(median <"$tmp/sdl") |"
echo "| cold start: exec to attract with its price list (core up) (ms) | $(median <"$tmp/ready") | PK_UI_SYNC_BOOT: $(median <"$tmp/ready_sync") |"
echo "| cold start: exec to READY=1 (sent at the first frame with the price list) (ms) | $(median <"$tmp/notify") | - |"
echo "| fling 10 000-photo grid: frame time p50 / p99 (ms) | $(median <"$tmp/p50") / $(median <"$tmp/p99") | - |"
echo "| fling: the kiosk's own time per frame (wall minus waiting for a CPU) p50 / p99 (ms) | $(median <"$tmp/own50") / $(median <"$tmp/own99") | - |"
echo "| fling: grid screen frames only, p99 wall / own (ms) | $(median <"$tmp/g99") / $(median <"$tmp/gown99") | - |"
echo "| tap to visible response p50 / max (ms) | $(median <"$tmp/tap50") / $(median <"$tmp/tapmax") | - |"
echo "| peak RSS, 10 000-photo session (MB) | $(( $(median <"$tmp/rss" | cut -d. -f1) / 1024 )) | - |"
echo "| grid fill: open folder to $nvis visible thumbnails on screen (ms) | $fill | 2 x vipsthumbnail, $nvis files: $peer |"
