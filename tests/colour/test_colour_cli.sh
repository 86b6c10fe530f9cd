#!/usr/bin/env bash
# printkioskctl render / rerender / proof end to end: master size and record,
# byte-identical re-render from the printed record, refusal of a changed
# input, PNG output, batch mode, proof size and gamut warning, usage errors.
set -euo pipefail
CTL=${PK_CTL:?PK_CTL not set}
T=$(mktemp -d "${TMPDIR:-/tmp}/pk-colour-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
jget() { python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); [d:=d[k] for k in sys.argv[1:]]; print(d)' "$@"; }

# a 2000x1400 landscape and a 900x1350 portrait photo, made here
vips black "$T/b.v" 2000 1400 --bands 3
vips linear "$T/b.v" "$T/c.v" "1 1 1" "40 120 200" --uchar
vips jpegsave "$T/c.v" "$T/land.jpg" --Q 90
vips crop "$T/c.v" "$T/p.v" 0 0 900 1350
vips jpegsave "$T/p.v" "$T/port.jpg" --Q 90

"$CTL" render --sku PRINT-6X4 --paper glossy "$T/land.jpg" --out "$T/m1.tif" > "$T/r1.json"
[ "$(jget output width < "$T/r1.json")" = 1800 ] || fail "width"
[ "$(jget output height < "$T/r1.json")" = 1200 ] || fail "height"
[ "$(vipsheader -f width "$T/m1.tif")" = 1800 ] || fail "tiff width"
sha=$(jget output sha256 < "$T/r1.json")
[ "$(sha256sum < "$T/m1.tif" | cut -d' ' -f1)" = "$sha" ] || fail "record sha != file sha"
[ "$(jget source_profile source < "$T/r1.json")" = assumed ] || fail "source should be assumed sRGB"

"$CTL" rerender "$T/r1.json" --out "$T/m2.tif" > "$T/r2.json"
cmp "$T/m1.tif" "$T/m2.tif" || fail "rerender not byte-identical"

"$CTL" render --sku PRINT-6X4 --paper glossy "$T/port.jpg" --out "$T/mp.png" --format png \
    --rotate 0 --crop 0,0,1,1 > "$T/rp.json"
[ "$(jget output width < "$T/rp.json")" = 1200 ] || fail "portrait width"
[ "$(vipsheader -f height "$T/mp.png")" = 1800 ] || fail "png height"
[ "$(jget output warning < "$T/rp.json")" = none ] || fail "900 px over 4 in is 225 dpi: no warning"

# grey photo: converted to sRGB by libvips first, and recorded so
vips colourspace "$T/c.v" "$T/g.v" b-w
vips jpegsave "$T/g.v" "$T/grey.jpg"
"$CTL" render --sku PRINT-6X4 --paper lustre "$T/grey.jpg" --out "$T/mg.tif" > "$T/rg.json"
[ "$(jget source_profile converted < "$T/rg.json")" = True ] || fail "grey not marked converted"
[ "$(vipsheader -f bands "$T/mg.tif")" = 3 ] || fail "grey master not RGB"

# batch: two photos in one process, same bytes as single renders
"$CTL" render --sku PRINT-6X4 --paper glossy "$T/land.jpg" --out "$T/b1.tif" "$T/land.jpg" --out "$T/b2.tif" > "$T/batch.json"
[ "$(wc -l < "$T/batch.json")" = 2 ] || fail "batch records"
cmp "$T/m1.tif" "$T/b2.tif" || fail "batch master differs"

# a changed input is refused by rerender
cp "$T/land.jpg" "$T/land.bak"
printf 'x' >> "$T/land.jpg"
if "$CTL" rerender "$T/r1.json" --out "$T/m3.tif" > "$T/r3.json" 2> "$T/err"; then fail "changed input accepted"; fi
grep -q "input changed" "$T/err" || fail "no clear message: $(cat "$T/err")"
[ ! -e "$T/m3.tif" ] || fail "master written for a changed input"

# proof
"$CTL" proof --paper lustre --gamut-warning --size 800x600 "$T/land.bak" --out "$T/proof.png" > "$T/pr.json"
[ "$(vipsheader -f width "$T/proof.png")" = 800 ] || fail "proof width"
[ "$(vipsheader -f height "$T/proof.png")" = 560 ] || fail "proof height (2000x1400 fitted in 800x600)"
[ "$(jget ok < "$T/pr.json")" = True ] || fail "proof record"

# usage errors
set +e
"$CTL" render --paper glossy "$T/land.bak" --out "$T/x.tif" 2>/dev/null; [ $? = 2 ] || fail "missing --sku not usage"
"$CTL" render --sku NOPE --paper glossy "$T/land.bak" --out "$T/x.tif" 2>/dev/null; [ $? = 2 ] || fail "unknown sku not usage"
"$CTL" render --sku PRINT-6X4 --paper glossy --crop 1,2 "$T/land.bak" --out "$T/x.tif" 2>/dev/null; [ $? = 2 ] || fail "bad crop"
echo '{"record_version":99}' > "$T/bad.json"
"$CTL" rerender "$T/bad.json" --out "$T/x.tif" >/dev/null 2>&1; [ $? = 1 ] || fail "unknown record version"
printf 'not a jpeg' > "$T/bad.jpg"
"$CTL" render --sku PRINT-6X4 --paper glossy "$T/bad.jpg" --out "$T/x.tif" > "$T/bad.out" 2>/dev/null; [ $? = 1 ] || fail "bad photo exit"
set -e
[ "$(jget ok < "$T/bad.out")" = False ] || fail "bad photo record"
echo "1 passed, 0 failed"
