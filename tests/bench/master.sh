#!/usr/bin/env bash
# master.sh [CORPUS] — print masters and soft proofs: printkioskctl against the peer
# tools, in ONE run, as ONE Markdown table on stdout (progress on stderr).
#
#   6x4" @ 300 dpi master (1800x1200, portrait turned), cover crop, ICC transform to
#   CORPUS/icc/pk-sim-dyesub-glossy.icc, 8-bit TIFF, over every photo:
#     - printkioskctl render, one process per photo (as the peers' loops), and one
#       process for all photos (batch mode: the colour transform is built once, as in
#       the kiosk's long-lived process); ours also fsyncs every master (durable).
#       Both as the kiosk renders (each master in the sandboxed printkiosk-render
#       helper, app/render_sandbox.c) and with --in-process, in the same run
#     - the three-command vips CLI chain, one `vips thumbnail --export-profile` call,
#       ImageMagick convert -profile: the same command lines as
#       ../shared/bench/peers.sh part b
#   soft proof, fit 1920x1080, source -> printer -> sRGB: printkioskctl proof per
#   photo vs the vips chain of peers.sh part c
#   peak RSS (/usr/bin/time -f %M) of rendering the largest photo.
# Times: medians of PK_RUNS (default 5) runs after one warm-up, hyperfine. The paper
# is "glossy" (perceptual, BPC, sharpening) with --profile pointing at the corpus
# profile, so every tool uses the same printer profile and intent.
# Environment: PK_RUNS, PK_CTL (default build-colour/app/printkioskctl), PK_WORKDIR,
# PK_PHOTOS=N (only the first N photos, for a loaded machine; the RSS row always
# uses the largest photo of the whole corpus), PK_SKIP_IM=1 (leave ImageMagick out).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$(cd "${1:-/var/tmp/pk-corpus}" && pwd)
RUNS=${PK_RUNS:-5}
CTL=${PK_CTL:-$HERE/../../build-colour/app/printkioskctl}
CTL=$(readlink -f "$CTL")
PRN=$CORPUS/icc/pk-sim-dyesub-glossy.icc
SRGB=$CORPUS/icc/srgb.icc
[ -f "$CORPUS/SHA256SUMS" ] || { echo "corpus not complete: no $CORPUS/SHA256SUMS" >&2; exit 1; }
[ -x "$CTL" ] || { echo "no printkioskctl at $CTL (set PK_CTL)" >&2; exit 1; }
for t in hyperfine vips vipsheader /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
done
IM=$(command -v convert-im6.q16 || command -v magick || command -v convert)
WORK=${PK_WORKDIR:-$(mktemp -d /var/tmp/pk-bench-master.XXXXXX)}
mkdir -p "$WORK/out" "$WORK/bin"
[ -n "${PK_WORKDIR:-}" ] || trap 'rm -rf "$WORK"' EXIT
export VIPS_WARNING=0 CORPUS PRN SRGB WORK CTL IM

LIST=$WORK/list.tsv; : > "$LIST"
N=0 BIG= BIGPX=0
for f in "$CORPUS"/*.jpg; do
    w=$(vipsheader -f width "$f"); h=$(vipsheader -f height "$f")
    [ $((w * h)) -le "$BIGPX" ] || { BIGPX=$((w * h)); BIG=$f; }
done
for f in "$CORPUS"/*.jpg; do
    [ -z "${PK_PHOTOS:-}" ] || [ "$N" -lt "$PK_PHOTOS" ] || break
    hdr=$(vipsheader -a "$f")
    w=$(vipsheader -f width "$f"); h=$(vipsheader -f height "$f")
    o=$(echo "$hdr" | awk -F': ' '/^orientation:/ {print $2+0}'); o=${o:-1}
    if [ "$o" -ge 5 ]; then t=$w; w=$h; h=$t; fi
    if [ "$w" -ge "$h" ]; then mw=1800 mh=1200; else mw=1200 mh=1800; fi
    if echo "$hdr" | grep -q '^icc-profile-data:'; then icc=1; else icc=0; fi
    printf '%s\t%s\t%s\t%s\n' "$f" "$mw" "$mh" "$icc" >> "$LIST"
    N=$((N + 1))
done
export LIST
S=$WORK/bin
loop() {
    { echo '#!/bin/sh'; echo 'set -e'
      echo 'while IFS="$(printf "\t")" read -r f mw mh icc; do b=${f##*/}; b=${b%.jpg}'
      echo "$2"
      echo 'done < "$LIST"'; } > "$S/$1"
    chmod +x "$S/$1"
}
loop pk-each '"$CTL" render --sku PRINT-6X4 --paper glossy --profile "$PRN" "$f" --out "$WORK/out/pk-$b.tif" >/dev/null'
loop pk-each-inproc '"$CTL" render --in-process --sku PRINT-6X4 --paper glossy --profile "$PRN" "$f" --out "$WORK/out/pki-$b.tif" >/dev/null'
batch() {  # batch NAME EXTRA-OPTION
    { echo '#!/bin/sh'; printf '"$CTL" render %s --sku PRINT-6X4 --paper glossy --profile "$PRN"' "$2"
      while IFS="$(printf '\t')" read -r f _ _ _; do b=${f##*/}; printf ' "%s" --out "$WORK/out/%s-%s.tif"' "$f" "$1" "${b%.jpg}"; done < "$LIST"
      echo ' >/dev/null'; } > "$S/$1"; chmod +x "$S/$1"
}
batch pk-batch ""
batch pk-batch-inproc --in-process
loop vips-master '
if [ "$icc" = 1 ]; then set -- --embedded; else set -- --input-profile "$SRGB"; fi
vips thumbnail "$f" "$WORK/out/m1.v" "$mw" --height "$mh" --crop centre
vips icc_transform "$WORK/out/m1.v" "$WORK/out/m2.v" "$PRN" "$@" --intent perceptual
vips tiffsave "$WORK/out/m2.v" "$WORK/out/vm-$b.tif"'
loop vips-master-1 '
vips thumbnail "$f" "$WORK/out/v1m-$b.tif" "$mw" --height "$mh" --crop centre \
    --import-profile "$SRGB" --export-profile "$PRN" --intent perceptual'
loop im-master '
if [ "$icc" = 1 ]; then set --; else set -- -profile "$SRGB"; fi
"$IM" "$f" -auto-orient -resize "${mw}x${mh}^" -gravity center -extent "${mw}x${mh}" \
    "$@" -intent Perceptual -profile "$PRN" -depth 8 -compress None "$WORK/out/imm-$b.tif"'
loop pk-proof '"$CTL" proof --paper glossy --profile "$PRN" --size 1920x1080 "$f" --out "$WORK/out/pp-$b.png" >/dev/null'
loop vips-proof '
if [ "$icc" = 1 ]; then set -- --embedded; else set -- --input-profile "$SRGB"; fi
vips thumbnail "$f" "$WORK/out/p1.v" 1920 --height 1080
vips icc_transform "$WORK/out/p1.v" "$WORK/out/p2.v" "$PRN" "$@" --intent perceptual
vips icc_transform "$WORK/out/p2.v" "$WORK/out/vp-$b.v" "$SRGB" --embedded --intent relative'

ROWS=$WORK/rows.tsv; : > "$ROWS"
bench() {  # bench KEY TOOL WORKLOAD COMMAND
    echo "  $2 — $3" >&2
    /usr/bin/time -f %M -o "$WORK/rss" sh -c "$4" >/dev/null 2>"$WORK/err" ||
        { echo "FAILED: $4" >&2; cat "$WORK/err" >&2; exit 1; }
    hyperfine --runs "$RUNS" --warmup 0 --style none --export-json "$WORK/hf.json" "$4" >/dev/null
    med=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/hf.json")
    cpu=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["user"]+r["system"])' "$WORK/hf.json")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$med" "$cpu" "$(tail -1 "$WORK/rss")" >> "$ROWS"
}
echo "6x4 masters, $N photos" >&2
bench pk-each "printkioskctl render (sandboxed)" "master, 1 process per photo" "$S/pk-each"
bench pk-each-inproc "printkioskctl render --in-process" "master, 1 process per photo" "$S/pk-each-inproc"
bench pk-batch "printkioskctl render (batch, sandboxed)" "master, 1 process for all" "$S/pk-batch"
bench pk-batch-inproc "printkioskctl render --in-process (batch)" "master, 1 process for all" "$S/pk-batch-inproc"
bench chain "vips CLI chain" "master: thumbnail crop → icc_transform → tiffsave" "$S/vips-master"
bench one "vips thumbnail -e printer" "master: 1 command, to TIFF" "$S/vips-master-1"
[ -n "${PK_SKIP_IM:-}" ] || bench im "IM convert -resize -profile" "master: resize^ extent profile TIFF" "$S/im-master"
echo "soft proofs 1920x1080" >&2
bench pk-proof "printkioskctl proof" "proof 1920x1080, 1 process per photo" "$S/pk-proof"
bench vips-proof "vips CLI chain" "proof: fit 1920x1080 → printer → sRGB" "$S/vips-proof"
echo "peak RSS, largest photo ($(basename "$BIG"))" >&2
/usr/bin/time -f %M -o "$WORK/rss1" "$CTL" render --sku PRINT-6X4 --paper glossy --profile "$PRN" \
    "$BIG" --out "$WORK/out/big.tif" >/dev/null
/usr/bin/time -f %M -o "$WORK/rss2" vips thumbnail "$BIG" "$WORK/out/big-v.tif" 1800 --height 1200 \
    --crop centre --import-profile "$SRGB" --export-profile "$PRN" --intent perceptual
RSS1=$(tail -1 "$WORK/rss1"); RSS2=$(tail -1 "$WORK/rss2")

get() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k {print $c}' "$ROWS"; }
ratio() { awk -v a="$(get "$1" 4)" -v b="$(get "$2" 4)" 'BEGIN {printf "%.2f", a / b}'; }
echo "## Print masters and soft proofs — $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg); corpus $N photos ($CORPUS); printer profile $(basename "$PRN"); libvips $(vips --version | cut -d- -f2); hyperfine, median of $RUNS runs after 1 warm-up."
echo
echo "| tool | workload | median s | per photo ms | CPU s (user+sys, mean) | peak RSS MB |"
echo "|---|---|---:|---:|---:|---:|"
awk -F'\t' -v n="$N" '{printf "| %s | %s | %.3f | %.1f | %.3f | %.0f |\n", $2, $3, $4, $4 * 1000 / n, $5, $6 / 1024}' "$ROWS"
echo
echo "| ratio (ours / peer, wall time) | value | target |"
echo "|---|---:|---:|"
echo "| render sandboxed / in process, per process | $(ratio pk-each pk-each-inproc) | — |"
echo "| render sandboxed / in process, batch | $(ratio pk-batch pk-batch-inproc) | — |"
echo "| render per process / vips CLI chain | $(ratio pk-each chain) | ≤ 0.50 |"
echo "| render per process / vips thumbnail -e | $(ratio pk-each one) | ≤ 0.80 |"
echo "| render batch / vips CLI chain | $(ratio pk-batch chain) | ≤ 0.50 |"
echo "| render batch / vips thumbnail -e | $(ratio pk-batch one) | ≤ 0.80 |"
echo "| proof per process / vips proof chain | $(ratio pk-proof vips-proof) | — |"
echo "| peak RSS render, largest photo ($(basename "$BIG"), $((BIGPX / 1000000)) MP) | $((RSS1 / 1024)) MB (vips thumbnail: $((RSS2 / 1024)) MB) | ≤ 200 MB |"
