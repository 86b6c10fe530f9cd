#!/usr/bin/env bash
# READY=1 (app/watchdog, ui/ui.c ready_check) means a customer can use the
# kiosk: it goes to NOTIFY_SOCKET at the first frame whose attract screen shows
# the price list, not at the first frame (drawn before the core has the
# prices). Three runs of printkiosk, headless, each with a unix datagram socket
# bound here as systemd's NOTIFY_SOCKET (python3 listener):
#   prices     the normal price list: READY=1 arrives once, STATUS says "price
#              list"; --stats shows the frame presented just before READY was
#              the first one that drew the price list, and not the first frame
#   no-prices  a price list that prices nothing: READY=1 as soon as the core is
#              up, STATUS says there is no price list
#   fallback   a core that takes 2 s to come up (PK_UI_TEST_BOOT_DELAY_MS) and
#              the bound at 400 ms (PK_UI_READY_FALLBACK_MS): READY=1 before any
#              frame showed prices, STATUS says the price list is not loaded,
#              within the bound plus one idle loop turn (250 ms) and slack
set -euo pipefail
src=${PK_SOURCE_DIR:?}; build=${PK_BUILD_DIR:?}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-ui-ready.XXXXXX")
lpid=""
cleanup() {
        [ -n "$lpid" ] && { kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null || true; }
        rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
export SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software TMPDIR=$tmp PK_UI_SCRIPT_SETTLE_MS=0
printf 'wait-screen attract\nwait 300\nquit\n' >"$tmp/attract.script"
printf '[prices]\nversion=empty\ncurrency=GBP\n[NOT-IN-CATALOGUE]\nglossy=1\n' >"$tmp/no-prices.ini"

run() { # NAME PRICES [ENV=VALUE...]
        local name=$1 prices=$2; shift 2
        local sock=$tmp/notify-$name msgs=$tmp/msgs-$name
        rm -f "$sock" "$msgs"
        # The listener: every datagram as one JSON line, until the kiosk is gone.
        python3 - "$sock" "$msgs" <<'PY' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
deadline = time.monotonic() + 60
with open(sys.argv[2], "w") as out:
    out.write(json.dumps({"listening": True}) + "\n"); out.flush()
    while time.monotonic() < deadline:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        out.write(json.dumps({"msg": d.decode("utf-8", "replace")}) + "\n"); out.flush()
PY
        lpid=$!
        for _ in $(seq 100); do [ -S "$sock" ] && [ -s "$msgs" ] && break; sleep 0.05; done
        [ -S "$sock" ] || fail "$name: the notify listener did not start"
        local rc=0
        env NOTIFY_SOCKET="$sock" "$@" "$build/ui/printkiosk" --prices "$prices" --size 1280x720 \
                --script "$tmp/attract.script" --stats "$tmp/stats-$name.json" >"$tmp/$name.log" 2>&1 || rc=$?
        sleep 0.3 # the last datagrams reach the listener
        kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null || true; lpid=""
        [ "$rc" = 0 ] || { cat "$tmp/$name.log"; fail "$name: printkiosk exited $rc"; }
        python3 - "$msgs" "$tmp/stats-$name.json" "$name" <<'PY' || fail "$name: see above"
import json, sys
msgs = [json.loads(l).get("msg") for l in open(sys.argv[1])]
msgs = [m for m in msgs if m]
st = json.load(open(sys.argv[2]))
name = sys.argv[3]
ready = [m for m in msgs if "READY=1" in m.split("\n")]
assert len(ready) == 1, f"want one READY=1, got {msgs!r}"
status = [l[7:] for l in ready[0].split("\n") if l.startswith("STATUS=")]
assert status, f"READY=1 without STATUS=: {ready[0]!r}"
r = st["ready"]
print(f"{name}: STATUS={status[0]!r}; ready {r['reason']} at {r['ms']:.0f} ms after main "
      f"(exec {r['exec_ms']:.0f} ms), frame {r['frame']}; first frame {st['first_frame_ms']:.0f} ms; "
      f"first frame with prices {st['prices_frame']}")
assert status[0] == r["status"], (status[0], r["status"])
assert r["ms"] >= st["first_frame_ms"], "READY before the first frame"
if name == "prices":
    assert r["reason"] == "prices", r
    assert "price list" in status[0] and "no price" not in status[0] and "not loaded" not in status[0], status
    # the frame presented just before READY is the first that showed prices,
    # and it is not the first frame (that one comes before the core)
    assert st["prices_frame"] >= 1, st["prices_frame"]
    assert r["frame"] == st["prices_frame"], (r["frame"], st["prices_frame"])
elif name == "no-prices":
    assert r["reason"] == "no-prices", r
    assert "no price list" in status[0], status
    assert st["prices_frame"] == -1, st["prices_frame"]
elif name == "fallback":
    assert r["reason"] == "fallback", r
    assert "not loaded" in status[0], status
    assert st["prices_frame"] == -1 or st["prices_frame"] > r["frame"], (st["prices_frame"], r["frame"])
    waited = r["ms"] - st["first_frame_ms"]
    assert 400 <= waited <= 400 + 250 + 750, f"READY {waited:.0f} ms after the first frame, bound 400"
PY
}

run prices "$src/assets/prices.ini"
run no-prices "$tmp/no-prices.ini"
run fallback "$src/assets/prices.ini" PK_UI_TEST_BOOT_DELAY_MS=2000 PK_UI_READY_FALLBACK_MS=400
echo "ok: READY=1 with the price list, without one, and at the bound"
