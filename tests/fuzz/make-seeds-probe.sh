#!/usr/bin/env bash
# make-seeds-probe.sh [OUTDIR]: regenerate the probe fuzz seeds (tests/fuzz/corpus/probe)
# from the image test corpus generator at a tiny source size (90x60), keeping
# every file under 20 KB (the sparse file-too-large one is left out).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus/probe}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PK_CORPUS_SIZE=90x60 bash "$HERE/../corpus/make-test-corpus.sh" "$tmp/c" >/dev/null
mkdir -p "$OUT"
for f in "$tmp"/c/*; do
    b=$(basename "$f")
    case "$b" in expected.tsv|too-large.jpg) continue ;; esac
    [ "$(stat -c %s "$f")" -lt 20480 ] && cp "$f" "$OUT/$b"
done
ls "$OUT" | wc -l
