#!/usr/bin/env bash
# qemu-boot-test.sh IMAGE_DIR [--reduced]: boot the image built by
# build-image.sh --test --bundle in qemu (TCG, UEFI/OVMF) and check, on the
# serial console:
#   1. the kiosk reaches READY (PK-READY) and `printkioskctl doctor` runs
#      (PK-DOCTOR lines, its summary ok); a QMP screendump of the attract
#      screen is saved as attract.png (QEMU >= 7.1 writes PNG itself);
#      boot-to-READY is measured from qemu's start (host clock, includes
#      firmware) and from the kernel's start (in the VM); the self test then
#      SIGSTOPs the kiosk and reports how long systemd took to restart it;
#      before that, the kiosk escape: once the self test prints
#      PK-ESCAPE-ARMED, Ctrl+Alt+F2, Alt+F4, Alt+Tab, Super, Escape,
#      Ctrl+Alt+Backspace, Ctrl+Alt+Del and Alt+SysRq+K are sent through QMP;
#      the VT must stay tty1, the kiosk unit active with the same main pid,
#      and a screendump taken after them (escape.png) must still show the
#      attract screen (compared with one taken before the keys); no getty
#      or login runs anywhere (PK-CONSOLE); then the KMS/DRM fallback
#      (printkiosk-kms.service, no cage) must reach READY and its screendump
#      (kms.png) must show a screen (PK-KMS-READY);
#   2. an update bundle on a second disk (label PKUPDATE) is installed into
#      the inactive slot (time measured), the machine reboots into slot b;
#   3. a second, deliberately unhealthy bundle (--unhealthy) is installed; its
#      boots fail the health check, boot counting runs out and systemd-boot
#      falls back to the healthy slot (PK-SLOT changes back).
# --update-only skips step 1 and runs step 2 alone (on a fresh copy of the
# image: the first boot with the update disk attached installs it).
# --reduced stops after step 1 (one boot; ~5-10 min under TCG on a shared
# 2-core host, so it is a script, not a CTest). Needs qemu-system-x86, ovmf, dosfstools, mtools, python3; runs as root.
set -euo pipefail
dir=$(realpath "${1:?usage: qemu-boot-test.sh IMAGE_DIR [--reduced|--update-only]}")
reduced=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /var/tmp/pk-qemu.XXXXXX)
qpid=
# The serial log of the last boot is kept next to the image on every exit
# path (a failed boot is the one whose log is needed).
cleanup() {
        [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
        wait 2>/dev/null || true
        cp "$tmp/serial.log" "$dir/serial-last.log" 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 40 "$tmp/serial.log" 2>/dev/null; exit 1; }
t0=$(date +%s.%N)
since() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }

cp --sparse=always "$dir/printkiosk.img" "$tmp/disk.img"
# Every figure of this run is appended (boot 22 lost the escape line to a
# later truncating tee).
: > "$dir/qemu-figures.txt"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.fd"
# The update disk: a small FAT file system labelled PKUPDATE holding bundles.
mkupdate() {
        rm -f "$tmp/update.img"
        truncate -s 3G "$tmp/update.img"
        mkfs.vfat -n PKUPDATE "$tmp/update.img" > /dev/null
        mcopy -i "$tmp/update.img" "$1" ::/update.raucb
}

boot() { # boot [EXTRA qemu args...]: start qemu in the background, serial to serial.log
        : > "$tmp/serial.log"
        nice -n "${PK_QEMU_NICE:-10}" qemu-system-x86_64 -machine q35,accel=tcg -cpu max -m 2048 -smp 2 \
                -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
                -drive if=pflash,format=raw,unit=1,file="$tmp/vars.fd" \
                -drive if=virtio,format=raw,file="$tmp/disk.img" "$@" \
                -device virtio-vga -display none -nic none \
                -serial file:"$tmp/serial.log" -qmp unix:"$tmp/qmp.sock",server=on,wait=off \
                -no-reboot > "$tmp/qemu.log" 2>&1 &
        qpid=$!
}
wait_for() { # wait_for PATTERN SECONDS
        local end=$(( $(date +%s) + $2 ))
        while [ "$(date +%s)" -lt "$end" ]; do
                grep -aq "$1" "$tmp/serial.log" 2>/dev/null && return 0
                kill -0 "$qpid" 2>/dev/null || return 1
                sleep 2
        done
        return 1
}
qmp() { # qmp JSON-COMMAND: one command after the capabilities handshake
        python3 - "$tmp/qmp.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for cmd in ('{"execute":"qmp_capabilities"}', sys.argv[2]):
    f.write(cmd + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
    if "error" in r:
        sys.exit(r["error"].get("desc", "qmp error"))
PY
}
stop() { kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; qpid=; }
keys() { # keys QCODE...: one chord (pressed together, released by qemu)
        local k list=
        for k in "$@"; do list="$list${list:+,}{\"type\":\"qcode\",\"data\":\"$k\"}"; done
        qmp "{\"execute\":\"send-key\",\"arguments\":{\"keys\":[$list],\"hold-time\":200}}"
}
# same A.ppm B.ppm: prints the share of identical pixels of two screendumps
# (QMP's default PPM: P6, 8 bit).
same() {
        python3 - "$1" "$2" <<'PY'
import sys
def ppm(p):
    d = open(p, "rb").read()
    f = d.split(maxsplit=4)
    assert f[0] == b"P6" and f[3] == b"255", "not an 8-bit P6 PPM"
    return int(f[1]), int(f[2]), f[4][: int(f[1]) * int(f[2]) * 3]
w1, h1, a = ppm(sys.argv[1]); w2, h2, b = ppm(sys.argv[2])
if (w1, h1) != (w2, h2):
    print("0.000"); sys.exit()
n = w1 * h1
eq = sum(1 for i in range(0, n * 3, 3) if a[i:i + 3] == b[i:i + 3])
print("%.3f" % (eq / n))
PY
}
# Checks after which the run can go on are collected, reported at the end.
soft=()

# 1. First boot.
if [ "$reduced" != --update-only ]; then
boot
wait_for 'PK-READY\|PK-NOT-READY' 1200 || fail "no PK-READY within 20 min"
grep -aq PK-READY "$tmp/serial.log" || fail "kiosk not READY"
ready=$(since "$t0")
sleep 5
rm -f "$dir/attract.png"
qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$dir/attract.png\",\"format\":\"png\"}}" \
        || echo "screendump failed"
# Kiosk escape (the self test arms it after the health check and doctor).
if wait_for PK-ESCAPE-ARMED 900; then
        qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$tmp/before.ppm\"}}"
        for chord in "ctrl alt f2" "alt f4" "alt tab" meta_l esc "ctrl alt backspace" \
                "ctrl alt delete" "alt sysrq k"; do
                # shellcheck disable=SC2086
                keys $chord || soft+=("send-key $chord failed")
                sleep 3
        done
        if wait_for 'PK-ESCAPE key_irqs' 600; then
                rm -f "$dir/escape.png"
                qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$dir/escape.png\",\"format\":\"png\"}}"
                qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$tmp/after.ppm\"}}"
                esc=$(grep -ao 'PK-ESCAPE key_irqs.*' "$tmp/serial.log" | head -n1 | tr -d '\r')
                field() { echo "$esc" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
                [ "$(field key_irqs)" -ge 10 ] || soft+=("escape: the keys did not reach the VM ($esc)")
                [ "$(field tty_after)" = tty1 ] && [ "$(field tty_seen)" = tty1 ] || soft+=("escape: VT switched ($esc)")
                [ "$(field mainpid_after)" = "$(field mainpid_before)" ] && [ "$(field kiosk_after)" = "$(field kiosk_before)" ] \
                        && [ "$(field state)" = active ] || soft+=("escape: the kiosk was stopped or restarted ($esc)")
                sim=$(same "$tmp/before.ppm" "$tmp/after.ppm")
                awk -v s="$sim" 'BEGIN { exit !(s >= 0.95) }' || soft+=("escape: screen changed (identical pixels $sim)")
                echo "escape $(field key_irqs) keyboard IRQs, VT $(field tty_seen) -> $(field tty_after), main pid $(field mainpid_before) -> $(field mainpid_after), screen identical pixels $sim" \
                        | tee -a "$dir/qemu-figures.txt"
        else
                soft+=("escape: no PK-ESCAPE result")
        fi
else
        soft+=("escape: never armed")
fi
# KMS/DRM fallback: the self test stops the cage unit, starts
# printkiosk-kms.service (SDL's kmsdrm driver on the VM's DRM device) and
# prints PK-KMS-READY; its screen must be the attract screen again.
if wait_for 'PK-KMS-READY\|PK-KMS-NOT-READY' 1500 && grep -aq PK-KMS-READY "$tmp/serial.log"; then
        sleep 5
        rm -f "$dir/kms.png"
        qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$dir/kms.png\",\"format\":\"png\"}}" \
                || soft+=("kms: screendump failed")
        qmp "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$tmp/kms.ppm\"}}" || true
        k=$(grep -ao 'PK-KMS-READY .*' "$tmp/serial.log" | head -n1 | tr -d '\r')
        echo "$k" | grep -q ' cage=0 ' || soft+=("kms: cage still running ($k)")
        ksim=0.000
        [ -s "$tmp/before.ppm" ] && [ -s "$tmp/kms.ppm" ] && ksim=$(same "$tmp/before.ppm" "$tmp/kms.ppm")
        # Not blank: the attract screen has text and a price list; a black
        # or single-colour frame has (nearly) one colour.
        colours=$(python3 - "$tmp/kms.ppm" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
f = d.split(maxsplit=4)
w, h = int(f[1]), int(f[2])
px = f[4][: w * h * 3]
print(len({px[i:i + 3] for i in range(0, len(px), 3 * 7)}))
PY
)
        [ "${colours:-0}" -ge 8 ] || soft+=("kms: the screen is blank ($colours colours)")
        echo "kms ${k#PK-KMS-READY } colours=$colours identical_to_cage_attract=$ksim" | tee -a "$dir/qemu-figures.txt"
else
        soft+=("kms: the kiosk did not reach READY on KMS/DRM ($(grep -ao 'PK-KMS-NOT-READY.*' "$tmp/serial.log" | head -n1))")
fi
wait_for PK-SELFTEST-DONE 1200 || fail "self test did not finish"
cp "$tmp/serial.log" "$dir/serial-boot1.log"
con=$(grep -ao 'PK-CONSOLE .*' "$tmp/serial.log" | head -n1 | tr -d '\r')
echo "$con" | grep -q 'gettys=0 logins=0 getty_tty1=masked serial=masked cad=masked' || soft+=("console: a login is possible ($con)")
grep -aq "PK-SLOT a" "$tmp/serial.log" || fail "first boot not from slot a"
{
        echo "boot_to_ready_host_s $ready"
        grep -ao 'PK-READY uptime_s=[0-9.]*' "$tmp/serial.log" | head -n1 | sed 's/.*=/boot_to_ready_kernel_s /'
        grep -ao 'PK-WATCHDOG .*' "$tmp/serial.log" | head -n1 | tr -d '\r'
        grep -ao 'PK-SELFTEST-DONE .*' "$tmp/serial.log" | head -n1 | tr -d '\r'
} | tee -a "$dir/qemu-figures.txt"
grep -a 'PK-DOCTOR {"summary"' "$tmp/serial.log" | grep -q '"ok":true' || fail "doctor not ok"
[ -s "$dir/attract.png" ] || fail "no screendump"
stop
report() { # report STEPS: the soft failures decide the exit status
        local f
        for f in "${soft[@]}"; do echo "FAIL: $f"; done
        [ ${#soft[@]} = 0 ] && { echo "$1: passed, 0 failed"; exit 0; }
        echo "$1: ${#soft[@]} checks failed"; exit 1
}
[ "$reduced" = --reduced ] && report "reduced run"
fi

# 2. Healthy update into slot b. (-no-reboot makes qemu exit at the reboot;
# we boot it again ourselves so each boot has its own serial log.)
bundle=$(ls "$dir"/printkiosk-*.raucb | sort -V | tail -n1)
# The bundle must be whole and signed by the image's CA (build-image.sh may
# still be writing it when a test is started right after the image).
if [ -e "$dir/keys/ca.cert.pem" ]; then
        rauc info --keyring "$dir/keys/ca.cert.pem" "$bundle" > /dev/null 2>&1 || fail "bundle $bundle does not verify"
fi
mkupdate "$bundle"
boot -drive if=virtio,format=raw,file="$tmp/update.img"
# 25 min: a boot to READY (~5-9 min under TCG on a loaded host) plus rauc
# checking the bundle and writing a 3 GiB slot.
wait_for 'PK-UPDATE-INSTALLED\|PK-UPDATE-FAILED' 1500 || fail "update not installed"
grep -aq PK-UPDATE-INSTALLED "$tmp/serial.log" || fail "update failed"
grep -ao 'PK-UPDATE-INSTALLED [0-9]*s' "$tmp/serial.log" | awk '{print "update_install_s", $2}' | tee -a "$dir/qemu-figures.txt"
wait "$qpid" 2>/dev/null || true; qpid=
cp "$tmp/serial.log" "$dir/serial-boot-update.log"
boot
wait_for PK-SELFTEST-DONE 1200 || fail "no healthy boot after the update"
grep -aq "PK-SLOT b" "$tmp/serial.log" || fail "update did not boot slot b"
cp "$tmp/serial.log" "$dir/serial-boot-b.log"
grep -ao 'PK-READY uptime_s=[0-9.]*' "$tmp/serial.log" | head -n1 | sed 's/.*=/slot_b_boot_to_ready_kernel_s /' | tee -a "$dir/qemu-figures.txt"
# systemd-bless-boot renames the counted entry printkiosk-b+N.conf of a
# healthy slot to printkiosk-b.conf once boot-complete.target is reached.
ent=$(grep -ao 'PK-ENTRIES .*' "$tmp/serial.log" | head -n1 | tr -d '\r')
echo "slot_b_entries $ent" | tee -a "$dir/qemu-figures.txt"
echo "$ent" | grep -q 'boot_complete=active' && echo "$ent" | grep -q ' printkiosk-b\.conf' \
        || soft+=("slot b not blessed ($ent)")
stop
[ "$reduced" = --update-only ] && report "update run"

# 3. Unhealthy update into slot a: its boots fail, boot counting rolls back to b.
[ -e "$dir/unhealthy.raucb" ] || fail "no unhealthy.raucb (build-image.sh --bundle --unhealthy --version N+1)"
mkupdate "$dir/unhealthy.raucb"
rm -f "$dir/serial-unhealthy.log"
boot -drive if=virtio,format=raw,file="$tmp/update.img"
wait_for PK-UPDATE-INSTALLED 900 || fail "unhealthy update not installed"
wait "$qpid" 2>/dev/null || true; qpid=
for attempt in 1 2 3 4 5; do
        boot
        wait_for 'PK-SELFTEST-DONE\|printkiosk-health: forced failure' 900 || true
        { echo "=== boot $attempt after the unhealthy update"; cat "$tmp/serial.log"; } >> "$dir/serial-unhealthy.log"
        if grep -aq PK-SELFTEST-DONE "$tmp/serial.log"; then break; fi
        wait "$qpid" 2>/dev/null || true; qpid=
done
grep -aq "PK-SLOT b" "$tmp/serial.log" || fail "no rollback to slot b after $attempt boots"
echo "rollback_boots $attempt" | tee -a "$dir/qemu-figures.txt"
grep -ao 'PK-ENTRIES .*' "$tmp/serial.log" | head -n1 | tr -d '\r' | sed 's/^/rollback_entries /' | tee -a "$dir/qemu-figures.txt"
cp "$tmp/serial.log" "$dir/serial-boot-rollback.log"
stop
report "full run (boot, escape, watchdog, update, rollback)"
