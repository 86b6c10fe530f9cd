#!/bin/bash
# printkioskctl sync: status keys, --once exit codes (0 all sent, 1 dead-lettered),
# usage errors, one worker per data folder, SIGTERM stops the foreground worker.
set -euo pipefail
build=${PK_BUILD_DIR:?}; ctl=${PK_CTL:-$build/app/printkioskctl}
work=$(mktemp -d "${TMPDIR:-/tmp}/sync-cli.XXXXXX")
secret=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cpid=""; wpid=""
cleanup() {
        [ -n "$wpid" ] && { kill -9 "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null || true; }
        [ -n "$cpid" ] && { kill -TERM "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null || true; }
        rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$build/tests/central/pk-central" --listen 127.0.0.1:0 --port-file "$work/port" --data "$work/c" \
        --kiosk "k1:$secret" >"$work/central.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$work/port")
"$build/tests/sync/pk-sync-seed" "$work/k" k1 2 1 5000 3 --events >/dev/null

# no central configured: usage error, nothing sent
set +e; "$ctl" --data "$work/k" sync run --once 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "run without url/key exit $rc, want 2"

st=$("$ctl" --data "$work/k" sync status)
python3 - "$st" <<'PY' || fail "status before: $st"
import json, sys
s = json.loads(sys.argv[1])
want = {"pending", "sent", "dead", "oldest_pending_at", "next_due_at", "last_success_at", "circuit", "online"}
assert set(s) == want, s
assert s["pending"] == 10 and s["sent"] == 0 and s["oldest_pending_at"] > 0
PY

# wrong key: every row is refused (401 bad-signature) -> dead letters, exit 1
wrong=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp -a "$work/k" "$work/k2"
set +e
PK_CENTRAL_URL=$url PK_KIOSK_ID=k1 PK_KIOSK_SECRET=$wrong "$ctl" --data "$work/k2" sync run --once --poll 0 >/dev/null
rc=$?; set -e
[ $rc = 1 ] || fail "bad signature exit $rc, want 1"
"$ctl" --data "$work/k2" sync status | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["dead"] >= 1, s'

# right key from --config (url, kiosk id, secret file): everything sent, exit 0
printf '[central]\nsecret = %s\n' "$secret" > "$work/secret.conf"
chmod 600 "$work/secret.conf"
printf '[kiosk]\nid = k1\n[central]\nurl = %s\nsecret_file = %s\npoll_interval = 60\n' "$url" "$work/secret.conf" \
        > "$work/printkiosk.conf"
"$ctl" --config "$work/printkiosk.conf" --data "$work/k" sync run --once --poll 0 >/dev/null || fail "run --once --config"
export PK_CENTRAL_URL=$url PK_KIOSK_ID=k1 PK_KIOSK_SECRET=$secret
"$ctl" --data "$work/k" sync status | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["pending"] == 0 and s["sent"] == 10 and s["last_success_at"] > 0 and s["circuit"] == "closed", s'

# foreground worker: a second one is refused; SIGTERM ends it with exit 0
"$ctl" --data "$work/k" sync run --poll 0 >"$work/fg.out" 2>&1 &
wpid=$!
sleep 1
set +e; "$ctl" --data "$work/k" sync run --once 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "second worker exit $rc, want 2"
# Orders placed by another process (here the seeder; in the kiosk, the UI) are
# sent at once: the idle worker would otherwise look again only after 60 s.
pending() { "$ctl" --data "$work/k" sync status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])'; }
for _ in $(seq 50); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
[ "$(pending)" = 0 ] || fail "the foreground worker did not drain the first rows"
"$build/tests/sync/pk-sync-seed" "$work/k" k1 2 1 5000 7 --events >/dev/null
t0=$(date +%s%N)
for _ in $(seq 300); do [ "$(pending)" = 0 ] && break; sleep 0.1; done
[ "$(pending)" = 0 ] || fail "new outbox rows from another process not sent within 30 s (no wake-up)"
echo "rows from another process sent after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
kill -TERM "$wpid"
set +e; wait "$wpid"; rc=$?; set -e
wpid=""
[ $rc = 0 ] || fail "SIGTERM exit $rc: $(cat "$work/fg.out")"
echo "sync cli: ok"
