# Shared helpers for the order/print shell tests (sourced). Needs: PK_CTL,
# python3, vips, ipptool, and CUPS_SERVER from a cups peer env file.
# Counting is done against the real peers: CUPS jobs by job-uuid (ipptool
# Get-Jobs which-jobs=all) and printed documents in ippeveprinter's jobs.log.

ORDERS_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# pk_photos DIR N: N small distinct JPEGs DIR/pN.jpg (3:2, 600x400).
pk_photos() {
        local dir=$1 n=$2 i
        vips black "$dir/base.v" 600 400 --bands 3
        for i in $(seq 1 "$n"); do
                vips linear "$dir/base.v" "$dir/p$i.jpg" "1 1 1" "$((i * 37 % 256)) $((i * 91 % 256)) $((i * 53 % 256))"
        done
        rm -f "$dir/base.v"
}

# jget FIELD < JSON: one top-level field of a JSON line (jq: python3 start-up
# alone takes seconds on a loaded CI machine).
jget() {
        jq -r --arg f "$1" '.[$f]'
}

# cups_jobs FILE: CSV job-id,job-uuid,job-state,copies of every job cupsd knows.
cups_jobs() {
        ipptool -c "ipp://$CUPS_SERVER/" "$ORDERS_TEST_DIR/get-jobs.test" > "$1"
}

# all_store_jobs DATA OUT: "job_id item quantity state cups_job_id code copies",
# one line per job of every order in the store.
all_store_jobs() {
        local data=$1 out=$2 code
        : > "$out"
        "$PK_CTL" --data "$data" orders | jq -r .code | while read -r code; do
                "$PK_CTL" --data "$data" order show "$code" | jq -r '
                        . as $o | ($o.items | map({(.item_id): .quantity}) | add) as $q
                        | $o.jobs[] | "\(.job_id) \(.item) \($q[.item_id]) \(.state) \(.cups_job_id) \($o.code) \(.copies)"' >> "$out"
        done
}

# check_jobs STORE_JOBS CUPS_CSV JOBS_LOG...: for every store job, the number of
# CUPS jobs with its job-uuid and of documents the printer printed for it.
# Prints "jobs=N lost=N duplicates=N cancelled_in_cups=N bad_copies=N" and
# fails when a job is duplicated (>1 printed document or >1 live CUPS job),
# lost (completed in the store but never reached CUPS), or copies differ.
check_jobs() {
        python3 - "$@" <<'PY'
import csv, re, sys
store_file, cups_file, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
jobs = [l.split() for l in open(store_file) if l.strip()]
cups = {}
for row in csv.DictReader(open(cups_file)):
    u = row.get("job-uuid", "")
    if u.startswith("urn:uuid:"):
        cups.setdefault(u[9:], []).append(row)
printed = {}
for lf in logs:
    for line in open(lf):
        m = re.search(r"state=(\w+) .*file=\d+-pk-([0-9a-f-]{36})", line)
        if m and m.group(1) == "printed":
            printed[m.group(2)] = printed.get(m.group(2), 0) + 1
lost = dup = inc = badc = 0
for jid, item, qty, state, cups_id, code, copies in jobs:
    cj = cups.get(jid, [])
    live = [r for r in cj if r["job-state"] != "canceled"]
    inc += len(cj) - len(live)
    p = printed.get(jid, 0)
    if p > 1 or len(live) > 1:
        dup += 1
        print(f"DUPLICATE {code} job {jid}: cups={len(cj)} printed={p}", file=sys.stderr)
    if state == "completed" and (not cj or p == 0):
        lost += 1
        print(f"LOST {code} job {jid}: completed in store, cups={len(cj)} printed={p}", file=sys.stderr)
    for r in live:
        if r["copies"] != qty:
            badc += 1
            print(f"COPIES {code} job {jid}: cups copies={r['copies']} want {qty}", file=sys.stderr)
print(f"jobs={len(jobs)} lost={lost} duplicates={dup} cancelled_in_cups={inc} bad_copies={badc}")
sys.exit(1 if lost or dup or badc else 0)
PY
}
