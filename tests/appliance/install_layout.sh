#!/usr/bin/env bash
# `cmake --install` into a DESTDIR puts every file in its FHS place under /usr
# (binaries, systemd units, sysusers, tmpfiles, udev rules, profiles, assets,
# the example configuration), nothing outside /usr, and the units name
# executables that the install provides.
set -euo pipefail
build=${PK_BUILD_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
DESTDIR="$tmp/root" cmake --install "$build" --prefix /usr > "$tmp/install.log" 2>&1 \
        || { cat "$tmp/install.log"; fail "cmake --install"; }
r=$tmp/root
for f in usr/bin/printkioskctl \
         usr/lib/systemd/system/printkiosk.service \
         usr/lib/systemd/system/printkiosk-sync.service \
         usr/lib/systemd/system/printkiosk-retention.service \
         usr/lib/systemd/system/printkiosk-retention.timer \
         usr/lib/sysusers.d/printkiosk.conf \
         usr/lib/tmpfiles.d/printkiosk.conf \
         usr/lib/udev/rules.d/90-printkiosk-removable.rules \
         usr/share/printkiosk/profiles/manifest.ini \
         usr/share/printkiosk/printkiosk.conf.example; do
        [ -f "$r/$f" ] || fail "missing /$f"
done
[ -x "$r/usr/bin/printkioskctl" ] || fail "printkioskctl not executable"
[ -n "$(ls -A "$r/usr/share/printkiosk/assets")" ] || fail "no assets"
outside=$(cd "$r" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$outside" ] || fail "installed outside /usr: $outside"
[ ! -e "$r/usr/local" ] || fail "installed into /usr/local"
# Every ExecStart/ExecStartPre of our units that names one of our binaries must exist.
for u in "$r"/usr/lib/systemd/system/printkiosk*.service; do
        for exe in $(sed -n 's/^ExecStart\(Pre\)\{0,1\}=-\{0,1\}\([^ ]*\).*/\2/p' "$u"); do
                case $exe in
                /usr/bin/printkiosk*|/usr/libexec/printkiosk/*)
                        [ -x "$r$exe" ] || fail "$(basename "$u") runs $exe, not installed" ;;
                esac
        done
done
# The sysusers file creates the system user the units run as.
grep -Eq '^u[[:space:]]+printkiosk' "$r/usr/lib/sysusers.d/printkiosk.conf" || fail "no printkiosk user"
for u in "$r"/usr/lib/systemd/system/printkiosk*.service; do
        user=$(sed -n 's/^User=//p' "$u")
        [ -z "$user" ] || [ "$user" = printkiosk ] || fail "$(basename "$u") runs as $user"
done
# The installed CLI runs.
"$r/usr/bin/printkioskctl" version > /dev/null || fail "installed printkioskctl does not run"
echo "1 passed, 0 failed"
