/* See colour_fixture.h. */
#include "colour_fixture.h"
#include "image/catalogue.h"
#include "image/colour.h"
#include "image/paper.h"
#include "image/probe.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

const uint8_t fx_macbeth[24][3] = {
        {115, 82, 68},   {194, 150, 130}, {98, 122, 157},  {87, 108, 67},   {133, 128, 177},
        {103, 189, 170}, {214, 126, 44},  {80, 91, 166},   {193, 90, 99},   {94, 60, 108},
        {157, 188, 64},  {224, 163, 46},  {56, 61, 150},   {70, 148, 73},   {175, 54, 60},
        {231, 199, 31},  {187, 86, 149},  {8, 133, 161},   {243, 243, 242}, {200, 200, 200},
        {160, 160, 160}, {122, 122, 121}, {85, 85, 85},    {52, 52, 52},
};

char *fx_profile(const char *name)
{
        return pk_test_strdupf("%s/profiles/%s", pk_test_source_dir(), name);
}

int fx_write_macbeth_png(const char *path, int patch_px, const char *icc_path, bool portrait)
{
        int cols = portrait ? 4 : 6, rows = portrait ? 6 : 4;
        int w = cols * patch_px, h = rows * patch_px;
        uint8_t *px = malloc((size_t)w * h * 3);
        for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                        int i = (y / patch_px) * cols + x / patch_px;
                        memcpy(px + ((size_t)y * w + x) * 3, fx_macbeth[i], 3);
                }
        VipsImage *v = vips_image_new_from_memory(px, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
        int rc = v ? 0 : -1;
        if (!rc && icc_path) {
                gchar *data = NULL;
                gsize len = 0;
                rc = g_file_get_contents(icc_path, &data, &len, NULL) ? 0 : -1;
                if (!rc)
                        vips_image_set_blob_copy(v, VIPS_META_ICC_NAME, data, len);
                g_free(data);
        }
        if (!rc)
                rc = vips_pngsave(v, path, "compression", 1, NULL);
        if (v)
                g_object_unref(v);
        free(px);
        return rc;
}

int fx_render(const char *in, const char *sku, const char *paper, const char *out,
              struct img_render_spec *ret_spec, struct img_render_result *ret_res)
{
        char *cat_path = pk_test_strdupf("%s/assets/catalogue.ini", pk_test_source_dir());
        char *dir = pk_test_strdupf("%s/profiles", pk_test_source_dir());
        struct img_catalogue *cat = NULL;
        struct img_manifest *man = NULL;
        struct img_errbuf eb = {""};
        struct img_probe pr;
        struct img_paper pa;
        int rc = img_catalogue_load(cat_path, &cat, &eb);
        if (!rc)
                rc = img_manifest_load(dir, &man, &eb);
        if (!rc)
                rc = img_paper_lookup(man, NULL, paper, &pa, &eb);
        if (!rc)
                rc = img_probe_file(in, 0, &pr, &eb);
        const struct img_product *p = cat ? img_catalogue_find(cat, sku) : NULL;
        if (!rc && !p)
                rc = IMG_E_INVALID;
        if (!rc)
                rc = img_render_spec_init_from(in, &pr, p, &pa, NULL, 0, NULL, IMG_OUT_TIFF, dir,
                                               ret_spec, NULL, &eb);
        if (!rc)
                rc = img_render_master(ret_spec, out, 0, ret_res, &eb);
        if (rc)
                fprintf(stderr, "fx_render %s: %s: %s\n", in, img_strerror(rc), eb.msg);
        img_catalogue_free(cat);
        img_manifest_free(man);
        free(cat_path);
        free(dir);
        return rc;
}

uint8_t *fx_read_rgb8(const char *path, int *w, int *h, char icc_sha[65])
{
        VipsImage *v = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, NULL);
        if (!v)
                return NULL;
        icc_sha[0] = '\0';
        const void *icc;
        size_t len;
        if (vips_image_get_typeof(v, VIPS_META_ICC_NAME) &&
            !vips_image_get_blob(v, VIPS_META_ICC_NAME, &icc, &len))
                img_sha256_hex(icc, len, icc_sha);
        size_t n = 0;
        uint8_t *px = v->Bands == 3 && v->BandFmt == VIPS_FORMAT_UCHAR
                              ? vips_image_write_to_memory(v, &n)
                              : NULL;
        *w = v->Xsize, *h = v->Ysize;
        g_object_unref(v);
        return px;
}
