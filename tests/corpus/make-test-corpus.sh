#!/usr/bin/env bash
# make-test-corpus.sh OUTDIR: the image test corpus (small, deterministic).
#
# Every file is made from one upright, asymmetric source picture (four coloured
# quadrants + a gradient) with tools Debian ships: vips, exiftool, heif-enc,
# ImageMagick, and ICC profiles from argyll's ref folder. Hostile files are made by
# patching bytes of good ones (python3, bounded). The verdict each file must get
# from img_probe_file is in expected.tsv next to this script; the script copies it
# into OUTDIR so tests read one folder.
#
# Invariants: same tools -> same verdicts (byte-identical output is not promised:
# encoders differ between versions); runs in a few seconds; skips all work when
# OUTDIR/.stamp is newer than this script and expected.tsv.
set -euo pipefail
OUT=${1:?usage: make-test-corpus.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ICCDIR=${PK_ICC_DIR:-/usr/share/color/argyll/ref}
# Source size; expected.tsv assumes the default. The fuzz seeds use a tiny one.
SIZE=${PK_CORPUS_SIZE:-600x400}

if [ -f "$OUT/.stamp" ] && [ "$OUT/.stamp" -nt "$HERE/make-test-corpus.sh" ] &&
   [ "$OUT/.stamp" -nt "$HERE/expected.tsv" ]; then
    exit 0
fi
for t in vips exiftool heif-enc python3; do
    command -v "$t" >/dev/null || { echo "make-test-corpus: $t missing" >&2; exit 1; }
done
for p in sRGB.icm ClayRGB1998.icm DisplayP3.icm; do
    [ -f "$ICCDIR/$p" ] || { echo "make-test-corpus: $ICCDIR/$p missing (argyll)" >&2; exit 1; }
done

mkdir -p "$OUT"
rm -rf "$OUT/.work"; mkdir -p "$OUT/.work"
W="$OUT/.work"
export VIPS_WARNING=0
# EXIF edits are queued and run by one exiftool process (its start-up is most of
# the generator's time): ex FILE ARGS... adds one -execute section.
EXARGS="$OUT/.work/exif.args"
: > "$EXARGS"
ex() {
    local f=$1; shift
    printf '%s\n' "$@" "$f" -execute >> "$EXARGS"
}

# Upright source, 600x400 (landscape 3:2): quadrants red (top-left), green
# (top-right), blue (bottom-left), white (bottom-right), a dark diagonal band so
# no symmetry maps it onto itself. 16-bit variant for the 16-bit PNG.
python3 - "$W" "$SIZE" <<'PY'
import sys, struct
w, h = (int(v) for v in sys.argv[2].split('x'))
out = sys.argv[1]
def px(x, y):
    if abs((x * h) // w - y) < 12:        # diagonal band, top-left to bottom-right
        return (40, 40, 40)
    left, top = x < w // 2, y < h // 2
    if top and left: return (220, 30, 30)
    if top: return (30, 200, 40)
    if left: return (30, 40, 210)
    g = 150 + (x - w // 2) * 100 // (w // 2)   # gradient inside the white quadrant
    return (g, g, g)
rows = bytearray()
rows16 = bytearray()
for y in range(h):
    for x in range(w):
        r, g, b = px(x, y)
        rows += bytes((r, g, b))
        rows16 += struct.pack('>HHH', r * 257, g * 257, b * 257)
open(out + '/src.ppm', 'wb').write(b'P6\n%d %d\n255\n' % (w, h) + rows)
open(out + '/src16.ppm', 'wb').write(b'P6\n%d %d\n65535\n' % (w, h) + rows16)
# A flat patch, for the colour test: a saturated green that Adobe RGB and sRGB
# encode differently.
open(out + '/patch.ppm', 'wb').write(b'P6\n64 64\n255\n' + bytes((40, 200, 60)) * 64 * 64)
PY
SRC="$W/src.ppm"

# --- good JPEGs -----------------------------------------------------------------
vips copy "$SRC" "$OUT/noprofile.jpg[Q=90,strip]"
vips copy "$SRC" "$OUT/srgb-icc.jpg[Q=90,profile=$ICCDIR/sRGB.icm]"
vips copy "$SRC" "$OUT/adobergb-icc.jpg[Q=90,profile=$ICCDIR/ClayRGB1998.icm]"
vips copy "$SRC" "$OUT/displayp3-icc.jpg[Q=90,profile=$ICCDIR/DisplayP3.icm]"
vips copy "$W/patch.ppm" "$OUT/adobergb-patch.jpg[Q=95,profile=$ICCDIR/ClayRGB1998.icm]"
vips copy "$SRC" "$OUT/progressive.jpg[Q=90,strip,interlace]"
vips colourspace "$SRC" "$OUT/grey.jpg[Q=90,strip]" b-w
vips colourspace "$SRC" "$OUT/cmyk.jpg[Q=90]" cmyk
# EXIF colour space only, no ICC: ColorSpace 1 = sRGB; 65535 + R03 = Adobe RGB.
cp "$OUT/noprofile.jpg" "$OUT/exif-srgb.jpg"
ex "$OUT/exif-srgb.jpg" -ColorSpace=1 -Make=PkCam -Model="Test 1" \
   "-DateTimeOriginal=2023:06:01 09:07:13" -OffsetTimeOriginal=+02:00
cp "$OUT/noprofile.jpg" "$OUT/exif-adobergb.jpg"
ex "$OUT/exif-adobergb.jpg" -ColorSpace=65535 -InteropIndex=R03

# Every EXIF orientation, stored so that applying the tag gives the upright source.
vips copy "$SRC" "$W/o1.v"
vips flip "$SRC" "$W/o2.v" horizontal
vips rot "$SRC" "$W/o3.v" d180
vips flip "$SRC" "$W/o4.v" vertical
vips rot "$SRC" "$W/r90.v" d90
vips rot "$SRC" "$W/r270.v" d270
vips flip "$W/r90.v" "$W/o5.v" horizontal      # transpose
vips copy "$W/r270.v" "$W/o6.v"
vips flip "$W/r270.v" "$W/o7.v" horizontal     # transverse
vips copy "$W/r90.v" "$W/o8.v"
for o in 1 2 3 4 5 6 7 8; do
    vips copy "$W/o$o.v" "$OUT/orient-$o.jpg[Q=92,strip]"
    ex "$OUT/orient-$o.jpg" -Orientation="$o"
done

# EXIF thumbnails: large enough for a 256 grid cell, too small, wrong aspect.
vips copy "$SRC" "$W/main-big.jpg[Q=90,strip]"
vips resize "$SRC" "$W/thumb-big.jpg[Q=80,strip]" 0.5      # 300x200
vips resize "$SRC" "$W/thumb-small.jpg[Q=80,strip]" 0.2667 # 160x107
vips thumbnail "$SRC" "$W/thumb-square.jpg[Q=80,strip]" 300 --crop centre # 300x300
for k in big small square; do
    cp "$W/main-big.jpg" "$OUT/exifthumb-$k.jpg"
    ex "$OUT/exifthumb-$k.jpg" "-ThumbnailImage<=$W/thumb-$k.jpg" -Make=PkCam -Model=Thumb
done
sed -i '$d' "$EXARGS"   # no empty last section
exiftool -@ "$EXARGS" -common_args -q -q -overwrite_original -n

# --- other formats ----------------------------------------------------------------
vips bandjoin_const "$SRC" "$OUT/alpha.png" 128
vips copy "$W/src16.ppm" "$OUT/sixteen-bit.png"
vips copy "$SRC" "$OUT/photo.webp[Q=80]"
vips copy "$SRC" "$W/heic-src.png"
heif-enc -q 60 -o "$OUT/photo.heic" "$W/heic-src.png" >/dev/null
vips copy "$SRC" "$OUT/photo.tif"
cp "$OUT/alpha.png" "$OUT/png-named.jpg"

# --- unsupported ------------------------------------------------------------------
vips copy "$SRC" "$OUT/unsupported.gif"
convert "$SRC" "BMP3:$OUT/unsupported.bmp"
printf '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n' > "$OUT/unsupported.svg"
heif-enc -A -q 50 -o "$OUT/unsupported.avif" "$W/heic-src.png" >/dev/null 2>&1 ||
    cp "$OUT/unsupported.svg" "$OUT/unsupported.avif"

# --- hostile ------------------------------------------------------------------------
: > "$OUT/empty.jpg"
truncate -s 101M "$OUT/too-large.jpg"
python3 - "$OUT" <<'PY'
import sys, struct, random
out = sys.argv[1]
jpg = open(out + '/noprofile.jpg', 'rb').read()
png = open(out + '/alpha.png', 'rb').read()
open(out + '/truncated.jpg', 'wb').write(jpg[:len(jpg) * 6 // 10])
open(out + '/truncated.png', 'wb').write(png[:len(png) * 6 // 10])
heic = open(out + '/photo.heic', 'rb').read()
open(out + '/truncated.heic', 'wb').write(heic[:len(heic) * 6 // 10])
rnd = random.Random(1234)
# too-large.jpg: a sparse file over the limit that starts with JPEG magic.
with open(out + '/too-large.jpg', 'r+b') as f:
    f.write(jpg[:64])

def sof_at(d):
    i = 2
    for _ in range(1000):                         # bounded marker walk
        if i + 4 > len(d) or d[i] != 0xFF:
            raise SystemExit('no SOF')
        m, n = d[i + 1], struct.unpack('>H', d[i + 2:i + 4])[0]
        if m in (0xC0, 0xC1, 0xC2):
            return i
        i += 2 + n
    raise SystemExit('no SOF')
s = sof_at(jpg)
def with_dims(w, h):
    d = bytearray(jpg)
    d[s + 5:s + 7] = struct.pack('>H', h)
    d[s + 7:s + 9] = struct.pack('>H', w)
    return bytes(d)
open(out + '/bomb-30000.jpg', 'wb').write(with_dims(30000, 30000))   # 900 MP header
open(out + '/zero-size.jpg', 'wb').write(with_dims(0, 400))
# Complete and well-formed segments, but a sample precision of 3 bits in the
# frame header: the decoder finds invalid data.
d = bytearray(jpg); d[s + 4] = 3
open(out + '/corrupt.jpg', 'wb').write(bytes(d))

def splice(d, seg):                               # insert a segment after SOI
    return d[:2] + seg + d[2:]
# Garbage ICC: an APP2 ICC_PROFILE segment of random bytes.
junk = bytes(rnd.getrandbits(8) for _ in range(2000))
body = b'ICC_PROFILE\x00\x01\x01' + junk
open(out + '/garbage-icc.jpg', 'wb').write(splice(jpg, b'\xff\xe2' + struct.pack('>H', len(body) + 2) + body))
# EXIF whose offsets point far past the end of the block: IFD0 holds Make (ASCII,
# 200 bytes at 0x7ffffff0), Orientation 6 at an odd place is fine, ExifIFD pointer
# past the end, IFD1 offset past the end. A reader must ignore them, not crash.
tiff = bytearray(b'II*\x00' + struct.pack('<I', 8))
entries = [
    (0x010F, 2, 200, 0x7FFFFFF0),                 # Make, out of bounds
    (0x0112, 3, 1, 0x00000009),                   # Orientation 9: invalid -> 1
    (0x8769, 4, 1, 0xFFFFFF00),                   # ExifIFD pointer, out of bounds
]
tiff += struct.pack('<H', len(entries))
for tag, typ, cnt, val in entries:
    tiff += struct.pack('<HHII', tag, typ, cnt, val)
tiff += struct.pack('<I', 0xFFFFFFF0)             # IFD1 offset, out of bounds
body = b'Exif\x00\x00' + bytes(tiff)
open(out + '/bogus-exif.jpg', 'wb').write(splice(jpg, b'\xff\xe1' + struct.pack('>H', len(body) + 2) + body))
# An IFD that points at itself: a loop the reader must bound.
tiff = bytearray(b'II*\x00' + struct.pack('<I', 8))
tiff += struct.pack('<H', 1) + struct.pack('<HHII', 0x8769, 4, 1, 8) + struct.pack('<I', 8)
body = b'Exif\x00\x00' + bytes(tiff)
open(out + '/looping-exif.jpg', 'wb').write(splice(jpg, b'\xff\xe1' + struct.pack('>H', len(body) + 2) + body))
PY

# Trailing bytes after EOI are common (some phones append data): still ok.
{ cat "$OUT/noprofile.jpg"; printf 'TRAILER-DATA-0123456789'; } > "$OUT/trailing-garbage.jpg"

rm -rf "$W"
cp "$HERE/expected.tsv" "$OUT/expected.tsv"
touch "$OUT/.stamp"
