/* image/colour: ICC profile identity and the lcms2 transform cache (colour.h).
 *
 * Invariants: cache_lock guards cache[], every refcount and the statistics;
 * lcms2 profile parsing and transform creation happen under cache_lock (lcms2
 * profile objects are not thread-safe), applying a transform does not. A cache
 * slot holds one reference to its transform. */
#include "image/colour.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <lcms2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct img_xform {
        cmsHTRANSFORM t;
        unsigned refs;  /* under cache_lock */
        int in_bytes;   /* bytes per input pixel */
};

struct cache_slot {
        char key[256];
        struct img_xform *x;
        uint64_t used; /* LRU tick */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_slot cache[IMG_COLOUR_CACHE_MAX];
static uint64_t cache_tick;
static unsigned cache_hits, cache_misses;
static pthread_once_t lcms_once = PTHREAD_ONCE_INIT;
static __thread char lcms_msg[200];

static void lcms_error(cmsContext ctx, cmsUInt32Number code, const char *text)
{
        (void)ctx;
        snprintf(lcms_msg, sizeof(lcms_msg), "lcms2 error %u: %s", (unsigned)code,
                 text ? text : "?");
}

static void lcms_setup(void)
{
        cmsSetLogErrorHandler(lcms_error);
        cmsUInt16Number alarm[cmsMAXCHANNELS] = {0};
        alarm[0] = 0xffff, alarm[1] = 0, alarm[2] = 0xffff;
        cmsSetAlarmCodes(alarm);
}

static const char *lcms_take_msg(void)
{
        static __thread char out[200];
        snprintf(out, sizeof(out), "%s", lcms_msg[0] ? lcms_msg : "no detail from lcms2");
        lcms_msg[0] = '\0';
        return out;
}

void img_sha256_hex(const void *data, size_t len, char out[65])
{
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        g_checksum_update(c, data, (gssize)len);
        snprintf(out, 65, "%s", g_checksum_get_string(c));
        g_checksum_free(c);
}

int img_sha256_file(const char *path, uint64_t max_bytes, char out[65], struct img_errbuf *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "%s", strerror(errno));
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        static __thread uint8_t buf[1 << 16];
        uint64_t total = 0;
        int rc = IMG_OK;
        for (;;) {
                ssize_t r = read(fd, buf, sizeof(buf));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        rc = img_fail(err, IMG_E_UNREADABLE, "read: %s", strerror(errno));
                        break;
                }
                if (r == 0)
                        break;
                total += (uint64_t)r;
                if (total > max_bytes) {
                        rc = img_fail(err, IMG_E_FILE_TOO_LARGE, "over %llu bytes",
                                      (unsigned long long)max_bytes);
                        break;
                }
                g_checksum_update(c, buf, r);
        }
        close(fd);
        if (!rc)
                snprintf(out, 65, "%s", g_checksum_get_string(c));
        g_checksum_free(c);
        return rc;
}

int img_icc_from_memory(const void *data, size_t len, bool copy, struct img_icc *ret,
                        struct img_errbuf *err)
{
        pthread_once(&lcms_once, lcms_setup);
        if (!data || len < 128)
                return img_fail(err, IMG_E_BAD_PROFILE, "profile shorter than its header");
        if (len > img_get_limits()->max_icc_bytes)
                return img_fail(err, IMG_E_BAD_PROFILE, "profile of %zu bytes over the limit", len);
        struct img_icc out = {0};
        pthread_mutex_lock(&cache_lock);
        cmsHPROFILE p = cmsOpenProfileFromMem(data, (cmsUInt32Number)len);
        cmsColorSpaceSignature cs = p ? cmsGetColorSpace(p) : 0;
        if (p) {
                wchar_t w[96] = {0};
                cmsGetProfileInfo(p, cmsInfoDescription, "en", "US", w, 95);
                for (size_t i = 0; i < 95 && w[i]; i++)
                        out.desc[i] = (w[i] >= 0x20 && w[i] < 0x7f) ? (char)w[i] : '?';
                cmsCloseProfile(p);
        }
        pthread_mutex_unlock(&cache_lock);
        if (!p)
                return img_fail(err, IMG_E_BAD_PROFILE, "%s", lcms_take_msg());
        if (cs != cmsSigRgbData)
                return img_fail(err, IMG_E_BAD_PROFILE, "not an RGB profile");
        img_sha256_hex(data, len, out.sha256);
        out.len = len;
        if (copy) {
                out.data = g_memdup2(data, len);
                out.owned = true;
        } else {
                out.data = (uint8_t *)data;
        }
        *ret = out;
        return IMG_OK;
}

int img_icc_load_file(const char *path, struct img_icc *ret, struct img_errbuf *err)
{
        gchar *buf = NULL;
        gsize len = 0;
        struct stat st;
        if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                return img_fail(err, IMG_E_UNREADABLE, "profile %s: not a readable file",
                                path ? path : "(null)");
        if ((uint64_t)st.st_size > img_get_limits()->max_icc_bytes)
                return img_fail(err, IMG_E_BAD_PROFILE, "profile over the size limit");
        if (!g_file_get_contents(path, &buf, &len, NULL))
                return img_fail(err, IMG_E_UNREADABLE, "profile %s: read failed", path);
        int rc = img_icc_from_memory(buf, len, false, ret, err);
        if (rc) {
                g_free(buf);
                return rc;
        }
        ret->owned = true;
        return IMG_OK;
}

void img_icc_done(struct img_icc *icc)
{
        if (!icc)
                return;
        if (icc->owned)
                g_free(icc->data);
        memset(icc, 0, sizeof(*icc));
}

int img_profile_check_file(const char *path, char sha[65], struct img_errbuf *err)
{
        struct img_icc icc;
        int rc = img_icc_load_file(path, &icc, err);
        if (rc)
                return rc;
        snprintf(sha, 65, "%s", icc.sha256);
        img_icc_done(&icc);
        return IMG_OK;
}

/* ---- cache ------------------------------------------------------------------ */

static void xform_unref_locked(struct img_xform *x)
{
        if (x && --x->refs == 0) {
                cmsDeleteTransform(x->t);
                g_free(x);
        }
}

struct img_xform *img_xform_unref(struct img_xform *x)
{
        if (!x)
                return NULL;
        pthread_mutex_lock(&cache_lock);
        xform_unref_locked(x);
        pthread_mutex_unlock(&cache_lock);
        return NULL;
}

static cmsUInt32Number lcms_format(enum img_px_format f)
{
        return f == IMG_PX_RGB16 ? TYPE_RGB_16 : TYPE_RGB_8;
}

/* Find or build. build() runs under cache_lock with the profiles open. */
static int cache_get(const char *key, const struct img_icc *a, const struct img_icc *b,
                     const struct img_icc *c, enum img_intent intent, cmsUInt32Number flags,
                     enum img_px_format fmt, struct img_xform **ret, struct img_errbuf *err)
{
        pthread_once(&lcms_once, lcms_setup);
        pthread_mutex_lock(&cache_lock);
        for (size_t i = 0; i < IMG_COLOUR_CACHE_MAX; i++) {
                if (cache[i].x && strcmp(cache[i].key, key) == 0) {
                        cache[i].used = ++cache_tick;
                        cache[i].x->refs++;
                        cache_hits++;
                        *ret = cache[i].x;
                        pthread_mutex_unlock(&cache_lock);
                        return IMG_OK;
                }
        }
        cache_misses++;
        cmsHPROFILE pa = cmsOpenProfileFromMem(a->data, (cmsUInt32Number)a->len);
        cmsHPROFILE pb = cmsOpenProfileFromMem(b->data, (cmsUInt32Number)b->len);
        cmsHPROFILE pc = c ? cmsOpenProfileFromMem(c->data, (cmsUInt32Number)c->len) : NULL;
        cmsHTRANSFORM t = NULL;
        if (pa && pb && (!c || pc)) {
                if (c) /* a = source, b = paper (proofing), c = display */
                        t = cmsCreateProofingTransform(pa, lcms_format(fmt), pc, TYPE_RGB_8, pb,
                                                       (cmsUInt32Number)intent,
                                                       INTENT_RELATIVE_COLORIMETRIC, flags);
                else
                        t = cmsCreateTransform(pa, lcms_format(fmt), pb, TYPE_RGB_8,
                                               (cmsUInt32Number)intent, flags);
        }
        if (pa)
                cmsCloseProfile(pa);
        if (pb)
                cmsCloseProfile(pb);
        if (pc)
                cmsCloseProfile(pc);
        if (!t) {
                pthread_mutex_unlock(&cache_lock);
                return img_fail(err, IMG_E_BAD_PROFILE, "cannot build transform: %s",
                                lcms_take_msg());
        }
        struct img_xform *x = g_new0(struct img_xform, 1);
        x->t = t;
        x->refs = 2; /* the cache's and the caller's */
        x->in_bytes = fmt == IMG_PX_RGB16 ? 6 : 3;
        size_t victim = 0;
        for (size_t i = 0; i < IMG_COLOUR_CACHE_MAX; i++) {
                if (!cache[i].x) {
                        victim = i;
                        break;
                }
                if (cache[i].used < cache[victim].used)
                        victim = i;
        }
        xform_unref_locked(cache[victim].x);
        snprintf(cache[victim].key, sizeof(cache[victim].key), "%s", key);
        cache[victim].x = x;
        cache[victim].used = ++cache_tick;
        *ret = x;
        pthread_mutex_unlock(&cache_lock);
        return IMG_OK;
}

static bool icc_ok(const struct img_icc *p)
{
        return p && p->data && p->len >= 128 && strlen(p->sha256) == 64;
}

int img_colour_transform(const struct img_icc *src, const struct img_icc *dst,
                         enum img_intent intent, bool bpc, enum img_px_format fmt,
                         struct img_xform **ret, struct img_errbuf *err)
{
        if (!icc_ok(src) || !icc_ok(dst) || (unsigned)intent >= _IMG_INTENT_MAX ||
            (unsigned)fmt >= _IMG_PX_MAX || !ret)
                return img_fail(err, IMG_E_INVALID, "bad transform arguments");
        cmsUInt32Number flags = cmsFLAGS_NOCACHE | (bpc ? cmsFLAGS_BLACKPOINTCOMPENSATION : 0);
        char key[256];
        snprintf(key, sizeof(key), "x:%s:%s:%d:%u:%d", src->sha256, dst->sha256, (int)intent,
                 (unsigned)flags, (int)fmt);
        return cache_get(key, src, dst, NULL, intent, flags, fmt, ret, err);
}

int img_colour_proof_transform(const struct img_icc *src, const struct img_icc *paper,
                               const struct img_icc *display, enum img_intent intent, bool bpc,
                               bool gamut_warning, enum img_px_format fmt,
                               struct img_xform **ret, struct img_errbuf *err)
{
        if (!icc_ok(src) || !icc_ok(paper) || !icc_ok(display) ||
            (unsigned)intent >= _IMG_INTENT_MAX || (unsigned)fmt >= _IMG_PX_MAX || !ret)
                return img_fail(err, IMG_E_INVALID, "bad proof transform arguments");
        cmsUInt32Number flags = cmsFLAGS_NOCACHE | cmsFLAGS_SOFTPROOFING |
                                (bpc ? cmsFLAGS_BLACKPOINTCOMPENSATION : 0) |
                                (gamut_warning ? cmsFLAGS_GAMUTCHECK : 0);
        char key[256];
        /* Display and paper hashes truncated to 48 hex digits to fit the key;
         * 192 bits still identify a profile. */
        snprintf(key, sizeof(key), "p:%.48s:%.48s:%.48s:%d:%u:%d", src->sha256, paper->sha256,
                 display->sha256, (int)intent, (unsigned)flags, (int)fmt);
        return cache_get(key, src, paper, display, intent, flags, fmt, ret, err);
}

struct strip {
        cmsHTRANSFORM t;
        const uint8_t *in;
        uint8_t *out;
        size_t in_stride, out_stride;
        int width, rows;
};

static void *run_strip(void *arg)
{
        struct strip *s = arg;
        /* One call per strip: lcms2 2.14 takes line strides (cmsDoTransformLineStride). */
        cmsDoTransformLineStride(s->t, s->in, s->out, (cmsUInt32Number)s->width,
                                 (cmsUInt32Number)s->rows, (cmsUInt32Number)s->in_stride,
                                 (cmsUInt32Number)s->out_stride, 0, 0);
        return NULL;
}

void img_xform_apply(struct img_xform *x, const void *in, size_t in_stride, void *out,
                     size_t out_stride, int width, int height, int threads)
{
        if (!x || !in || !out || width <= 0 || height <= 0)
                return;
        if (threads < 1)
                threads = 1;
        if (threads > IMG_COLOUR_MAX_THREADS)
                threads = IMG_COLOUR_MAX_THREADS;
        if (height < threads * 16)
                threads = 1;
        struct strip s[IMG_COLOUR_MAX_THREADS];
        pthread_t tid[IMG_COLOUR_MAX_THREADS];
        bool started[IMG_COLOUR_MAX_THREADS] = {false};
        int per = (height + threads - 1) / threads;
        for (int i = 0; i < threads; i++) {
                int y0 = i * per, rows = height - y0 < per ? height - y0 : per;
                s[i] = (struct strip){x->t,      (const uint8_t *)in + (size_t)y0 * in_stride,
                                      (uint8_t *)out + (size_t)y0 * out_stride,
                                      in_stride, out_stride, width, rows};
        }
        for (int i = 1; i < threads; i++)
                started[i] = pthread_create(&tid[i], NULL, run_strip, &s[i]) == 0;
        run_strip(&s[0]);
        for (int i = 1; i < threads; i++) {
                if (started[i])
                        pthread_join(tid[i], NULL);
                else
                        run_strip(&s[i]); /* no thread: do it here */
        }
}

void img_colour_cache_stats(struct img_colour_stats *ret)
{
        pthread_mutex_lock(&cache_lock);
        unsigned n = 0;
        for (size_t i = 0; i < IMG_COLOUR_CACHE_MAX; i++)
                n += cache[i].x != NULL;
        *ret = (struct img_colour_stats){cache_hits, cache_misses, n};
        pthread_mutex_unlock(&cache_lock);
}

void img_colour_cache_clear(void)
{
        pthread_mutex_lock(&cache_lock);
        for (size_t i = 0; i < IMG_COLOUR_CACHE_MAX; i++) {
                xform_unref_locked(cache[i].x);
                cache[i].x = NULL;
                cache[i].key[0] = '\0';
        }
        pthread_mutex_unlock(&cache_lock);
}
