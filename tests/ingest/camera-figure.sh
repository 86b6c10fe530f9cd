#!/usr/bin/env bash
# The phone figure: a "phone" (libgphoto2's Directory Browse camlib on a
# disk: port) holding N photos of the shared corpus (12-24 MP JPEGs, each
# made distinct by a trailing byte, distinct file times), each carrying a
# 160x120 EXIF thumbnail as camera and phone JPEGs do (the camlib offers it
# as the file's preview, as a PTP phone offers its thumbnail object).
# Ours: the kiosk core opens it as a customer's source (sandboxed probes and
# thumbnails, as in the kiosk; the driver asks for the first 24 cells'
# thumbnails as the UI does) -> seconds to the camera listed, the first
# photo on the grid, the first 24 cells showing a thumbnail (the phone's
# previews), the first 24 photos downloaded, the whole phone.
# Peer, same run, interleaved: the gphoto2 CLI fetching the same newest 24
# files' thumbnails (`--get-thumbnail`), the same 24 files (`--get-file`),
# and every file (`--get-all-files`), each one process as a user would run
# it (its own open + list included). Medians of RUNS.
# Usage: camera-figure.sh BUILD_DIR [N] [RUNS]   (corpus: $PK_CORPUS or /var/tmp/pk-corpus)
# Not a CTest test: a long run. Run it under nice on a shared machine.
set -euo pipefail
build=${1:?build dir}; n=${2:-48}; runs=${3:-5}
corpus=${PK_CORPUS:-/var/tmp/pk-corpus}
bench=$build/tests/ingest/kiosk_camera_bench
[ -x "$bench" ] || { echo "no $bench"; exit 2; }
command -v gphoto2 >/dev/null || { echo "gphoto2 (CLI) not installed"; exit 2; }
command -v exif >/dev/null || { echo "exif (CLI) not installed"; exit 2; }
[ "$n" -ge 24 ] || { echo "N must be >= 24"; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-camera-fig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
phone=$tmp/phone; mkdir -p "$phone/DCIM/100APPLE" "$tmp/prep"
mapfile -t src < <(ls "$corpus"/*.jpg | sort)
[ "${#src[@]}" -gt 0 ] || { echo "no corpus in $corpus"; exit 2; }
# Each corpus photo once with a fresh 160x120 EXIF thumbnail.
for ((j = 0; j < ${#src[@]}; j++)); do
  vipsthumbnail "${src[$j]}" --size 160x120 -o "$tmp/prep/th$j.jpg[Q=75]"
  exif --create-exif --remove-thumbnail -o "$tmp/prep/nothumb.jpg" "${src[$j]}" >/dev/null 2>&1 ||
    cp "${src[$j]}" "$tmp/prep/nothumb.jpg"
  exif --create-exif --insert-thumbnail="$tmp/prep/th$j.jpg" -o "$tmp/prep/p$j.jpg" \
    "$tmp/prep/nothumb.jpg" >/dev/null
done
for ((i = 0; i < n; i++)); do
  f=$(printf '%s/DCIM/100APPLE/IMG_%04d.JPG' "$phone" "$i")
  cp "$tmp/prep/p$((i % ${#src[@]})).jpg" "$f"; printf '%d' "$i" >> "$f"
  touch -d "@$((1700000000 + i * 60))" "$f"
done
bytes=$(du -sb "$phone" | cut -f1)
# gphoto2's file numbers of the newest 24 (IMG_(n-24) .. IMG_(n-1)): the
# camlib lists in directory order, so map names to numbers once.
gp=(gphoto2 --quiet --camera "Directory Browse" --port "disk:$phone")
# (--quiet -L prints one path per file, in the numbering order.)
mapfile -t newest < <("${gp[@]}" -L 2>/dev/null |
  awk -v lo=$((n - 24)) 'match($0, /IMG_[0-9]+\.JPG$/) { k = substr($0, RSTART + 4, RLENGTH - 8) + 0; if (k >= lo) print NR }')
[ "${#newest[@]}" -eq 24 ] || { echo "gphoto2 -L: found ${#newest[@]} of the newest 24"; exit 1; }
thumb_args=(); file_args=()
for x in "${newest[@]}"; do thumb_args+=(--get-thumbnail "$x"); file_args+=(--get-file "$x"); done
export PK_DECODE_HELPER=${PK_DECODE_HELPER:-$build/app/decode/printkiosk-decode}
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b - a}'; }
peer_run() { # DIR EXPECTED ARGS... -> seconds on stdout
  local d=$1 want=$2; shift 2
  rm -rf "$d"; mkdir -p "$d"
  local t0 t1; t0=$(date +%s.%N)
  (cd "$d" && "${gp[@]}" "$@" >/dev/null 2>&1)
  t1=$(date +%s.%N)
  local got; got=$(find "$d" -type f | wc -l)
  [ "$got" -ge "$want" ] || { echo "gphoto2 $* fetched $got of $want" >&2; exit 1; }
  secs "$t0" "$t1"
}
ours_listed=(); ours_first=(); ours_24s=(); ours_24=(); ours_total=(); p_th=(); p_24=(); p_all=()
for ((r = 0; r < runs; r++)); do
  rm -rf "$tmp/s"; mkdir -p "$tmp/s"
  line=$("$bench" "Directory Browse" "disk:$phone" "$tmp/s")
  get() { sed -n "s/.*\"$1\":\([0-9.-]*\).*/\1/p" <<<"$line"; }
  ours_listed+=("$(get seconds_to_listed)"); ours_first+=("$(get seconds_to_first)")
  ours_24s+=("$(get seconds_to_24_shown)"); ours_24+=("$(get seconds_to_24)")
  ours_total+=("$(get seconds_total)")
  p_th+=("$(peer_run "$tmp/g" 24 "${thumb_args[@]}")")
  p_24+=("$(peer_run "$tmp/g" 24 "${file_args[@]}")")
  p_all+=("$(peer_run "$tmp/g" "$n" --get-all-files)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'; }
ml=$(median "${ours_listed[@]}"); mf=$(median "${ours_first[@]}"); m24s=$(median "${ours_24s[@]}")
m24=$(median "${ours_24[@]}"); mt=$(median "${ours_total[@]}")
pth=$(median "${p_th[@]}"); p24=$(median "${p_24[@]}"); pall=$(median "${p_all[@]}")
echo "phone: $n photos with EXIF thumbnails, $((bytes / 1000000)) MB, Directory Browse camlib on disk:, $runs runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| phone, $n photos (medians of $runs) | PrintKiosk | gphoto2 CLI (same run) | ratio |"
echo "|---|---:|---:|---:|"
echo "| of which: camera opened and listed, s | $ml | | |"
echo "| first photo on the grid, s | $mf | | |"
echo "| first 24 cells showing a thumbnail (previews), s | $m24s | $pth (--get-thumbnail, 24 files) | $(ratio "$m24s" "$pth") |"
echo "| first 24 photos downloaded + probed, s | $m24 | $p24 (--get-file, same 24) | $(ratio "$m24" "$p24") |"
echo "| whole phone downloaded + probed, s | $mt | $pall (--get-all-files) | $(ratio "$mt" "$pall") |"
