#!/usr/bin/env bash
# make-gauntlet.sh OUTDIR [N]: the malformed-media gauntlet, >= N hostile files
# (default 2400) for tests/hostile/test_gauntlet.c and the fuzz campaign.
#
# From five tiny real photos (JPEG, progressive JPEG, PNG, WebP, HEIC made with
# vips and heif-enc) a seeded Python generator writes, in OUTDIR/files/:
#   trunc-*    truncations at many offsets of every base
#   hdrbomb-*  header bombs: SOF/IHDR/VP8X/ispe claiming huge or zero sizes
#   zbomb-*    decompression bombs: tiny PNGs inflating to 100-400 MP
#   icc-*      bad ICC: garbage, oversized declared length, broken chunk chains
#   exif-*     bad EXIF: IFD loops, huge counts, offsets out of the block, GPS
#   poly-*     polyglots and disguised formats: PNG named .jpg, JPEG+ZIP,
#              HTML/PDF/ELF/GIF/BMP/SVG/TIFF behind photo extensions
#   heic-*     HEIC with grid item types, broken iloc/ispe/ipma boxes
#   mut-*      random byte flips, inserts, deletes and splices of the bases
# and OUTDIR/nasty/, a small nasty volume: symlinks (loop, to /etc/passwd,
# dangling), a FIFO, a directory named like a photo, zero-byte files, names
# with control bytes and invalid UTF-8.
# OUTDIR/manifest.tsv lists every file with its category (tests read it).
#
# Invariants: deterministic for a given seed (PK_GAUNTLET_SEED, default 9);
# every file is small (< 5 MB, most < 20 KB) so the CTest run stays fast;
# skips all work when OUTDIR/.stamp is newer than this script.
set -euo pipefail
OUT=${1:?usage: make-gauntlet.sh OUTDIR [N]}
N=${2:-2400}
SEED=${PK_GAUNTLET_SEED:-9}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$OUT/.stamp" ] && [ "$OUT/.stamp" -nt "$HERE/make-gauntlet.sh" ] &&
   [ "$(cat "$OUT/.stamp")" = "$N $SEED" ]; then
    exit 0
fi
for t in vips heif-enc python3; do
    command -v "$t" >/dev/null || { echo "make-gauntlet: $t missing" >&2; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT/files" "$OUT/nasty" "$OUT/bases"
B="$OUT/bases"
vips gaussnoise "$B/n.v" 96 64 >/dev/null
vips bandjoin "$B/n.v $B/n.v $B/n.v" "$B/rgb.v"
vips cast "$B/rgb.v" "$B/rgb8.v" uchar
vips copy "$B/rgb8.v" "$B/base.jpg[Q=80,strip]"
vips copy "$B/rgb8.v" "$B/prog.jpg[Q=80,strip,interlace]"
vips copy "$B/rgb8.v" "$B/base.png"
vips copy "$B/rgb8.v" "$B/base.webp[Q=70]"
heif-enc -q 40 -o "$B/base.heic" "$B/base.png" >/dev/null 2>&1
rm -f "$B"/*.v

python3 - "$OUT" "$N" "$SEED" <<'PY'
import os, random, struct, sys, zlib
out, N, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
B = os.path.join(out, 'bases')
base = {k: open(os.path.join(B, 'base.' + k if k != 'prog' else 'prog.jpg'), 'rb').read()
        for k in ('jpg', 'png', 'webp', 'heic', 'prog')}
ext = {'jpg': 'jpg', 'prog': 'jpg', 'png': 'png', 'webp': 'webp', 'heic': 'heic'}
files = os.path.join(out, 'files')
manifest = []
def put(cat, name, data):
    p = os.path.join(files, '%s-%05d-%s' % (cat, len(manifest), name))
    with open(p, 'wb') as f:
        f.write(data)
    manifest.append((os.path.basename(p), cat))

# Truncations: 40 cut points per base, denser near the start (headers).
for k, d in base.items():
    cuts = sorted(set([0, 1, 2, 3, 4, 8, 11, 12, 16, 20, 30, 50, 100, 200, len(d) - 1, len(d) - 2] +
                      [rnd.randrange(1, len(d)) for _ in range(24)]))
    for c in cuts:
        put('trunc', '%s-at%d.%s' % (k, c, ext[k]), d[:c])

# JPEG segments.
def jpeg_segments(d):
    segs, i = [], 2
    while i + 4 <= len(d) and d[i] == 0xFF:
        m = d[i + 1]
        if m == 0xDA:
            break
        L = struct.unpack('>H', d[i + 2:i + 4])[0]
        segs.append((i, m, L))
        i += 2 + L
    return segs
def jpeg_insert(d, seg):  # after SOI
    return d[:2] + seg + d[2:]
def app(marker, payload):
    return bytes([0xFF, marker]) + struct.pack('>H', min(len(payload) + 2, 0xFFFF)) + payload[:0xFFFD]

# Header bombs.
jd = base['jpg']
for (i, m, L) in jpeg_segments(jd):
    if m in (0xC0, 0xC1, 0xC2):
        for w, h in [(65535, 65535), (0, 64), (96, 0), (30000, 30000), (65500, 1), (1, 65500),
                     (10001, 10001), (32769, 2)]:
            d = bytearray(jd); struct.pack_into('>HH', d, i + 5, h, w)
            put('hdrbomb', 'sof-%dx%d.jpg' % (w, h), bytes(d))
        for comps in (0, 5, 255):
            d = bytearray(jd); d[i + 9] = comps
            put('hdrbomb', 'sof-comps%d.jpg' % comps, bytes(d))
pd = base['png']
def png_chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)
def png(w, h, depth=8, ctype=2, idat=b'', extra=b''):
    ihdr = struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + extra + png_chunk(b'IDAT', idat) + png_chunk(b'IEND', b'')
for w, h in [(0x7fffffff, 1), (1, 0x7fffffff), (0, 0), (100000, 100000), (32768, 32768), (40000, 3000)]:
    put('hdrbomb', 'ihdr-%dx%d.png' % (w, h), png(w, h, idat=zlib.compress(b'\0' * 64)))
for depth, ctype in [(3, 2), (16, 3), (8, 7), (1, 6)]:
    put('hdrbomb', 'ihdr-d%dc%d.png' % (depth, ctype), png(16, 16, depth, ctype, zlib.compress(b'\0' * 800)))
wd = base['webp']
vp8x = b'VP8X' + struct.pack('<I', 10) + bytes([0x10, 0, 0, 0]) + (16383).to_bytes(3, 'little') + (16383).to_bytes(3, 'little')
for w, h in [(16383, 16383), (0xffffff, 0xffffff), (0, 0)]:
    v = b'VP8X' + struct.pack('<I', 10) + bytes([0, 0, 0, 0]) + (w & 0xffffff).to_bytes(3, 'little') + (h & 0xffffff).to_bytes(3, 'little')
    body = b'WEBP' + v + wd[12:]
    put('hdrbomb', 'vp8x-%dx%d.webp' % (w, h), b'RIFF' + struct.pack('<I', len(body)) + body)
for riff in (0, 0xffffffff, 4):
    put('hdrbomb', 'riff-len%d.webp' % riff, b'RIFF' + struct.pack('<I', riff) + wd[8:])
hd = base['heic']
idx = hd.find(b'ispe')
if idx > 0:
    for w, h in [(0xffffffff, 0xffffffff), (0, 0), (200000, 200000), (20000, 20000), (1, 1)]:
        d = bytearray(hd); struct.pack_into('>II', d, idx + 8, w, h)
        put('hdrbomb', 'ispe-%dx%d.heic' % (w, h), bytes(d))

# Decompression bombs: zeros compress ~1000:1.
for w, h, ctype in [(10000, 10000, 0), (12000, 12000, 0), (20000, 20000, 0), (9000, 9000, 2), (30000, 5000, 0)]:
    bpp = 3 if ctype == 2 else 1
    co = zlib.compressobj(9)
    row = b'\0' + b'\0' * (w * bpp)
    chunks = []
    rows = min(h, 3000)  # bounded generation time; IDAT ends early past 3000 rows
    for _ in range(rows):
        chunks.append(co.compress(row))
    chunks.append(co.flush())
    put('zbomb', '%dx%d-c%d.png' % (w, h, ctype), png(w, h, 8, ctype, b''.join(chunks)))
put('zbomb', 'iccp-zlib-bomb.png', png(16, 16, 8, 2, zlib.compress(b'\0' * 800),
    extra=png_chunk(b'iCCP', b'x\0\0' + zlib.compress(b'\0' * (8 << 20), 9))))
put('zbomb', 'ztxt-bomb.png', png(16, 16, 8, 2, zlib.compress(b'\0' * 800),
    extra=png_chunk(b'zTXt', b'Comment\0\0' + zlib.compress(b'A' * (16 << 20), 9))))

# Bad ICC.
def icc_app2(payload, seq=1, count=1):
    return app(0xE2, b'ICC_PROFILE\0' + bytes([seq, count]) + payload)
def icc_header(size, cls=b'mntr', space=b'RGB ', sig=b'acsp', tags=0):
    h = bytearray(128)
    struct.pack_into('>I', h, 0, size)
    h[4:8] = b'lcms'; h[8] = 4; h[12:16] = cls; h[16:20] = space; h[20:24] = b'XYZ '
    h[36:40] = sig
    return bytes(h) + struct.pack('>I', tags)
for i in range(40):
    kind = i % 8
    if kind == 0: p = os.urandom(0) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 600)))
    elif kind == 1: p = icc_header(0xffffffff)
    elif kind == 2: p = icc_header(200, tags=0xfffffff)
    elif kind == 3: p = icc_header(132 + 12, tags=1) + struct.pack('>III', 0x64657363, 0x7fffffff, 0x7fffffff)
    elif kind == 4: p = icc_header(5 << 20)
    elif kind == 5: p = icc_header(140, cls=b'abst', space=b'CMYK')
    elif kind == 6: p = icc_header(140, sig=b'xxxx')
    else: p = icc_header(300, tags=3) + bytes(rnd.randrange(256) for _ in range(200))
    seq, count = [(1, 1), (2, 1), (0, 0), (1, 3), (3, 2)][i % 5]
    put('icc', 'icc%d-s%dc%d.jpg' % (kind, seq, count), jpeg_insert(jd, icc_app2(p, seq, count)))
# A profile split over many chunks declaring a 4 MB + 1 total.
chunks = b''.join(icc_app2(icc_header((4 << 20) + 1) if s == 1 else b'\0' * 60000, s, 70) for s in range(1, 71))
put('icc', 'icc-chunked-over-limit.jpg', jpeg_insert(jd, chunks))
put('icc', 'icc-in-png.png', png(16, 16, 8, 2, zlib.compress(b'\0' * 800),
    extra=png_chunk(b'iCCP', b'bad\0\0' + zlib.compress(icc_header(0xffffffff)))))

# Bad EXIF: little-endian TIFF blocks with hostile IFDs.
def ifd(entries, nxt):
    b = struct.pack('<H', len(entries))
    for tag, typ, cnt, val in entries:
        b += struct.pack('<HHII', tag, typ, cnt, val)
    return b + struct.pack('<I', nxt)
def exif_block(body):
    return b'Exif\0\0' + body
for i in range(60):
    kind = i % 10
    if kind == 0:   # IFD0 -> IFD1 -> IFD0 loop
        t = b'II*\0' + struct.pack('<I', 8) + ifd([(0x0112, 3, 1, 6)], 8)
    elif kind == 1: # huge entry count
        t = b'II*\0' + struct.pack('<I', 8) + struct.pack('<H', 0xffff) + b'\0' * 64
    elif kind == 2: # value offsets past the end
        t = b'II*\0' + struct.pack('<I', 8) + ifd([(0x010f, 2, 0x7fffffff, 0xfffffff0), (0x0110, 2, 40, 0xfffffff0)], 0)
    elif kind == 3: # ExifIFD pointer to itself, Interop pointer out of range
        t = b'II*\0' + struct.pack('<I', 8) + ifd([(0x8769, 4, 1, 8), (0xa005, 4, 1, 0xffffff00)], 0)
    elif kind == 4: # GPS IFD full of junk types
        t = b'II*\0' + struct.pack('<I', 8) + ifd([(0x8825, 4, 1, 26)], 0) + ifd([(2, 5, 0x40000000, 8), (4, 99, 3, 0)], 0)
    elif kind == 5: # thumbnail pointing outside / huge
        t = b'II*\0' + struct.pack('<I', 8) + ifd([], 14) + ifd([(0x0201, 4, 1, 0x10), (0x0202, 4, 1, 0x7fffffff)], 0)
    elif kind == 6: # big-endian, odd offsets, bad orientation
        t = b'MM\0*' + struct.pack('>I', 9) + b'\0' + struct.pack('>H', 1) + struct.pack('>HHII', 0x0112, 3, 1, 0xffff0000) + b'\0\0\0\0'
    elif kind == 7: # not TIFF at all
        t = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
    elif kind == 8: # DateTimeOriginal without NUL, giant count
        t = b'II*\0' + struct.pack('<I', 8) + ifd([(0x8769, 4, 1, 26)], 0) + ifd([(0x9003, 2, 20, 44)], 0) + b'9' * 40
    else:           # random mutation of a sane block
        t = bytearray(b'II*\0' + struct.pack('<I', 8) + ifd([(0x0112, 3, 1, 1), (0x010f, 2, 4, 0x4b50)], 0))
        for _ in range(4):
            t[rnd.randrange(len(t))] = rnd.randrange(256)
        t = bytes(t)
    put('exif', 'exif%d.jpg' % kind, jpeg_insert(jd, app(0xE1, exif_block(t))))
put('exif', 'exif-in-png.png', png(16, 16, 8, 2, zlib.compress(b'\0' * 800), extra=png_chunk(b'eXIf', b'II*\0\xff\xff\xff\xff')))
put('exif', 'exif-app1-len0.jpg', jd[:2] + b'\xff\xe1\x00\x00' + jd[2:])
put('exif', 'exif-app1-len1.jpg', jd[:2] + b'\xff\xe1\x00\x01' + jd[2:])
put('exif', 'exif-app1-past-end.jpg', jd[:2] + b'\xff\xe1\xff\xff' + b'Exif\0\0II*\0')

# Polyglots and disguised formats.
elf = b'\x7fELF\x02\x01\x01' + b'\0' * 57
gif = b'GIF89a\x10\x00\x10\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x10\x00\x10\x00\x00\x02\x02D\x01\x00;'
bmp = b'BM' + struct.pack('<IHHI', 70, 0, 0, 54) + struct.pack('<IiiHHIIiiII', 40, 4, 4, 1, 24, 0, 16, 0, 0, 0, 0) + b'\0' * 16
svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"><image href="file:///etc/passwd"/></svg>'
tiff = b'II*\0' + struct.pack('<I', 8) + ifd([(256, 4, 1, 4), (257, 4, 1, 4), (258, 3, 1, 8), (273, 4, 1, 200), (279, 4, 1, 16)], 0)
pdf = b'%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'
html = b'<html><script>alert(1)</script></html>'
zipb = b'PK\x03\x04' + b'\0' * 26 + b'PK\x05\x06' + b'\0' * 18
polys = {
    'png-as.jpg': base['png'], 'webp-as.jpg': base['webp'], 'heic-as.png': base['heic'], 'jpg-as.webp': jd,
    'jpg+zip.jpg': jd + zipb, 'zip+jpg.jpg': zipb + jd, 'html+jpg.jpg': html + jd, 'jpg+html.jpg': jd + html,
    'elf.jpg': elf, 'gif.jpg': gif, 'bmp.jpg': bmp, 'svg.jpg': svg, 'svg.png': svg, 'tiff.jpg': tiff,
    'pdf.jpg': pdf, 'pdf+jpg.jpg': pdf + jd, 'html.heic': html, 'text.jpg': b'hello\n',
    'jpg-in-png-text.png': png(16, 16, 8, 2, zlib.compress(b'\0' * 800), extra=png_chunk(b'tEXt', b'c\0' + jd)),
    'soi-only.jpg': b'\xff\xd8', 'soi-eoi.jpg': b'\xff\xd8\xff\xd9', 'png-sig-only.png': b'\x89PNG\r\n\x1a\n',
    'riff-avi.webp': b'RIFF\x10\0\0\0AVI LIST' + b'\0' * 8, 'ftyp-mp4.heic': b'\0\0\0\x18ftypmp42\0\0\0\0mp42isom',
    'ftyp-avif.heic': b'\0\0\0\x18ftypavif\0\0\0\0avifmif1', 'jpeg2000.jpg': b'\0\0\0\x0cjP  \r\n\x87\n' + b'\0' * 20,
    'jpeg-arith.jpg': jd.replace(b'\xff\xc0', b'\xff\xc9', 1), 'jpeg-lossless.jpg': jd.replace(b'\xff\xc0', b'\xff\xc3', 1),
    'jpeg-12bit.jpg': jd.replace(b'\xff\xc0\x00\x11\x08', b'\xff\xc0\x00\x11\x0c', 1),
    'double-soi.jpg': b'\xff\xd8' + jd, 'no-eoi.jpg': jd[:-2], 'sos-first.jpg': b'\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00' + b'\0' * 100,
}
for name, d in polys.items():
    put('poly', name, d)

# HEIC: grid item types and broken boxes.
def heic_patch(d, old, new, count=1):
    return d.replace(old, new, count)
for i, (old, new) in enumerate([(b'hvc1', b'grid'), (b'hvc1', b'iden'), (b'hvc1', b'iovl'), (b'hvc1', b'av01'),
                                (b'iloc', b'xloc'), (b'ispe', b'ispf'), (b'ipma', b'ipmb'), (b'hvcC', b'hvcD'),
                                (b'pitm', b'pitn'), (b'iinf', b'iinF'), (b'mdat', b'free'), (b'meta', b'mett')]):
    put('heic', 'box%d-%s.heic' % (i, new.decode()), heic_patch(hd, old, new))
for box in (b'iloc', b'ipma', b'iinf', b'ipco', b'hvcC', b'pitm', b'ispe', b'iprp', b'meta', b'ftyp'):
    j = hd.find(box)
    if j < 4:
        continue
    for val in (0, 1, 7, 0xffffffff, 0x7fffffff, len(hd) * 2):
        d = bytearray(hd); struct.pack_into('>I', d, j - 4, val)
        put('heic', 'size-%s-%x.heic' % (box.decode(), val), bytes(d))
# A grid descriptor (version 0, flags 0, rows/cols - 1, 16-bit output size) grafted in
j = hd.find(b'mdat')
if j > 4:
    for rows, cols, w, h in [(255, 255, 65535, 65535), (0, 0, 0, 0), (1, 1, 1, 1), (31, 31, 32768, 32768)]:
        grid = bytes([0, 0, rows, cols]) + struct.pack('>HH', w, h)
        d = heic_patch(hd, b'hvc1', b'grid')
        d = d[:j + 4] + grid + d[j + 12:]
        put('heic', 'grid-%dx%d-%dx%d.heic' % (rows + 1, cols + 1, w, h), d)

# Random mutations until N files.
keys = list(base)
while len(manifest) < N:
    k = rnd.choice(keys)
    d = bytearray(base[k])
    op = rnd.randrange(5)
    for _ in range(rnd.randrange(1, 12)):
        if not d:
            break
        i = rnd.randrange(len(d))
        if op == 0:
            d[i] = rnd.randrange(256)
        elif op == 1:
            d[i] ^= 1 << rnd.randrange(8)
        elif op == 2:
            d[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 16)))
        elif op == 3:
            del d[i:i + rnd.randrange(1, 64)]
        else:
            o = rnd.choice(keys); src = base[o]; s = rnd.randrange(len(src))
            d[i:i + 32] = src[s:s + 32]
    # Half of the mutations hit the header, where the parsers live.
    if rnd.random() < 0.5:
        i = rnd.randrange(min(len(d), 200) or 1)
        if d:
            d[i] = rnd.choice([0, 0xff, 0x7f, 0x80, rnd.randrange(256)])
    put('mut', '%s-op%d.%s' % (k, op, ext[k]), bytes(d))

with open(os.path.join(out, 'manifest.tsv'), 'w') as f:
    f.write('# file\tcategory\n')
    for name, cat in manifest:
        f.write('%s\t%s\n' % (name, cat))
PY

# The nasty volume: things a walk or an open must survive.
V="$OUT/nasty"
ln -sf . "$V/loop.jpg"
ln -sf /etc/passwd "$V/passwd.jpg"
ln -sf "$V/missing.jpg" "$V/dangling.jpg"
mkfifo "$V/fifo.jpg"
mkdir -p "$V/dir.jpg"
: > "$V/zero.jpg"
cp "$B/base.jpg" "$V/$(printf 'ctl\001\033[31m.jpg')"
cp "$B/base.jpg" "$V/$(printf 'bad\377\376utf8.jpg')"
cp "$B/base.jpg" "$V/-leading-dash.jpg"
cp "$B/base.jpg" "$V/$(head -c 240 /dev/zero | tr '\0' 'a').jpg"
echo "$N $SEED" > "$OUT/.stamp"
