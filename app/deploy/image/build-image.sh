#!/usr/bin/env bash
# build-image.sh: a bootable x86-64 PrintKiosk disk image from Debian 12
# packages, and (with --bundle) a signed RAUC update bundle of the same root.
#
#   build-image.sh --deb printkiosk_*.deb --out DIR [--version N] [--test]
#                  [--mirror URL] [--keys DIR] [--bundle] [--unhealthy]
#                  [--cache DIR] [--bundle-only] [--also-unhealthy]
#
# Two stages, so a fix to anything after the Debian packages costs minutes,
# not the ~30 min of a 2-core mmdebstrap run:
#   base root  mmdebstrap of the Debian packages, including the .deb's own
#              Depends (read from the .deb), but not the .deb itself. With
#              --cache DIR it is kept as DIR/base-KEY.tar (KEY = hash of the
#              package list, the mirror and the mmdebstrap version) and the
#              downloaded .debs as DIR/apt (a new package list downloads only
#              what is new).
#   kiosk root the base root + `dpkg -i` of the .deb, the rootfs/ overlay,
#              customize.sh, then --version/--unhealthy: rebuilt every run.
#
# Tools (Debian 12): mmdebstrap, systemd-repart (systemd 252), dosfstools,
# e2fsprogs, rauc, openssl, zstd (app/deploy/image/packages.txt). Runs as root (mmdebstrap into a folder,
# systemd-repart formats through loop devices).
#
# Result in DIR:
#   printkiosk.img       GPT: esp (systemd-boot, /a and /b kernels), root-a
#                        (ext4, mounted read-only), root-b (empty), pk-data
#   printkiosk.img.zst   the same, compressed for distribution
#   rootfs.ext4          the root file system alone (what an update installs)
#   printkiosk-N.raucb   with --bundle: signed bundle for slot rootfs
#   unhealthy.raucb      with --also-unhealthy: the same root, version N+1,
#                        whose health check fails (qemu-boot-test.sh step 3)
#   keys/                the development signing CA (reuse with --keys; real
#                        deployments keep the private key off the build host)
# --test adds printkiosk-selftest.service: on the serial console it prints
# PK-READY, the doctor output and, when an update bundle is attached as a
# second disk (label PKUPDATE), installs it and reboots. --unhealthy builds a
# root whose health check fails (to prove rollback).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb= out= version=1 test=0 bundle=0 unhealthy=0 keys= cache= bundle_only=0 also_unhealthy=0
mirror=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
        case $1 in
        --deb) deb=$(realpath "$2"); shift 2 ;;
        --out) out=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --mirror) mirror=$2; shift 2 ;;
        --keys) keys=$(realpath "$2"); shift 2 ;;
        --cache) mkdir -p "$2"; cache=$(realpath "$2"); shift 2 ;;
        --test) test=1; shift ;;
        --bundle) bundle=1; shift ;;
        --unhealthy) unhealthy=1; shift ;;
        --bundle-only) bundle=1; bundle_only=1; shift ;;
        --also-unhealthy) bundle=1; also_unhealthy=1; shift ;;
        *) echo "usage: $0 --deb FILE --out DIR [--version N] [--test] [--bundle] [--unhealthy] [--keys DIR] [--mirror URL] [--cache DIR] [--bundle-only] [--also-unhealthy]" >&2; exit 2 ;;
        esac
done
[ -n "$deb" ] && [ -n "$out" ] || { echo "--deb and --out are required" >&2; exit 2; }
case $version in ''|*[!0-9]*) echo "--version must be a number" >&2; exit 2 ;; esac
mkdir -p "$out"; out=$(realpath "$out")
work=$(mktemp -d "${TMPDIR:-/var/tmp}/pk-image.XXXXXX")
mounts=()
cleanup() {
        local m i
        for (( i=${#mounts[@]}-1; i>=0; i-- )); do m=${mounts[$i]}; umount -l "$m" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)
log() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

# 1. Signing keys: a development CA and a signing certificate.
if [ -z "$keys" ]; then
        keys=$out/keys
        if [ ! -e "$keys/ca.cert.pem" ]; then
                mkdir -p "$keys"; chmod 700 "$keys"
                openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=PrintKiosk dev CA" \
                        -keyout "$keys/ca.key.pem" -out "$keys/ca.cert.pem" 2>/dev/null
                openssl req -newkey rsa:3072 -nodes -subj "/CN=PrintKiosk dev signing" \
                        -keyout "$keys/signing.key.pem" -out "$keys/signing.csr" 2>/dev/null
                openssl x509 -req -in "$keys/signing.csr" -CA "$keys/ca.cert.pem" -CAkey "$keys/ca.key.pem" \
                        -CAcreateserial -days 3650 -out "$keys/signing.cert.pem" 2>/dev/null
        fi
fi

# 2. The root file system from Debian 12 packages.
pkgs=(systemd systemd-sysv systemd-boot udev dbus linux-image-amd64 initramfs-tools
      e2fsprogs dosfstools kmod
      cups cups-filters cups-ipp-utils printer-driver-gutenprint ipp-usb avahi-daemon
      libnss-mdns fonts-dejavu-core fonts-noto-core cage network-manager rauc
      # `rauc install` talks D-Bus to the RAUC service, a separate package in
      # Debian (qemu boot 19: "The name de.pengutronix.rauc was not provided").
      rauc-service
      openssh-server ca-certificates
      # cage 0.1.4 (bookworm) is built with Xwayland and exits at start
      # ("Cannot find Xwayland binary") without it: qemu boot 5.
      xwayland
      # cage's seat comes from seatd (printkiosk.service has no PAM/logind
      # session: qemu boot 16); Mesa's DRI drivers for the GPU (xwayland
      # pulls them in today; named so a hardware image keeps them).
      seatd libgl1-mesa-dri)
# The .deb's runtime dependencies go into the base root, so the kiosk
# package itself installs offline with dpkg -i in the second stage.
mapfile -t debdeps < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$')
mapfile -t all < <(printf '%s\n' "${pkgs[@]}" "${debdeps[@]}" | sort -u)
# The key names only the suite, mirror and mmdebstrap version: a cached base
# (base-KEY.tar.installed lists its packages) is reused, and packages it
# lacks (a new .deb Depends, a package added to pkgs) are installed on top
# with apt in the kiosk root stage. Delete the cache to fold them into a new
# base.
key=$(printf '%s\n' bookworm "$mirror" "$(dpkg-query -W -f '${Version}' mmdebstrap)" | sha256sum | cut -c1-16)
base=$work/base.tar
[ -n "$cache" ] && base=$cache/base-$key.tar
missing=()
if [ -s "$base" ] && [ -s "$base.installed" ]; then
        for d in "${all[@]}"; do grep -qx "$d" "$base.installed" || missing+=("$d"); done
        log "base root from cache: $base${missing[*]:+ (lacks: ${missing[*]})}"
else
        log "mmdebstrap (bookworm, ${#all[@]} packages)"
        cachehooks=()
        if [ -n "$cache" ]; then
                # mmdebstrap(1)'s apt cache recipe: essential .debs are kept
                # (essential/unlink skipped) and synced back out at the end.
                mkdir -p "$cache/apt"
                cachehooks=(--skip=essential/unlink
                        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
                        --setup-hook="sync-in $cache/apt /var/cache/apt/archives/"
                        --customize-hook="sync-out /var/cache/apt/archives $cache/apt")
        fi
        mmdebstrap --variant=important --components=main --include="$(IFS=,; echo "${all[*]}")" \
                --aptopt='Acquire::Retries "3"' --dpkgopt='path-exclude=/usr/share/doc/*' \
                --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
                --format=tar "${cachehooks[@]}" bookworm "$work/base.tar.part" "$mirror"
        tar -xOf "$work/base.tar.part" ./var/lib/dpkg/status | sed -n 's/^Package: //p' | sort -u > "$base.installed"
        mv "$work/base.tar.part" "$base"
        log "base root: $(stat -c %s "$base") bytes of tar"
fi

tar -C "$here/rootfs" -cf "$work/overlay.tar" .
cp "$keys/ca.cert.pem" "$work/keyring.pem"

# Kiosk root: base + the .deb + overlay + customize.sh, in a chroot with
# /proc and /dev (the package's postinst runs systemd-sysusers/-tmpfiles).
root=$work/rootfs
mkdir -p "$root"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$base"
for m in proc dev; do
        mount --bind "/$m" "$root/$m"; mounts+=("$root/$m")
done
if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get install in the root: ${missing[*]}"
        cp /etc/resolv.conf "$root/etc/resolv.conf"
        chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${missing[*]} && apt-get clean && rm -rf /var/lib/apt/lists/*"
        : > "$root/etc/resolv.conf"
fi
cp "$deb" "$root/tmp/printkiosk.deb"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        dpkg -i /tmp/printkiosk.deb
rm -f "$root/tmp/printkiosk.deb"
tar -C "$root" --no-same-owner -xf "$work/overlay.tar"
cp "$work/keyring.pem" "$root/etc/rauc/keyring.pem"
cp "$here/customize.sh" "$root/tmp/customize.sh"
echo "$test" > "$root/tmp/flags"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/customize.sh
for (( i=${#mounts[@]}-1; i>=0; i-- )); do umount "${mounts[$i]}"; done
mounts=()
# Per-build variant (cheap, so --unhealthy needs no second package run).
echo "printkiosk-$version" > "$root/etc/printkiosk-release"
rm -f "$root/usr/lib/printkiosk/force-unhealthy"
[ "$unhealthy" = 1 ] && touch "$root/usr/lib/printkiosk/force-unhealthy"
log "root file system: $(du -sh "$work/rootfs" | cut -f1)"

# 3. The ESP: systemd-boot, slot A's kernel and a blessed entry for it.
esp=$work/esp
mkdir -p "$esp/EFI/BOOT" "$esp/EFI/systemd" "$esp/loader/entries" "$esp/a" "$esp/b"
cp "$work/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
cp "$work/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/systemd/"
# The kernel package's /vmlinuz links are not made in a chroot without
# /etc/kernel-img.conf; take the one installed kernel from /boot.
kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)
[ -n "$kver" ] && [ -e "$root/boot/initrd.img-$kver" ] || { echo "no kernel/initrd in the root" >&2; exit 1; }
# The same links in the root: the RAUC post-install hook copies the kernel of
# a freshly written slot to the ESP through them.
ln -sfn "boot/vmlinuz-$kver" "$root/vmlinuz"
ln -sfn "boot/initrd.img-$kver" "$root/initrd.img"
cp "$root/boot/vmlinuz-$kver" "$esp/a/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$esp/a/initrd.img"
printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\nconsole-mode keep\n' > "$esp/loader/loader.conf"
# no_timer_check: qemu boot 18 (TCG, host load average 16) panicked with
# "IO-APIC + timer doesn't work!": the kernel's timer IRQ check times out on
# a starved virtual CPU. Skipping the check is harmless on hardware, where it
# passes (printkiosk-rauc-boot writes the same options for slot entries).
cat > "$esp/loader/entries/printkiosk-a.conf" <<ENTRY
title PrintKiosk (a)
sort-key printkiosk
version $version
linux /a/vmlinuz
initrd /a/initrd.img
options root=PARTLABEL=root-a ro printkiosk.slot=a rauc.slot=a quiet console=tty1 console=ttyS0,115200 systemd.show_status=auto no_timer_check
ENTRY
mkdir -p "$esp/loader/entries"

# 4. The file systems are made as image files (mkfs.ext4 -d, mkfs.vfat +
# mcopy) and systemd-repart copies them in with CopyBlocks=: repart 252 can
# only fill a partition (CopyFiles=) by mounting it through a loop device, and
# build containers often lack the vfat module or mount rights (this build
# host: "Failed to mount /dev/loop0 (type vfat): No such device"). Only the
# empty data partition is formatted by repart itself (mkfs on a loop device,
# no mount). rootfs.ext4 is also exactly what an update bundle installs.
log "file systems: rootfs.ext4 (3 GiB), esp.vfat (512 MiB)"
rm -f "$work/rootfs.ext4" "$work/esp.vfat"
mkfs.ext4 -q -L root -d "$root" "$work/rootfs.ext4" 3G
mkfs.vfat -n ESP -C "$work/esp.vfat" $(( 512 * 1024 )) > /dev/null
mcopy -s -i "$work/esp.vfat" "$esp"/* ::/
if [ "$bundle_only" = 0 ]; then
        log "systemd-repart"
        rm -f "$out/printkiosk.img"
        systemd-repart --empty=create --size=8G --dry-run=no --root="$work" \
                --definitions="$here/repart.d" --seed=random "$out/printkiosk.img" > "$work/repart.log" 2>&1 \
                || { cat "$work/repart.log"; exit 1; }
        # CopyBlocks= writes every block, zeros too: give the zeros back.
        fallocate --dig-holes "$out/printkiosk.img"
fi
rm -f "$out/rootfs.ext4"
cp --sparse=always "$work/rootfs.ext4" "$out/rootfs.ext4"

# mkbundle ROOTFS_EXT4 VERSION OUT: a signed verity bundle of one root.
# zstd level 3 in the squashfs instead of mksquashfs' default gzip -9: the
# bundle step was ~12 of the 17 min of an image build (boot 22, loaded
# host); the image's kernel has CONFIG_SQUASHFS_ZSTD=y.
mkbundle() {
        rm -rf "$work/bundle"; mkdir -p "$work/bundle"
        cp --sparse=always "$1" "$work/bundle/rootfs.ext4"
        cat > "$work/bundle/manifest.raucm" <<MANIFEST
[update]
compatible=printkiosk-x86_64
version=$2

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
MANIFEST
        rm -f "$3"
        rauc bundle --cert="$keys/signing.cert.pem" --key="$keys/signing.key.pem" \
                --mksquashfs-args="-comp zstd -Xcompression-level 3" "$work/bundle" "$3"
        log "bundle $(basename "$3"): $(stat -c %s "$3") bytes"
}
if [ "$bundle" = 1 ]; then
        mkbundle "$out/rootfs.ext4" "$version" "$out/printkiosk-$version.raucb"
fi
if [ "$also_unhealthy" = 1 ]; then
        # The same root with the forced health failure and the next version:
        # the rollback test's bundle without a second package run.
        touch "$root/usr/lib/printkiosk/force-unhealthy"
        echo "printkiosk-$((version + 1))" > "$root/etc/printkiosk-release"
        rm -f "$work/rootfs-bad.ext4"
        mkfs.ext4 -q -L root -d "$root" "$work/rootfs-bad.ext4" 3G
        mkbundle "$work/rootfs-bad.ext4" "$((version + 1))" "$out/unhealthy.raucb"
        rm -f "$work/rootfs-bad.ext4" "$root/usr/lib/printkiosk/force-unhealthy"
        echo "printkiosk-$version" > "$root/etc/printkiosk-release"
fi
[ "$bundle_only" = 1 ] && { log "done (bundle only)"; exit 0; }
log "compressing"
zstd -q -T2 -10 -f "$out/printkiosk.img" -o "$out/printkiosk.img.zst"
printf 'image_bytes %s\nimage_allocated_bytes %s\nimage_zst_bytes %s\nrootfs_used_bytes %s\nbuild_seconds %s\n' \
        "$(stat -c %s "$out/printkiosk.img")" "$(( $(stat -c %b "$out/printkiosk.img") * 512 ))" \
        "$(stat -c %s "$out/printkiosk.img.zst")" "$(du -sb "$work/rootfs" | cut -f1)" \
        "$(( $(date +%s) - t0 ))" | tee "$out/figures.txt"
