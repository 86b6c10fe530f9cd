/* printkiosk-decode: the sandboxed decode helper (started by app/decode_pool.c).
 *
 * Reads one request at a time from fd 3 (SOCK_SEQPACKET), decodes the photo it
 * was handed as an fd with image/ (img_probe_fd / img_thumb_fd_to_pixels /
 * img_proof_fd_to_pixels, so the allow-list and limits apply), writes pixels
 * to the memfd on fd 4 and answers with one fixed-size message. Exits on EOF.
 * A proof request also carries the paper, display, sRGB and Adobe RGB
 * profiles as fds (read here into memory): the helper never opens a file.
 * A strip request (APP_DECODE_OP_STRIP) carries the photo and an empty output
 * file the kiosk created: the photo's metadata is stripped here
 * (app/strip_metadata.c) and the result written to that descriptor.
 *
 * Sandbox (app/sandbox.c), set up before the first photo and never relaxed:
 * - every fd but 0-4 closed; exits on EOF from the kiosk; no core dumps;
 * - RLIMIT_AS (memory; under AddressSanitizer, whose shadow needs terabytes of
 *   address space, the pool sets ASan's hard_rss_limit_mb instead), RLIMIT_CPU
 *   re-armed per request (soft = used + budget), RLIMIT_NOFILE, RLIMIT_FSIZE
 *   = the file-size limit (a strip's output is never longer than its photo);
 * - Landlock where the kernel has it (ABI checked at run time, every access
 *   right that ABI knows is handled, no rule granted): no file or directory
 *   can be opened, written, created, executed or listed, no TCP bind/connect
 *   (ABI >= 4), no signals or abstract sockets outside (ABI >= 6). The helper
 *   reads only the fds it is handed, through image/'s descriptor entry points
 *   (img_probe_fd, img_thumb_fd_to_pixels): a handed file is duplicated and
 *   read, never reopened by path (Landlock would refuse that, rightly).
 *   A kernel that has Landlock but refuses it ends the helper (fail closed);
 * - PR_SET_NO_NEW_PRIVS and a seccomp allow-list (libseccomp): no socket(),
 *   connect(), execve(), ptrace() (the process is killed), files may be
 *   opened read-only only, anything unlisted fails with EPERM;
 * - libvips single-threaded (VIPS_CONCURRENCY=1), its cache bounded by
 *   img_init, JPEGMEM bounds libjpeg's working memory.
 * Nothing here logs: photo data and names must not reach a journal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/decode/decode_helper_test.h"
#include "app/decode_pool.h"
#include "app/decode_proto.h"
#include "app/sandbox.h"
#include "app/strip_metadata.h"
#include "image/image.h"
#include "image/colour.h"
#include "image/probe.h"
#include "image/proof.h"
#include "image/thumb.h"

#if defined(__SANITIZE_ADDRESS__)
#define PK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_ASAN 1
#endif
#endif

static uint64_t env_u64(const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
        const char *s = getenv(name);
        if (!s || !*s)
                return def;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || !end || *end || v < lo || v > hi)
                return def;
        return v;
}

static int cpu_budget;

/* Soft CPU limit = CPU used so far + budget, so the limit is per request
 * while the hard limit stays fixed (raising a soft limit needs no
 * privilege). */
static void arm_cpu_limit(void)
{
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) != 0)
                return;
        rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1);
        struct rlimit rl;
        if (getrlimit(RLIMIT_CPU, &rl) != 0)
                return;
        rlim_t soft = used + (rlim_t)cpu_budget;
        if (rl.rlim_max != RLIM_INFINITY && soft > rl.rlim_max)
                _exit(0); /* spent: the pool starts a fresh helper */
        rl.rlim_cur = soft;
        setrlimit(RLIMIT_CPU, &rl);
}

static int limits(void)
{
        uint64_t mem = env_u64("PK_DECODE_MEM", 1ull << 30, 64ull << 20, 64ull << 30);
        cpu_budget = (int)env_u64("PK_DECODE_CPU", 8, 1, 600);
        /* Under ASan no RLIMIT_AS (its shadow needs TBs of address space):
         * the pool sets hard_rss_limit_mb instead. */
        bool asan = false;
#ifdef PK_ASAN
        asan = true;
#endif
        struct app_sandbox_limits lim = {
                .mem_bytes = asan ? 0 : mem,
                .cpu_soft = cpu_budget,
                .cpu_hard = 3600, /* a helper lives at most one CPU hour */
                .nofile = 64,
        };
        if (app_sandbox_rlimits(&lim) != 0)
                return -1;
        /* The only file a helper writes is a strip's output, which is never
         * longer than the photo (<= the file-size limit): a helper that
         * writes more is killed by SIGXFSZ instead of filling the disk. */
        uint64_t fsz = img_get_limits()->max_file_bytes;
        struct rlimit rl = {(rlim_t)fsz, (rlim_t)fsz};
        return setrlimit(RLIMIT_FSIZE, &rl);
}

static int landlock_abi_in_force; /* 0 = not restricted by Landlock */

/* The pool forwards only PK_DECODE_NO_SECCOMP: one debugging switch turns
 * the whole syscall/file sandbox off (rlimits stay). */
static bool sandbox_off(void)
{
        const char *off = getenv("PK_DECODE_NO_SECCOMP");
        return off && strcmp(off, "1") == 0;
}

/* No file rule at all: the helper reads only the fds it is handed. */
static int landlock(void)
{
        return app_sandbox_landlock(NULL, 0, sandbox_off(), &landlock_abi_in_force);
}

static int sandbox(void)
{
        return app_sandbox_seccomp(NULL, 0, sandbox_off());
}

static uint8_t *shm;

static void test_hook(const struct app_decode_req *req, struct app_decode_reply *r)
{
        volatile uint64_t spin = 0;
        switch (req->test_op) {
        case APP_DECODE_TEST_CRASH:
                abort();
        case APP_DECODE_TEST_HANG:
                for (;;)
                        sleep(1); /* sleeps: only the wall-clock timeout ends it */
        case APP_DECODE_TEST_CPU:
                for (;;)
                        spin++; /* burns CPU: RLIMIT_CPU (SIGXCPU) ends it */
        case APP_DECODE_TEST_MEMORY: {
                /* Like a decoder asked for a huge canvas: allocate and touch
                 * until the limit stops us. Bounded: reaching the bound means
                 * the limit did not hold, reported as success (status 0) so
                 * the test fails loudly. */
                uint64_t lim = env_u64("PK_DECODE_MEM", 1ull << 30, 64ull << 20, 64ull << 30);
                size_t chunk = 16u << 20;
                for (uint64_t got = 0; got < 2 * lim + (256ull << 20); got += chunk) {
                        char *p = malloc(chunk);
                        if (!p)
                                abort(); /* what g_malloc does */
                        memset(p, 0x5a, chunk);
#ifdef PK_ASAN
                        usleep(20000); /* let ASan's RSS watcher see it */
#endif
                }
                r->status = 0;
                return;
        }
        case APP_DECODE_TEST_NETWORK: {
                int s = socket(AF_INET, SOCK_STREAM, 0);
                r->status = s >= 0 ? 0 : IMG_E_IO;
                if (s >= 0)
                        close(s);
                return;
        }
        case APP_DECODE_TEST_WRITE: {
                int fd = open("/tmp/pk-decode-write-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                r->status = fd >= 0 ? 0 : IMG_E_IO;
                if (fd >= 0) {
                        close(fd);
                        unlink("/tmp/pk-decode-write-probe");
                }
                return;
        }
        case APP_DECODE_TEST_BAD_REPLY:
                r->magic = 0xdeadbeef;
                return;
        case APP_DECODE_TEST_READ_OUTSIDE: {
                int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
                DIR *d = opendir("/");
                r->status = fd >= 0 || d ? 0 : IMG_E_IO;
                snprintf(r->errmsg, sizeof(r->errmsg), "/etc/passwd: %s; /: %s", fd >= 0 ? "opened" : "refused",
                         d ? "listed" : "refused");
                if (fd >= 0)
                        close(fd);
                if (d)
                        closedir(d);
                return;
        }
        case APP_DECODE_TEST_LANDLOCK:
                r->status = landlock_abi_in_force > 0 ? 0 : IMG_E_UNSUPPORTED;
                snprintf(r->errmsg, sizeof(r->errmsg), "landlock abi %d in force (kernel abi %d)",
                         landlock_abi_in_force, app_sandbox_landlock_abi());
                return;
        default:
                r->status = IMG_E_INVALID;
                return;
        }
}

/* A profile handed as a descriptor: a regular file of at most the ICC limit,
 * read whole with pread, validated by lcms2 (img_icc_from_memory). */
static int read_icc(int fd, struct img_icc *ret, struct img_errbuf *err)
{
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
                return img_fail(err, IMG_E_UNREADABLE, "profile: not a regular file");
        uint64_t max = img_get_limits()->max_icc_bytes;
        if (st.st_size < 128 || (uint64_t)st.st_size > max)
                return img_fail(err, IMG_E_BAD_PROFILE, "profile of %lld bytes", (long long)st.st_size);
        size_t len = (size_t)st.st_size, got = 0;
        uint8_t *buf = malloc(len);
        if (!buf)
                return img_fail(err, IMG_E_INTERNAL, "out of memory");
        for (int guard = 0; got < len && guard < 1024; guard++) {
                ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        int rc = got == len ? img_icc_from_memory(buf, len, true, ret, err)
                            : img_fail(err, IMG_E_UNREADABLE, "profile: short read");
        free(buf);
        return rc;
}

/* Test hook: spoil a good proof answer in the way the pool was told to, so
 * the tests see the pool refuse it (app_decode_pool_fault_next_proof). */
static void forge_proof(int how, struct app_decode_reply *r)
{
        switch (how) {
        case APP_DECODE_PROOF_CRASH:
                abort();
        case APP_DECODE_PROOF_HANG:
                for (;;)
                        sleep(1);
        case APP_DECODE_PROOF_WIDER:
                r->thumb_width += 2;
                break;
        case APP_DECODE_PROOF_HUGE:
                r->thumb_width = r->thumb_height = 4000;
                break;
        case APP_DECODE_PROOF_STRIDE:
                r->stride += 3;
                r->pixel_bytes = (uint64_t)r->stride * (uint64_t)r->thumb_height;
                return;
        case APP_DECODE_PROOF_PHOTO_SIZE:
                r->width *= 2;
                r->oriented_width = r->orientation >= 5 ? r->height : r->width;
                r->oriented_height = r->orientation >= 5 ? r->width : r->height;
                r->src_width = r->width;
                return;
        default:
                return;
        }
        r->stride = r->thumb_width * 3;
        r->pixel_bytes = (uint64_t)r->stride * (uint64_t)r->thumb_height;
}

static void serve_proof(const struct app_decode_req *req, const int *fds, int nfds,
                        struct app_decode_reply *r, struct img_errbuf *err, bool hooks)
{
        struct img_icc icc[4] = {{0}};
        struct img_pixels px = {0};
        struct img_probe p;
        if (nfds != APP_DECODE_MAX_FDS) {
                r->status = img_fail(err, IMG_E_INVALID, "proof needs the photo and four profiles");
                return;
        }
        for (int k = 0; k < 4 && r->status == 0; k++)
                r->status = read_icc(fds[k + 1], &icc[k], err);
        if (r->status == 0)
                r->status = img_probe_fd(fds[0], IMG_PROBE_NO_HASH, &p, err);
        if (r->status == 0) {
                struct img_proof_colour c = {.paper = &icc[0], .display = &icc[1], .srgb = &icc[2],
                                             .adobe = &icc[3], .intent = (enum img_intent)req->intent,
                                             .bpc = req->bpc != 0};
                struct img_proof_spec spec = {.width = req->proof_width, .height = req->proof_height,
                                              .rotate = req->rotate,
                                              .gamut_warning = req->gamut_warning != 0};
                r->status = img_proof_fd_to_pixels(fds[0], &p, &c, &spec, &px, NULL, err);
        }
        if (r->status == 0) {
                size_t row = (size_t)px.width * 3;
                if ((size_t)px.height * row > APP_DECODE_SHM_BYTES || px.stride < (int)row) {
                        r->status = img_fail(err, IMG_E_INTERNAL, "preview too large");
                } else {
                        for (int y = 0; y < px.height; y++)
                                memcpy(shm + (size_t)y * row, px.data + (size_t)y * px.stride, row);
                        app_decode_reply_from_probe(r, &p);
                        r->thumb_width = px.width;
                        r->thumb_height = px.height;
                        r->stride = (int32_t)row;
                        r->pixel_bytes = (uint64_t)row * (uint64_t)px.height;
                        r->src_width = p.width;
                        r->src_height = p.height;
                        if (hooks && req->test_op)
                                forge_proof(req->test_op, r);
                }
        }
        img_pixels_free(&px);
        for (int k = 0; k < 4; k++)
                img_icc_done(&icc[k]);
}

static bool write_all(int fd, const uint8_t *b, size_t len)
{
        size_t done = 0;
        for (int guard = 0; done < len && guard < 100000; guard++) {
                ssize_t w = write(fd, b + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                done += (size_t)w;
        }
        return done == len;
}

/* Test hook: misbehave while writing a strip's output, the way the pool was
 * told to (app_decode_pool_fault_next_strip). Returns true when the
 * output has been written (possibly wrongly) and the answer may go. */
static bool forge_strip(int how, int out, const uint8_t *b, size_t len, struct app_decode_reply *r)
{
        switch (how) {
        case APP_DECODE_STRIP_CRASH:
                write_all(out, b, len / 2);
                abort();
        case APP_DECODE_STRIP_HANG:
                write_all(out, b, len / 2);
                for (;;)
                        sleep(1);
        case APP_DECODE_STRIP_SHORT:
                write_all(out, b, len / 2);
                r->strip_bytes = len; /* claims it all */
                return true;
        case APP_DECODE_STRIP_CLAIM_MORE:
                write_all(out, b, len);
                r->strip_bytes = (uint64_t)1 << 40; /* more than any photo */
                return true;
        case APP_DECODE_STRIP_FLOOD: {
                /* Past RLIMIT_FSIZE: SIGXFSZ must end us. Bounded: if the
                 * limit did not hold, answer "ok" so the test fails loudly. */
                static uint8_t junk[1 << 16];
                uint64_t lim = img_get_limits()->max_file_bytes;
                for (uint64_t w = 0; w < 2 * lim + sizeof(junk); w += sizeof(junk))
                        if (!write_all(out, junk, sizeof(junk)))
                                break;
                r->strip_bytes = len;
                return true;
        }
        default:
                return false;
        }
}

/* APP_DECODE_OP_STRIP: the photo (fds[0]) is read whole, exactly the size
 * the kiosk saw (a file that changed since is refused), stripped by
 * app_strip() (app/strip_metadata.c, the format sniffed from its bytes) and
 * written from the start of fds[1], the kiosk's new, empty output file.
 * Nothing is written unless the strip succeeded; a write that fails leaves
 * the kiosk to delete the file. */
static void serve_strip(const struct app_decode_req *req, const int *fds, int nfds,
                        struct app_decode_reply *r, struct img_errbuf *err, bool hooks)
{
        struct stat st, ost;
        if (nfds != 2) {
                r->status = img_fail(err, IMG_E_INVALID, "strip needs the photo and an output file");
                return;
        }
        if (fstat(fds[0], &st) != 0 || !S_ISREG(st.st_mode)) {
                r->status = img_fail(err, IMG_E_UNREADABLE, "strip: not a regular file");
                return;
        }
        if ((uint64_t)st.st_size != req->strip_in_size) {
                r->status = img_fail(err, IMG_E_UNREADABLE, "strip: the photo changed size");
                return;
        }
        int fl = fcntl(fds[1], F_GETFL);
        if (fstat(fds[1], &ost) != 0 || !S_ISREG(ost.st_mode) || ost.st_size != 0 || fl < 0 ||
            (fl & O_ACCMODE) == O_RDONLY) {
                r->status = img_fail(err, IMG_E_INVALID, "strip: output is not an empty writable file");
                return;
        }
        size_t len = (size_t)req->strip_in_size, got = 0;
        uint8_t *buf = malloc(len), *out = NULL;
        if (!buf) {
                r->status = img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
                return;
        }
        for (int guard = 0; got < len && guard < 100000; guard++) {
                ssize_t n = pread(fds[0], buf + got, len - got, (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        size_t out_len = 0;
        struct app_strip_report rep = {0};
        if (got != len)
                r->status = img_fail(err, IMG_E_UNREADABLE, "strip: short read");
        else
                r->status = app_strip(buf, len, (enum app_strip_mode)req->strip_mode, &out, &out_len,
                                      &rep, err);
        if (r->status == 0) {
                r->strip_bytes = out_len;
                r->strip_format = app_strip_sniff(buf, len);
                r->strip_segments_dropped = rep.segments_dropped;
                r->strip_gps_removed = rep.gps_entries_removed;
                r->strip_tags_blanked = rep.tags_blanked;
                r->strip_items_blanked = rep.items_blanked;
                if (!(hooks && forge_strip(req->test_op, fds[1], out, out_len, r)) &&
                    !write_all(fds[1], out, out_len))
                        r->status = img_fail(err, IMG_E_IO, "strip: cannot write the output: %s",
                                             strerror(errno));
        }
        free(out);
        free(buf);
}

static void serve(const struct app_decode_req *req, const int *fds, int nfds,
                  struct app_decode_reply *r, bool hooks)
{
        int fd = nfds > 0 ? fds[0] : -1;
        struct img_errbuf err = {{0}};
        if (req->op == APP_DECODE_OP_TEST) {
                if (hooks)
                        test_hook(req, r);
                else
                        r->status = IMG_E_INVALID;
                return;
        }
        if (fd < 0) {
                r->status = img_fail(&err, IMG_E_INVALID, "no file passed");
        } else if (req->op == APP_DECODE_OP_PROBE) {
                struct img_probe p;
                r->status = img_probe_fd(fd, req->probe_flags & IMG_PROBE_NO_HASH, &p, &err);
                if (r->status == 0)
                        app_decode_reply_from_probe(r, &p);
        } else if (req->op == APP_DECODE_OP_PROOF) {
                serve_proof(req, fds, nfds, r, &err, hooks);
        } else if (req->op == APP_DECODE_OP_STRIP) {
                serve_strip(req, fds, nfds, r, &err, hooks);
        } else if (req->op == APP_DECODE_OP_THUMB) {
                struct img_thumb_spec spec = {.size = req->thumb_size,
                                              .square = req->square != 0,
                                              .allow_exif_thumbnail = req->allow_exif_thumb != 0,
                                              .quality = 85};
                struct img_pixels px = {0};
                struct img_thumb_info info = {0};
                r->status = img_thumb_fd_to_pixels(fd, &spec, &px, &info, &err);
                if (r->status == 0) {
                        size_t row = (size_t)px.width * 3;
                        if ((size_t)px.height * row > APP_DECODE_SHM_BYTES || px.stride < (int)row) {
                                r->status = img_fail(&err, IMG_E_INTERNAL, "thumbnail too large");
                        } else {
                                for (int y = 0; y < px.height; y++)
                                        memcpy(shm + (size_t)y * row, px.data + (size_t)y * px.stride, row);
                                r->thumb_width = px.width;
                                r->thumb_height = px.height;
                                r->stride = (int32_t)row;
                                r->pixel_bytes = (uint64_t)row * (uint64_t)px.height;
                                r->from_exif = info.from_exif;
                                r->src_width = info.src_width;
                                r->src_height = info.src_height;
                        }
                        img_pixels_free(&px);
                }
        } else {
                r->status = img_fail(&err, IMG_E_INVALID, "unknown operation");
        }
        if (r->status < 0)
                snprintf(r->errmsg, sizeof(r->errmsg), "%s", err.msg);
}

int main(int argc, char **argv)
{
        (void)argc;
        /* Only our socket and pixel buffer (and stdio) survive. */
        app_sandbox_close_fds_from(APP_DECODE_FD_SHM + 1);
        /* No PR_SET_PDEATHSIG: it fires when the spawning *thread* ends,
         * and pool callers are short-lived worker threads. A dead kiosk
         * closes our socket instead: the next recvmsg sees EOF, and a
         * request in flight is bounded by RLIMIT_CPU. */
        struct stat st;
        if (fstat(APP_DECODE_FD_SOCK, &st) != 0 || !S_ISSOCK(st.st_mode) ||
            fstat(APP_DECODE_FD_SHM, &st) != 0 || (size_t)st.st_size < APP_DECODE_SHM_BYTES) {
                fprintf(stderr, "printkiosk-decode: run by app/decode_pool only\n");
                return 2;
        }
        shm = mmap(NULL, APP_DECODE_SHM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, APP_DECODE_FD_SHM, 0);
        if (shm == MAP_FAILED)
                _exit(3);
        struct img_limits lim;
        if (img_init(argv[0], app_sandbox_read_limits("PK_DECODE_LIMITS", &lim) == 0 ? &lim : NULL) != 0)
                _exit(4);
        if (limits() != 0 || landlock() != 0 || sandbox() != 0)
                _exit(5); /* never decode without the sandbox */
        const char *h = getenv("PK_DECODE_TEST_HOOKS");
        bool hooks = h && strcmp(h, "1") == 0;

        for (;;) {
                struct app_decode_req req;
                union {
                        char buf[CMSG_SPACE(sizeof(int) * (APP_DECODE_MAX_FDS + 1))];
                        struct cmsghdr align;
                } u;
                struct iovec iov = {.iov_base = &req, .iov_len = sizeof(req)};
                struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                                    .msg_controllen = sizeof(u.buf)};
                ssize_t n = recvmsg(APP_DECODE_FD_SOCK, &mh, MSG_CMSG_CLOEXEC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(0); /* EOF: the pool is done with us (no leak scan) */
                /* Keep up to APP_DECODE_MAX_FDS in the order sent; more
                 * is not our pool (closed, then refused below). */
                int fds[APP_DECODE_MAX_FDS], nfds = 0;
                bool extra = false;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                                continue;
                        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < nfd; i++) {
                                int f;
                                memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                if (nfds < APP_DECODE_MAX_FDS) {
                                        fds[nfds++] = f;
                                } else {
                                        close(f);
                                        extra = true;
                                }
                        }
                }
                if (n != (ssize_t)sizeof(req) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
                    req.magic != APP_DECODE_MAGIC || req.version != APP_DECODE_VERSION ||
                    req.op == 0 || req.op >= _APP_DECODE_OP_MAX || req.thumb_size < 0 ||
                    req.thumb_size > APP_DECODE_MAX_THUMB || extra ||
                    (req.op == APP_DECODE_OP_PROOF && app_decode_proof_req_check(&req, NULL) != 0) ||
                    (req.op == APP_DECODE_OP_STRIP && app_decode_strip_req_check(&req, NULL) != 0))
                        _exit(6); /* not our pool talking */
                static struct app_decode_reply r;
                memset(&r, 0, sizeof(r));
                r.magic = APP_DECODE_MAGIC;
                r.version = APP_DECODE_VERSION;
                r.op = req.op;
                r.seq = req.seq;
                arm_cpu_limit();
                serve(&req, fds, nfds, &r, hooks);
                for (int i = 0; i < nfds; i++)
                        close(fds[i]);
                struct iovec oiov = {.iov_base = &r, .iov_len = sizeof(r)};
                struct msghdr omh = {.msg_iov = &oiov, .msg_iovlen = 1};
                ssize_t w;
                do
                        /* sendmsg, not send(): glibc's send() is the
                         * sendto syscall, which the filter kills. */
                        w = sendmsg(APP_DECODE_FD_SOCK, &omh, MSG_NOSIGNAL);
                while (w < 0 && errno == EINTR);
                if (w != (ssize_t)sizeof(r))
                        _exit(0);
        }
}
