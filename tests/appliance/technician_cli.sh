#!/usr/bin/env bash
# printkioskctl doctor, export-logs and privacy against real peers: a private
# cupsd + ippeveprinter (tests/peers/cups-up.sh) and a store in a temp folder.
#  - doctor: one JSON object per check then a summary; exit 1 when cupsd is
#    unreachable, 0 with a ready configured queue and its papers in the manifest;
#  - export-logs: the bundle holds no secret and no customer file name (canaries
#    planted in the secrets file, the config and a photo's name), asks
#    journalctl for an allow-list of fields only, refuses a non-empty folder;
#  - privacy: report counts what is held; purge removes the files of a
#    cancelled order and keeps the order.
set -euo pipefail
ctl=${PK_CTL:?}
src=${PK_SOURCE_DIR:?}
. "$src/tests/orders/lib.sh"
tmp=$(mktemp -d /tmp/pk-appliance.XXXXXX)
chmod 755 "$tmp"
cleanup() { bash "$src/tests/peers/cups-down.sh" "$tmp/peer" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
jsonl_valid() { jq -c . "$1" > /dev/null || fail "$1 is not JSON Lines"; }

# --- doctor, cupsd unreachable ---------------------------------------------------
# A loopback port nobody listens on (connecting to it is refused at once).
for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
set +e
mkdir -p "$tmp/d0"
"$ctl" --data "$tmp/d0" doctor --server "127.0.0.1:$port" > "$tmp/doc0.jsonl" 2> "$tmp/doc0.err"
rc=$?
set -e
jsonl_valid "$tmp/doc0.jsonl"
[ "$rc" = 1 ] || fail "doctor with cupsd down exited $rc, want 1"
[ "$(tail -n1 "$tmp/doc0.jsonl" | jq -r '.summary')" = true ] || fail "last line is not the summary"
[ "$(jq -r 'select(.check=="printers") | .status' "$tmp/doc0.jsonl")" = fail ] || fail "printers not failed"
[ "$(jq -r 'select(.check=="store") | .status' "$tmp/doc0.jsonl")" = ok ] || fail "store not ok"
for c in versions config store disk printers papers network central clock outbox; do
        [ "$(jq -r --arg c "$c" 'select(.check==$c) | .status' "$tmp/doc0.jsonl")" != "" ] || fail "no $c check"
done
[ "$(jq -r 'select(.check=="disk") | .available_bytes > 0' "$tmp/doc0.jsonl")" = true ] || fail "disk bytes"
[ "$(tail -n1 "$tmp/doc0.jsonl" | jq -r '.failed >= 1 and .ok == false')" = true ] || fail "summary counts"
ok "doctor reports an unreachable cupsd as a failed check, exit 1"

# --- doctor, ready printer ---------------------------------------------------------
bash "$src/tests/peers/cups-up.sh" "$tmp/peer" 1 > "$tmp/peer-up.log" 2>&1 || { cat "$tmp/peer-up.log"; fail "cups peer"; }
. "$tmp/peer/env"
cat > "$tmp/ok.conf" <<CONF
[kiosk]
id = kiosk-appliance-test
[printer main]
queue = pk1
papers = glossy
CONF
"$ctl" --config "$tmp/ok.conf" --data "$tmp/d1" doctor > "$tmp/doc1.jsonl" 2> "$tmp/doc1.err" \
        || { cat "$tmp/doc1.jsonl"; fail "doctor with a ready printer exited $?"; }
jsonl_valid "$tmp/doc1.jsonl"
[ "$(jq -r 'select(.check=="printers") | .status' "$tmp/doc1.jsonl")" = ok ] || fail "printers not ok"
[ "$(jq -r 'select(.check=="printers") | .queues[0].queue' "$tmp/doc1.jsonl")" = pk1 ] || fail "queue pk1 not listed"
[ "$(jq -r 'select(.check=="papers") | .papers[0].ok' "$tmp/doc1.jsonl")" = true ] || fail "paper glossy not matched"
ok "doctor with a ready configured queue and its paper exits 0"

# A configured queue that CUPS does not have fails.
sed 's/queue = pk1/queue = no-such-queue/' "$tmp/ok.conf" > "$tmp/missing.conf"
set +e
"$ctl" --config "$tmp/missing.conf" --data "$tmp/d1" doctor > "$tmp/doc2.jsonl" 2>/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "missing queue: exit $rc"
jq -r 'select(.check=="printers") | .message' "$tmp/doc2.jsonl" | grep -q no-such-queue || fail "missing queue not named"
ok "doctor fails a configured queue that CUPS lacks"

# --- a customer order with canaries ---------------------------------------------------
canary_name="CANARY-Anna-Birthday-$$"
canary_secret=$(printf '%064x' $$)c0ffee
canary_secret=${canary_secret:0:64}
canary_token="CANARYTOKEN$$"
pk_photos "$tmp" 1
mv "$tmp/p1.jpg" "$tmp/$canary_name.jpg"
data=$tmp/d2
code=$("$ctl" --data "$data" order create --sku PRINT-6X4 --paper glossy "$tmp/$canary_name.jpg" | jget code)
[ -n "$code" ] && [ "$code" != null ] || fail "order create"
printf '[central]\nsecret = %s\n' "$canary_secret" > "$tmp/secret.conf"
chmod 600 "$tmp/secret.conf"
cat > "$tmp/export.conf" <<CONF
[kiosk]
id = kiosk-appliance-test
[central]
secret_file = $tmp/secret.conf
api_token = $canary_token
[printer main]
queue = pk1
papers = glossy
CONF

# journalctl stand-in that records its arguments (the real one is used below).
cat > "$tmp/journalctl" <<'FAKE'
#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/journalctl.args"
printf '__CURSOR=s=1\nMESSAGE=started\n\n'
FAKE
chmod +x "$tmp/journalctl"
"$ctl" --config "$tmp/export.conf" --data "$data" export-logs "$tmp/bundle" --journalctl "$tmp/journalctl" \
        > "$tmp/export.json" 2> "$tmp/export.err" || { cat "$tmp/export.err"; fail "export-logs"; }
for f in journal.export store.json config.ini doctor.jsonl manifest.json; do
        [ -s "$tmp/bundle/$f" ] || fail "bundle lacks $f"
done
jsonl_valid "$tmp/bundle/doctor.jsonl"
if grep -rqF -e "$canary_name" -e "$canary_secret" -e "$canary_token" -e "$code" "$tmp/bundle"; then
        grep -rnF -e "$canary_name" -e "$canary_secret" -e "$canary_token" -e "$code" "$tmp/bundle"
        fail "a canary leaked into the bundle"
fi
grep -q '^api_token = <redacted>' "$tmp/bundle/config.ini" || fail "token not redacted"
grep -q '^id = kiosk-appliance-test' "$tmp/bundle/config.ini" || fail "config lost its non-secret values"
[ "$(jq -r '.orders' "$tmp/bundle/store.json")" = 1 ] || fail "store.json order count"
[ "$(jq -r '.held.photos' "$tmp/bundle/store.json")" = 1 ] || fail "store.json held photos"
grep -q '^--output=export$' "$tmp/journalctl.args" || fail "journalctl not asked for export format"
grep -q '^--output-fields=.*MESSAGE' "$tmp/journalctl.args" || fail "journal fields not limited"
if grep -q '_CMDLINE\|_EXE' "$tmp/journalctl.args"; then fail "journal fields include command lines"; fi
grep -q '^printkiosk.service$' "$tmp/journalctl.args" || fail "kiosk unit not exported"
jq -e '.files | length == 4 and all(.sha256 | length == 64)' "$tmp/bundle/manifest.json" > /dev/null \
        || fail "manifest lists files with hashes"
ok "export-logs bundle has no secrets, customer names or pickup codes"

set +e
"$ctl" --data "$data" export-logs "$tmp/bundle" --no-printers > /dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "export into a non-empty folder: exit $rc, want 2"
# The real journalctl (no journal in a container is fine: an empty export).
"$ctl" --data "$data" export-logs "$tmp/bundle2" --no-printers > "$tmp/export2.json" 2>/dev/null \
        || fail "export-logs with the system journalctl"
[ -e "$tmp/bundle2/journal.export" ] || fail "no journal.export"
ok "export-logs refuses a non-empty folder and runs the system journalctl"

# --- privacy ---------------------------------------------------------------------
"$ctl" --data "$data" privacy report > "$tmp/rep1.json"
[ "$(jq -r '.photos_held' "$tmp/rep1.json")" = 1 ] || fail "report photos_held"
[ "$(jq -r '.held_since != null' "$tmp/rep1.json")" = true ] || fail "report held_since"
"$ctl" --data "$data" cancel "$code" > /dev/null
"$ctl" --data "$data" privacy purge --days 30 > "$tmp/purge0.json"
[ "$(jq -r '.photos_purged' "$tmp/purge0.json")" = 0 ] || fail "a fresh order was purged"
"$ctl" --data "$data" privacy purge --days 0 --dry-run > "$tmp/purge1.json"
[ "$(jq -r '.photos_purged' "$tmp/purge1.json")" = 1 ] || fail "dry run count"
n_before=$(find "$data/spool" -type f | wc -l)
"$ctl" --data "$data" privacy purge --days 0 > "$tmp/purge2.json"
[ "$(jq -r '.photos_purged' "$tmp/purge2.json")" = 1 ] || fail "purge count"
n_after=$(find "$data/spool" -type f | wc -l)
[ "$n_after" -lt "$n_before" ] || fail "spool still has $n_after files (was $n_before)"
"$ctl" --data "$data" privacy report > "$tmp/rep2.json"
[ "$(jq -r '.photos_held' "$tmp/rep2.json")" = 0 ] || fail "photo still held"
[ "$(jq -r '.photos_wiped' "$tmp/rep2.json")" = 1 ] || fail "wiped row kept"
[ "$("$ctl" --data "$data" order show "$code" | jget state)" = cancelled ] || fail "order lost"
ok "privacy purge removes a cancelled order's photo and keeps the order"

echo "$passed passed, 0 failed"
