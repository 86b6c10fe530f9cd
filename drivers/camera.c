/* drivers/camera: libgphoto2 cameras and phones (see camera.h). Each call
 * runs under camera_lock with one GPContext whose cancel callback enforces the
 * caller's cancellation and a deadline, and whose error callback keeps the
 * last message so "PTP Access Denied" and friends map to DRV_E_PERMISSION. */
#include "drivers/camera.h"

#include <errno.h>
#include <fcntl.h>
#include <gphoto2/gphoto2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MSG_UNLOCK "Unlock the phone and choose 'File transfer' / 'Trust this computer'"

/* libgphoto2's camera abilities list, loaded once per process and then only
 * read. Loading it dlopen()s every camlib (~60 on Debian 12) to ask each for
 * its models: ~0.4 s here, 90 % of an open + list of a 48-photo camera (and
 * all of a `gphoto2 -L`'s own time), which autodetect paid again for every
 * arrival and open for every retry of a locked phone. abilities_lock guards
 * the load; lookups read the loaded list without it. */
static pthread_mutex_t abilities_lock = PTHREAD_MUTEX_INITIALIZER;
static CameraAbilitiesList *abilities; /* (transfer none) never freed: process-wide */

static CameraAbilitiesList *abilities_get(GPContext *ctx, int *ret_gp)
{
        pthread_mutex_lock(&abilities_lock);
        if (!abilities) {
                CameraAbilitiesList *al = NULL;
                int r = gp_abilities_list_new(&al);
                if (r >= GP_OK)
                        r = gp_abilities_list_load(al, ctx);
                if (r >= GP_OK) {
                        abilities = al;
                } else {
                        if (al)
                                gp_abilities_list_free(al);
                        *ret_gp = r;
                }
        }
        CameraAbilitiesList *al = abilities;
        pthread_mutex_unlock(&abilities_lock);
        return al;
}

int drv_camera_warm(struct drv_errbuf *err)
{
        GPContext *ctx = gp_context_new();
        if (!ctx)
                return drv_fail(err, DRV_E_IO, "out of memory");
        int r = GP_ERROR;
        CameraAbilitiesList *al = abilities_get(ctx, &r);
        gp_context_unref(ctx);
        return al ? 0 : drv_camera_map_error(r, NULL, err);
}

struct drv_camera {
        pthread_mutex_t camera_lock; /* serialises every libgphoto2 call on cam */
        Camera *cam;
        GPContext *ctx;
        /* Per-call state read by the context callbacks (camera_lock held). */
        char last_error[256];
        drv_camera_progress_fn progress;
        void *progress_user;
        float progress_target;
        uint64_t total;
        bool cancelled;
        struct timespec deadline;
        atomic_bool cancel_all; /* drv_camera_cancel: from any thread, lock-free */
};

static void ctx_error(GPContext *ctx, const char *msg, void *data)
{
        struct drv_camera *c = data;
        snprintf(c->last_error, sizeof(c->last_error), "%s", msg ? msg : "");
}

static bool past_deadline(const struct drv_camera *c)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return c->deadline.tv_sec && now.tv_sec >= c->deadline.tv_sec;
}

static GPContextFeedback ctx_cancel(GPContext *ctx, void *data)
{
        struct drv_camera *c = data;
        return c->cancelled || c->cancel_all || past_deadline(c) ? GP_CONTEXT_FEEDBACK_CANCEL
                                                                 : GP_CONTEXT_FEEDBACK_OK;
}

static unsigned int ctx_progress_start(GPContext *ctx, float target, const char *text, void *data)
{
        struct drv_camera *c = data;
        c->progress_target = target;
        return 1;
}

static void ctx_progress_update(GPContext *ctx, unsigned int id, float current, void *data)
{
        struct drv_camera *c = data;
        if (!c->progress || c->progress_target <= 0)
                return;
        uint64_t done = (uint64_t)((double)current / c->progress_target * (double)c->total);
        if (c->progress(c->progress_user, done, c->total) || c->cancel_all)
                c->cancelled = true;
}

static void ctx_progress_stop(GPContext *ctx, unsigned int id, void *data)
{
}

int drv_camera_map_error(int r, const char *msg, struct drv_errbuf *err)
{
        if (r >= GP_OK)
                return 0;
        const char *m = msg ? msg : "";
        if (r == GP_ERROR_IO_USB_CLAIM || r == GP_ERROR_IO_LOCK || r == GP_ERROR_CAMERA_BUSY ||
            strcasestr(m, "Access Denied") || strcasestr(m, "locked") ||
            strcasestr(m, "permission") || strcasestr(m, "Could not claim"))
                return drv_fail(err, DRV_E_PERMISSION, MSG_UNLOCK);
        switch (r) {
        case GP_ERROR_TIMEOUT:
                return drv_fail(err, DRV_E_TIMEOUT, "camera did not answer in time");
        case GP_ERROR_CANCEL:
                return drv_fail(err, DRV_E_REFUSED, "cancelled");
        case GP_ERROR_FILE_NOT_FOUND:
        case GP_ERROR_DIRECTORY_NOT_FOUND:
        case GP_ERROR_IO:
        case GP_ERROR_IO_READ:
        case GP_ERROR_IO_WRITE:
        case GP_ERROR_IO_USB_FIND:
        case GP_ERROR_IO_USB_CLEAR_HALT:
        case GP_ERROR_IO_INIT:
        case GP_ERROR_CAMERA_ERROR:
                return drv_fail(err, DRV_E_GONE, "camera or file gone (%s)", gp_result_as_string(r));
        case GP_ERROR_MODEL_NOT_FOUND:
        case GP_ERROR_UNKNOWN_PORT:
                return drv_fail(err, DRV_E_NOT_FOUND, "no such camera or port");
        case GP_ERROR_NOT_SUPPORTED:
                return drv_fail(err, DRV_E_NOT_FOUND, "not offered by this camera");
        case GP_ERROR_BAD_PARAMETERS:
                return drv_fail(err, DRV_E_INVALID, "bad parameters");
        default:
                return drv_fail(err, DRV_E_IO, "libgphoto2: %s", gp_result_as_string(r));
        }
}

/* Start a call: reset per-call state and arm the deadline (0: none). */
static void call_begin(struct drv_camera *c, int timeout_s)
{
        c->last_error[0] = '\0';
        c->cancelled = c->cancel_all;
        c->progress = NULL;
        c->progress_user = NULL;
        c->total = 0;
        c->deadline.tv_sec = 0;
        if (timeout_s > 0) {
                clock_gettime(CLOCK_MONOTONIC, &c->deadline);
                c->deadline.tv_sec += timeout_s;
        }
}

static int map(struct drv_camera *c, int r, struct drv_errbuf *err)
{
        if (r == GP_ERROR_CANCEL && !c->cancelled && past_deadline(c))
                return drv_fail(err, DRV_E_TIMEOUT, "camera operation took too long");
        return drv_camera_map_error(r, c->last_error, err);
}

int drv_camera_autodetect(struct drv_camera_desc *ret, size_t max, size_t *ret_n,
                          struct drv_errbuf *err)
{
        if (!ret_n)
                return drv_fail(err, DRV_E_INVALID, "no count");
        *ret_n = 0;
        GPContext *ctx = gp_context_new();
        CameraList *list = NULL;
        GPPortInfoList *pl = NULL;
        if (!ctx || gp_list_new(&list) < GP_OK) {
                if (ctx)
                        gp_context_unref(ctx);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        /* gp_camera_autodetect() without its own abilities load: the same
         * port list + gp_abilities_list_detect on the process's list. */
        int r = GP_ERROR;
        CameraAbilitiesList *al = abilities_get(ctx, &r);
        int n = al ? GP_OK : r;
        if (n >= GP_OK && ((n = gp_port_info_list_new(&pl)) >= GP_OK) &&
            ((n = gp_port_info_list_load(pl)) >= GP_OK) &&
            ((n = gp_abilities_list_detect(al, pl, list, ctx)) >= GP_OK))
                n = gp_list_count(list);
        int rc = 0;
        if (n < GP_OK) {
                rc = drv_camera_map_error(n, NULL, err);
        } else {
                for (int i = 0; i < n && *ret_n < max; i++) {
                        const char *model = NULL, *port = NULL;
                        if (gp_list_get_name(list, i, &model) < GP_OK ||
                            gp_list_get_value(list, i, &port) < GP_OK || !model || !port)
                                continue;
                        /* As gp_camera_autodetect: "usb:" alone is the generic
                         * entry of a device also listed with its bus address. */
                        if (strcmp(port, "usb:") == 0)
                                continue;
                        snprintf(ret[*ret_n].model, sizeof(ret[0].model), "%s", model);
                        snprintf(ret[*ret_n].port, sizeof(ret[0].port), "%s", port);
                        (*ret_n)++;
                }
        }
        if (pl)
                gp_port_info_list_free(pl);
        gp_list_free(list);
        gp_context_unref(ctx);
        return rc;
}

int drv_camera_open(const char *model, const char *port, struct drv_camera **ret,
                    struct drv_errbuf *err)
{
        if (!model || !port || !ret)
                return drv_fail(err, DRV_E_INVALID, "model and port needed");
        struct drv_camera *c = calloc(1, sizeof(*c));
        if (!c)
                return drv_fail(err, DRV_E_IO, "out of memory");
        pthread_mutex_init(&c->camera_lock, NULL);
        CameraAbilitiesList *al = NULL; /* the process's list (abilities_get): not ours */
        GPPortInfoList *pl = NULL;
        int rc = 0, r, mi, pi, nsi = 0;
        CameraAbilities ab;
        GPPortInfo info;
        CameraStorageInformation *si = NULL;
        c->ctx = gp_context_new();
        if (!c->ctx || gp_camera_new(&c->cam) < GP_OK) {
                rc = drv_fail(err, DRV_E_IO, "out of memory");
                goto fail;
        }
        gp_context_set_error_func(c->ctx, ctx_error, c);
        gp_context_set_cancel_func(c->ctx, ctx_cancel, c);
        gp_context_set_progress_funcs(c->ctx, ctx_progress_start, ctx_progress_update,
                                      ctx_progress_stop, c);
        call_begin(c, 30);
        r = GP_ERROR;
        if (!(al = abilities_get(c->ctx, &r))) {
                rc = map(c, r, err);
                goto fail;
        }
        mi = gp_abilities_list_lookup_model(al, model);
        if (mi < GP_OK) {
                rc = drv_fail(err, DRV_E_NOT_FOUND, "libgphoto2 knows no camera model of that name");
                goto fail;
        }
        if ((r = gp_abilities_list_get_abilities(al, mi, &ab)) < GP_OK ||
            (r = gp_camera_set_abilities(c->cam, ab)) < GP_OK) {
                rc = map(c, r, err);
                goto fail;
        }
        if ((r = gp_port_info_list_new(&pl)) < GP_OK || (r = gp_port_info_list_load(pl)) < GP_OK) {
                rc = map(c, r, err);
                goto fail;
        }
        pi = gp_port_info_list_lookup_path(pl, port);
        if (pi < GP_OK || gp_port_info_list_get_info(pl, pi, &info) < GP_OK) {
                rc = drv_fail(err, DRV_E_NOT_FOUND, "no such camera port");
                goto fail;
        }
        if ((r = gp_camera_set_port_info(c->cam, info)) < GP_OK) {
                rc = map(c, r, err);
                goto fail;
        }
        if ((r = gp_camera_init(c->cam, c->ctx)) < GP_OK) {
                rc = map(c, r, err);
                if (rc == DRV_E_GONE)
                        rc = drv_fail(err, DRV_E_NOT_FOUND, "camera not found at that port");
                goto fail;
        }
        /* A phone that is locked or not trusted shows no storage at all. */
        r = gp_camera_get_storageinfo(c->cam, &si, &nsi, c->ctx);
        free(si);
        if (r == GP_OK && nsi == 0) {
                rc = drv_fail(err, DRV_E_PERMISSION, MSG_UNLOCK);
                goto fail;
        }
        gp_port_info_list_free(pl);
        *ret = c;
        return 0;
fail:
        if (pl)
                gp_port_info_list_free(pl);
        drv_camera_free(c);
        return rc;
}

struct drv_camera *drv_camera_free(struct drv_camera *c)
{
        if (!c)
                return NULL;
        if (c->cam) {
                gp_camera_exit(c->cam, c->ctx);
                gp_camera_unref(c->cam);
        }
        if (c->ctx)
                gp_context_unref(c->ctx);
        pthread_mutex_destroy(&c->camera_lock);
        free(c);
        return NULL;
}

static bool name_ok(const char *n)
{
        size_t l = n ? strnlen(n, DRV_CAMERA_NAME_MAX + 1) : 0;
        return l > 0 && l <= DRV_CAMERA_NAME_MAX && !strchr(n, '/') && strcmp(n, ".") != 0 &&
               strcmp(n, "..") != 0;
}

static bool hidden_folder(const char *n)
{
        static const char *const sys[] = {"System Volume Information", "$RECYCLE.BIN", "LOST.DIR",
                                          "thumbnails", "cache"};
        if (n[0] == '.')
                return true;
        for (size_t k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
                if (strcasecmp(n, sys[k]) == 0)
                        return true;
        return false;
}

static bool photo_name(const char *n)
{
        static const char *const ext[] = {"jpg", "jpeg", "jpe", "png", "heic", "heif", "webp"};
        const char *dot = strrchr(n, '.');
        if (!dot)
                return false;
        for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++)
                if (strcasecmp(dot + 1, ext[k]) == 0)
                        return true;
        return false;
}

static int join(char *out, size_t cap, const char *folder, const char *name)
{
        bool root = strcmp(folder, "/") == 0;
        int n = snprintf(out, cap, "%s%s%s", folder, root ? "" : "/", name);
        return n > 0 && (size_t)n < cap ? 0 : -1;
}

int drv_camera_list(struct drv_camera *c, const struct drv_camera_list_opts *o,
                    struct drv_camera_file **ret, size_t *ret_n, size_t *ret_skipped,
                    struct drv_errbuf *err)
{
        if (!c || !ret || !ret_n)
                return drv_fail(err, DRV_E_INVALID, "bad arguments");
        unsigned max_depth = o && o->max_depth ? o->max_depth : DRV_CAMERA_MAX_DEPTH;
        unsigned max_files = o && o->max_files ? o->max_files : DRV_CAMERA_MAX_FILES;
        /* Work list of folders (path + depth), bounded by max_files * 2. */
        size_t cap_f = 64, n_f = 0, head = 0, limit_f = (size_t)max_files * 2 + 64;
        struct fitem {
                char path[1024];
                unsigned depth;
        } *fq = malloc(cap_f * sizeof(*fq));
        struct drv_camera_file *files = NULL;
        size_t n_files = 0, cap_files = 0, skipped = 0;
        CameraList *list = NULL;
        int rc = 0;
        if (!fq || gp_list_new(&list) < GP_OK) {
                free(fq);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        snprintf(fq[0].path, sizeof(fq[0].path), "/");
        fq[0].depth = 0;
        n_f = 1;
        pthread_mutex_lock(&c->camera_lock);
        call_begin(c, 300);
        while (head < n_f && rc == 0) {
                struct fitem cur = fq[head++];
                gp_list_reset(list);
                int r = gp_camera_folder_list_files(c->cam, cur.path, list, c->ctx);
                if (r < GP_OK) {
                        rc = map(c, r, err);
                        break;
                }
                int nl = gp_list_count(list);
                for (int i = 0; i < nl && rc == 0; i++) {
                        const char *name = NULL;
                        gp_list_get_name(list, i, &name);
                        if (!name_ok(name) || hidden_folder(name)) {
                                skipped++;
                                continue;
                        }
                        CameraFileInfo info;
                        memset(&info, 0, sizeof(info));
                        r = gp_camera_file_get_info(c->cam, cur.path, name, &info, c->ctx);
                        if (r < GP_OK) {
                                skipped++;
                                continue;
                        }
                        bool image = (info.file.fields & GP_FILE_INFO_TYPE) &&
                                     strncmp(info.file.type, "image/", 6) == 0;
                        if ((!image && !photo_name(name)) || n_files >= max_files) {
                                skipped++;
                                continue;
                        }
                        if (n_files == cap_files) {
                                cap_files = cap_files ? cap_files * 2 : 64;
                                struct drv_camera_file *nf = realloc(files, cap_files * sizeof(*nf));
                                if (!nf) {
                                        rc = drv_fail(err, DRV_E_IO, "out of memory");
                                        break;
                                }
                                files = nf;
                        }
                        struct drv_camera_file *f = &files[n_files++];
                        memset(f, 0, sizeof(*f));
                        snprintf(f->folder, sizeof(f->folder), "%s", cur.path);
                        snprintf(f->name, sizeof(f->name), "%s", name);
                        if (info.file.fields & GP_FILE_INFO_SIZE)
                                f->size = info.file.size;
                        if (info.file.fields & GP_FILE_INFO_MTIME)
                                f->mtime = (int64_t)info.file.mtime;
                        if (info.file.fields & GP_FILE_INFO_TYPE)
                                snprintf(f->mime, sizeof(f->mime), "%s", info.file.type);
                        f->has_preview = info.preview.fields != GP_FILE_INFO_NONE;
                }
                if (rc)
                        break;
                gp_list_reset(list);
                r = gp_camera_folder_list_folders(c->cam, cur.path, list, c->ctx);
                if (r < GP_OK) {
                        rc = map(c, r, err);
                        break;
                }
                nl = gp_list_count(list);
                for (int i = 0; i < nl; i++) {
                        const char *name = NULL;
                        gp_list_get_name(list, i, &name);
                        if (!name_ok(name) || hidden_folder(name) || cur.depth + 1 > max_depth ||
                            n_f >= limit_f) {
                                skipped++;
                                continue;
                        }
                        if (n_f == cap_f) {
                                cap_f *= 2;
                                struct fitem *nq = realloc(fq, cap_f * sizeof(*nq));
                                if (!nq) {
                                        rc = drv_fail(err, DRV_E_IO, "out of memory");
                                        break;
                                }
                                fq = nq;
                        }
                        if (join(fq[n_f].path, sizeof(fq[n_f].path), cur.path, name) != 0) {
                                skipped++;
                                continue;
                        }
                        fq[n_f].depth = cur.depth + 1;
                        n_f++;
                }
        }
        pthread_mutex_unlock(&c->camera_lock);
        gp_list_free(list);
        free(fq);
        if (rc) {
                free(files);
                return rc;
        }
        *ret = files;
        *ret_n = n_files;
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}

/* Write data durably to out_path via a temp file next to it, reporting
 * progress per chunk (the transfer itself already happened). */
static int write_out(struct drv_camera *c, const char *data, unsigned long size,
                     const char *out_path, struct drv_errbuf *err)
{
        char tmp[4096];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out_path) >= (int)sizeof(tmp))
                return drv_fail(err, DRV_E_INVALID, "output path too long");
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return drv_fail(err, DRV_E_IO, "cannot create the output: %s", strerror(errno));
        unsigned long off = 0;
        int rc = 0;
        while (off < size) {
                size_t n = size - off > 65536 ? 65536 : size - off;
                ssize_t w = write(fd, data + off, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        rc = drv_fail(err, DRV_E_IO, "write failed: %s", strerror(errno));
                        break;
                }
                off += (unsigned long)w;
        }
        if (!rc && fsync(fd) != 0)
                rc = drv_fail(err, DRV_E_IO, "fsync failed: %s", strerror(errno));
        close(fd);
        if (!rc && rename(tmp, out_path) != 0)
                rc = drv_fail(err, DRV_E_IO, "rename failed: %s", strerror(errno));
        if (rc)
                unlink(tmp);
        return rc;
}

static int fetch_type(struct drv_camera *c, const char *folder, const char *name,
                      CameraFileType type, const char *out_path, drv_camera_progress_fn progress,
                      void *user, uint64_t *ret_bytes, struct drv_errbuf *err)
{
        if (!c || !folder || !name || !out_path || !name_ok(name) || folder[0] != '/')
                return drv_fail(err, DRV_E_INVALID, "bad arguments");
        CameraFile *file = NULL;
        if (gp_file_new(&file) < GP_OK)
                return drv_fail(err, DRV_E_IO, "out of memory");
        int rc = 0, r;
        const char *data = NULL;
        unsigned long size = 0;
        CameraFileInfo info;
        memset(&info, 0, sizeof(info));
        pthread_mutex_lock(&c->camera_lock);
        call_begin(c, type == GP_FILE_TYPE_NORMAL ? DRV_CAMERA_FETCH_TIMEOUT_S
                                                  : DRV_CAMERA_PREVIEW_TIMEOUT_S);
        r = gp_camera_file_get_info(c->cam, folder, name, &info, c->ctx);
        if (r < GP_OK) {
                rc = map(c, r, err);
                goto out;
        }
        if (type == GP_FILE_TYPE_NORMAL && (info.file.fields & GP_FILE_INFO_SIZE)) {
                if (info.file.size > DRV_CAMERA_MAX_FILE_BYTES) {
                        rc = drv_fail(err, DRV_E_LIMIT, "file larger than the limit");
                        goto out;
                }
                c->total = info.file.size;
        }
        c->progress = progress;
        c->progress_user = user;
        r = gp_camera_file_get(c->cam, folder, name, type, file, c->ctx);
        if (r >= GP_OK && (c->cancelled || c->cancel_all))
                r = GP_ERROR_CANCEL;
        if (r < GP_OK) {
                rc = map(c, r, err);
                goto out;
        }
        if (gp_file_get_data_and_size(file, &data, &size) < GP_OK || (!data && size)) {
                rc = drv_fail(err, DRV_E_IO, "no data");
                goto out;
        }
        if (type == GP_FILE_TYPE_PREVIEW && (size == 0 || size > DRV_CAMERA_MAX_PREVIEW_BYTES)) {
                rc = drv_fail(err, DRV_E_LIMIT, size ? "preview larger than the limit" : "empty preview");
                goto out;
        }
        if (type == GP_FILE_TYPE_NORMAL) {
                if (size > DRV_CAMERA_MAX_FILE_BYTES) {
                        rc = drv_fail(err, DRV_E_LIMIT, "file larger than the limit");
                        goto out;
                }
                /* Still there, same size? A pulled cable or a deleted folder
                 * during the transfer means this copy cannot be trusted. */
                CameraFileInfo after;
                memset(&after, 0, sizeof(after));
                /* Ask the camlib again, not libgphoto2's info cache. */
                gp_filesystem_set_info_dirty(c->cam->fs, folder, name, c->ctx);
                r = gp_camera_file_get_info(c->cam, folder, name, &after, c->ctx);
                if (r < GP_OK || ((after.file.fields & GP_FILE_INFO_SIZE) && after.file.size != size)) {
                        rc = drv_fail(err, DRV_E_GONE, "the camera or the file went away during the transfer");
                        goto out;
                }
                if (progress && progress(user, size, size)) {
                        rc = drv_fail(err, DRV_E_REFUSED, "cancelled");
                        goto out;
                }
        }
        rc = write_out(c, data, size, out_path, err);
        if (rc == 0 && ret_bytes)
                *ret_bytes = size;
out:
        c->progress = NULL;
        pthread_mutex_unlock(&c->camera_lock);
        gp_file_unref(file);
        return rc;
}

int drv_camera_fetch(struct drv_camera *c, const char *folder, const char *name,
                     const char *out_path, drv_camera_progress_fn progress, void *user,
                     struct drv_errbuf *err)
{
        return fetch_type(c, folder, name, GP_FILE_TYPE_NORMAL, out_path, progress, user, NULL, err);
}

int drv_camera_fetch_preview(struct drv_camera *c, const char *folder, const char *name,
                             const char *out_path, struct drv_errbuf *err)
{
        return fetch_type(c, folder, name, GP_FILE_TYPE_PREVIEW, out_path, NULL, NULL, NULL, err);
}

void drv_camera_cancel(struct drv_camera *c)
{
        if (c)
                c->cancel_all = true;
}

int drv_camera_ping(struct drv_camera *c, struct drv_errbuf *err)
{
        if (!c)
                return drv_fail(err, DRV_E_INVALID, "no camera");
        if (c->cancel_all)
                return drv_fail(err, DRV_E_REFUSED, "cancelled");
        CameraList *list = NULL;
        if (gp_list_new(&list) < GP_OK)
                return drv_fail(err, DRV_E_IO, "out of memory");
        pthread_mutex_lock(&c->camera_lock);
        call_begin(c, 10);
        /* libgphoto2 caches folder listings: ask the camlib itself. */
        gp_filesystem_reset(c->cam->fs);
        int r = gp_camera_folder_list_folders(c->cam, "/", list, c->ctx);
        int rc = r < GP_OK ? map(c, r, err) : 0;
        if (rc == 0) {
                /* A disk: port answers "/" from its own root: the root itself
                 * must still be there (a phone that went away fails above). */
                r = gp_camera_folder_list_files(c->cam, "/", list, c->ctx);
                if (r < GP_OK)
                        rc = map(c, r, err);
        }
        pthread_mutex_unlock(&c->camera_lock);
        gp_list_free(list);
        return rc;
}
