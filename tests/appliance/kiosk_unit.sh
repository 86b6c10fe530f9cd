#!/usr/bin/env bash
# printkiosk.service must let the kiosk's READY=1 and WATCHDOG=1 reach
# systemd, and must restart a stopped kiosk within 2x WatchdogSec. The kiosk is
# not the unit's main process (cage is; the kiosk is its child), so:
#  - NotifyAccess=all, and WATCHDOG_PID unset for the kiosk (sd_watchdog_enabled
#    ignores a WATCHDOG_PID that is not its own pid);
#  - no PAMName=: pam_systemd moves the main process into a logind session
#    scope, its children follow, and systemd then routes their notify messages
#    to the scope, not to the service (qemu boots 15-16: the unit never left
#    "activating");
#  - TimeoutAbortSec= at most WatchdogSec: the SIGABRT a watchdog timeout sends
#    does not act on a SIGSTOPped process, and the default wait for SIGKILL is 90 s.
# And the image around it: no core dumps of the kiosk units (customer data),
# no way off the kiosk from a keyboard (VT switch, getty, Ctrl+Alt+Del, SysRq).
set -euo pipefail
src=${PK_SOURCE_DIR:?}
unit=$src/app/deploy/printkiosk.service
pass=0 failed=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
# value KEY: the last assignment of KEY in the unit (later ones win in systemd).
value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
secs() { # a systemd time span of s/ms/min (or a plain number) in seconds
        awk -v t="$1" 'BEGIN { n = t + 0; if (t ~ /ms$/) n /= 1000; else if (t ~ /min$/) n *= 60; print n }'
}
[ "$(value Type)" = notify ] && ok || bad "Type is not notify"
[ "$(value NotifyAccess)" = all ] && ok || bad "NotifyAccess is not all (the kiosk is cage's child)"
[ -z "$(value PAMName)" ] && ok || bad "PAMName= moves the kiosk into a session scope; its notify messages would not reach the unit"
grep -q '^ExecStart=.*cage.*env -u WATCHDOG_PID .*printkiosk' "$unit" && ok ||
        bad "ExecStart does not unset WATCHDOG_PID for the kiosk"
wd=$(value WatchdogSec) abort=$(value TimeoutAbortSec)
[ -n "$wd" ] && ok || bad "no WatchdogSec"
if [ -n "$abort" ] && awk -v a="$(secs "$abort")" -v w="$(secs "${wd:-0}")" 'BEGIN { exit !(a > 0 && a <= w) }'; then
        ok
else
        bad "TimeoutAbortSec ($abort) is not set within WatchdogSec ($wd)"
fi
# Every test drop-in in the image that replaces ExecStart keeps the kiosk
# under cage without WATCHDOG_PID (customize.sh writes them).
custom=$src/app/deploy/image/customize.sh
if grep -q '^ExecStart=/.*cage' "$custom"; then
        grep -q 'env -u WATCHDOG_PID /usr/bin/printkiosk' "$custom" && ok || bad "customize.sh's test wrapper keeps WATCHDOG_PID"
fi
# No core dumps of processes that hold customers' photos and personal data.
for u in printkiosk.service printkiosk-sync.service printkiosk-retention.service; do
        [ "$(sed -n 's/^LimitCORE=//p' "$src/app/deploy/$u" | tail -n 1)" = 0 ] && ok || bad "$u: LimitCORE is not 0"
done
# The KMS/DRM fallback unit (image overlay): the same contract, and it and the
# cage unit exclude each other by inverse conditions.
kms=$src/app/deploy/image/rootfs/usr/lib/systemd/system/printkiosk-kms.service
kv() { sed -n "s/^$1=//p" "$kms" | tail -n 1; }
[ "$(kv LimitCORE)" = 0 ] && [ "$(kv Type)" = notify ] && [ -z "$(kv PAMName)" ] && ok || bad "printkiosk-kms.service: LimitCORE/Type/PAMName"
[ -n "$(kv WatchdogSec)" ] && [ -n "$(kv TimeoutAbortSec)" ] && ok || bad "printkiosk-kms.service: no watchdog"
# No Conflicts= between them: both are in graphical.target, and conflicting
# start jobs in the boot transaction left neither running (qemu boot 23).
! grep -q '^Conflicts=.*printkiosk.service' "$kms" && grep -qx 'ConditionPathExists=|!/usr/bin/cage' "$kms" \
        && grep -qx 'ConditionPathExists=/usr/bin/cage' "$unit" && grep -qx 'OnFailure=printkiosk-kms-fallback.service' "$unit" \
        && ok || bad "the cage unit and the KMS fallback do not exclude each other"
img=$src/app/deploy/image/rootfs/etc
grep -qx 'DefaultLimitCORE=0' "$img/systemd/system.conf.d/printkiosk.conf" && ok || bad "the image allows core dumps (DefaultLimitCORE)"
grep -qx 'Storage=none' "$img/systemd/coredump.conf.d/printkiosk.conf" && ok || bad "systemd-coredump would store dumps"
# Kiosk escape: cage without -s (no VT switching), no getty on any console,
# no Ctrl+Alt+Del reboot, no magic SysRq (qemu-boot-test.sh proves it live).
grep '^ExecStart=' "$unit" | grep -q 'cage .*-s\b' && bad "cage -s allows VT switching" || ok
for m in getty@.service serial-getty@.service console-getty.service ctrl-alt-del.target; do
        grep -q "^systemctl mask .*$m" "$custom" && ok || bad "customize.sh does not mask $m"
done
grep -qx 'CtrlAltDelBurstAction=none' "$img/systemd/system.conf.d/printkiosk.conf" && ok || bad "Ctrl+Alt+Del burst reboots"
grep -qx 'NAutoVTs=0' "$img/systemd/logind.conf.d/printkiosk.conf" && ok || bad "logind starts gettys on VT switch"
grep -qE '^kernel\.sysrq *= *0$' "$img/sysctl.d/50-printkiosk.conf" && ok || bad "magic SysRq is on"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
