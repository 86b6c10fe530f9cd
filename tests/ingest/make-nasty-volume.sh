#!/bin/bash
# make-nasty-volume.sh DIR [N]: build a hostile "USB stick" folder for the
# ingest tests and benchmark, plus DIR.manifest with the counts a correct walk
# must report (key=value lines; the tests read them, never hard-code them).
#
# Contents: N small distinct JPEGs in DCIM/1xxCANON folders (200 per folder,
# mtimes one minute apart so newest-first order is known), symlink loops, '..'
# and absolute symlinks (/etc/passwd), invalid UTF-8 / control / 255-byte /
# leading '-' names, a FIFO, zero-byte and truncated JPEGs, 8 levels of
# nesting, hidden and system folders holding photos, non-images, a progressive
# JPEG, two EXIF-dated near-duplicates, an exact duplicate, and a FAT image
# made with mtools (a file on the volume; mounted only by tests that can).
set -euo pipefail
DIR=${1:?usage: make-nasty-volume.sh DIR [N]}
N=${2:-2000}
[ "$N" -ge 10 ] || { echo "N must be >= 10" >&2; exit 2; }
mkdir -p "$DIR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One small real JPEG; copies differ by a COM-free tail after EOI (decoders
# ignore it) so each file has its own SHA-256.
vips gaussnoise "$WORK/base.jpg[Q=80,strip]" 320 240 >/dev/null
vips copy "$WORK/base.jpg" "$WORK/prog.jpg[interlace,Q=80,strip]"

python3 - "$DIR" "$N" "$WORK/base.jpg" <<'PY'
import os, sys
d, n, base = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], 'rb').read()
t0 = 1700000000
for i in range(n):
    folder = os.path.join(d, 'DCIM', '%dCANON' % (100 + i // 200))
    os.makedirs(folder, exist_ok=True)
    p = os.path.join(folder, 'IMG_%05d.JPG' % i)
    with open(p, 'wb') as f:
        f.write(base + b'pk%08d' % i)
    os.utime(p, (t0 + 60 * i, t0 + 60 * i))
PY

b="$WORK/base.jpg"
odd="$DIR/DCIM/odd"
mkdir -p "$odd"
# Names: raw bytes that are valid on ext4/tmpfs; each is a valid photo.
cp "$b" "$odd/$(printf 'bad\xff\xfe name.jpg')"
cp "$b" "$odd/$(printf 'esc\x1b[31mred\x07.jpg')"
cp "$b" "$odd/-rf.jpg"
cp "$b" "$odd/$(printf 'a%.0s' $(seq 1 251)).jpg"
printf 'x' >> "$odd/-rf.jpg"   # distinct content
printf 'yy' >> "$odd/$(printf 'esc\x1b[31mred\x07.jpg')"
printf 'zzz' >> "$odd/$(printf 'a%.0s' $(seq 1 251)).jpg"
cp "$WORK/prog.jpg" "$odd/progressive.jpg"
# Exact duplicate of IMG_00000 (same bytes): one asset after select.
cp "$DIR/DCIM/100CANON/IMG_00000.JPG" "$odd/copy-of-first.jpg"
# Near-duplicates: same EXIF capture time and size, different bytes.
exiftool -q -DateTimeOriginal='2024:05:01 10:00:00' -o "$odd/burst1.jpg" "$b"
cp "$odd/burst1.jpg" "$WORK/b2.jpg"
python3 - "$WORK/b2.jpg" "$odd/burst2.jpg" "$odd/burst1.jpg" <<'PY'
import sys
a = open(sys.argv[3], 'rb').read()
b = bytearray(open(sys.argv[1], 'rb').read())
open(sys.argv[3], 'wb').write(a + b'A')
open(sys.argv[2], 'wb').write(bytes(b) + b'B')
PY
# Probe rejects: zero bytes and truncated.
: > "$odd/empty.jpg"
head -c 300 "$b" > "$odd/truncated.jpg"
# Special files and links: never opened, never followed.
mkfifo "$odd/pipe.jpg"
ln -s . "$DIR/DCIM/loop"
ln -s .. "$DIR/DCIM/up"
ln -s /etc "$DIR/etc-link"
ln -s /etc/passwd "$DIR/passwd.jpg"
ln -s ../../../../etc/passwd "$odd/escape.jpg"
# 8 levels of DCIM nesting, one photo at the bottom (depth 9 below the root).
deep="$DIR/DCIM/n1/n2/n3/n4/n5/n6/n7/n8"
mkdir -p "$deep"
cp "$b" "$deep/deep.jpg"; printf 'deep' >> "$deep/deep.jpg"
# Hidden and system folders with photos in them: skipped whole.
for h in .Trashes .Spotlight-V100 'System Volume Information' .thumbnails '$RECYCLE.BIN'; do
    mkdir -p "$DIR/$h"; cp "$b" "$DIR/$h/photo.jpg"
done
cp "$b" "$DIR/.hidden.jpg"
# Non-images.
printf 'movie' > "$DIR/DCIM/100CANON/MVI_0001.MOV"
printf 'notes' > "$DIR/notes.txt"
# A FAT image made with mtools (regular file on the volume: not an image).
fat="$DIR/sdcard.img"
truncate -s 2M "$fat"
mformat -i "$fat" -v PKTEST :: >/dev/null
mmd -i "$fat" ::DCIM
mcopy -i "$fat" "$b" ::DCIM/IMG_0001.JPG
# A loop through a hard-linked directory is impossible on Linux; a bind mount
# loop needs root and is made by the tests that can mount.

cat > "$DIR.manifest" <<M
n=$N
photos_extension=$((N + 11))
photos_probed=$((N + 9))
symlink=5
special=1
hidden=6
not_image=3
empty=1
truncated=1
deep_depth=9
exact_duplicate_pair=DCIM/100CANON/IMG_00000.JPG DCIM/odd/copy-of-first.jpg
M
echo "made $DIR ($N photos + nasty entries), manifest $DIR.manifest"
