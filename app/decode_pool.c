/* app/decode_pool: the kiosk side of the sandboxed decode helpers.
 *
 * Invariants:
 * - A helper slot is either free (on the free list, under free_lock) or owned
 *   by exactly one caller; only the owner touches its pid, socket and map.
 * - A helper that failed in any way (EOF, timeout, bad answer) is killed and
 *   reaped before its slot goes back on the list; the next request starts a
 *   fresh one. So one photo costs at most one helper.
 * - Every wait is bounded: poll() with the wall-clock timeout, and a helper
 *   that is told to stop gets SIGKILL after 1 s.
 * - Files are opened here (O_RDONLY|O_NOFOLLOW|O_CLOEXEC) and passed as fds:
 *   the helper never needs one of our paths.
 */
#include "app/decode_pool.h"
#include "app/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/decode_proto.h"

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
#define PK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_ASAN 1
#endif
#endif

struct helper {
        pid_t pid;      /* 0 when not running */
        int sock;       /* our end of the socketpair, -1 when not running */
        int shm;        /* memfd for pixels, lives as long as the pool */
        uint8_t *map;   /* shm mapped read-only here */
        int served;     /* requests since spawn */
        uint32_t seq;
};

struct app_decode_pool {
        struct app_decode_config cfg;
        char helper_path[PATH_MAX];
        char env_mem[64], env_cpu[64], env_jpegmem[64];
        char env_asan[512];
        char env_limits[128]; /* the kiosk's img_limits, so both sides agree */
        struct helper helpers[APP_DECODE_MAX_HELPERS];
        int n;
        /* free_lock protects free_mask and stats. */
        pthread_mutex_t free_lock;
        pthread_cond_t free_cond;
        uint32_t free_mask;
        struct app_decode_stats stats;
        int fault_next; /* enum app_decode_proof_fault, tests only */
        int fault_strip; /* enum app_decode_strip_fault, tests only */
};

const char *app_decode_strerror(int err)
{
        switch (err) {
        case APP_DECODE_E_CRASHED:
                return "crashed";
        case APP_DECODE_E_TIMEOUT:
                return "timeout";
        case APP_DECODE_E_CPU:
                return "cpu-limit";
        case APP_DECODE_E_PROTOCOL:
                return "bad-answer";
        case APP_DECODE_E_SPAWN:
                return "helper-unavailable";
        case APP_DECODE_E_INVALID:
                return "invalid";
        default:
                return img_strerror(err);
        }
}

bool app_decode_error_is_photo(int err)
{
        if (err == APP_DECODE_E_SPAWN || err == APP_DECODE_E_INVALID || err == IMG_E_INVALID ||
            err == IMG_E_INTERNAL || err == IMG_E_IO)
                return false;
        return err < 0;
}


int app_decode_pool_new(const struct app_decode_config *cfg, struct app_decode_pool **ret,
                        struct img_errbuf *err)
{
        struct app_decode_config def = APP_DECODE_CONFIG_DEFAULT;
        if (!cfg)
                cfg = &def;
        if (!ret || cfg->helpers < 1 || cfg->helpers > APP_DECODE_MAX_HELPERS ||
            cfg->timeout_ms < 100 || cfg->timeout_ms > 600000 || cfg->cpu_seconds < 1 ||
            cfg->cpu_seconds > 600 || cfg->mem_bytes < (64ull << 20) || cfg->max_requests < 1)
                return img_fail(err, APP_DECODE_E_INVALID, "decode pool: configuration out of range");
        struct app_decode_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return img_fail(err, APP_DECODE_E_SPAWN, "decode pool: out of memory");
        p->cfg = *cfg;
        p->cfg.helper_path = NULL;
        p->n = cfg->helpers;
        pthread_mutex_init(&p->free_lock, NULL);
        pthread_cond_init(&p->free_cond, NULL);
        for (int i = 0; i < APP_DECODE_MAX_HELPERS; i++) {
                p->helpers[i].sock = -1;
                p->helpers[i].shm = -1;
        }
        if (app_sandbox_find_helper(cfg->helper_path, "PK_DECODE_HELPER", "printkiosk-decode", "decode",
                                    p->helper_path, sizeof(p->helper_path)) != 0) {
                img_fail(err, APP_DECODE_E_SPAWN, "decode helper not found (tried %s)", p->helper_path);
                app_decode_pool_free(p);
                return APP_DECODE_E_SPAWN;
        }
        for (int i = 0; i < p->n; i++) {
                struct helper *h = &p->helpers[i];
                h->shm = memfd_create("pk-decode-pixels", MFD_CLOEXEC);
                if (h->shm < 0 || ftruncate(h->shm, (off_t)APP_DECODE_SHM_BYTES) != 0) {
                        img_fail(err, APP_DECODE_E_SPAWN, "decode pool: memfd: %s", strerror(errno));
                        app_decode_pool_free(p);
                        return APP_DECODE_E_SPAWN;
                }
                void *m = mmap(NULL, APP_DECODE_SHM_BYTES, PROT_READ, MAP_SHARED, h->shm, 0);
                if (m == MAP_FAILED) {
                        img_fail(err, APP_DECODE_E_SPAWN, "decode pool: mmap: %s", strerror(errno));
                        app_decode_pool_free(p);
                        return APP_DECODE_E_SPAWN;
                }
                h->map = m;
                p->free_mask |= 1u << i;
        }
        snprintf(p->env_mem, sizeof(p->env_mem), "PK_DECODE_MEM=%llu",
                 (unsigned long long)cfg->mem_bytes);
        snprintf(p->env_cpu, sizeof(p->env_cpu), "PK_DECODE_CPU=%d", cfg->cpu_seconds);
        /* libjpeg-turbo's own bound on its working memory (MB). */
        snprintf(p->env_jpegmem, sizeof(p->env_jpegmem), "JPEGMEM=%lluM",
                 (unsigned long long)(cfg->mem_bytes >> 22));
        const struct img_limits *lim = img_get_limits();
        snprintf(p->env_limits, sizeof(p->env_limits), "PK_DECODE_LIMITS=%llu,%u,%llu,%u",
                 (unsigned long long)lim->max_pixels, lim->max_side,
                 (unsigned long long)lim->max_file_bytes, lim->max_icc_bytes);
#ifdef PK_ASAN
        /* ASan's shadow needs terabytes of address space, so the helper
         * cannot use RLIMIT_AS: ASan's RSS watchdog bounds it instead (plus
         * its own overhead). No leak scan: helpers _exit. */
        const char *ao = getenv("ASAN_OPTIONS");
        snprintf(p->env_asan, sizeof(p->env_asan),
                 "ASAN_OPTIONS=%s%shard_rss_limit_mb=%llu:detect_leaks=0", ao ? ao : "",
                 ao && *ao ? ":" : "", (unsigned long long)(cfg->mem_bytes >> 20) + 256);
#endif
        *ret = p;
        return 0;
}

/* Kill and reap a helper; its slot can then be respawned. Owner only. */
static void helper_stop(struct helper *h, bool polite)
{
        if (h->sock >= 0) {
                close(h->sock);
                h->sock = -1;
        }
        if (h->pid > 0) {
                int st;
                bool reaped = false;
                if (polite) {
                        /* EOF makes it exit; give it 1 s. */
                        for (int i = 0; i < 100 && !reaped; i++) {
                                if (waitpid(h->pid, &st, WNOHANG) == h->pid)
                                        reaped = true;
                                else
                                        usleep(10000);
                        }
                }
                if (!reaped) {
                        kill(h->pid, SIGKILL);
                        while (waitpid(h->pid, &st, 0) < 0 && errno == EINTR)
                                ;
                }
                h->pid = 0;
        }
        h->served = 0;
}

struct app_decode_pool *app_decode_pool_free(struct app_decode_pool *pool)
{
        if (!pool)
                return NULL;
        for (int i = 0; i < APP_DECODE_MAX_HELPERS; i++) {
                struct helper *h = &pool->helpers[i];
                helper_stop(h, true);
                if (h->map)
                        munmap(h->map, APP_DECODE_SHM_BYTES);
                if (h->shm >= 0)
                        close(h->shm);
        }
        pthread_cond_destroy(&pool->free_cond);
        pthread_mutex_destroy(&pool->free_lock);
        free(pool);
        return NULL;
}

static int helper_spawn(struct app_decode_pool *p, struct helper *h, struct img_errbuf *err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
                return img_fail(err, APP_DECODE_E_SPAWN, "decode pool: socketpair: %s", strerror(errno));
        /* Move both fds above 4 first: if one of them were 3 or 4 already, a
         * dup2 onto 3 would clobber it before its own dup2 ran. */
        int child_sock = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        int child_shm = fcntl(h->shm, F_DUPFD_CLOEXEC, 10);
        close(sv[1]);
        if (child_sock < 0 || child_shm < 0) {
                int e = errno;
                close(sv[0]);
                if (child_sock >= 0)
                        close(child_sock);
                if (child_shm >= 0)
                        close(child_shm);
                return img_fail(err, APP_DECODE_E_SPAWN, "decode pool: dup: %s", strerror(e));
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        /* dup2 onto a different number clears FD_CLOEXEC on the copy, so the
         * helper inherits exactly fds 0-2, 3 (socket) and 4 (pixels). */
        posix_spawn_file_actions_adddup2(&fa, child_sock, APP_DECODE_FD_SOCK);
        posix_spawn_file_actions_adddup2(&fa, child_shm, APP_DECODE_FD_SHM);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);

        /* A small, fixed environment: nothing of the kiosk's leaks in. */
        const char *keep[] = {"UBSAN_OPTIONS", "LSAN_OPTIONS", "VIPS_WARNING",
                              "PK_DECODE_NO_SECCOMP"};
        char *envp[16];
        int ne = 0;
        envp[ne++] = p->env_mem;
        envp[ne++] = p->env_cpu;
        envp[ne++] = p->env_jpegmem;
        envp[ne++] = p->env_limits;
        envp[ne++] = (char *)"VIPS_CONCURRENCY=1";
        /* Never a temp file: the helper may not write one anyway. */
        envp[ne++] = (char *)"VIPS_DISC_THRESHOLD=8g";
        /* Transparent huge pages for malloc: a progressive JPEG's coefficient
         * buffer (tens of MB, zeroed by libjpeg) then costs a few dozen page
         * faults instead of thousands; on the kiosk's VM that was a quarter
         * of the CPU time of the first screen's thumbnails
         * (tests/bench/ingest.sh). Needs THP "madvise" or "always"; else a
         * no-op. Blocks under 16 MB come from the heap and stay there when
         * freed (mmap and trim thresholds), so the next photo reuses pages
         * that are already mapped: glibc's dynamic threshold otherwise
         * gave each decode's buffers fresh mmaps that the kernel zeroed
         * (2 MB at a time with THP) and unmapped again. Interleaved runs
         * on a quiet machine: first 24 thumbnails, median of 8, 1.40 s ->
         * 1.08 s, same sampled peak RSS (the recycle after max_requests
         * bounds what a helper keeps). Bigger blocks (a progressive
         * JPEG's coefficients) are still mmaps given back at once. */
        envp[ne++] = (char *)"GLIBC_TUNABLES=glibc.malloc.hugetlb=1:"
                             "glibc.malloc.mmap_threshold=16777216:"
                             "glibc.malloc.trim_threshold=16777216";
        if (p->cfg.test_hooks)
                envp[ne++] = (char *)"PK_DECODE_TEST_HOOKS=1";
        if (p->env_asan[0])
                envp[ne++] = p->env_asan;
        for (char **e = environ; e && *e && ne < 15; e++)
                for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
                        size_t kl = strlen(keep[k]);
                        if (strncmp(*e, keep[k], kl) == 0 && (*e)[kl] == '=')
                                envp[ne++] = *e;
                }
        envp[ne] = NULL;
        char *argv[] = {(char *)"printkiosk-decode", NULL};
        pid_t pid;
        int rc = posix_spawn(&pid, p->helper_path, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        close(child_sock);
        close(child_shm);
        if (rc != 0) {
                close(sv[0]);
                return img_fail(err, APP_DECODE_E_SPAWN, "decode helper: spawn: %s", strerror(rc));
        }
        h->pid = pid;
        h->sock = sv[0];
        h->served = 0;
        pthread_mutex_lock(&p->free_lock);
        p->stats.spawned++;
        pthread_mutex_unlock(&p->free_lock);
        return 0;
}

static int take_helper(struct app_decode_pool *p)
{
        pthread_mutex_lock(&p->free_lock);
        while (p->free_mask == 0)
                pthread_cond_wait(&p->free_cond, &p->free_lock);
        int i = __builtin_ctz(p->free_mask);
        p->free_mask &= ~(1u << i);
        p->stats.requests++;
        pthread_mutex_unlock(&p->free_lock);
        return i;
}

static void give_helper(struct app_decode_pool *p, int i)
{
        pthread_mutex_lock(&p->free_lock);
        p->free_mask |= 1u << i;
        pthread_cond_signal(&p->free_cond);
        pthread_mutex_unlock(&p->free_lock);
}

int app_decode_pool_warm(struct app_decode_pool *p, struct img_errbuf *err)
{
        if (!p)
                return img_fail(err, APP_DECODE_E_INVALID, "decode warm: bad argument");
        int rc = 0;
        for (int i = 0; i < p->cfg.helpers; i++) {
                pthread_mutex_lock(&p->free_lock);
                bool mine = p->free_mask & (1u << i);
                if (mine)
                        p->free_mask &= ~(1u << i);
                pthread_mutex_unlock(&p->free_lock);
                if (!mine)
                        continue; /* busy: it is running already */
                struct helper *h = &p->helpers[i];
                if (h->pid <= 0 && rc == 0)
                        rc = helper_spawn(p, h, err);
                give_helper(p, i);
        }
        return rc;
}

static void count(struct app_decode_pool *p, int rc)
{
        pthread_mutex_lock(&p->free_lock);
        if (rc == APP_DECODE_E_CRASHED)
                p->stats.crashed++;
        else if (rc == APP_DECODE_E_TIMEOUT)
                p->stats.timeouts++;
        else if (rc == APP_DECODE_E_CPU)
                p->stats.cpu_limit++;
        else if (rc == APP_DECODE_E_PROTOCOL)
                p->stats.protocol_errors++;
        pthread_mutex_unlock(&p->free_lock);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After the socket broke: reap and classify how the helper ended. */
static int helper_died(struct helper *h, struct img_errbuf *err)
{
        int st = 0, rc = APP_DECODE_E_CRASHED;
        if (h->sock >= 0) {
                close(h->sock);
                h->sock = -1;
        }
        if (h->pid > 0) {
                /* EOF came first; the exit follows at once, but bound it. */
                pid_t w = 0;
                for (int i = 0; i < 200 && w == 0; i++) {
                        w = waitpid(h->pid, &st, WNOHANG);
                        if (w == 0)
                                usleep(5000);
                }
                if (w == 0) {
                        kill(h->pid, SIGKILL);
                        waitpid(h->pid, &st, 0);
                        st = 0;
                }
                h->pid = 0;
        }
        h->served = 0;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
                rc = APP_DECODE_E_CPU;
        if (WIFSIGNALED(st))
                img_fail(err, rc, "decode helper killed by signal %d", WTERMSIG(st));
        else if (WIFEXITED(st))
                img_fail(err, rc, "decode helper exited with status %d", WEXITSTATUS(st));
        else
                img_fail(err, rc, "decode helper ended");
        return rc;
}

/* One request on helper h: send, wait (bounded), receive, check. */
static int helper_call(struct app_decode_pool *p, struct helper *h, struct app_decode_req *req,
                       const int *fds, int nfds, struct app_decode_reply *ret,
                       struct img_errbuf *err)
{
        int rc;
        if (h->pid > 0 && h->served >= p->cfg.max_requests)
                helper_stop(h, true); /* recycle: bounded heap growth, fresh limits */
        if (h->pid <= 0 && (rc = helper_spawn(p, h, err)) != 0)
                return rc;
        req->magic = APP_DECODE_MAGIC;
        req->version = APP_DECODE_VERSION;
        req->seq = ++h->seq;

        struct iovec iov = {.iov_base = req, .iov_len = sizeof(*req)};
        union {
                char buf[CMSG_SPACE(sizeof(int) * APP_DECODE_MAX_FDS)];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (nfds > 0 && nfds <= APP_DECODE_MAX_FDS) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
        }
        ssize_t n;
        do
                n = sendmsg(h->sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(*req))
                return helper_died(h, err);
        h->served++;

        int64_t deadline = now_ms() + p->cfg.timeout_ms;
        for (;;) {
                int64_t left = deadline - now_ms();
                if (left <= 0) {
                        helper_stop(h, false);
                        return img_fail(err, APP_DECODE_E_TIMEOUT, "decode helper took over %d ms",
                                        p->cfg.timeout_ms);
                }
                struct pollfd pfd = {.fd = h->sock, .events = POLLIN};
                int pr = poll(&pfd, 1, (int)left);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr < 0) {
                        helper_stop(h, false);
                        return img_fail(err, APP_DECODE_E_CRASHED, "poll: %s", strerror(errno));
                }
                if (pr > 0)
                        break;
        }
        /* One byte more than an answer, so an oversized message shows as
         * MSG_TRUNC or a wrong length instead of passing. */
        _Static_assert(sizeof(struct app_decode_reply) < 4096, "reply fits a page");
        union {
                struct app_decode_reply r;
                char raw[sizeof(struct app_decode_reply) + 1];
        } in;
        struct iovec riov = {.iov_base = in.raw, .iov_len = sizeof(in.raw)};
        struct msghdr rmh = {.msg_iov = &riov, .msg_iovlen = 1};
        do
                n = recvmsg(h->sock, &rmh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return helper_died(h, err);
        const char *why = NULL;
        if ((rmh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || rmh.msg_controllen != 0 ||
            app_decode_reply_check(in.raw, (size_t)n, req, APP_DECODE_SHM_BYTES, &why) != 0) {
                helper_stop(h, false);
                return img_fail(err, APP_DECODE_E_PROTOCOL, "decode helper answer refused: %s",
                                why ? why : "unexpected control data");
        }
        *ret = in.r;
        if (ret->status < 0) {
                /* The helper's detail, made printable: it may quote file bytes. */
                char *m = ret->errmsg;
                for (size_t i = 0; m[i]; i++)
                        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] > 0x7e)
                                m[i] = '?';
                img_fail(err, ret->status, "%s", m);
        }
        return ret->status;
}

static int open_photo(const char *path, struct img_errbuf *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "cannot open: %s", strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return img_fail(err, IMG_E_UNREADABLE, "not a regular file");
        }
        return fd;
}

/* The caller's fd must be a regular file opened read-only: it is sent as is. */
static int check_fd(int fd, struct img_errbuf *err)
{
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
                return img_fail(err, IMG_E_UNREADABLE, "not a regular file");
        return 0;
}

int app_decode_probe_fd(struct app_decode_pool *pool, int fd, unsigned flags,
                        struct img_probe *ret, struct img_errbuf *err)
{
        if (!pool || !ret || (flags & ~(unsigned)IMG_PROBE_NO_HASH))
                return img_fail(err, APP_DECODE_E_INVALID, "decode probe: bad argument");
        int rc = check_fd(fd, err);
        if (rc < 0)
                return rc;
        struct app_decode_req req = {.op = APP_DECODE_OP_PROBE, .probe_flags = flags};
        struct app_decode_reply r;
        int i = take_helper(pool);
        rc = helper_call(pool, &pool->helpers[i], &req, &fd, 1, &r, err);
        give_helper(pool, i);
        count(pool, rc);
        if (rc == 0)
                app_decode_reply_to_probe(&r, ret);
        return rc;
}

/* One request whose answer carries pixels: a helper taken, called, its
 * pixels copied out while the slot is still ours (the next request overwrites
 * the buffer; sizes were checked against the map by helper_call), the helper
 * given back and the result counted. (transfer full) *ret_data on success. */
static int call_for_pixels(struct app_decode_pool *pool, struct app_decode_req *req,
                           const int *fds, int nfds, struct app_decode_reply *r,
                           uint8_t **ret_data, struct img_errbuf *err)
{
        int i = take_helper(pool);
        struct helper *h = &pool->helpers[i];
        int rc = helper_call(pool, h, req, fds, nfds, r, err);
        uint8_t *data = NULL;
        if (rc == 0) {
                data = malloc(r->pixel_bytes);
                if (data)
                        memcpy(data, h->map, r->pixel_bytes);
                else
                        rc = img_fail(err, IMG_E_INTERNAL, "out of memory");
        }
        give_helper(pool, i);
        count(pool, rc);
        *ret_data = data;
        return rc;
}

int app_decode_probe(struct app_decode_pool *pool, const char *path, unsigned flags,
                     struct img_probe *ret, struct img_errbuf *err)
{
        if (!pool || !path || !ret || (flags & ~(unsigned)IMG_PROBE_NO_HASH))
                return img_fail(err, APP_DECODE_E_INVALID, "decode probe: bad argument");
        int fd = open_photo(path, err);
        if (fd < 0)
                return fd;
        int rc = app_decode_probe_fd(pool, fd, flags, ret, err);
        close(fd);
        return rc;
}

int app_decode_thumb_fd(struct app_decode_pool *pool, int fd,
                        const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                        struct img_thumb_info *ret_info, struct img_errbuf *err)
{
        struct img_thumb_spec def = IMG_THUMB_SPEC_DEFAULT;
        if (!spec)
                spec = &def;
        if (!pool || !ret_px || spec->size < 16 || spec->size > APP_DECODE_MAX_THUMB)
                return img_fail(err, APP_DECODE_E_INVALID, "decode thumb: bad argument");
        int rc = check_fd(fd, err);
        if (rc < 0)
                return rc;
        struct app_decode_req req = {.op = APP_DECODE_OP_THUMB,
                                     .thumb_size = spec->size,
                                     .square = spec->square,
                                     .allow_exif_thumb = spec->allow_exif_thumbnail};
        struct app_decode_reply r;
        uint8_t *data = NULL;
        rc = call_for_pixels(pool, &req, &fd, 1, &r, &data, err);
        if (rc == 0) {
                ret_px->width = r.thumb_width;
                ret_px->height = r.thumb_height;
                ret_px->stride = r.stride;
                ret_px->data = data;
                if (ret_info)
                        app_decode_reply_to_thumb_info(&r, ret_info);
        }
        return rc;
}

int app_decode_thumb(struct app_decode_pool *pool, const char *path,
                     const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                     struct img_thumb_info *ret_info, struct img_errbuf *err)
{
        if (!pool || !path || !ret_px)
                return img_fail(err, APP_DECODE_E_INVALID, "decode thumb: bad argument");
        int fd = open_photo(path, err);
        if (fd < 0)
                return fd;
        int rc = app_decode_thumb_fd(pool, fd, spec, ret_px, ret_info, err);
        close(fd);
        return rc;
}

int app_decode_test(struct app_decode_pool *pool, enum app_decode_test_op op, struct img_errbuf *err)
{
        if (!pool || !pool->cfg.test_hooks)
                return img_fail(err, APP_DECODE_E_INVALID, "test hooks disabled");
        struct app_decode_req req = {.op = APP_DECODE_OP_TEST, .test_op = op};
        struct app_decode_reply r;
        int i = take_helper(pool);
        int rc = helper_call(pool, &pool->helpers[i], &req, NULL, 0, &r, err);
        give_helper(pool, i);
        count(pool, rc);
        return rc;
}

/* A profile of ours (paper, display, sRGB, Adobe RGB), opened to be handed
 * over: a regular file, read-only. */
static int open_profile(const char *path, const char *what, struct img_errbuf *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "%s profile: %s", what, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return img_fail(err, IMG_E_UNREADABLE, "%s profile: not a regular file", what);
        }
        return fd;
}

int app_decode_proof_fd(struct app_decode_pool *pool, int fd, const struct img_paper *paper,
                        const struct img_proof_spec *spec, struct img_pixels *ret_px,
                        struct img_proof_info *ret_info, struct img_errbuf *err)
{
        if (!pool || !paper || !spec || !spec->profiles_dir || !ret_px)
                return img_fail(err, APP_DECODE_E_INVALID, "decode proof: bad argument");
        struct app_decode_req req = {.op = APP_DECODE_OP_PROOF,
                                     .probe_flags = IMG_PROBE_NO_HASH,
                                     .proof_width = spec->width,
                                     .proof_height = spec->height,
                                     .rotate = spec->rotate,
                                     .gamut_warning = spec->gamut_warning,
                                     .bpc = paper->bpc,
                                     .intent = (int32_t)paper->intent};
        const char *why = NULL;
        if (app_decode_proof_req_check(&req, &why) != 0)
                return img_fail(err, APP_DECODE_E_INVALID, "decode proof: %s", why);
        int rc = check_fd(fd, err);
        if (rc < 0)
                return rc;
        char srgb[PATH_MAX], adobe[PATH_MAX], disp[PATH_MAX];
        if (snprintf(srgb, sizeof(srgb), "%s/sRGB.icc", spec->profiles_dir) >= (int)sizeof(srgb) ||
            snprintf(adobe, sizeof(adobe), "%s/AdobeRGB1998-compatible.icc", spec->profiles_dir) >=
                    (int)sizeof(adobe) ||
            snprintf(disp, sizeof(disp), "%s", spec->display_profile ? spec->display_profile : srgb) >=
                    (int)sizeof(disp))
                return img_fail(err, APP_DECODE_E_INVALID, "decode proof: profile path too long");
        /* Order is the protocol's: photo, paper, display, sRGB, Adobe RGB. */
        int fds[APP_DECODE_MAX_FDS] = {fd, -1, -1, -1, -1};
        const char *paths[] = {paper->profile_path, disp, srgb, adobe};
        const char *what[] = {"paper", "display", "sRGB", "Adobe RGB"};
        for (int k = 0; k < 4 && rc == 0; k++) {
                fds[k + 1] = open_profile(paths[k], what[k], err);
                if (fds[k + 1] < 0)
                        rc = fds[k + 1];
        }
        struct app_decode_reply r;
        uint8_t *data = NULL;
        if (rc == 0) {
                pthread_mutex_lock(&pool->free_lock);
                if (pool->cfg.test_hooks)
                        req.test_op = pool->fault_next;
                pool->fault_next = 0;
                pthread_mutex_unlock(&pool->free_lock);
                rc = call_for_pixels(pool, &req, fds, APP_DECODE_MAX_FDS, &r, &data, err);
        }
        for (int k = 1; k < APP_DECODE_MAX_FDS; k++)
                if (fds[k] >= 0)
                        close(fds[k]);
        if (rc != 0)
                return rc;
        if (ret_info) {
                /* Counted here: nothing but the checked pixels is taken. */
                uint64_t n = 0, npx = (uint64_t)r.thumb_width * (uint64_t)r.thumb_height;
                if (spec->gamut_warning)
                        for (uint64_t k = 0; k < npx; k++)
                                n += data[3 * k] == 0xff && data[3 * k + 1] == 0 && data[3 * k + 2] == 0xff;
                *ret_info = (struct img_proof_info){r.thumb_width, r.thumb_height, (double)n / (double)npx};
        }
        *ret_px = (struct img_pixels){r.thumb_width, r.thumb_height, r.stride, data};
        return 0;
}

int app_decode_proof(struct app_decode_pool *pool, const char *path, const struct img_paper *paper,
                     const struct img_proof_spec *spec, struct img_pixels *ret_px,
                     struct img_proof_info *ret_info, struct img_errbuf *err)
{
        if (!pool || !path || !ret_px)
                return img_fail(err, APP_DECODE_E_INVALID, "decode proof: bad argument");
        int fd = open_photo(path, err);
        if (fd < 0)
                return fd;
        int rc = app_decode_proof_fd(pool, fd, paper, spec, ret_px, ret_info, err);
        close(fd);
        return rc;
}

int app_decode_strip_fd(struct app_decode_pool *pool, int in_fd, int out_fd,
                        enum app_strip_mode mode, uint64_t *ret_len,
                        struct app_strip_report *report, struct img_errbuf *err)
{
        if (!pool || (mode != APP_STRIP_PRIVATE && mode != APP_STRIP_ALL))
                return img_fail(err, APP_DECODE_E_INVALID, "decode strip: bad argument");
        struct stat st, ost;
        if (in_fd < 0 || fstat(in_fd, &st) != 0 || !S_ISREG(st.st_mode))
                return img_fail(err, IMG_E_UNREADABLE, "strip: input is not a regular file");
        /* The same verdicts as app_strip_file before anything is sent. */
        uint64_t max = img_get_limits()->max_file_bytes;
        if (max > APP_STRIP_MAX_BYTES)
                max = APP_STRIP_MAX_BYTES;
        if (st.st_size == 0)
                return img_fail(err, IMG_E_EMPTY, "strip: empty file");
        if ((uint64_t)st.st_size > max)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: input over the size limit");
        int fl = out_fd >= 0 ? fcntl(out_fd, F_GETFL) : -1;
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(out_fd, &ost) != 0 ||
            !S_ISREG(ost.st_mode) || ost.st_size != 0 || lseek(out_fd, 0, SEEK_CUR) != 0 ||
            (ost.st_dev == st.st_dev && ost.st_ino == st.st_ino))
                return img_fail(err, APP_DECODE_E_INVALID,
                                "decode strip: output must be a new, empty file open for writing");
        struct app_decode_req req = {.op = APP_DECODE_OP_STRIP,
                                     .strip_mode = (int32_t)mode,
                                     .strip_in_size = (uint64_t)st.st_size};
        pthread_mutex_lock(&pool->free_lock);
        if (pool->cfg.test_hooks)
                req.test_op = pool->fault_strip;
        pool->fault_strip = 0;
        pthread_mutex_unlock(&pool->free_lock);
        int fds[2] = {in_fd, out_fd};
        struct app_decode_reply r;
        int i = take_helper(pool);
        struct helper *h = &pool->helpers[i];
        int rc = helper_call(pool, h, &req, fds, 2, &r, err);
        /* The answer was checked against the request; now against the file
         * itself, while the helper is still ours to kill if it lied. */
        if (rc == 0 && (fstat(out_fd, &ost) != 0 || (uint64_t)ost.st_size != r.strip_bytes)) {
                helper_stop(h, false);
                rc = img_fail(err, APP_DECODE_E_PROTOCOL,
                              "decode helper answer refused: output holds %lld bytes, %llu claimed",
                              (long long)ost.st_size, (unsigned long long)r.strip_bytes);
        }
        give_helper(pool, i);
        count(pool, rc);
        if (rc != 0)
                return rc;
        if (ret_len)
                *ret_len = r.strip_bytes;
        if (report)
                app_decode_reply_to_strip_report(&r, report);
        return 0;
}

/* A new output file next to out_path, write-only: "<out_path>.tmp-<pid>-<n>". */
static int create_temp(const char *out_path, char *tmp, size_t cap, struct img_errbuf *err)
{
        static unsigned seq;
        for (int attempt = 0; attempt < 16; attempt++) {
                unsigned n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
                if (snprintf(tmp, cap, "%s.tmp-%ld-%u", out_path, (long)getpid(), n) >= (int)cap)
                        return img_fail(err, IMG_E_IO, "strip: output path too long");
                int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return img_fail(err, IMG_E_IO, "strip: cannot create output: %s", strerror(errno));
        }
        return img_fail(err, IMG_E_IO, "strip: cannot create output: name taken");
}

int app_decode_strip_file(struct app_decode_pool *pool, const char *in_path,
                          const char *out_path, enum app_strip_mode mode,
                          struct app_strip_report *report, struct img_errbuf *err)
{
        if (!pool || !in_path || !out_path)
                return img_fail(err, APP_DECODE_E_INVALID, "decode strip: bad argument");
        /* Opened as app_strip_file would (a technician may name a symlink);
         * O_NONBLOCK so a FIFO cannot hold us here. */
        int in = open(in_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (in < 0)
                return img_fail(err, IMG_E_UNREADABLE, "strip: cannot open input: %s", strerror(errno));
        char tmp[PATH_MAX + 32];
        int out = create_temp(out_path, tmp, sizeof(tmp), err);
        if (out < 0) {
                close(in);
                return out;
        }
        int rc = app_decode_strip_fd(pool, in, out, mode, NULL, report, err);
        close(in);
        if (rc == 0 && fsync(out) != 0)
                rc = img_fail(err, IMG_E_IO, "strip: fsync: %s", strerror(errno));
        if (close(out) != 0 && rc == 0)
                rc = img_fail(err, IMG_E_IO, "strip: close: %s", strerror(errno));
        if (rc == 0 && rename(tmp, out_path) != 0)
                rc = img_fail(err, IMG_E_IO, "strip: rename: %s", strerror(errno));
        if (rc != 0) {
                unlink(tmp); /* a crash, a timeout or a refusal keeps nothing */
                return rc;
        }
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", out_path);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = 0;
        else if (slash)
                *slash = 0;
        else
                snprintf(dir, sizeof(dir), ".");
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
        }
        return 0;
}

int app_decode_pool_fault_next_strip(struct app_decode_pool *pool, enum app_decode_strip_fault how)
{
        if (!pool || !pool->cfg.test_hooks || how < 0 || how >= _APP_DECODE_STRIP_FAULT_MAX)
                return APP_DECODE_E_INVALID;
        pthread_mutex_lock(&pool->free_lock);
        pool->fault_strip = how;
        pthread_mutex_unlock(&pool->free_lock);
        return 0;
}

int app_decode_pool_fault_next_proof(struct app_decode_pool *pool, enum app_decode_proof_fault how)
{
        if (!pool || !pool->cfg.test_hooks || how < 0 || how >= _APP_DECODE_PROOF_FAULT_MAX)
                return APP_DECODE_E_INVALID;
        pthread_mutex_lock(&pool->free_lock);
        pool->fault_next = how;
        pthread_mutex_unlock(&pool->free_lock);
        return 0;
}

void app_decode_pool_stats(struct app_decode_pool *pool, struct app_decode_stats *ret)
{
        pthread_mutex_lock(&pool->free_lock);
        *ret = pool->stats;
        pthread_mutex_unlock(&pool->free_lock);
}

int app_decode_pool_helper_pid(struct app_decode_pool *pool, int i)
{
        if (!pool || i < 0 || i >= pool->n)
                return 0;
        pthread_mutex_lock(&pool->free_lock);
        int pid = pool->helpers[i].pid;
        pthread_mutex_unlock(&pool->free_lock);
        return pid;
}
