#!/usr/bin/env bash
# order_lock.sh BUILD_DIR: durable order commits on the disk holding $PK_BENCH_DIR
# (default /var/tmp), beside sqlite3's own single-row WAL+FULL commits (the
# durability floor of ../shared/bench/peers.sh part d), in the same run.
#
# Per run (PK_RUNS, default 5; medians over runs are printed):
#   ours:  bench_order_lock: median latency of store_order_lock (one transaction:
#          items priced, order updated, audit row, "order" outbox row) on a fresh
#          store and after PK_PREFILL (10000) orders, and the mean rate (locks /
#          elapsed) that is compared with the peer's mean rate; outbox events/s
#          one per transaction and 100 per transaction.
#   peer:  sqlite3 CLI, PK_SQLITE_N (1000) autocommit INSERTs of one 256-byte row
#          into a fresh WAL database with synchronous=FULL: commits/s.
# Prints a Markdown table. Targets (DESIGN.md): lock <= 5 ms; prefilled <= 2x
# empty; lock rate >= 0.8x sqlite3's single-row commit rate.
set -euo pipefail
BUILD=${1:?usage: order_lock.sh BUILD_DIR}
BIN=$BUILD/tests/bench/bench_order_lock
[ -x "$BIN" ] || { echo "build $BIN first (cmake --build $BUILD --target bench_order_lock)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 2; }
RUNS=${PK_RUNS:-5}; LOCKS=${PK_LOCKS:-200}; PREFILL=${PK_PREFILL:-10000}; N=${PK_SQLITE_N:-1000}
WORK=$(mktemp -d "${PK_BENCH_DIR:-/var/tmp}/pk-bench-lock.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

SQL=$WORK/wal-full.sql
{ echo "PRAGMA journal_mode=WAL;"; echo "PRAGMA synchronous=FULL;"
  echo "CREATE TABLE outbox(id INTEGER PRIMARY KEY, key TEXT UNIQUE, body BLOB);"
  awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
      printf "INSERT INTO outbox(key, body) VALUES (%c%s-%d%c, randomblob(256));\n", 39, "order", i, 39 }'
} > "$SQL"

med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: > "$WORK/ours.txt"; : > "$WORK/peer.txt"
for run in $(seq "$RUNS"); do
    # alternate the order so neither side always gets the warmer disk
    if [ $((run % 2)) -eq 1 ]; then order="ours peer"; else order="peer ours"; fi
    for who in $order; do
        if [ "$who" = ours ]; then
            rm -rf "$WORK/store"; mkdir "$WORK/store"
            "$BIN" "$WORK/store" "$LOCKS" "$PREFILL" | sed "s/^/$run /" >> "$WORK/ours.txt"
        else
            rm -f "$WORK/t.db" "$WORK/t.db-wal" "$WORK/t.db-shm"
            t0=$(date +%s%N)
            sqlite3 "$WORK/t.db" < "$SQL" > /dev/null
            t1=$(date +%s%N)
            awk -v n="$N" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", n / (ns / 1e9) }' >> "$WORK/peer.txt"
        fi
    done
done
get() { awk -v k="$1" '$2 == k { print $3 }' "$WORK/ours.txt" | med; }
empty=$(get lock_ms_empty); full=$(get lock_ms_prefilled); ev1=$(get events_per_s_single)
ev100=$(get events_per_s_batch100); prefilled=$(get prefilled_orders); peer=$(med < "$WORK/peer.txt")
rate=$(get locks_per_s_empty); ratef=$(get locks_per_s_prefilled)
fs=$(df -T "$WORK" | awk 'NR == 2 { print $2 }')
awk -v e="$empty" -v f="$full" -v p="$peer" -v rate="$rate" -v ratef="$ratef" -v ev1="$ev1" -v ev100="$ev100" -v runs="$RUNS" \
    -v locks="$LOCKS" -v pre="$prefilled" -v n="$N" -v fs="$fs" 'BEGIN {
    ours = rate; oursf = ratef
    printf "Order lock, WAL + synchronous=FULL, %s (%s), medians of %d runs (%d locks each)\n\n", "'"${PK_BENCH_DIR:-/var/tmp}"'", fs, runs, locks
    printf "| measure | ours | sqlite3 peer | ratio | target |\n|---|---:|---:|---:|---|\n"
    printf "| order lock latency, fresh store | %.2f ms | | | <= 5 ms |\n", e
    printf "| order lock latency, %d orders stored | %.2f ms | | %.2fx fresh | <= 2x fresh |\n", pre, f, f / e
    printf "| durable commits/s (lock vs single-row INSERT, %d rows) | %.0f | %.0f | %.2fx | >= 0.8x |\n", n, ours, p, ours / p
    printf "| same, %d orders stored | %.0f | %.0f | %.2fx | >= 0.8x |\n", pre, oursf, p, oursf / p
    printf "| outbox events/s, 1 per transaction | %.0f | %.0f | %.2fx | |\n", ev1, p, ev1 / p
    printf "| outbox events/s, 100 per transaction | %.0f | | | |\n", ev100
}'
