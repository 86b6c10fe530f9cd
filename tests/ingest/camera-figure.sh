#!/usr/bin/env bash
# The phone figure: a "phone" (libgphoto2's Directory Browse camlib on a
# disk: port) holding N photos of the shared corpus (12-24 MP JPEGs, each
# made distinct by a trailing byte, distinct file times). Ours: the kiosk
# core opens it as a customer's source (sandboxed probes, as in the kiosk)
# -> seconds to the first photo on the grid, to 24, to the whole phone
# downloaded and listed. Peer, same run, interleaved: the gphoto2 CLI
# downloading every file (`gphoto2 --get-all-files`). Medians of RUNS.
# Usage: camera-figure.sh BUILD_DIR [N] [RUNS]   (corpus: $PK_CORPUS or /var/tmp/pk-corpus)
# Not a CTest test: a long run. Candidate for tests/bench/.
set -euo pipefail
build=${1:?build dir}; n=${2:-48}; runs=${3:-5}
corpus=${PK_CORPUS:-/var/tmp/pk-corpus}
bench=$build/tests/ingest/kiosk_camera_bench
[ -x "$bench" ] || { echo "no $bench"; exit 2; }
command -v gphoto2 >/dev/null || { echo "gphoto2 (CLI) not installed"; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pk-camera-fig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
phone=$tmp/phone; mkdir -p "$phone/DCIM/100APPLE"
mapfile -t src < <(ls "$corpus"/*.jpg | sort)
[ "${#src[@]}" -gt 0 ] || { echo "no corpus in $corpus"; exit 2; }
for ((i = 0; i < n; i++)); do
  f=$(printf '%s/DCIM/100APPLE/IMG_%04d.JPG' "$phone" "$i")
  cp "${src[$((i % ${#src[@]}))]}" "$f"; printf '%d' "$i" >> "$f"
  touch -d "@$((1700000000 + i * 60))" "$f"
done
bytes=$(du -sb "$phone" | cut -f1)
export PK_DECODE_HELPER=${PK_DECODE_HELPER:-$build/app/decode/printkiosk-decode}
ours_listed=(); ours_first=(); ours_24=(); ours_total=(); peer=()
for ((r = 0; r < runs; r++)); do
  rm -rf "$tmp/s"; mkdir -p "$tmp/s"
  line=$("$bench" "Directory Browse" "disk:$phone" "$tmp/s")
  ours_listed+=("$(sed -n 's/.*"seconds_to_listed":\([0-9.]*\).*/\1/p' <<<"$line")")
  ours_first+=("$(sed -n 's/.*"seconds_to_first":\([0-9.]*\).*/\1/p' <<<"$line")")
  ours_24+=("$(sed -n 's/.*"seconds_to_24":\([0-9.]*\).*/\1/p' <<<"$line")")
  ours_total+=("$(sed -n 's/.*"seconds_total":\([0-9.]*\).*/\1/p' <<<"$line")")
  rm -rf "$tmp/g"; mkdir -p "$tmp/g"
  t0=$(date +%s.%N)
  (cd "$tmp/g" && gphoto2 --quiet --camera "Directory Browse" --port "disk:$phone" --get-all-files >/dev/null 2>&1)
  t1=$(date +%s.%N)
  got=$(find "$tmp/g" -type f | wc -l)
  [ "$got" -ge "$n" ] || { echo "gphoto2 fetched $got of $n"; exit 1; }
  peer+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ml=$(median "${ours_listed[@]}"); mf=$(median "${ours_first[@]}"); m24=$(median "${ours_24[@]}"); mt=$(median "${ours_total[@]}"); mp=$(median "${peer[@]}")
echo "phone: $n photos, $((bytes / 1000000)) MB, Directory Browse camlib on disk:, $runs runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| phone, $n photos (medians of $runs) | PrintKiosk | gphoto2 --get-all-files (same run) | ratio |"
echo "|---|---:|---:|---:|"
echo "| of which: camera opened and listed, s | $ml | | |"
echo "| first photo on the grid, s | $mf | $mp (all files) | $(awk -v a="$mf" -v b="$mp" 'BEGIN{printf "%.2fx", a/b}') |"
echo "| 24 photos on the grid, s | $m24 | | $(awk -v a="$m24" -v b="$mp" 'BEGIN{printf "%.2fx", a/b}') |"
echo "| whole phone downloaded + probed, s | $mt | $mp | $(awk -v a="$mt" -v b="$mp" 'BEGIN{printf "%.2fx", a/b}') |"
