#!/bin/sh
# Runs inside the new root (mmdebstrap customize hook): enable the kiosk,
# lock the console, seed the data partition, optional test pieces.
set -eu
read test < /tmp/flags
rm -f /tmp/flags /tmp/customize.sh
systemctl enable printkiosk.service printkiosk-sync.service printkiosk-retention.timer \
        printkiosk-health.service printkiosk-data-init.service NetworkManager.service cups.service
systemctl set-default graphical.target
# No console login by default; SSH only once provisioned (drop-in condition).
systemctl mask getty@.service serial-getty@.service console-getty.service
systemctl disable ssh.service 2>/dev/null || true
# Boot assessment: bless a slot only once boot-complete.target is reached.
systemctl enable systemd-boot-check-no-failures.service 2>/dev/null || true
mkdir -p /data /boot/efi /usr/share/printkiosk/seed
cp -a /etc/cups /usr/share/printkiosk/seed/cups-etc
cat > /usr/share/printkiosk/seed/printkiosk.conf <<CONF
[kiosk]
id = kiosk-image
store = store-image
[retention]
days = 30
CONF
if [ "$test" = 1 ]; then
        cat > /usr/lib/systemd/system/printkiosk-selftest.service <<UNIT
[Unit]
Description=PrintKiosk self test (test images only)
After=printkiosk-health.service boot-complete.target
Wants=boot-complete.target

[Service]
Type=oneshot
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=/usr/lib/printkiosk/printkiosk-selftest

[Install]
WantedBy=multi-user.target
UNIT
        cat > /usr/lib/printkiosk/printkiosk-selftest <<'SELF'
#!/bin/sh
# Test images only: report on ttyS0; install an attached update bundle once.
echo "PK-SLOT $(/usr/lib/printkiosk/printkiosk-rauc-boot get-current) $(cat /etc/printkiosk-release)"
systemctl is-active -q printkiosk.service && echo "PK-READY"
/usr/bin/printkioskctl --config /etc/printkiosk/printkiosk.conf doctor --no-printers | sed 's/^/PK-DOCTOR /'
dev=/dev/disk/by-label/PKUPDATE
if [ -e "$dev" ] && [ ! -e /data/rauc/installed-from-disk ]; then
        mkdir -p /run/pkupdate && mount -o ro,nosuid,nodev,noexec "$dev" /run/pkupdate
        t0=$(date +%s)
        if rauc install /run/pkupdate/*.raucb; then
                echo "PK-UPDATE-INSTALLED $(( $(date +%s) - t0 ))s"
                touch /data/rauc/installed-from-disk
                umount /run/pkupdate; systemctl reboot
        else
                echo "PK-UPDATE-FAILED"
        fi
fi
echo "PK-SELFTEST-DONE"
SELF
        chmod +x /usr/lib/printkiosk/printkiosk-selftest
        systemctl enable printkiosk-selftest.service
fi
apt-get clean
rm -rf /var/lib/apt/lists/*
