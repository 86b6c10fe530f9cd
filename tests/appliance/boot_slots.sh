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
# RAUC marks the target slot bad before writing it: b has no entry yet on a
# new image, and that must succeed without creating one.
sh "$boot" set-state b bad || fail "marking a slot without an entry bad"
[ "$(sh "$boot" get-state b)" = bad ] || fail "b without an entry is not bad"
[ -z "$(ls "$tmp/loader/entries" | grep printkiosk-b)" ] || fail "set-state bad created an entry"
if sh "$boot" set-state b good 2> /dev/null; then fail "a slot without an entry marked good"; fi
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
