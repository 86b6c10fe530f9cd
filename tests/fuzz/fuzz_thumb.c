/* Fuzz target: image/thumb through its descriptor entry point (as the
 * sandboxed decode helper calls it) and image/jpeg_dc's DC-only progressive
 * JPEG decoder on its own, on arbitrary bytes.
 *
 * Each input goes into a memfd. img_thumb_fd_to_pixels runs at 16 px, so a
 * progressive JPEG of 128 px or more takes the DC path behind the probe's
 * checks; img_jpeg_dc_thumb is also called directly, without the probe, so
 * inputs the probe would refuse (truncated, broken markers) reach the
 * decoder too. Properties: no crash, no leak, no hang, nothing on stderr
 * from libjpeg (not checked here, see tests/image/test_image_thumb_dc);
 * results within the requested size; errors are img_error codes. Limits are
 * lowered (4 MP) so one input can never take long. Seeds:
 * tests/fuzz/corpus/thumb (tests/fuzz/make-seeds-thumb.sh). */
#include "image/jpeg_dc_internal.h"
#include "image/thumb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SIZE 16

static void cleanup(void)
{
        img_shutdown();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        struct img_limits lim = *img_get_limits();
        lim.max_pixels = 4u * 1000 * 1000;
        lim.max_side = 8192;
        lim.max_file_bytes = 4u * 1000 * 1000;
        if (img_init("fuzz_thumb", &lim) != 0)
                abort();
        atexit(cleanup);
        return 0;
}

static void check_rc(int rc)
{
        if (rc != 0 && rc != IMG_JPEG_DC_NOT_USED && (rc >= 0 || rc <= _IMG_E_MIN))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-thumb", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        size_t off = 0;
        while (off < size) {
                ssize_t w = write(fd, data + off, size - off);
                if (w <= 0)
                        abort();
                off += (size_t)w;
        }
        for (int square = 0; square <= 1; square++) {
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                spec.size = FUZZ_SIZE;
                spec.square = square;
                struct img_pixels px = {0};
                struct img_thumb_info info = {0};
                int rc = img_thumb_fd_to_pixels(fd, &spec, &px, &info, NULL);
                check_rc(rc);
                if (rc == 0) {
                        if (!px.data || px.width <= 0 || px.height <= 0 || px.width > FUZZ_SIZE ||
                            px.height > FUZZ_SIZE || (info.from_dc && info.from_exif))
                                abort();
                        img_pixels_free(&px);
                }
        }
        VipsImage *im = NULL;
        int rc = img_jpeg_dc_thumb(fd, size, FUZZ_SIZE, false, &im, NULL);
        check_rc(rc);
        if (rc == 0) {
                int b = im ? vips_image_get_bands(im) : 0;
                if (!im || (b != 1 && b != 3) || vips_image_get_width(im) <= 0 ||
                    vips_image_get_height(im) <= 0)
                        abort();
        }
        if (im)
                g_object_unref(im);
        close(fd);
        return 0;
}
