#!/usr/bin/env bash
# make-demo.sh: regenerate the demo photos in assets/demo/photos/ (CC0: made
# here from ImageMagick's plasma fractal with fixed seeds, no third-party
# pictures). Camera-like EXIF (dates on two days, one portrait with
# Orientation=6, one small photo for the low-resolution badge) via exiftool.
# Needs imagemagick and libimage-exiftool-perl (.ci/packages.txt). Total < 2 MB.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/photos"
rm -rf "$out"; mkdir -p "$out"
i=0
# name  size       colours               date
while read -r name size colours date orient; do
  i=$((i + 1))
  convert -size "$size" -seed "$((i * 7919))" "plasma:$colours" -blur 0x3 \
          -sampling-factor 4:2:0 -quality 82 -strip "$out/$name.jpg"
  exiftool -q -overwrite_original -Make="PrintKiosk demo" -Model="generated (not a camera)" \
           -DateTimeOriginal="$date" -Orientation#="$orient" "$out/$name.jpg"
done <<'LIST'
IMG_0001 1500x1000 sienna-skyblue    2024:06:01_10:15:00 1
IMG_0002 1500x1000 green-yellow      2024:06:01_10:20:00 1
IMG_0003 1500x1000 navy-orange       2024:06:01_11:02:00 1
IMG_0004 1000x1500 purple-pink       2024:06:01_11:30:00 1
IMG_0005 1500x1000 darkgreen-wheat   2024:06:02_09:00:00 1
IMG_0006 1500x1000 steelblue-white   2024:06:02_09:05:00 6
IMG_0007 600x400   firebrick-gold    2024:06:02_09:40:00 1
IMG_0008 1500x1000 teal-coral        2024:06:02_12:00:00 1
LIST
# exiftool's "_" stands for the space in the dates above
for f in "$out"/*.jpg; do
  d=$(exiftool -s3 -DateTimeOriginal "$f"); exiftool -q -overwrite_original -DateTimeOriginal="${d//_/ }" "$f"
done
du -sh "$out"
