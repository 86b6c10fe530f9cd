#!/usr/bin/env bash
# printkioskctl provision: a provisioning file is applied only when its
# Ed25519 signature verifies against the trusted key or its PIN is typed;
# a tampered, wrongly signed or invalid file writes nothing; secrets and SSH
# keys land 0600, the config 0644.
set -euo pipefail
ctl=${PK_CTL:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$ctl" provision keygen "$tmp/keys" || fail keygen
"$ctl" provision keygen "$tmp/other" || fail keygen2
[ "$(stat -c %a "$tmp/keys/provision.key")" = 600 ] || fail "secret key mode"
secret=$(printf '%064x' 12345)
jq -n --arg s "$secret" '{format:1, kiosk_id:"kiosk-0042",
        config:"[kiosk]\nid = kiosk-0042\n[retention]\ndays = 14\n", secret:$s,
        ssh_authorized_keys:"ssh-ed25519 AAAATEST tech@example\n"}' > "$tmp/p.json"
"$ctl" provision sign "$tmp/p.json" --key "$tmp/keys/provision.key" || fail sign
etc=$tmp/etc
expect_rejected() { # expect_rejected WHAT ARGS...
        local what=$1; shift
        set +e; "$ctl" provision apply "$@" --etc "$etc" > "$tmp/out.json" 2>/dev/null; local rc=$?; set -e
        [ "$rc" = 1 ] || fail "$what: exit $rc, want 1"
        [ "$(jq -r .ok "$tmp/out.json")" = false ] || fail "$what: ok"
        [ ! -e "$etc/printkiosk.conf" ] && [ ! -e "$etc/secret.conf" ] || fail "$what: files written"
}
expect_rejected "wrong key" "$tmp/p.json" --pubkey "$tmp/other/provision.pub"
cp "$tmp/p.json" "$tmp/t.json"; cp "$tmp/p.json.sig" "$tmp/t.json.sig"
sed -i 's/kiosk-0042/kiosk-0666/g' "$tmp/t.json"
expect_rejected "tampered" "$tmp/t.json" --pubkey "$tmp/keys/provision.pub"
expect_rejected "no signature, no pin" "$tmp/p.json" --sig /dev/null
jq '.config = "[kiosk]\nid = kiosk-0042\n[nonsense]\nx = 1\n"' "$tmp/p.json" > "$tmp/bad.json"
"$ctl" provision sign "$tmp/bad.json" --key "$tmp/keys/provision.key"
expect_rejected "invalid config" "$tmp/bad.json" --pubkey "$tmp/keys/provision.pub"
echo "ok - rejected files write nothing"

"$ctl" provision apply "$tmp/p.json" --pubkey "$tmp/keys/provision.pub" --etc "$etc" > "$tmp/out.json" \
        || fail "signed file rejected: $(cat "$tmp/out.json")"
[ "$(jq -r .method "$tmp/out.json")" = signature ] || fail method
[ "$(jq -r .kiosk_id "$tmp/out.json")" = kiosk-0042 ] || fail kiosk_id
[ "$(stat -c %a "$etc/secret.conf")" = 600 ] || fail "secret.conf mode"
[ "$(stat -c %a "$etc/ssh_authorized_keys")" = 600 ] || fail "ssh keys mode"
grep -q "secret = $secret" "$etc/secret.conf" || fail "secret content"
"$ctl" config check "$etc/printkiosk.conf" > /dev/null || fail "written config does not check"
echo "ok - a signed file is applied"

pin_hash=$(echo 4711 | "$ctl" provision hash-pin - | jq -r .pin_hash)
jq --arg h "$pin_hash" 'del(.secret) | .pin_hash = $h' "$tmp/p.json" > "$tmp/pin.json"
etc=$tmp/etc2
set +e; echo 1234 | "$ctl" provision apply "$tmp/pin.json" --pin-stdin --etc "$etc" > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 1 ] && [ ! -e "$etc/printkiosk.conf" ] || fail "wrong PIN: exit $rc"
echo 4711 | "$ctl" provision apply "$tmp/pin.json" --pin-stdin --etc "$etc" > "$tmp/out.json" || fail "right PIN"
[ "$(jq -r .method "$tmp/out.json")" = pin ] || fail "pin method"
[ ! -e "$etc/secret.conf" ] || fail "secret written without one"
echo "ok - a PIN-confirmed file is applied, a wrong PIN is not"
echo "3 passed, 0 failed"
