/* app/render_sandbox: the kiosk side of the sandboxed master render (see
 * render_sandbox.h).
 *
 * Invariants:
 * - The helper gets exactly fds 0/1 (/dev/null), 2 (a pipe we drain, used
 *   only to tell "out of memory" from other crashes), 3 (the record, written
 *   in full before the spawn, so we never block or take SIGPIPE on it), 4 (the
 *   temp file) and 5 (its answer); a fixed environment; default signal
 *   dispositions and an empty mask.
 * - Every wait is bounded by the wall-clock deadline; past it the helper is
 *   SIGKILLed and reaped. No path returns with the helper still running or
 *   unreaped, or with the temp file left behind.
 * - Nothing from the helper is used unchecked: the answer is bounded and
 *   parsed strictly, must equal img_render_expected(), and the file's header,
 *   size and hash are read here.
 */
#include "app/render_sandbox.h"
#include "app/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/transform_record.h"

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
#define PK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_ASAN 1
#endif
#endif

#define STDERR_KEEP 4096 /* enough to see an allocator's last words */

uint64_t app_render_mem_for(const struct img_render_spec *s)
{
        struct img_render_result e;
        if (img_render_expected(s, &e, NULL) != 0)
                return APP_RENDER_MEM_BASE;
        uint64_t out = (uint64_t)s->out_width * (uint64_t)s->out_height;
        uint64_t src = (uint64_t)s->src_width * (uint64_t)s->src_height /
                       ((uint64_t)e.shrink * (uint64_t)e.shrink);
        uint64_t m = APP_RENDER_MEM_BASE + 16 * out + 8 * src;
        return m > APP_RENDER_MEM_MAX ? APP_RENDER_MEM_MAX : m;
}


static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* ---- checking the helper's work ---------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t tiff_u(const uint8_t *p, int n, bool le)
{
        uint32_t v = 0;
        for (int i = 0; i < n; i++)
                v |= (uint32_t)p[le ? i : n - 1 - i] << (8 * (le ? i : n - 1 - i));
        return v;
}

/* The first IFD of a baseline TIFF: width, height, 3 samples of 8 bits. */
static int check_tiff(int fd, uint64_t size, const struct img_render_result *e,
                      struct img_errbuf *err)
{
        uint8_t h[8];
        if (pread(fd, h, 8, 0) != 8)
                return img_fail(err, IMG_E_INTERNAL, "render helper: master too short");
        bool le = h[0] == 'I' && h[1] == 'I';
        if (!((le && h[2] == 42 && h[3] == 0) || (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42)))
                return img_fail(err, IMG_E_INTERNAL, "render helper: master is not a TIFF");
        uint32_t ifd = tiff_u(h + 4, 4, le);
        uint8_t cnt[2];
        if (ifd < 8 || ifd + 2ull > size || pread(fd, cnt, 2, ifd) != 2)
                return img_fail(err, IMG_E_INTERNAL, "render helper: TIFF directory outside the file");
        uint32_t n = tiff_u(cnt, 2, le);
        if (n == 0 || n > 64 || ifd + 2ull + 12ull * n > size)
                return img_fail(err, IMG_E_INTERNAL, "render helper: TIFF directory of %u entries", n);
        uint8_t ent[64 * 12];
        if (pread(fd, ent, 12 * (size_t)n, ifd + 2) != (ssize_t)(12 * n))
                return img_fail(err, IMG_E_INTERNAL, "render helper: TIFF directory unreadable");
        int64_t w = -1, hh = -1, spp = -1, bps = -1;
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *x = ent + 12 * i;
                uint32_t tag = tiff_u(x, 2, le), type = tiff_u(x + 2, 2, le);
                uint32_t count = tiff_u(x + 4, 4, le);
                uint32_t v = type == 3 ? tiff_u(x + 8, 2, le) : type == 4 ? tiff_u(x + 8, 4, le) : 0;
                if (tag == 256)
                        w = v;
                else if (tag == 257)
                        hh = v;
                else if (tag == 277)
                        spp = v;
                else if (tag == 258 && count == 1)
                        bps = v;
                else if (tag == 258 && count == 3 && type == 3) {
                        /* three SHORTs do not fit in 4 bytes: an offset */
                        uint8_t b[6];
                        uint32_t off = tiff_u(x + 8, 4, le);
                        if (off + 6ull > size || pread(fd, b, 6, off) != 6)
                                return img_fail(err, IMG_E_INTERNAL, "render helper: TIFF bits unreadable");
                        bps = tiff_u(b, 2, le) == 8 && tiff_u(b + 2, 2, le) == 8 &&
                                              tiff_u(b + 4, 2, le) == 8 ? 8 : 0;
                }
        }
        if (w != e->width || hh != e->height || spp != 3 || bps != 8)
                return img_fail(err, IMG_E_INTERNAL,
                                "render helper: TIFF is %lldx%lld, %lld x %lld bits; spec says %dx%d RGB8",
                                (long long)w, (long long)hh, (long long)spp, (long long)bps,
                                e->width, e->height);
        return IMG_OK;
}

static int check_png(int fd, const struct img_render_result *e, struct img_errbuf *err)
{
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        uint8_t h[33];
        if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
                return img_fail(err, IMG_E_INTERNAL, "render helper: master too short");
        if (memcmp(h, sig, 8) != 0 || be32(h + 8) != 13 || memcmp(h + 12, "IHDR", 4) != 0)
                return img_fail(err, IMG_E_INTERNAL, "render helper: master is not a PNG");
        uint32_t w = be32(h + 16), hh = be32(h + 20);
        if (w != (uint32_t)e->width || hh != (uint32_t)e->height || h[24] != 8 || h[25] != 2)
                return img_fail(err, IMG_E_INTERNAL,
                                "render helper: PNG is %ux%u depth %u type %u; spec says %dx%d RGB8", w,
                                hh, h[24], h[25], e->width, e->height);
        return IMG_OK;
}

static int hash_fd(int fd, uint64_t size, char out[65], struct img_errbuf *err)
{
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        uint8_t *buf = g_malloc(1 << 16);
        uint64_t off = 0;
        int rc = IMG_OK;
        while (off < size) {
                ssize_t r = pread(fd, buf, 1 << 16, (off_t)off);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        rc = img_fail(err, IMG_E_IO, "read master back: %s",
                                      r < 0 ? strerror(errno) : "file shrank");
                        break;
                }
                off += (uint64_t)r;
                g_checksum_update(c, buf, r);
        }
        if (!rc)
                snprintf(out, 65, "%s", g_checksum_get_string(c));
        g_free(buf);
        g_checksum_free(c);
        return rc;
}

/* A printable, bounded copy of a helper's message. */
static void clean_msg(const char *in, char *out, size_t outlen)
{
        size_t j = 0;
        for (size_t i = 0; in && in[i] && j + 1 < outlen && i < 512; i++)
                out[j++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
        out[j] = 0;
}

/* Parse and check the answer; on "ok" it must equal the expectation. */
static int check_answer(const char *text, size_t len, const struct img_render_result *e,
                        struct img_errbuf *err)
{
        json_error_t je;
        json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        int rc = IMG_OK;
        json_t *ok = o ? json_object_get(o, "ok") : NULL;
        if (!o || !json_is_object(o) || !json_is_boolean(ok)) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: unreadable answer");
        } else if (!json_is_true(ok)) {
                json_t *code = json_object_get(o, "code");
                char msg[200];
                clean_msg(json_string_value(json_object_get(o, "message")), msg, sizeof(msg));
                json_int_t c = json_is_integer(code) ? json_integer_value(code) : 0;
                if (c >= 0 || c <= _IMG_E_MIN)
                        rc = img_fail(err, IMG_E_INTERNAL, "render helper: bad error code");
                else
                        rc = img_fail(err, (int)c, "%s", msg);
        } else {
                json_t *w = json_object_get(o, "width"), *h = json_object_get(o, "height");
                json_t *sh = json_object_get(o, "shrink"), *d = json_object_get(o, "effective_dpi");
                if (json_object_size(o) != 5 || !json_is_integer(w) || !json_is_integer(h) ||
                    !json_is_integer(sh) || !json_is_number(d))
                        rc = img_fail(err, IMG_E_INTERNAL, "render helper: malformed answer");
                else if (json_integer_value(w) != e->width || json_integer_value(h) != e->height ||
                         json_integer_value(sh) != e->shrink ||
                         !(fabs(json_number_value(d) - e->effective_dpi) <=
                           1e-6 * (1 + e->effective_dpi)))
                        rc = img_fail(err, IMG_E_INTERNAL,
                                      "render helper: answer %lldx%lld shrink %lld differs from the "
                                      "spec (%dx%d shrink %d)",
                                      (long long)json_integer_value(w),
                                      (long long)json_integer_value(h),
                                      (long long)json_integer_value(sh), e->width, e->height,
                                      e->shrink);
        }
        json_decref(o);
        return rc;
}

/* How the helper ended, when it gave no usable answer. */
static int classify_death(int st, bool timed_out, int timeout_ms, uint64_t mem,
                          const char *errtext, struct img_errbuf *err)
{
        bool oom = errtext && (strstr(errtext, "failed to allocate") || strstr(errtext, "out of memory") ||
                               strstr(errtext, "Out of memory") || strstr(errtext, "hard rss limit") ||
                               strstr(errtext, "allocation-size-too-big") ||
                               strstr(errtext, "requested allocation size"));
        if (timed_out)
                return img_fail(err, IMG_E_CORRUPT, "render helper timed out after %d ms (killed)",
                                timeout_ms);
        if (WIFSIGNALED(st)) {
                int sig = WTERMSIG(st);
                if (oom)
                        return img_fail(err, IMG_E_TOO_MANY_PIXELS,
                                        "render helper ran out of memory (limit %llu MB)",
                                        (unsigned long long)(mem >> 20));
                if (sig == SIGXCPU || sig == SIGKILL)
                        return img_fail(err, IMG_E_CORRUPT, "render helper hit its CPU limit");
                if (sig == SIGSYS)
                        return img_fail(err, IMG_E_CORRUPT,
                                        "render helper killed by its sandbox (forbidden system call)");
                return img_fail(err, IMG_E_CORRUPT, "render helper crashed (signal %d)", sig);
        }
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (oom)
                return img_fail(err, IMG_E_TOO_MANY_PIXELS,
                                "render helper ran out of memory (limit %llu MB)",
                                (unsigned long long)(mem >> 20));
        if (code == 5)
                return img_fail(err, IMG_E_INTERNAL, "render helper could not sandbox itself");
        return img_fail(err, IMG_E_INTERNAL, "render helper exited with status %d and no answer",
                        code);
}

/* ---- spawn and wait ----------------------------------------------------------- */

struct helper_env {
        char mem[64], cpu[64], jpegmem[64], limits[128], asan[512], hook[96];
        char path[PATH_MAX + 32];
        char *envp[20];
};

struct run {
        struct helper_env env;
        char *argv[3];
        pid_t pid;
        int res_fd, err_fd;
        char res[APP_RENDER_RESULT_MAX + 1];
        size_t res_len;
        bool res_over;
        char errtext[STDERR_KEEP + 1];
        size_t err_len;
};

/* A small, fixed environment: nothing of the kiosk's leaks in. */
static void build_env(struct run *run, const struct app_render_opts *o, uint64_t mem)
{
        struct helper_env *h = &run->env;
        const struct img_limits *lim = img_get_limits();
        snprintf(h->mem, sizeof(h->mem), "PK_RENDER_MEM=%llu", (unsigned long long)mem);
        snprintf(h->cpu, sizeof(h->cpu), "PK_RENDER_CPU=%d", o->cpu_seconds);
        /* libjpeg-turbo's own bound on its working memory (MB). */
        snprintf(h->jpegmem, sizeof(h->jpegmem), "JPEGMEM=%lluM", (unsigned long long)(mem >> 22));
        snprintf(h->limits, sizeof(h->limits), "PK_RENDER_LIMITS=%llu,%u,%llu,%u",
                 (unsigned long long)lim->max_pixels, lim->max_side,
                 (unsigned long long)lim->max_file_bytes, lim->max_icc_bytes);
        int ne = 0;
        h->envp[ne++] = h->mem;
        h->envp[ne++] = h->cpu;
        h->envp[ne++] = h->jpegmem;
        h->envp[ne++] = h->limits;
        /* Never a temp file: the helper could not write one anyway. */
        h->envp[ne++] = (char *)"VIPS_DISC_THRESHOLD=16g";
        /* Few malloc arenas: each reserves 64 MB of address space. */
        h->envp[ne++] = (char *)"MALLOC_ARENA_MAX=2";
#ifdef PK_ASAN
        /* ASan's shadow needs TBs of address space, so no RLIMIT_AS: its RSS
         * watchdog bounds the helper instead (plus its own overhead). No leak
         * scan: LeakSanitizer needs ptrace, which the filter forbids. */
        const char *ao = getenv("ASAN_OPTIONS");
        snprintf(h->asan, sizeof(h->asan), "ASAN_OPTIONS=%s%shard_rss_limit_mb=%llu:detect_leaks=0",
                 ao ? ao : "", ao && *ao ? ":" : "", (unsigned long long)(mem >> 20) + 512);
        h->envp[ne++] = h->asan;
#endif
        if (o->test_hook) {
                snprintf(h->hook, sizeof(h->hook), "PK_RENDER_TEST_HOOK=%.60s", o->test_hook);
                h->envp[ne++] = h->hook;
                if (o->test_path) {
                        snprintf(h->path, sizeof(h->path), "PK_RENDER_TEST_PATH=%s", o->test_path);
                        h->envp[ne++] = h->path;
                }
        }
        static const char *const keep[] = {"UBSAN_OPTIONS", "VIPS_WARNING", "PK_RENDER_NO_SANDBOX",
                                           "VIPS_CONCURRENCY"};
        for (char **e = environ; e && *e && ne < 19; e++)
                for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]) && ne < 19; k++) {
                        size_t kl = strlen(keep[k]);
                        if (strncmp(*e, keep[k], kl) == 0 && (*e)[kl] == '=')
                                h->envp[ne++] = *e;
                }
        h->envp[ne] = NULL;
}

static int spawn_helper(const char *helper, const char *record, size_t rec_len, int out_fd,
                        unsigned flags, const struct app_render_opts *o, uint64_t mem,
                        struct run *run, struct img_errbuf *err)
{
        int rp[2] = {-1, -1}, ap[2] = {-1, -1}, ep[2] = {-1, -1};
        int c_rec = -1, c_out = -1, c_res = -1, c_err = -1;
        int rc = IMG_OK, sr;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t sa;
        bool fa_init = false, sa_init = false;
        sigset_t none, all;
        build_env(run, o, mem);
        run->argv[0] = (char *)"printkiosk-render";
        run->argv[1] = (flags & IMG_RENDER_VERIFY) ? (char *)"--verify" : NULL;
        run->argv[2] = NULL;
        if (pipe2(rp, O_CLOEXEC) != 0 || pipe2(ap, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: pipe: %s", strerror(errno));
                goto out;
        }
        /* The whole record goes into the pipe now (a record is at most
         * APP_RECORD_MAX_BYTES = 64 KiB, a pipe's default capacity). */
        if (fcntl(rp[1], F_GETPIPE_SZ) < (int)rec_len &&
            fcntl(rp[1], F_SETPIPE_SZ, (int)rec_len) < (int)rec_len) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: record does not fit a pipe");
                goto out;
        }
        fcntl(rp[1], F_SETFL, O_NONBLOCK);
        for (size_t done = 0; done < rec_len;) {
                ssize_t w = write(rp[1], record + done, rec_len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        rc = img_fail(err, IMG_E_INTERNAL, "render helper: write record: %s",
                                      w < 0 ? strerror(errno) : "short");
                        goto out;
                }
                done += (size_t)w;
        }
        close_fd(&rp[1]);
        /* Above 5 first, so no dup2 onto 2..5 clobbers another source. */
        c_rec = fcntl(rp[0], F_DUPFD_CLOEXEC, 10);
        c_out = fcntl(out_fd, F_DUPFD_CLOEXEC, 10);
        c_res = fcntl(ap[1], F_DUPFD_CLOEXEC, 10);
        c_err = fcntl(ep[1], F_DUPFD_CLOEXEC, 10);
        if (c_rec < 0 || c_out < 0 || c_res < 0 || c_err < 0) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: dup: %s", strerror(errno));
                goto out;
        }
        posix_spawn_file_actions_init(&fa);
        fa_init = true;
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        /* dup2 onto another number clears FD_CLOEXEC on the copy only. */
        posix_spawn_file_actions_adddup2(&fa, c_err, 2);
        posix_spawn_file_actions_adddup2(&fa, c_rec, APP_RENDER_FD_RECORD);
        posix_spawn_file_actions_adddup2(&fa, c_out, APP_RENDER_FD_OUT);
        posix_spawn_file_actions_adddup2(&fa, c_res, APP_RENDER_FD_RESULT);
        posix_spawnattr_init(&sa);
        sa_init = true;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&sa, &none);
        posix_spawnattr_setsigdefault(&sa, &all);
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

        sr = posix_spawn(&run->pid, helper, &fa, &sa, run->argv, run->env.envp);
        if (sr != 0) {
                run->pid = 0;
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: spawn: %s", strerror(sr));
                goto out;
        }
        run->res_fd = ap[0], ap[0] = -1;
        run->err_fd = ep[0], ep[0] = -1;
out:
        if (fa_init)
                posix_spawn_file_actions_destroy(&fa);
        if (sa_init)
                posix_spawnattr_destroy(&sa);
        close_fd(&c_rec);
        close_fd(&c_out);
        close_fd(&c_res);
        close_fd(&c_err);
        close_fd(&rp[0]);
        close_fd(&rp[1]);
        close_fd(&ap[0]);
        close_fd(&ap[1]);
        close_fd(&ep[0]);
        close_fd(&ep[1]);
        return rc;
}

/* Drain the answer and stderr until both close or the deadline passes;
 * then reap (SIGKILL first on timeout). Returns true when it timed out. */
static bool wait_helper(struct run *run, int64_t deadline, int *ret_status)
{
        bool timed_out = false;
        while (run->res_fd >= 0 || run->err_fd >= 0) {
                struct pollfd p[2];
                int np = 0;
                if (run->res_fd >= 0)
                        p[np++] = (struct pollfd){.fd = run->res_fd, .events = POLLIN};
                if (run->err_fd >= 0)
                        p[np++] = (struct pollfd){.fd = run->err_fd, .events = POLLIN};
                int64_t left = deadline - now_ms();
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                int n = poll(p, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
                if (n < 0 && errno != EINTR)
                        break;
                for (int i = 0; n > 0 && i < np; i++) {
                        if (!p[i].revents)
                                continue;
                        char tmp[4096];
                        ssize_t r = read(p[i].fd, tmp, sizeof(tmp));
                        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        bool is_res = p[i].fd == run->res_fd;
                        if (r <= 0) {
                                close_fd(is_res ? &run->res_fd : &run->err_fd);
                                continue;
                        }
                        char *buf = is_res ? run->res : run->errtext;
                        size_t *len = is_res ? &run->res_len : &run->err_len;
                        size_t cap = is_res ? APP_RENDER_RESULT_MAX : STDERR_KEEP;
                        size_t take = (size_t)r;
                        if (*len + take > cap) {
                                take = cap - *len;
                                if (is_res)
                                        run->res_over = true;
                        }
                        memcpy(buf + *len, tmp, take);
                        *len += take;
                        buf[*len] = 0;
                }
        }
        close_fd(&run->res_fd);
        close_fd(&run->err_fd);
        /* Pipes closed: the helper is exiting; still bounded by the deadline
         * (a helper could close them and then hang). */
        int st = 0;
        pid_t w = 0;
        while (!timed_out) {
                w = waitpid(run->pid, &st, WNOHANG);
                if (w == run->pid || (w < 0 && errno != EINTR))
                        break;
                if (now_ms() >= deadline)
                        timed_out = true;
                else
                        usleep(2000);
        }
        if (timed_out || w != run->pid) {
                kill(run->pid, SIGKILL);
                while (waitpid(run->pid, &st, 0) < 0 && errno == EINTR)
                        ;
        }
        run->pid = 0;
        *ret_status = st;
        return timed_out;
}

int app_render_master_sandboxed_opts(const struct img_render_spec *spec, const char *out_path,
                                     unsigned flags, const struct app_render_opts *opts,
                                     struct img_render_result *ret, struct img_errbuf *err)
{
        struct img_render_result e;
        int rc = img_render_expected(spec, &e, err);
        if (rc)
                return rc;
        if (!out_path || !out_path[0] || !ret)
                return img_fail(err, IMG_E_INVALID, "no output path");
        struct app_render_opts o = {.timeout_ms = APP_RENDER_TIMEOUT_MS,
                                    .cpu_seconds = APP_RENDER_CPU_S};
        if (opts) {
                o = *opts;
                if (o.timeout_ms <= 0)
                        o.timeout_ms = APP_RENDER_TIMEOUT_MS;
                if (o.cpu_seconds <= 0)
                        o.cpu_seconds = APP_RENDER_CPU_S;
        }
        if (o.timeout_ms > 3600000 || o.cpu_seconds > 3600 ||
            (o.mem_bytes && (o.mem_bytes < (64ull << 20) || o.mem_bytes > APP_RENDER_MEM_MAX)))
                return img_fail(err, IMG_E_INVALID, "render options out of range");
        uint64_t mem = o.mem_bytes ? o.mem_bytes : app_render_mem_for(spec);
        char helper[PATH_MAX];
        if (app_sandbox_find_helper(o.helper_path, "PK_RENDER_HELPER", "printkiosk-render", "render", helper,
                                    sizeof(helper)) != 0)
                return img_fail(err, IMG_E_INTERNAL, "render helper not found (tried %s)", helper);
        json_t *rec = app_record_from_spec(spec, NULL);
        char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_decref(rec);
        if (!text || strlen(text) > APP_RECORD_MAX_BYTES) {
                free(text);
                return img_fail(err, IMG_E_INVALID, "transform record not writable");
        }
        char tmp[PATH_MAX + 16];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out_path) >= (int)sizeof(tmp)) {
                free(text);
                return img_fail(err, IMG_E_INVALID, "output path too long");
        }
        int fd = mkostemp(tmp, O_CLOEXEC); /* O_RDWR: read back and hashed here */
        if (fd < 0) {
                free(text);
                return img_fail(err, IMG_E_IO, "create temp file: %s", strerror(errno));
        }
        struct run *run = calloc(1, sizeof(*run));
        int st = 0;
        bool timed_out = false;
        struct stat fst;
        uint64_t max = img_render_max_bytes(spec);
        char sha[65];
        char dir[PATH_MAX];
        char *slash;
        int dfd;
        if (!run) {
                rc = img_fail(err, IMG_E_INTERNAL, "out of memory");
                goto fail;
        }
        run->res_fd = run->err_fd = -1;
        rc = spawn_helper(helper, text, strlen(text), fd, flags, &o, mem, run, err);
        if (rc)
                goto fail;
        timed_out = wait_helper(run, now_ms() + o.timeout_ms, &st);
        if (timed_out || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || run->res_len == 0) {
                rc = classify_death(st, timed_out, o.timeout_ms, mem, run->errtext, err);
                goto fail;
        }
        if (run->res_over) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: answer over %d bytes",
                              APP_RENDER_RESULT_MAX);
                goto fail;
        }
        rc = check_answer(run->res, run->res_len, &e, err);
        if (rc)
                goto fail;
        if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_size <= 0 ||
            (uint64_t)fst.st_size > max) {
                rc = img_fail(err, IMG_E_INTERNAL, "render helper: master of %lld bytes (at most %llu)",
                              (long long)fst.st_size, (unsigned long long)max);
                goto fail;
        }
        rc = spec->format == IMG_OUT_PNG ? check_png(fd, &e, err)
                                         : check_tiff(fd, (uint64_t)fst.st_size, &e, err);
        if (rc)
                goto fail;
        rc = hash_fd(fd, (uint64_t)fst.st_size, sha, err);
        if (rc)
                goto fail;
        /* Durable: fsync the file, rename, fsync the folder. */
        if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
                rc = img_fail(err, IMG_E_IO, "write master: %s", strerror(errno));
                goto fail;
        }
        if (close(fd) != 0) {
                fd = -1;
                rc = img_fail(err, IMG_E_IO, "write master: %s", strerror(errno));
                goto fail;
        }
        fd = -1;
        if (rename(tmp, out_path) != 0) {
                rc = img_fail(err, IMG_E_IO, "rename master: %s", strerror(errno));
                goto fail;
        }
        snprintf(dir, sizeof(dir), "%s", out_path);
        slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else if (slash == dir)
                dir[1] = 0;
        else
                *slash = 0;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0) {
                rc = img_fail(err, IMG_E_IO, "fsync folder: %s", strerror(errno));
                if (dfd >= 0)
                        close(dfd);
                free(run);
                free(text);
                return rc; /* the master is in place; its folder entry may not be durable */
        }
        close(dfd);
        e.bytes = (uint64_t)fst.st_size;
        snprintf(e.sha256, sizeof(e.sha256), "%s", sha);
        *ret = e;
        free(run);
        free(text);
        return IMG_OK;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        free(run);
        free(text);
        return rc;
}

int app_render_master_sandboxed(const struct img_render_spec *spec, const char *out_path,
                                unsigned flags, struct img_render_result *ret,
                                struct img_errbuf *err)
{
        return app_render_master_sandboxed_opts(spec, out_path, flags, NULL, ret, err);
}
