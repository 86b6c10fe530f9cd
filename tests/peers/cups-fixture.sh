#!/bin/bash
# cups-fixture.sh up|down STATE_DIR [N_PRINTERS]: the CTest fixture "cups".
#
# up: stops a peer left over from an interrupted run, starts a fresh one with
#     cups-up.sh in a new /tmp/pk-cups.XXXXXX (always traversable by lp, which a
#     build tree under /root is not) and copies its env to STATE_DIR/env.
# down: stops it (cups-down.sh) and removes the temp dir, unless
#     PK_KEEP_PEER=1 (then its logs stay for post-mortems).
# STATE_DIR/peer-dir names the live temp dir between the two.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:?usage: cups-fixture.sh up|down STATE_DIR [N]}
state=${2:?usage: cups-fixture.sh up|down STATE_DIR [N]}
mkdir -p "$state"

down() {
        [ -r "$state/peer-dir" ] || { rm -f "$state/env"; return 0; }
        local d
        d=$(cat "$state/peer-dir")
        case "$d" in /tmp/pk-cups.*) ;; *) echo "cups-fixture: odd peer dir '$d'" >&2; return 1 ;; esac
        "$here/cups-down.sh" "$d"
        [ "${PK_KEEP_PEER:-0}" = 1 ] || rm -rf "$d"
        rm -f "$state/peer-dir" "$state/env"
}

case "$cmd" in
up)
        down
        d=$(mktemp -d /tmp/pk-cups.XXXXXX)
        echo "$d" > "$state/peer-dir"
        if ! "$here/cups-up.sh" "$d" "${3:-4}"; then
                echo "cups-fixture: start failed; logs:" >&2
                tail -n 20 "$d"/log/* >&2 2>/dev/null || true
                down
                exit 1
        fi
        cp "$d/env" "$state/env.tmp"
        mv "$state/env.tmp" "$state/env"
        ;;
down)
        down
        ;;
*)
        echo "usage: cups-fixture.sh up|down STATE_DIR [N]" >&2
        exit 2
        ;;
esac
