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
# Hand-built minimal HEIFs (ftyp, meta{hdlr, iinf{Exif, mime}, iloc}, mdat) with
# iloc versions 0, 1 and 2, so the fuzzer starts from every iloc layout.
python3 - "$OUT" <<'PY'
import struct, sys
def box(t, body): return struct.pack(">I", 8 + len(body)) + t + body
tiff = (b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", 2)
        + struct.pack(">HHII", 0x013B, 2, 16, 38) + struct.pack(">HHII", 0x8825, 4, 1, 54)
        + struct.pack(">I", 0) + b"seedartist\0\0\0\0\0\0" + struct.pack(">H", 1)
        + struct.pack(">HHII", 0x001C, 7, 16, 72) + struct.pack(">I", 0) + b"seedgps\0\0\0\0\0\0\0\0\0")
exif = struct.pack(">I", 6) + b"Exif\0\0" + tiff
xmp = b"<x:xmpmeta><dc:creator>seedxmp</dc:creator></x:xmpmeta>"
for v in (0, 1, 2):
    ftyp = box(b"ftyp", b"heic" + b"\0\0\0\0" + b"mif1heic")
    hdlr = box(b"hdlr", b"\0" * 8 + b"pict" + b"\0" * 13)
    infe1 = box(b"infe", bytes([2, 0, 0, 0]) + struct.pack(">HH", 1, 0) + b"Exif\0")
    infe2 = box(b"infe", bytes([2, 0, 0, 0]) + struct.pack(">HH", 2, 0) + b"mime\0application/rdf+xml\0")
    iinf = box(b"iinf", b"\0\0\0\0" + struct.pack(">H", 2) + infe1 + infe2)
    def iloc(off1, off2):
        b = bytes([v, 0, 0, 0, 0x44, 0x40]) + (struct.pack(">H", 2) if v < 2 else struct.pack(">I", 2))
        for i, (o, n) in enumerate(((off1, len(exif)), (off2, len(xmp))), 1):
            b += struct.pack(">H", i) if v < 2 else struct.pack(">I", i)
            if v >= 1:
                b += struct.pack(">H", 0)
            b += struct.pack(">HIH", 0, 0, 1) + struct.pack(">II", o, n)
        return box(b"iloc", b)
    meta_len = len(box(b"meta", b"\0\0\0\0" + hdlr + iinf + iloc(0, 0)))
    start = len(ftyp) + meta_len + 8
    meta = box(b"meta", b"\0\0\0\0" + hdlr + iinf + iloc(start, start + len(exif)))
    data = ftyp + meta + box(b"mdat", exif + xmp + b"image data")
    open(f"{sys.argv[1]}/handmade-iloc{v}.heif", "wb").write(data)
PY
ls "$OUT" | wc -l
