/* image/ start-up, limits and error strings (see image.h). */
#include "image/image.h"
#include "image/limits.h"

#include <lcms2.h>
#include <stdarg.h>
#include <stdio.h>
#include <vips/vips.h>

static struct img_limits limits = {
        .max_pixels = IMG_DEFAULT_MAX_PIXELS,
        .max_side = IMG_DEFAULT_MAX_SIDE,
        .max_file_bytes = IMG_DEFAULT_MAX_FILE_BYTES,
        .max_icc_bytes = IMG_DEFAULT_MAX_ICC_BYTES,
};
static bool started;

static const char *const reasons[] = {
        [0] = "ok",
        [-IMG_E_EMPTY] = "empty",
        [-IMG_E_TRUNCATED] = "truncated",
        [-IMG_E_CORRUPT] = "corrupt",
        [-IMG_E_UNSUPPORTED] = "unsupported",
        [-IMG_E_TOO_MANY_PIXELS] = "too-many-pixels",
        [-IMG_E_FILE_TOO_LARGE] = "file-too-large",
        [-IMG_E_BAD_PROFILE] = "bad-profile",
        [-IMG_E_UNREADABLE] = "unreadable",
        [-IMG_E_INVALID] = "invalid-argument",
        [-IMG_E_IO] = "io-error",
        [-IMG_E_INTERNAL] = "internal-error",
};

const char *img_strerror(int err)
{
        if (err > 0 || err <= _IMG_E_MIN)
                return "unknown-error";
        return reasons[-err];
}

int img_fail(struct img_errbuf *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return code;
}

int img_init(const char *argv0, const struct img_limits *l)
{
        if (l) {
                if (l->max_pixels == 0 || l->max_side == 0 || l->max_file_bytes == 0 ||
                    l->max_icc_bytes == 0)
                        return IMG_E_INVALID;
                limits = *l;
        }
        if (started)
                return IMG_OK;
        if (VIPS_INIT(argv0 ? argv0 : "printkiosk"))
                return IMG_E_INTERNAL;
        /* Customer files are hostile: block loaders libvips marks untrusted
         * (ImageMagick, PDF, SVG, ...). Our own allow-list (probe.c) runs first. */
        vips_block_untrusted_set(TRUE);
        vips_cache_set_max(IMG_VIPS_CACHE_MAX_OPS);
        vips_cache_set_max_mem(IMG_VIPS_CACHE_MAX_MEM);
        vips_cache_set_max_files(IMG_VIPS_CACHE_MAX_FILES);
        started = true;
        return IMG_OK;
}

const struct img_limits *img_get_limits(void)
{
        return &limits;
}

void img_shutdown(void)
{
        if (!started)
                return;
        vips_shutdown();
        started = false;
}

const char *img_vips_version(void)
{
        static char buf[32];
        if (!buf[0])
                snprintf(buf, sizeof(buf), "libvips %d.%d.%d", vips_version(0), vips_version(1),
                         vips_version(2));
        return buf;
}

const char *img_lcms_version(void)
{
        static char buf[32];
        if (!buf[0]) {
                int v = cmsGetEncodedCMMversion();
                snprintf(buf, sizeof(buf), "lcms2 %d.%d", v / 1000, (v % 1000) / 10);
        }
        return buf;
}
