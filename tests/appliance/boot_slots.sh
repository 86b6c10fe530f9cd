#!/usr/bin/env bash
# The RAUC boot backend of the image (app/deploy/image/rootfs/usr/lib/
# printkiosk/printkiosk-rauc-boot) on a fake ESP: an update makes the other
# slot primary with 3 tries and a higher version; when systemd-boot has spent
# every try (entry renamed +0-3, as it does on each failed boot) the old slot
# is primary again (rollback); a blessed slot is good.
set -euo pipefail
src=${PK_SOURCE_DIR:?}
boot="$src/app/deploy/image/rootfs/usr/lib/printkiosk/printkiosk-rauc-boot"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; ls "$tmp/loader/entries"; exit 1; }
export PK_ESP=$tmp
mkdir -p "$tmp/loader/entries"
printf 'title PrintKiosk (a)\nsort-key printkiosk\nversion 1\n' > "$tmp/loader/entries/printkiosk-a.conf"
[ "$(sh "$boot" get-primary)" = a ] || fail "initial primary"
[ "$(sh "$boot" get-state a)" = good ] || fail "initial state"
sh "$boot" set-primary b
[ -e "$tmp/loader/entries/printkiosk-b+3.conf" ] || fail "no counted entry for b"
grep -q '^version 2$' "$tmp/loader/entries/printkiosk-b+3.conf" || fail "b's version"
grep -q 'root=PARTLABEL=root-b ' "$tmp/loader/entries/printkiosk-b+3.conf" || fail "b's root"
[ "$(sh "$boot" get-primary)" = b ] || fail "b not primary after the update"
# systemd-boot: one failed boot -> b+2-1, ... three -> b+0-3 (bad).
mv "$tmp/loader/entries/printkiosk-b+3.conf" "$tmp/loader/entries/printkiosk-b+0-3.conf"
[ "$(sh "$boot" get-primary)" = a ] || fail "no rollback to a when b ran out of tries"
[ "$(sh "$boot" get-state b)" = bad ] || fail "b not bad"
# Next update goes to b again, then blessing it makes it good.
sh "$boot" set-primary b
[ "$(sh "$boot" get-primary)" = b ] || fail "re-update"
sh "$boot" set-state b good
[ -e "$tmp/loader/entries/printkiosk-b.conf" ] || fail "not blessed"
[ "$(sh "$boot" get-state b)" = good ] || fail "b not good"
sh "$boot" set-state a bad
[ "$(sh "$boot" get-primary)" = b ] || fail "primary with a bad"
echo "1 passed, 0 failed"
