#!/usr/bin/env bash
# deb_package.sh BUILD_DIR: `cpack -G DEB` from a configured and built tree,
# then check the package with dpkg-deb: control fields (name, Depends on the
# services we drive and on the shared libraries found by dpkg-shlibdeps,
# postinst) and the file list (FHS places, nothing under /usr/local or /etc
# except what is meant to be there). Not in CTest: cpack first runs the
# build's "preinstall" step over every target, minutes on a loaded CI machine.
set -euo pipefail
build=${1:-${PK_BUILD_DIR:?usage: deb_package.sh BUILD_DIR}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
start=$(date +%s)
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp" > "$tmp/cpack.log" 2>&1 \
        || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$(ls "$tmp"/*.deb)
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes, built in $(( $(date +%s) - start )) s"
dpkg-deb -f "$deb" Package | grep -qx printkiosk || fail "package name"
deps=$(dpkg-deb -f "$deb" Depends)
for d in cups cups-filters printer-driver-gutenprint cage systemd libvips42 libsqlite3-0 libcups2; do
        echo "$deps" | grep -Eq "(^|, )$d( |,|$)" || fail "Depends lacks $d"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q postinst || fail "no postinst"
dpkg-deb -c "$deb" | awk '{print $6}' > "$tmp/files"
for f in ./usr/bin/printkioskctl ./usr/lib/systemd/system/printkiosk.service \
         ./usr/lib/systemd/system/printkiosk-retention.timer ./usr/lib/sysusers.d/printkiosk.conf \
         ./usr/lib/tmpfiles.d/printkiosk.conf ./usr/lib/udev/rules.d/90-printkiosk-removable.rules \
         ./usr/share/printkiosk/profiles/manifest.ini; do
        grep -qx "$f" "$tmp/files" || fail "package lacks $f"
done
! grep -q '^\./usr/local/' "$tmp/files" || fail "files under /usr/local"
echo "1 passed, 0 failed"
