#!/bin/bash
# ippeveprinter print command (-c) for the private CUPS peer (cups-up.sh).
#
# ippeveprinter runs this once per document with the spooled file as $1 and the
# job's IPP attributes as IPP_* variables. It appends one line per job to
# $PK_PEER_PRINTER_DIR/jobs.log (what reached the "printer": copies, media,
# colour options) so tests can check them, and obeys the fault file
# $PK_PEER_PRINTER_DIR/fault (one keyword), which a test writes and removes:
#   media-empty | media-jam | cover-open | marker-supply-empty
#       report the condition (STATE: +KEYWORD-error) and hold the job while the
#       fault file still names it (bounded: 120 s), then clear it and print.
#   abort   exit non-zero: ippeveprinter aborts the job; the fault is consumed.
#   slow N  take N seconds (1..60) to print, e.g. to cancel a job mid-print.
# Invariants: never blocks longer than 120 s; always exits (0 = printed).
set -u
dir=${PK_PEER_PRINTER_DIR:?}
file=${1:-}
fault=""
[ -r "$dir/fault" ] && read -r fault arg < "$dir/fault"

log_job() {
        env | grep -E "^(IPP_|CONTENT)" > "$dir/last-env"
        printf 'job=%s state=%s copies=%s media=%s media_col=%s color=%s optimize=%s format=%s size=%s file=%s\n' \
                "${IPP_JOB_ID:-?}" "$1" "${IPP_COPIES:-1}" "${IPP_MEDIA:-}" \
                "${IPP_MEDIA_COL:-}" "${IPP_PRINT_COLOR_MODE:-}" \
                "${IPP_PRINT_CONTENT_OPTIMIZE:-}" "${CONTENT_TYPE:-}" \
                "$(stat -c %s "$file" 2>/dev/null || echo 0)" "$(basename "$file")" >> "$dir/jobs.log"
}

case "$fault" in
media-empty|media-jam|cover-open|marker-supply-empty|door-open|input-tray-missing)
        echo "STATE: +$fault-error" >&2
        echo "INFO: waiting: $fault" >&2
        for _ in $(seq 1 1200); do
                cur=""
                [ -r "$dir/fault" ] && read -r cur _ < "$dir/fault"
                [ "$cur" = "$fault" ] || break
                sleep 0.1
        done
        echo "STATE: -$fault-error" >&2
        ;;
abort)
        rm -f "$dir/fault"
        log_job aborted
        echo "ERROR: fault injected: abort" >&2
        exit 1
        ;;
slow)
        n=${arg:-5}
        case "$n" in ''|*[!0-9]*) n=5 ;; esac
        [ "$n" -gt 60 ] && n=60
        sleep "$n"
        ;;
esac
echo "ATTR: job-impressions-completed=${IPP_COPIES:-1}" >&2
log_job printed
exit 0
