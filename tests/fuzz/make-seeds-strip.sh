#!/usr/bin/env bash
# make-seeds-strip.sh [OUTDIR]: regenerate the PNG, WebP and HEIC seeds of the
# strip_metadata fuzz target (tests/fuzz/corpus/strip_metadata; the JPEG seeds
# there are kept). Small photos (32x24) made by vips, then exiftool plants
# EXIF (orientation, capture time, GPS, owner, serials, comments) and XMP, and
# for PNG tEXt/tIME; each file is also kept cut in half and with a flipped
# byte in its metadata, so the fuzzer starts from both sides of every check.
# HEIC is skipped with a note when vips cannot write it (no HEVC encoder).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/corpus/strip_metadata}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"
vips gaussnoise "$tmp/n.v" 32 24 --mean 128 --sigma 40
vips colourspace "$tmp/n.v" "$tmp/g.v" srgb
vips cast "$tmp/g.v" "$tmp/g8.v" uchar
vips pngsave "$tmp/g8.v" "$tmp/seed.png" --profile srgb
vips webpsave "$tmp/g8.v" "$tmp/seed.webp" --profile srgb
vips webpsave "$tmp/g8.v" "$tmp/seed-lossless.webp" --lossless
vips heifsave "$tmp/g8.v" "$tmp/seed.heic" --compression hevc 2>/dev/null ||
    { echo "note: vips cannot write HEIC here; no HEIC seeds" >&2; rm -f "$tmp/seed.heic"; }
for f in "$tmp"/seed*.png "$tmp"/seed*.webp "$tmp"/seed*.heic; do
    [ -f "$f" ] || continue
    extra=()
    case "$f" in *.png) extra=(-PNG:Comment=seedtext "-PNG:ModifyDate=2023:06:01 09:07:13") ;; esac
    exiftool -q -q -overwrite_original -Orientation#=6 "-DateTimeOriginal=2023:06:01 09:07:13" \
        -GPSLatitude=47.5 -GPSLatitudeRef=N -GPSAreaInformation=seedgps -OwnerName=seedowner \
        -SerialNumber=seedserial -Artist=seedartist -UserComment=seedcomment \
        -XMP-dc:Creator=seedxmp "${extra[@]}" "$f"
    b=$(basename "$f"); ext=${b##*.}; stem=${b%.*}
    cp "$f" "$OUT/$stem.$ext"
    n=$(stat -c %s "$f")
    head -c $((n / 2)) "$f" > "$OUT/$stem-half.$ext"
    # Flip one byte inside the metadata (the owner string), keeping the length.
    python3 - "$f" "$OUT/$stem-flip.$ext" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"seedowner")
if i >= 0:
    b[i - 3] ^= 0x5a
open(sys.argv[2], "wb").write(bytes(b))
PY
done
ls "$OUT" | wc -l
