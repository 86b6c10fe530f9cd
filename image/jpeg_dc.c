/* image/jpeg_dc: thumbnails of progressive JPEGs from their DC scans only
 * (jpeg_dc_internal.h).
 *
 * Why: a progressive JPEG cannot be shrunk on load the way a baseline one is.
 * libjpeg has to decode every scan into whole-image coefficient buffers
 * before the first output row, so a 16-24 MP progressive photo costs
 * 300-400 ms where a baseline one costs 50-70 ms. Its first scan(s) carry the
 * DC coefficient of every 8x8 block, i.e. the block's mean: exactly the 1/8
 * scale picture. We read those and stop at the first AC scan, a fraction of
 * the file and of the entropy decoding.
 *
 * How: libjpeg (libjpeg62-turbo) in buffered-image mode: jpeg_consume_input
 * up to the SOS of the first scan with Ss > 0 (or EOI), then one output pass
 * at scale 1/8 showing the scans consumed so far (jpeg_start_output with the
 * last complete scan). Block smoothing is off: it only guesses AC
 * coefficients, which a 1x1 IDCT ignores.
 *
 * Invariants: reads only through `fd` with pread(), from offset 0 up to the
 * size the probe checked (never more); every libjpeg error lands in one
 * setjmp (heap state only, so nothing is clobbered) and becomes an
 * img_error; warnings are counted, never printed; scans consumed <=
 * IMG_JPEG_DC_MAX_SCANS; the output pass starts only once every component
 * has its DC; consume calls per scan <= iMCU rows + a
 * margin; coefficient memory <= IMG_JPEG_DC_MAX_COEF_BYTES and libjpeg's own
 * max_memory_to_use (JPEGMEM) is lowered to it. No shared state. */
#include "image/jpeg_dc_internal.h"
#include "image/probe_internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>

#define DC_READ_CHUNK (64 * 1024)
/* jpeg_consume_input calls per scan beyond its iMCU rows: the marker reads
 * between scans (each call reads markers up to the next SOS or EOI). */
#define DC_CONSUME_MARGIN 8

struct dc_src {
        struct jpeg_source_mgr pub;
        int fd;
        uint64_t off, size;
        JOCTET buf[DC_READ_CHUNK];
};

struct dc_err {
        struct jpeg_error_mgr pub;
        jmp_buf jb;
        int code;      /* img_error for the longjmp */
        long warnings; /* corrupt-data warnings libjpeg carried on after */
};

/* All state a longjmp must find intact lives here, on the heap. */
struct dc_state {
        struct jpeg_decompress_struct cinfo;
        struct dc_err jerr;
        struct dc_src src;
        uint8_t *pixels;
        bool created;
};

static void dc_error_exit(j_common_ptr cinfo)
{
        struct dc_err *e = (struct dc_err *)cinfo->err;
        switch (e->pub.msg_code) {
        case JERR_INPUT_EOF:
        case JERR_INPUT_EMPTY:
                e->code = IMG_E_TRUNCATED;
                break;
        case JERR_FILE_READ:
                e->code = IMG_E_UNREADABLE;
                break;
        case JERR_OUT_OF_MEMORY:
        case JERR_NO_BACKING_STORE:
                e->code = IMG_E_TOO_MANY_PIXELS;
                break;
        default:
                e->code = IMG_E_CORRUPT;
        }
        longjmp(e->jb, 1);
}

static void dc_emit_message(j_common_ptr cinfo, int level)
{
        struct dc_err *e = (struct dc_err *)cinfo->err;
        if (level < 0)
                e->warnings++;
}

static void dc_output_message(j_common_ptr cinfo)
{
        (void)cinfo; /* never to stderr: modules do not log */
}

static void dc_init_source(j_decompress_ptr cinfo)
{
        (void)cinfo;
}

static boolean dc_fill_input_buffer(j_decompress_ptr cinfo)
{
        struct dc_src *s = (struct dc_src *)cinfo->src;
        if (s->off >= s->size)
                ERREXIT(cinfo, JERR_INPUT_EOF);
        uint64_t want = s->size - s->off;
        if (want > sizeof(s->buf))
                want = sizeof(s->buf);
        ssize_t r;
        int tries = 0;
        do
                r = pread(s->fd, s->buf, (size_t)want, (off_t)s->off);
        while (r < 0 && errno == EINTR && ++tries < 100);
        if (r < 0)
                ERREXIT(cinfo, JERR_FILE_READ);
        if (r == 0) /* the file shrank since the probe: it ends early now */
                ERREXIT(cinfo, JERR_INPUT_EOF);
        s->off += (uint64_t)r;
        s->pub.next_input_byte = s->buf;
        s->pub.bytes_in_buffer = (size_t)r;
        return TRUE;
}

static void dc_skip_input_data(j_decompress_ptr cinfo, long n)
{
        struct dc_src *s = (struct dc_src *)cinfo->src;
        if (n <= 0)
                return;
        if ((size_t)n <= s->pub.bytes_in_buffer) {
                s->pub.next_input_byte += n;
                s->pub.bytes_in_buffer -= (size_t)n;
                return;
        }
        /* Past the buffer: move the file offset; a skip beyond the end makes
         * the next fill fail as truncated. */
        uint64_t ahead = (uint64_t)n - s->pub.bytes_in_buffer;
        s->pub.bytes_in_buffer = 0;
        s->off = ahead > s->size - s->off ? s->size : s->off + ahead;
}

static void dc_term_source(j_decompress_ptr cinfo)
{
        (void)cinfo;
}

static int dc_fail(struct dc_state *st, struct img_errbuf *err)
{
        char msg[JMSG_LENGTH_MAX] = "";
        char clean[JMSG_LENGTH_MAX];
        (*st->jerr.pub.format_message)((j_common_ptr)&st->cinfo, msg);
        img_sanitise_ascii(msg, clean, sizeof(clean));
        return img_fail(err, st->jerr.code, "progressive JPEG DC decode: %s", clean);
}

/* Coefficient bytes libjpeg's buffered-image mode will hold: every block of
 * every component, rounded up to whole iMCUs as jdcoefct.c allocates. */
static uint64_t coef_bytes(const struct jpeg_decompress_struct *c)
{
        uint64_t sum = 0;
        for (int ci = 0; ci < c->num_components; ci++) {
                const jpeg_component_info *comp = &c->comp_info[ci];
                uint64_t w = comp->width_in_blocks, h = comp->height_in_blocks;
                uint64_t hs = (uint64_t)comp->h_samp_factor, vs = (uint64_t)comp->v_samp_factor;
                if (hs)
                        w = (w + hs - 1) / hs * hs;
                if (vs)
                        h = (h + vs - 1) / vs * vs;
                sum += w * h * sizeof(JBLOCK);
        }
        return sum;
}

static int decode(struct dc_state *st, int size, bool square, VipsImage **ret, struct img_errbuf *err)
{
        struct jpeg_decompress_struct *c = &st->cinfo;
        if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK)
                return img_fail(err, IMG_E_CORRUPT, "progressive JPEG DC decode: no image");
        if (!c->progressive_mode)
                return IMG_JPEG_DC_NOT_USED;
        /* Three-component YCbCr/RGB and grey only: CMYK/YCCK (Adobe
         * inversion, ICC needed) stays with libvips. */
        bool grey = c->num_components == 1 && c->jpeg_color_space == JCS_GRAYSCALE;
        bool rgb = c->num_components == 3 &&
                   (c->jpeg_color_space == JCS_YCbCr || c->jpeg_color_space == JCS_RGB);
        if (!grey && !rgb)
                return IMG_JPEG_DC_NOT_USED;
        c->buffered_image = TRUE;
        c->scale_num = 1;
        c->scale_denom = 8;
        c->do_block_smoothing = FALSE;
        c->out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
        jpeg_calc_output_dimensions(c);
        int ow = (int)c->output_width, oh = (int)c->output_height;
        /* what is kept below: libvips' rounded-down 1/8 */
        int kw = c->image_width >= 8 ? (int)(c->image_width / 8) : ow;
        int kh = c->image_height >= 8 ? (int)(c->image_height / 8) : oh;
        int have = square ? (kw < kh ? kw : kh) : (kw > kh ? kw : kh);
        if (ow <= 0 || oh <= 0 || have < size)
                return IMG_JPEG_DC_NOT_USED;
        uint64_t need = coef_bytes(c);
        if (need > IMG_JPEG_DC_MAX_COEF_BYTES ||
            (c->mem->max_memory_to_use > 0 && need > (uint64_t)c->mem->max_memory_to_use))
                return IMG_JPEG_DC_NOT_USED;
        /* A bound of our own on top of JPEGMEM's (which may be unset): the
         * coefficients plus libjpeg's small per-pass buffers. */
        {
                long cap = (long)(need + 16u * 1024 * 1024);
                if (c->mem->max_memory_to_use <= 0 || c->mem->max_memory_to_use > cap)
                        c->mem->max_memory_to_use = cap;
        }
        if (!jpeg_start_decompress(c))
                return img_fail(err, IMG_E_INTERNAL, "progressive JPEG DC decode: cannot start");

        /* The first scan's header is read. Consume scans until the header of
         * an AC scan (Ss > 0) once every component has had its DC first scan:
         * normally that is the first AC scan, but a script may send a
         * component's DC after another's AC scans (then those are consumed
         * too, as the full decode would). */
        bool has_dc[MAX_COMPONENTS] = {false};
        int n_dc = 0, scans = 0;
        bool eoi = false;
        for (;;) {
                if (c->Ss == 0 && c->Ah == 0) {
                        for (int i = 0; i < c->comps_in_scan && i < MAX_COMPS_IN_SCAN; i++) {
                                int ci = c->cur_comp_info[i]->component_index;
                                if (ci >= 0 && ci < c->num_components && ci < MAX_COMPONENTS && !has_dc[ci]) {
                                        has_dc[ci] = true;
                                        n_dc++;
                                }
                        }
                } else if (c->Ss > 0 && n_dc == c->num_components) {
                        break;
                }
                if (++scans > IMG_JPEG_DC_MAX_SCANS)
                        return img_fail(err, IMG_E_CORRUPT,
                                        "progressive JPEG DC decode: more than %d scans before the DC image",
                                        IMG_JPEG_DC_MAX_SCANS);
                long guard = (long)c->total_iMCU_rows + DC_CONSUME_MARGIN;
                int r = JPEG_SUSPENDED;
                for (long i = 0; i < guard; i++) {
                        r = jpeg_consume_input(c);
                        if (r == JPEG_REACHED_SOS || r == JPEG_REACHED_EOI || r == JPEG_SUSPENDED)
                                break;
                }
                if (r == JPEG_REACHED_EOI) {
                        eoi = true;
                        break;
                }
                if (r != JPEG_REACHED_SOS)
                        return img_fail(err, IMG_E_CORRUPT, "progressive JPEG DC decode: scan does not end");
        }
        /* A file that ends before every component's DC: what the full decode
         * makes of it is libvips' business, as before. */
        if (n_dc < c->num_components)
                return IMG_JPEG_DC_NOT_USED;
        /* Show every scan consumed: all of them at EOI, else all but the AC
         * scan whose header was just read (input_scan_number counts it). */
        int upto = eoi ? c->input_scan_number : c->input_scan_number - 1;
        if (!jpeg_start_output(c, upto))
                return img_fail(err, IMG_E_INTERNAL, "progressive JPEG DC decode: cannot start output");
        int bands = c->output_components;
        if ((bands != 1 && bands != 3) || (int)c->output_width != ow || (int)c->output_height != oh)
                return img_fail(err, IMG_E_INTERNAL, "progressive JPEG DC decode: unexpected output");
        size_t row = (size_t)ow * (size_t)bands;
        st->pixels = g_try_malloc((size_t)oh * row);
        if (!st->pixels)
                return img_fail(err, IMG_E_INTERNAL, "progressive JPEG DC decode: out of memory");
        for (long guard = 0; c->output_scanline < c->output_height && guard < 2L * oh + 8; guard++) {
                JSAMPROW rp = st->pixels + (size_t)c->output_scanline * row;
                if (jpeg_read_scanlines(c, &rp, 1) != 1)
                        return img_fail(err, IMG_E_CORRUPT, "progressive JPEG DC decode: no rows");
        }
        if (c->output_scanline < c->output_height)
                return img_fail(err, IMG_E_CORRUPT, "progressive JPEG DC decode: rows missing");

        /* libjpeg rounds the 1/8 size up, libvips' shrink-on-load (and so
         * every thumbnail made before) down: keep libvips' geometry, or the
         * resize maps a slightly different picture onto the same pixels
         * (edges moved by up to half a pixel). The partial last block
         * column/row is dropped, as libvips does. */
        int fw = (int)(c->image_width / 8), fh = (int)(c->image_height / 8);
        if (fw < 1 || fw > ow)
                fw = ow;
        if (fh < 1 || fh > oh)
                fh = oh;
        size_t frow = (size_t)fw * (size_t)bands;
        for (int y = 1; y < fh; y++)
                memmove(st->pixels + (size_t)y * frow, st->pixels + (size_t)y * row, frow);
        VipsImage *mem = vips_image_new_from_memory_copy(st->pixels, (size_t)fh * frow, fw, fh, bands,
                                                         VIPS_FORMAT_UCHAR);
        if (!mem)
                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "progressive JPEG DC decode");
        VipsImage *out = NULL;
        int r = vips_copy(mem, &out, "interpretation",
                          grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL);
        g_object_unref(mem);
        if (r)
                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "progressive JPEG DC decode");
        *ret = out;
        return IMG_OK;
}

int img_jpeg_dc_thumb(int fd, uint64_t file_size, int size, bool square, VipsImage **ret,
                      struct img_errbuf *err)
{
        if (fd < 0 || !ret || size <= 0)
                return img_fail(err, IMG_E_INVALID, "no file or result");
        struct dc_state *st = g_try_new0(struct dc_state, 1);
        if (!st)
                return img_fail(err, IMG_E_INTERNAL, "out of memory");
        int rc;
        st->cinfo.err = jpeg_std_error(&st->jerr.pub);
        st->jerr.pub.error_exit = dc_error_exit;
        st->jerr.pub.emit_message = dc_emit_message;
        st->jerr.pub.output_message = dc_output_message;
        st->jerr.code = IMG_E_CORRUPT;
        if (setjmp(st->jerr.jb)) {
                rc = dc_fail(st, err);
                goto out;
        }
        jpeg_create_decompress(&st->cinfo);
        st->created = true;
        st->src.fd = fd;
        st->src.size = file_size;
        st->src.pub.init_source = dc_init_source;
        st->src.pub.fill_input_buffer = dc_fill_input_buffer;
        st->src.pub.skip_input_data = dc_skip_input_data;
        st->src.pub.resync_to_restart = jpeg_resync_to_restart;
        st->src.pub.term_source = dc_term_source;
        st->cinfo.src = &st->src.pub;
        rc = decode(st, size, square, ret, err);
out:
        if (st->created)
                jpeg_destroy_decompress(&st->cinfo);
        g_free(st->pixels);
        g_free(st);
        return rc;
}
