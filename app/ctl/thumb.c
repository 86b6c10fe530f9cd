/* printkioskctl thumb [--size N] [--square] [--jobs N] FILE... --out DIR:
 * grid thumbnails as sRGB JPEG (image/thumb), one JSON record per input, in
 * input order. A small pthread pool (default 2 workers) makes one process use
 * both cores, which is where the kiosk's speed over one vipsthumbnail process
 * comes from (../shared/DESIGN.md "Speed").
 *
 * Output names: the input's base name without extension, reduced to
 * [A-Za-z0-9._-] (at most 64 bytes), "-2", "-3", ... when two inputs share a
 * name, then ".jpg". Exit 0 all ok, 1 some rejected, 2 usage or internal error. */
#include "app/ctl/ctl.h"
#include "image/thumb.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

#define THUMB_MAX_JOBS 16
#define THUMB_NAME_MAX 64

struct thumb_job {
        const char *path;
        char *out;                /* malloc'd output path */
        int rc;
        struct img_thumb_info info;
        struct img_errbuf err;
        bool done;                /* protected by pool.lock */
};

struct pool {
        pthread_mutex_t lock;     /* protects next and every job's done */
        pthread_cond_t finished;  /* signalled when a job is done */
        struct thumb_job *jobs;
        int njobs, next;
        const struct img_thumb_spec *spec;
};

static void *worker(void *arg)
{
        struct pool *p = arg;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                int i = p->next < p->njobs ? p->next++ : -1;
                pthread_mutex_unlock(&p->lock);
                if (i < 0)
                        break;
                struct thumb_job *j = &p->jobs[i];
                j->rc = img_thumb_file(j->path, p->spec, j->out, &j->info, &j->err);
                pthread_mutex_lock(&p->lock);
                j->done = true;
                pthread_cond_broadcast(&p->finished);
                pthread_mutex_unlock(&p->lock);
        }
        vips_thread_shutdown(); /* free libvips' per-thread buffers */
        return NULL;
}

/* Base name without extension, reduced to a safe alphabet. */
static void safe_stem(const char *path, char *out, size_t outlen)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        const char *dot = strrchr(base, '.');
        size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < outlen; i++) {
                char c = base[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '_' || (c == '.' && o > 0);
                out[o++] = ok ? c : '_';
        }
        if (o == 0)
                out[o++] = '_';
        out[o] = '\0';
}

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

static json_t *record(const struct thumb_job *j)
{
        json_t *o = json_object();
        json_object_set_new(o, "path", path_string(j->path));
        json_object_set_new(o, "ok", json_boolean(j->rc == 0));
        if (j->rc < 0) {
                json_t *m = json_string(j->err.msg);
                json_object_set_new(o, "reason", json_string(img_strerror(j->rc)));
                json_object_set_new(o, "message", m ? m : json_string(img_strerror(j->rc)));
                return o;
        }
        json_object_set_new(o, "thumb", path_string(j->out));
        json_object_set_new(o, "width", json_integer(j->info.width));
        json_object_set_new(o, "height", json_integer(j->info.height));
        json_object_set_new(o, "from_exif", json_boolean(j->info.from_exif));
        return o;
}

static bool parse_int(const char *s, int lo, int hi, int *ret)
{
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || !end || *end || end == s || v < lo || v > hi)
                return false;
        *ret = (int)v;
        return true;
}

static int run_thumb(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"size", required_argument, NULL, 's'},
                {"square", no_argument, NULL, 'q'},
                {"jobs", required_argument, NULL, 'j'},
                {"out", required_argument, NULL, 'o'},
                {"no-exif-thumbnail", no_argument, NULL, 'x'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        const char *outdir = NULL;
        int jobs = 2, c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        if (!parse_int(optarg, 16, 2048, &spec.size))
                                return ctl_msg("--size wants 16..2048"), ctl_usage("thumb");
                        break;
                case 'q':
                        spec.square = true;
                        break;
                case 'j':
                        if (!parse_int(optarg, 1, THUMB_MAX_JOBS, &jobs))
                                return ctl_msg("--jobs wants 1..%d", THUMB_MAX_JOBS), ctl_usage("thumb");
                        break;
                case 'o':
                        outdir = optarg;
                        break;
                case 'x':
                        spec.allow_exif_thumbnail = false;
                        break;
                default:
                        return ctl_usage("thumb");
                }
        }
        if (!outdir || optind >= argc)
                return ctl_usage("thumb");
        struct stat st;
        if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                ctl_msg("--out %s is not a directory", outdir);
                return CTL_EXIT_USAGE;
        }
        if (img_init(ctx->prog, NULL) < 0) {
                ctl_msg("cannot start libvips");
                return CTL_EXIT_USAGE;
        }
        int n = argc - optind;
        struct pool p = {.jobs = calloc((size_t)n, sizeof(struct thumb_job)), .njobs = n, .spec = &spec};
        char (*stems)[THUMB_NAME_MAX + 1] = calloc((size_t)n, sizeof(*stems));
        if (!p.jobs || !stems) {
                free(p.jobs);
                free(stems);
                ctl_msg("out of memory");
                return CTL_EXIT_USAGE;
        }
        pthread_mutex_init(&p.lock, NULL);
        pthread_cond_init(&p.finished, NULL);
        for (int i = 0; i < n; i++) {
                char name[THUMB_NAME_MAX + 16];
                p.jobs[i].path = argv[optind + i];
                safe_stem(p.jobs[i].path, stems[i], sizeof(stems[i]));
                /* Unique within this run: count earlier inputs with the same stem. */
                int dup = 0;
                for (int k = 0; k < i; k++)
                        dup += strcmp(stems[k], stems[i]) == 0;
                if (dup)
                        snprintf(name, sizeof(name), "%s-%d.jpg", stems[i], dup + 1);
                else
                        snprintf(name, sizeof(name), "%s.jpg", stems[i]);
                p.jobs[i].out = g_build_filename(outdir, name, NULL);
        }
        if (jobs > n)
                jobs = n;
        pthread_t tids[THUMB_MAX_JOBS];
        int started = 0;
        for (; started < jobs; started++)
                if (pthread_create(&tids[started], NULL, worker, &p) != 0)
                        break;
        if (started == 0)
                worker(&p); /* no thread could start: do the work here */
        int rejected = 0;
        for (int i = 0; i < n; i++) {
                pthread_mutex_lock(&p.lock);
                while (!p.jobs[i].done)
                        pthread_cond_wait(&p.finished, &p.lock);
                pthread_mutex_unlock(&p.lock);
                ctl_emit(record(&p.jobs[i]));
                rejected += p.jobs[i].rc < 0;
        }
        for (int i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        for (int i = 0; i < n; i++)
                g_free(p.jobs[i].out);
        free(p.jobs);
        free(stems);
        pthread_cond_destroy(&p.finished);
        pthread_mutex_destroy(&p.lock);
        img_shutdown();
        return rejected ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
}
CTL_VERB(thumb, "thumb", "thumb [--size N] [--square] [--jobs N] [--no-exif-thumbnail] FILE... --out DIR",
         run_thumb);
