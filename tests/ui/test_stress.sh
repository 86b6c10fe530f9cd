#!/usr/bin/env bash
# Stress (issue 6): the kiosk must never crash, whatever the customer or the
# hardware does. Against a private cupsd + ippeveprinter of its own (faults
# must not touch the shared queue), headless, one printkiosk run per case:
#   taps-<screen>   reach the screen by widget ids, then PK_STRESS_TAPS random
#                   taps anywhere (they may navigate, order, print, sign out)
#                   on attract, grid, edit, products, review, checkout, desk, tech
#   pulled-<screen> the photo folder is removed (device pulled) while on grid,
#                   edit, products or review, then the flow goes on and random
#                   taps follow
#   fault-printing  print now, then the printer reports media-jam while
#                   printing; random taps on the printing screen
# Every run must exit 0 (a crash, sanitizer report or failed script step is
# not 0). No frame and no busy stretch of the UI loop may take more than
# PK_STRESS_MAX_FRAME_MS (100) of the kiosk's OWN time: wall time minus the
# time the UI thread sat runnable waiting for a CPU (/proc/thread-self/
# schedstat). On the 2 cores CI shares with parallel builds, wall frames of
# 100-300 ms were measured that spent 85-95 % of it waiting for a CPU, so a
# wall-time bound would test the machine's load, not the kiosk; the wall worst
# is printed beside it. Screenshots (test instrumentation) are not counted.
set -euo pipefail
src=${PK_SOURCE_DIR:?}; build=${PK_BUILD_DIR:?}
peers=$src/tests/peers
taps=${PK_STRESS_TAPS:-40}
bound=${PK_STRESS_MAX_FRAME_MS:-100}
tmp=$(mktemp -d /tmp/pk-ui-stress.XXXXXX)
chmod 755 "$tmp"
cleanup() {
        [ -n "${pdir:-}" ] && rm -f "$pdir/fault"
        bash "$peers/cups-down.sh" "$tmp/peer" >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/peer" && chmod 755 "$tmp/peer"
bash "$peers/cups-up.sh" "$tmp/peer" 1 > "$tmp/peer-up.log" 2>&1 || { cat "$tmp/peer-up.log"; exit 1; }
. "$tmp/peer/env"
pdir=$PK_PRINTER_pk1_DIR
data=$tmp/data
shots=$tmp/shots
mkdir -p "$shots"
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp
RANDOM=${PK_STRESS_SEED:-6}
fail() { echo "FAIL: $*"; exit 1; }

random_taps() { # N: tap-at lines at random points of the window
        local i
        for ((i = 0; i < $1; i++)); do
                printf 'tap-at %d.%03d %d.%03d\n' 0 $((RANDOM % 1000)) 0 $((RANDOM % 1000))
        done
}
# The way to each screen, by widget ids (as a customer or staff member taps).
to_screen() {
        echo "wait-screen attract"
        case $1 in attract) return ;; esac
        case $1 in desk|tech)
                echo "hold 0.02 0.02 3300"; echo "wait-screen staff"
                for k in 1 2 3 4 OK; do echo "tap pin-$k"; done
                echo "wait-id sid-OK"; echo "tap sid-9"; echo "tap sid-OK"
                echo "wait-screen desk"; echo "wait-id done-refresh-ok"
                [ "$1" = desk ] && return
                echo "tap desk-tech"; echo "wait-screen tech"
                for k in 5 6 7 8 OK; do echo "tap tpin-$k"; done
                echo "wait-id done-techrefresh-ok"
                return ;;
        esac
        echo "tap start"; echo "wait-screen source"; echo "tap demo-photos"
        echo "wait-screen grid"; echo "wait-idle"
        [ "$1" = grid ] && return
        echo "tap cell-0"; echo "tap cell-1"
        if [ "$1" = edit ]; then echo "tap edit-0"; echo "wait-screen edit"; return; fi
        echo "tap next"; echo "wait-screen products"; echo "tap product-0-0"
        [ "$1" = products ] && return
        echo "tap next"; echo "wait-screen review"
        [ "$1" = review ] && return
        echo "tap next"; echo "wait-screen checkout"
        [ "$1" = checkout ] && return
        echo "tap print-now"; echo "wait-screen printing"
}

worst=0; worst_case=""; worst_own=0; worst_own_case=""; summary=""
only=${PK_STRESS_ONLY:-.}   # a regex of case names (a short local run)
run() { # NAME SCRIPT [printkiosk args...]
        local name=$1 script=$2; shift 2
        [[ $name =~ $only ]] || return 0
        local stats=$tmp/stats-$name.json rc=0
        "$build/ui/printkiosk" --demo --size 1280x720 --data "$data" --printer pk1 \
                --script "$script" --screenshot-dir "$shots" --stats "$stats" "$@" \
                > "$tmp/$name.log" 2>&1 || rc=$?
        if [ "$rc" != 0 ]; then
                cat "$tmp/$name.log"
                fail "$name: printkiosk exited $rc"
        fi
        local max own frames where
        max=$(jq -r .frame_ms_max "$stats"); frames=$(jq -r .frames "$stats")
        # own = wall time minus the time the UI thread waited for a CPU (run
        # queue, /proc/thread-self/schedstat): what the kiosk did in that
        # frame or busy loop (work, locks, joins), not the other builds' load.
        own=$(jq -r '[.frame_own_ms_max, .worst_stall.own_ms] | max' "$stats")
        where=$(jq -r '"\(.worst_frame.screen), on CPU \(.worst_frame.cpu_ms), waiting for a CPU \(.worst_frame.queued_ms); own worst \(.worst_own_frame.own_ms) ms on \(.worst_own_frame.screen) (frame \(.worst_own_frame.frame)), busy loop own \(.worst_stall.own_ms) ms on \(.worst_stall.screen) (bus \(.worst_stall.bus_ms), tick \(.worst_stall.tick_ms))"' "$stats")
        summary+="$(printf '%-18s frames %5s  worst frame %8.1f ms on %s' "$name" "$frames" "$max" "$where")"$'\n'
        if awk -v a="$max" -v b="$worst" 'BEGIN{exit !(a > b)}'; then worst=$max; worst_case=$name; fi
        if awk -v a="$own" -v b="$worst_own" 'BEGIN{exit !(a > b)}'; then worst_own=$own; worst_own_case=$name; fi
}

for s in attract grid edit products review checkout desk tech; do
        { to_screen "$s"; random_taps "$taps"; echo "wait 300"; echo "quit"; } > "$tmp/taps-$s.script"
        run "taps-$s" "$tmp/taps-$s.script"
done

for s in grid edit products review; do
        [[ pulled-$s =~ $only ]] || continue
        rm -rf "$tmp/photos"; cp -r "$src/assets/demo/photos" "$tmp/photos"
        {
                to_screen "$s"
                echo "screenshot pulled-$s"
                echo "wait 1500"         # the folder goes while we wait
                echo "wait-idle"
                echo "tap start-over"    # there on every customer screen
                echo "wait-screen attract"
                echo "tap start"; echo "wait-screen source"; echo "tap demo-photos"
                echo "wait 1000"
                random_taps "$((taps / 2))"
                echo "wait 300"; echo "quit"
        } > "$tmp/pulled-$s.script"
        rm -f "$shots/pulled-$s.bmp"
        ( for _ in $(seq 1 600); do
                [ -f "$shots/pulled-$s.bmp" ] && { rm -rf "$tmp/photos"; exit 0; }
                sleep 0.05
          done ) &
        watcher=$!
        run "pulled-$s" "$tmp/pulled-$s.script" --photos "$tmp/photos"
        wait "$watcher" || true
        [ ! -e "$tmp/photos" ] || fail "pulled-$s: the folder was never removed (no screenshot?)"
done

if [[ fault-printing =~ $only ]]; then
rm -rf "$tmp/photos"; cp -r "$src/assets/demo/photos" "$tmp/photos"
{
        to_screen printing
        echo "screenshot fault-printing"
        echo "wait 2000"
        random_taps "$((taps / 2))"
        echo "wait 300"; echo "quit"
} > "$tmp/fault.script"
rm -f "$shots/fault-printing.bmp"
( for _ in $(seq 1 1200); do
        [ -f "$shots/fault-printing.bmp" ] && { echo media-jam > "$pdir/fault"; exit 0; }
        sleep 0.05
  done ) &
watcher=$!
run fault-printing "$tmp/fault.script" --photos "$tmp/photos"
wait "$watcher" || true
[ -f "$pdir/fault" ] || fail "fault-printing: the fault was never set"
rm -f "$pdir/fault"
fi

printf '%s' "$summary"
echo "worst frame (wall): $worst ms ($worst_case)"
echo "worst frame or busy loop, own time: $worst_own ms ($worst_own_case); bound $bound ms"
awk -v a="$worst_own" -v b="$bound" 'BEGIN{exit !(a <= b)}' || fail "a frame took $worst_own ms of the kiosk's own time > $bound ms"
echo "ok: no crash in $(printf '%s' "$summary" | wc -l) stress runs"
