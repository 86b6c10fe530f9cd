#!/usr/bin/env bash
# The image's root is mounted read-only, so systemd cannot create a missing
# mount point at boot: every mount point in the image's fstab must be made by
# customize.sh (the first qemu boot of the image dropped to emergency mode on
# a missing /var/lib/rauc). Also: repart.d fills partitions only by
# CopyBlocks= (systemd-repart 252 needs a mount for CopyFiles=, which build
# containers lack). And no daily job that fails on a read-only root is left on.
set -euo pipefail
src=${PK_SOURCE_DIR:?}
img=$src/app/deploy/image
pass=0 failed=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
# The folders customize.sh creates (its mkdir -p lines, continuation lines joined).
made=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$img/customize.sh" | sed -n 's/^[[:space:]]*mkdir -p //p' | tr ' \t' '\n\n' | grep '^/' | sort -u)
n=0
while read -r what where _; do
        case $what in ''|'#'*) continue ;; esac
        n=$((n + 1))
        [ "$n" -le 100 ] || { bad "fstab has more than 100 entries"; break; }
        [ "$where" = /tmp ] && continue # in every Debian root
        if grep -qx -- "$where" <<< "$made"; then ok; else bad "fstab mount point $where is not created by customize.sh"; fi
done < "$img/rootfs/etc/fstab"
[ "$n" -gt 0 ] || bad "no fstab entries read"
for f in "$img"/repart.d/*.conf; do
        if grep -q '^CopyFiles=' "$f"; then bad "${f##*/} uses CopyFiles= (needs a mount under repart 252)"; else ok; fi
done
# Daily jobs that write to the read-only root fail; a failed unit blocks
# blessing an update (systemd-boot-check-no-failures): qemu boot 22 had
# dpkg-db-backup and logrotate fail at midnight.
for t in dpkg-db-backup.timer logrotate.timer apt-daily.timer apt-daily-upgrade.timer; do
        grep -q "^systemctl mask .*$t" "$img/customize.sh" && ok || bad "customize.sh does not mask $t"
done
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
