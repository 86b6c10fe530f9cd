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
wait_for PK-SELFTEST-DONE 900 || fail "self test did not finish"
cp "$tmp/serial.log" "$dir/serial-boot1.log"
grep -aq "PK-SLOT a" "$tmp/serial.log" || fail "first boot not from slot a"
{
        echo "boot_to_ready_host_s $ready"
        grep -ao 'PK-READY uptime_s=[0-9.]*' "$tmp/serial.log" | head -n1 | sed 's/.*=/boot_to_ready_kernel_s /'
        grep -ao 'PK-WATCHDOG .*' "$tmp/serial.log" | head -n1 | tr -d '\r'
        grep -ao 'PK-SELFTEST-DONE .*' "$tmp/serial.log" | head -n1 | tr -d '\r'
} | tee "$dir/qemu-figures.txt"
grep -a 'PK-DOCTOR {"summary"' "$tmp/serial.log" | grep -q '"ok":true' || fail "doctor not ok"
[ -s "$dir/attract.png" ] || fail "no screendump"
stop
[ "$reduced" = --reduced ] && { echo "reduced run: 1 passed, 0 failed"; exit 0; }
fi

# 2. Healthy update into slot b. (-no-reboot makes qemu exit at the reboot;
# we boot it again ourselves so each boot has its own serial log.)
bundle=$(ls "$dir"/printkiosk-*.raucb | sort -V | tail -n1)
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
stop
[ "$reduced" = --update-only ] && { echo "update run: 1 passed, 0 failed"; exit 0; }

# 3. Unhealthy update into slot a: its boots fail, boot counting rolls back to b.
[ -e "$dir/unhealthy.raucb" ] || fail "no unhealthy.raucb (build-image.sh --bundle --unhealthy --version N+1)"
mkupdate "$dir/unhealthy.raucb"
rm -f "$tmp/serial.all"
boot -drive if=virtio,format=raw,file="$tmp/update.img"
wait_for PK-UPDATE-INSTALLED 900 || fail "unhealthy update not installed"
wait "$qpid" 2>/dev/null || true; qpid=
for attempt in 1 2 3 4 5; do
        boot
        wait_for 'PK-SELFTEST-DONE\|printkiosk-health: forced failure' 900 || true
        if grep -aq PK-SELFTEST-DONE "$tmp/serial.log"; then break; fi
        wait "$qpid" 2>/dev/null || true; qpid=
done
grep -aq "PK-SLOT b" "$tmp/serial.log" || fail "no rollback to slot b after $attempt boots"
echo "rollback_boots $attempt" | tee -a "$dir/qemu-figures.txt"
stop
echo "3 passed, 0 failed"
