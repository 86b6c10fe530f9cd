/* image/ limits on untrusted input, each with its reason. One place to change. */
#pragma once

/* 100 MP: the largest phone/camera photos are ~50 MP (some 108/200 MP phone modes
 * exist but write binned 12 MP files by default); a decoded 100 MP RGB image is
 * 300 MB, the most the kiosk can afford in the decode helper. */
#define IMG_DEFAULT_MAX_PIXELS (100ull * 1000 * 1000)
/* 32768 px: libvips and libjpeg handle more, but no camera produces it and a long
 * thin image would defeat the pixel limit's memory bound in line buffers. */
#define IMG_DEFAULT_MAX_SIDE 32768u
/* 100 MB: four times the largest JPEG a 100 MP sensor writes at high quality. */
#define IMG_DEFAULT_MAX_FILE_BYTES (100ull * 1000 * 1000)
/* 4 MB: real ICC profiles with LUTs are < 1 MB; more is a bomb or garbage. */
#define IMG_DEFAULT_MAX_ICC_BYTES (4u * 1000 * 1000)
/* libvips operation cache: enough to reuse a loaded source between thumbnail
 * and preview, never more than a few photos' worth of memory. */
#define IMG_VIPS_CACHE_MAX_OPS 100
#define IMG_VIPS_CACHE_MAX_MEM (64u * 1024 * 1024)
#define IMG_VIPS_CACHE_MAX_FILES 16
