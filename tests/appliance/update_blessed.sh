#!/usr/bin/env bash
# The image's RAUC pre-install handler refuses an update while the running
# slot is not blessed (its systemd-boot entry still counts tries), with a
# message that says why; a blessed slot installs. Checked on a fake ESP and
# kernel command line; system.conf must name the handler.
set -euo pipefail
src=${PK_SOURCE_DIR:?}
img=$src/app/deploy/image/rootfs
hook=$img/usr/lib/printkiosk/printkiosk-rauc-pre-install
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$hook" ] || fail "handler not executable"
grep -qx 'pre-install=/usr/lib/printkiosk/printkiosk-rauc-pre-install' "$img/etc/rauc/system.conf" \
        || fail "system.conf does not run the handler"
export PK_ESP=$tmp/esp PK_CMDLINE=$tmp/cmdline
E=$PK_ESP/loader/entries
mkdir -p "$E"
boot_slot() { echo "root=PARTLABEL=root-$1 ro printkiosk.slot=$1 rauc.slot=$1 quiet" > "$PK_CMDLINE"; }
entries() { rm -f "$E"/*; for f in "$@"; do echo "title x" > "$E/$f"; done; }
run() { set +e; sh "$hook" > "$tmp/out" 2>&1; rc=$?; set -e; }

boot_slot a; entries printkiosk-a.conf
run; [ "$rc" = 0 ] || fail "blessed slot a refused: $(cat "$tmp/out")"
# Booted b after an update, health check not passed yet: 2 tries left, 1 spent.
boot_slot b; entries printkiosk-a.conf printkiosk-b+2-1.conf
run; [ "$rc" != 0 ] || fail "unblessed slot b allowed an update"
grep -q 'not blessed' "$tmp/out" && grep -q 'printkiosk-b+2-1.conf' "$tmp/out" \
        || fail "refusal does not say why: $(cat "$tmp/out")"
# Fresh from the update (no boot spent yet) is unblessed too.
entries printkiosk-a.conf printkiosk-b+3.conf
run; [ "$rc" != 0 ] || fail "fresh counted entry allowed an update"
# Blessed by systemd-bless-boot: allowed.
entries printkiosk-a+0-3.conf printkiosk-b.conf
run; [ "$rc" = 0 ] || fail "blessed slot b refused: $(cat "$tmp/out")"
# No entry for the running slot, or no slot on the command line: refused.
entries printkiosk-a.conf
run; [ "$rc" != 0 ] || fail "slot without an entry allowed an update"
echo "root=/dev/sda1 ro" > "$PK_CMDLINE"; entries printkiosk-a.conf printkiosk-b.conf
run; [ "$rc" != 0 ] || fail "unknown slot allowed an update"
grep -q 'slot is unknown' "$tmp/out" || fail "unknown slot message: $(cat "$tmp/out")"
echo "1 passed, 0 failed"
