#!/bin/bash
# cups-up.sh DIR [N_PRINTERS]: start a private CUPS peer in DIR, on loopback.
#
# Starts, all under DIR and owned by nothing outside it:
#   - a private D-Bus system bus (ippeveprinter needs one even with -r off),
#   - N_PRINTERS (default 1, max 8) ippeveprinter IPP Everywhere colour printers
#     "PrintKiosk Test Photo" on free loopback ports, with 4x6 photo media
#     loaded (borderless), keeping every document (-k) in DIR/printers/pkI/spool
#     and running tests/peers/ippeve-command.sh per job (fault file, jobs.log),
#   - a cupsd running as lp (cupsd refuses User root) with ServerRoot, spool,
#     cache, state and logs under DIR, LogLevel debug, PreserveJobHistory Yes,
#     MaxJobs 0 (no purge), no browsing, no auth, Listen 127.0.0.1:PORT,
#   - driverless queues pk1..pkN (lpadmin -m everywhere).
# Writes DIR/env (shell syntax; source it): CUPS_SERVER, PK_PRINTERS,
# PK_CUPS_DIR, PK_CUPS_PORT, PK_PRINTER_<q>_URI / _DIR, and the PIDs.
# Exits 0 when every queue answers and is idle, else non-zero after stopping
# whatever it started (cups-down.sh DIR). Never touches the system cupsd.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: cups-up.sh DIR [N_PRINTERS]}
n=${2:-1}
case "$n" in [1-8]) ;; *) echo "cups-up: N_PRINTERS must be 1..8" >&2; exit 2 ;; esac

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -e "$dir/env" ]; then
        echo "cups-up: $dir/env exists: already running? run cups-down.sh first" >&2
        exit 2
fi
# cupsd drops to lp for filters and backends: every folder on the way must be
# traversable by lp, the ones it writes owned by lp.
chmod 0755 "$dir"
d=$dir
while [ "$d" != / ]; do
        d=$(dirname "$d")
        if ! runuser -u lp -- test -x "$d" 2>/dev/null; then
                echo "cups-up: $d is not traversable by lp; use a temp dir under /tmp" >&2
                exit 2
        fi
done

ok=0
cupsd_pid=""
cleanup_on_fail() {
        [ "$ok" = 1 ] && return
        # cupsd's pid reaches DIR/pids only once the queues are set up
        [ -n "$cupsd_pid" ] && kill "$cupsd_pid" 2>/dev/null
        "$here/cups-down.sh" "$dir" >/dev/null 2>&1 || true
}
trap cleanup_on_fail EXIT

mkdir -p "$dir/log" "$dir/etc/ppd" "$dir/etc/ssl" "$dir/spool/tmp" "$dir/cache" "$dir/state/certs" "$dir/printers"
chown -R root:lp "$dir/etc" "$dir/state"
chmod 0755 "$dir/etc" "$dir/state"
chown lp:lp "$dir/log" "$dir/cache" "$dir/spool/tmp"
chown root:lp "$dir/spool"
chmod 0710 "$dir/spool"
chmod 1770 "$dir/spool/tmp"

# A free TCP port on 127.0.0.1: random in 20000..60999, nothing answering on
# it. A race with another process remains; the readiness checks below turn it
# into a retry with another port. (Pure bash: a python3 per port costs seconds
# on a loaded CI machine.)
free_port() {
        local p
        for _ in $(seq 1 50); do
                p=$((20000 + (RANDOM * 32768 + RANDOM) % 41000))
                if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
                        echo "$p"
                        return 0
                fi
        done
        return 1
}

wait_for() { # wait_for TRIES CMD...: poll every 0.1 s, bounded
        local tries=$1; shift
        for _ in $(seq 1 "$tries"); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}

# --- private D-Bus system bus ------------------------------------------------
cat > "$dir/etc/dbus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/dbus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
XML
dbus_pid=$(dbus-daemon --config-file="$dir/etc/dbus.conf" --fork --print-pid 2>"$dir/log/dbus.log")
echo "PK_DBUS_PID=$dbus_pid" > "$dir/pids"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/dbus.sock"
wait_for 50 test -S "$dir/dbus.sock" || { echo "cups-up: dbus-daemon did not start" >&2; exit 1; }

# --- ippeveprinter instances ---------------------------------------------------
# All are launched first and waited for afterwards: startup is dominated by
# process start-up, which overlaps.
declare -A port_of pid_of
launch_printer() { # launch_printer QUEUE
        local q=$1 pdir=$dir/printers/$1
        mkdir -p "$pdir/spool"
        port_of[$q]=$(free_port)
        # -s 10,10: a colour printer, which ippeveprinter gives photo sizes and
        # a borderless 4x6 glossy tray; -f: what a photo printer takes.
        PK_PEER_PRINTER_DIR=$pdir setsid ippeveprinter -n localhost -p "${port_of[$q]}" -r off -k \
                -d "$pdir/spool" -s 10,10 -M PrintKiosk -m "Test Photo" \
                -f image/jpeg,image/png,image/pwg-raster,image/urf \
                -c "$here/ippeve-command.sh" "$q" \
                </dev/null >"$dir/log/ippeveprinter-$q.log" 2>&1 &
        pid_of[$q]=$!
        echo "PK_IPPEVE_PID_$q=${pid_of[$q]}" >> "$dir/pids"
}
queues=""
for i in $(seq 1 "$n"); do
        queues="$queues${queues:+ }pk$i"
        launch_printer "pk$i"
done
envlines=""
for q in $queues; do
        started=0
        for _attempt in 1 2 3; do
                if wait_for 100 ipptool -T 2 "ipp://localhost:${port_of[$q]}/ipp/print" get-printer-attributes.test; then
                        started=1
                        break
                fi
                kill "${pid_of[$q]}" 2>/dev/null || true # e.g. the port was taken meanwhile
                launch_printer "$q"
        done
        [ "$started" = 1 ] || { echo "cups-up: ippeveprinter $q did not start" >&2; exit 1; }
        envlines+="PK_PRINTER_${q}_URI=ipp://localhost:${port_of[$q]}/ipp/print"$'\n'
        envlines+="PK_PRINTER_${q}_DIR=$dir/printers/$q"$'\n'
done

# --- cupsd as lp ------------------------------------------------------------------
cat > "$dir/etc/cups-files.conf" <<CONF
User lp
Group lp
SystemGroup root
ServerRoot $dir/etc
ServerBin /usr/lib/cups
DataDir /usr/share/cups
DocumentRoot /usr/share/cups/doc-root
RequestRoot $dir/spool
TempDir $dir/spool/tmp
CacheDir $dir/cache
StateDir $dir/state
AccessLog $dir/log/access_log
ErrorLog $dir/log/error_log
PageLog $dir/log/page_log
Printcap $dir/etc/printcap
ServerKeychain $dir/etc/ssl
CreateSelfSignedCerts no
FileDevice No
SetEnv DBUS_SYSTEM_BUS_ADDRESS unix:path=$dir/dbus.sock
CONF
# cupsd on a free port; 0 when it answers (cupsd_pid, cups_port set).
start_cupsd() {
        local _attempt
        for _attempt in 1 2 3; do
                cups_port=$(free_port)
                cat > "$dir/etc/cupsd.conf" <<CONF
LogLevel debug
MaxLogSize 0
Listen 127.0.0.1:$cups_port
ServerName 127.0.0.1
ServerAlias *
Browsing No
BrowseLocalProtocols none
WebInterface No
DefaultEncryption Never
DefaultAuthType None
# Keep every job (reconciliation after a crash looks jobs up by job-uuid).
PreserveJobHistory Yes
PreserveJobFiles No
MaxJobs 0
MaxJobTime 0
JobRetryInterval 1
IdleExitTimeout 0
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
CONF
                setsid cupsd -f -c "$dir/etc/cupsd.conf" -s "$dir/etc/cups-files.conf" \
                        </dev/null >>"$dir/log/cupsd.out" 2>&1 &
                cupsd_pid=$!
                if wait_for 50 env CUPS_SERVER="127.0.0.1:$cups_port" lpstat -r; then
                        return 0
                fi
                kill "$cupsd_pid" 2>/dev/null || true
                wait "$cupsd_pid" 2>/dev/null || true
        done
        return 1
}

# The queues, one at a time. `lpadmin -m everywhere` makes cupsd 2.4.2 build
# the PPD on a background thread that races its main loop: a fresh CI machine
# saw cupsd die of "double free or corruption" and SIGSEGV, most often with
# five queues added at once, once with one. pk-add-printer returns only once
# the queue's PPD is served, so these threads never overlap; and when cupsd
# dies anyway, the whole setup is redone with a fresh cupsd (bounded, 3).
add_queues() {
        local q
        for q in $queues; do
                # the kiosk's own queue setup (copies fix included), as a technician runs it
                bash "$here/../../app/deploy/pk-add-printer" "$q" "ipp://localhost:${port_of[$q]}/ipp/print" \
                        >/dev/null || return 1
        done
        for q in $queues; do
                wait_for 100 sh -c "lpstat -p $q | grep -q 'is idle'" || return 1
        done
}

cups_port=0
setup_ok=0
for setup in 1 2 3; do
        start_cupsd || { echo "cups-up: cupsd did not start (see $dir/log)" >&2; exit 1; }
        export CUPS_SERVER="127.0.0.1:$cups_port"
        if add_queues; then
                setup_ok=1
                break
        fi
        echo "cups-up: queue setup failed (attempt $setup; cupsd $(kill -0 "$cupsd_pid" 2>/dev/null && echo alive || echo died)); starting over" >&2
        kill "$cupsd_pid" 2>/dev/null || true
        wait "$cupsd_pid" 2>/dev/null || true
        rm -rf "$dir/etc/printers.conf" "$dir/etc/printers.conf.O" "$dir/etc/ppd/"* "$dir/cache/"*
done
[ "$setup_ok" = 1 ] || { echo "cups-up: lpadmin failed" >&2; exit 1; }
echo "PK_CUPSD_PID=$cupsd_pid" >> "$dir/pids"

{
        echo "# written by tests/peers/cups-up.sh; source it"
        echo "export CUPS_SERVER=127.0.0.1:$cups_port"
        echo "export PK_CUPS_DIR=$dir"
        echo "export PK_CUPS_PORT=$cups_port"
        echo "export PK_PRINTERS=\"$queues\""
        printf '%s' "$envlines" | sed 's/^/export /'
        sed 's/^/export /' "$dir/pids"
} > "$dir/env.tmp"
mv "$dir/env.tmp" "$dir/env"
ok=1
echo "cups-up: $queues on CUPS_SERVER=127.0.0.1:$cups_port"
