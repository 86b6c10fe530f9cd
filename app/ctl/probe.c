/* printkioskctl probe FILE...: one JSON object per file with what image/probe
 * found, or why it rejected the file (../shared/DESIGN.md "Technician CLI").
 * Exit 0 when every file probed ok, 1 when some were rejected, 2 on usage. */
#include "app/ctl/ctl.h"
#include "image/probe.h"

#include <getopt.h>
#include <stdio.h>

static const char *colour_source_name(enum img_colour_source s)
{
        switch (s) {
        case IMG_COLOUR_ICC:
                return "icc";
        case IMG_COLOUR_EXIF:
                return "exif";
        default:
                return "assumed";
        }
}

static json_t *str_or_null(const char *s)
{
        return s && s[0] ? json_string(s) : json_null();
}

/* A JSON string for a path: as is when valid UTF-8, else with every byte
 * outside ASCII replaced by '?' (json_string refuses invalid UTF-8). */
static json_t *path_string(const char *path)
{
        json_t *j = json_string(path);
        if (j)
                return j;
        char buf[4096];
        size_t i = 0;
        for (; path[i] && i + 1 < sizeof(buf); i++)
                buf[i] = (unsigned char)path[i] < 0x80 ? path[i] : '?';
        buf[i] = '\0';
        return json_string(buf);
}

static json_t *probe_record(const char *path, unsigned flags, bool *ok)
{
        struct img_probe p;
        struct img_errbuf eb = {.msg = ""};
        json_t *o = json_object();
        json_object_set_new(o, "path", path_string(path));
        int rc = img_probe_file(path, flags, &p, &eb);
        *ok = rc == 0;
        json_object_set_new(o, "ok", json_boolean(rc == 0));
        if (rc < 0) {
                json_object_set_new(o, "reason", json_string(img_strerror(rc)));
                json_t *m = json_string(eb.msg);
                json_object_set_new(o, "message", m ? m : json_string(img_strerror(rc)));
                return o;
        }
        json_t *colour = json_object();
        json_object_set_new(colour, "source", json_string(colour_source_name(p.colour_source)));
        json_object_set_new(colour, "name", json_string(p.colour_name));
        if (p.icc_sha256[0])
                json_object_set_new(colour, "icc_sha256", json_string(p.icc_sha256));
        json_object_set_new(o, "format", json_string(img_format_name(p.format)));
        json_object_set_new(o, "width", json_integer(p.width));
        json_object_set_new(o, "height", json_integer(p.height));
        json_object_set_new(o, "orientation", json_integer(p.orientation));
        json_object_set_new(o, "colour", colour);
        json_object_set_new(o, "captured_at", str_or_null(p.captured_at));
        json_object_set_new(o, "camera", str_or_null(p.camera));
        json_object_set_new(o, "sha256", str_or_null(p.sha256));
        json_object_set_new(o, "oriented_width", json_integer(p.oriented_width));
        json_object_set_new(o, "oriented_height", json_integer(p.oriented_height));
        json_object_set_new(o, "file_size", json_integer((json_int_t)p.file_size));
        json_object_set_new(o, "bands", json_integer(p.bands));
        json_object_set_new(o, "bits", json_integer(p.bits));
        json_object_set_new(o, "has_alpha", json_boolean(p.has_alpha));
        json_object_set_new(o, "cmyk", json_boolean(p.is_cmyk));
        json_object_set_new(o, "progressive", json_boolean(p.progressive));
        json_object_set_new(o, "has_exif_thumbnail", json_boolean(p.has_exif_thumbnail));
        return o;
}

static int run_probe(const struct ctl_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        static const struct option opts[] = {
                {"allow-tiff", no_argument, NULL, 't'},
                {"no-hash", no_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        unsigned flags = 0;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        flags |= IMG_PROBE_ALLOW_TIFF;
                        break;
                case 'n':
                        flags |= IMG_PROBE_NO_HASH;
                        break;
                default:
                        return ctl_usage("probe");
                }
        }
        if (optind >= argc)
                return ctl_usage("probe");
        if (img_init(ctx->prog, NULL) < 0) {
                ctl_msg("cannot start libvips");
                return CTL_EXIT_USAGE;
        }
        int rejected = 0;
        for (int i = optind; i < argc; i++) {
                bool ok;
                ctl_emit(probe_record(argv[i], flags, &ok));
                rejected += !ok;
        }
        img_shutdown();
        return rejected ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
}
CTL_VERB(probe, "probe", "probe [--allow-tiff] [--no-hash] FILE...", run_probe);
