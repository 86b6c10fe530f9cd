/* printkioskctl ingest SOURCE [--thumbs DIR] [--limit N] [--jobs N]
 *
 * Runs an ingest session (app/ingest) on a folder or mount point, or on a
 * camera/phone (SOURCE "camera:" for the first one libgphoto2 detects,
 * "camera:MODEL@PORT" to choose). One JSON line per photo as it is found
 * (with --thumbs: as its thumbnail is ready), then the summary record of
 * ../shared/DESIGN.md. Only sanitised display names are printed, never raw
 * names or paths from the volume.
 *
 * Cameras: the photos are fetched into a private temporary folder first
 * (drivers/camera, bounded by --limit), which is then ingested like a volume
 * and deleted at exit.
 *
 * Exit: 0 the walk completed (some files may have been skipped: see
 * "skipped"), 1 the source vanished part-way, 2 usage or internal error.
 */
#include "app/ctl/ctl.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/ingest.h"
#include "app/name_sanitise.h"
#include "drivers/camera.h"
#include "image/image.h"

struct cli {
        pthread_mutex_t emit_lock; /* one JSON line at a time on stdout */
        bool thumbs;
};

static json_t *record(const struct app_ingest_item *it, int thumb_err)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(it->name));
        json_object_set_new(o, "size", json_integer((json_int_t)it->size));
        json_object_set_new(o, "captured_at", it->captured_at[0] ? json_string(it->captured_at) : json_null());
        json_object_set_new(o, "format", json_string(it->format));
        json_object_set_new(o, "width", json_integer(it->width));
        json_object_set_new(o, "height", json_integer(it->height));
        if (it->thumb[0])
                json_object_set_new(o, "thumb", json_string(it->thumb));
        else if (thumb_err)
                json_object_set_new(o, "thumb_error", json_string(img_strerror(thumb_err)));
        json_object_set_new(o, "group", json_string(it->group));
        if (it->near_dup_of != SIZE_MAX)
                json_object_set_new(o, "near_duplicate_of", json_integer((json_int_t)it->near_dup_of));
        json_object_set_new(o, "id", json_integer((json_int_t)it->id));
        return o;
}

static void on_item(void *user, const struct app_ingest_item *it)
{
        struct cli *c = user;
        if (c->thumbs)
                return; /* printed when its thumbnail is ready */
        pthread_mutex_lock(&c->emit_lock);
        ctl_emit(record(it, 0));
        pthread_mutex_unlock(&c->emit_lock);
}

static void on_thumb(void *user, const struct app_ingest_item *it, int err)
{
        struct cli *c = user;
        pthread_mutex_lock(&c->emit_lock);
        ctl_emit(record(it, err));
        pthread_mutex_unlock(&c->emit_lock);
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *ret)
{
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || !end || *end || end == s || v < (long)lo || v > (long)hi)
                return false;
        *ret = (unsigned)v;
        return true;
}

/* Fetch a camera's photos into dir (names made unique and safe: the index
 * plus the sanitised name's extension). Returns 0, or 1 when the camera went
 * away part-way (what was fetched stays), or 2. */
static int fetch_camera(const char *spec, const char *dir, unsigned limit)
{
        char model[128] = "", port[256] = "";
        struct drv_errbuf err = {{0}};
        const char *rest = spec + strlen("camera:");
        if (*rest) {
                const char *at = strrchr(rest, '@');
                if (!at || at == rest || !at[1] || (size_t)(at - rest) >= sizeof(model) ||
                    strlen(at + 1) >= sizeof(port)) {
                        ctl_msg("camera source must be camera: or camera:MODEL@PORT");
                        return 2;
                }
                memcpy(model, rest, (size_t)(at - rest));
                snprintf(port, sizeof(port), "%s", at + 1);
        } else {
                struct drv_camera_desc d[4];
                size_t n = 0;
                if (drv_camera_autodetect(d, 4, &n, &err) != 0 || n == 0) {
                        ctl_msg("no camera or phone found%s%s", err.msg[0] ? ": " : "", err.msg);
                        return 2;
                }
                snprintf(model, sizeof(model), "%s", d[0].model);
                snprintf(port, sizeof(port), "%s", d[0].port);
        }
        struct drv_camera *cam = NULL;
        int r = drv_camera_open(model, port, &cam, &err);
        if (r) {
                ctl_msg("camera: %s (%s)", drv_strerror(r), err.msg);
                return 2;
        }
        struct drv_camera_file *f = NULL;
        size_t n = 0, skipped = 0;
        struct drv_camera_list_opts lo = {.max_files = limit};
        r = drv_camera_list(cam, &lo, &f, &n, &skipped, &err);
        if (r) {
                ctl_msg("camera: %s (%s)", drv_strerror(r), err.msg);
                drv_camera_free(cam);
                return r == DRV_E_GONE ? 1 : 2;
        }
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                const char *dot = strrchr(f[i].name, '.');
                char ext[16] = ".jpg";
                if (dot && strlen(dot) < sizeof(ext))
                        app_name_sanitise(dot, strlen(dot), ext, sizeof(ext));
                char out[4096];
                snprintf(out, sizeof(out), "%s/%06zu%s", dir, i, ext);
                r = drv_camera_fetch(cam, f[i].folder, f[i].name, out, NULL, NULL, &err);
                if (r == DRV_E_GONE || r == DRV_E_PERMISSION) {
                        ctl_msg("camera: %s (%s)", drv_strerror(r), err.msg);
                        rc = 1;
                        break;
                }
        }
        free(f);
        drv_camera_free(cam);
        return rc;
}

/* Remove our own flat folder of fetched photos (no subfolders, no links). */
static void remove_flat_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        unlinkat(dirfd(d), e->d_name, 0);
        if (d)
                closedir(d);
        rmdir(dir);
}

static int run_ingest(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"thumbs", required_argument, NULL, 't'},
                {"limit", required_argument, NULL, 'l'},
                {"jobs", required_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *thumbs = NULL;
        unsigned limit = APP_INGEST_MAX_FILES, jobs = 2;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        thumbs = optarg;
                        break;
                case 'l':
                        if (!parse_uint(optarg, 1, 1000000, &limit))
                                return ctl_usage("ingest");
                        break;
                case 'j':
                        if (!parse_uint(optarg, 1, APP_INGEST_MAX_JOBS, &jobs))
                                return ctl_usage("ingest");
                        break;
                default:
                        return ctl_usage("ingest");
                }
        }
        if (optind + 1 != argc)
                return ctl_usage("ingest");
        const char *source = argv[optind];
        if (img_init(ctx->prog, NULL) < 0) {
                ctl_msg("cannot start the image library");
                return CTL_EXIT_USAGE;
        }
        char *camdir = NULL;
        int cam_rc = 0;
        if (strncmp(source, "camera:", 7) == 0) {
                char tmpl[] = "/tmp/pk-ingest-camera-XXXXXX";
                const char *base = getenv("TMPDIR");
                camdir = base ? NULL : strdup(mkdtemp(tmpl) ? tmpl : "");
                if (base) {
                        size_t l = strlen(base) + 32;
                        camdir = malloc(l);
                        snprintf(camdir, l, "%s/pk-ingest-camera-XXXXXX", base);
                        if (!mkdtemp(camdir))
                                camdir[0] = '\0';
                }
                if (!camdir || !camdir[0]) {
                        ctl_msg("cannot create a temporary folder");
                        free(camdir);
                        return CTL_EXIT_USAGE;
                }
                cam_rc = fetch_camera(source, camdir, limit);
                if (cam_rc == 2) {
                        remove_flat_dir(camdir);
                        free(camdir);
                        return CTL_EXIT_USAGE;
                }
                source = camdir;
        }
        struct cli cl = {.emit_lock = PTHREAD_MUTEX_INITIALIZER, .thumbs = thumbs != NULL};
        struct app_ingest_opts o = {
                .root = source,
                .thumbs_dir = thumbs,
                .max_files = limit,
                .jobs = jobs,
                .on_item = on_item,
                .on_thumb = on_thumb,
                .user = &cl,
        };
        struct app_ingest *s = NULL;
        struct drv_errbuf err = {{0}};
        int r = app_ingest_start(&o, &s, &err);
        int rc = CTL_EXIT_OK;
        if (r) {
                ctl_msg("ingest: %s (%s)", drv_strerror(r), err.msg);
                rc = CTL_EXIT_USAGE;
        } else {
                app_ingest_wait(s);
                struct app_ingest_stats st;
                app_ingest_get_stats(s, &st);
                json_t *sum = json_object();
                json_object_set_new(sum, "summary", json_true());
                json_object_set_new(sum, "files_seen", json_integer((json_int_t)st.files_seen));
                json_object_set_new(sum, "photos", json_integer((json_int_t)st.photos));
                json_t *sk = json_object();
                for (int k = 0; k < _APP_SKIP_MAX; k++)
                        if (st.skipped[k])
                                json_object_set_new(sk, app_ingest_skip_name(k),
                                                    json_integer((json_int_t)st.skipped[k]));
                json_object_set_new(sum, "skipped", sk);
                json_object_set_new(sum, "seconds_to_first_24", json_real(st.seconds_to_first_24));
                json_object_set_new(sum, "seconds_total", json_real(st.seconds_total));
                if (st.vanished || cam_rc == 1)
                        json_object_set_new(sum, "vanished", json_true());
                pthread_mutex_lock(&cl.emit_lock);
                ctl_emit(sum);
                pthread_mutex_unlock(&cl.emit_lock);
                rc = st.vanished || cam_rc == 1 ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
                app_ingest_free(s);
        }
        if (camdir) {
                remove_flat_dir(camdir);
                free(camdir);
        }
        return rc;
}
CTL_VERB(ingest, "ingest",
         "ingest SOURCE [--thumbs DIR] [--limit N] [--jobs N]   (SOURCE: folder, camera: or "
         "camera:MODEL@PORT)",
         run_ingest);
