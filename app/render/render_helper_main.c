/* printkiosk-render: the sandboxed print-master helper (started by
 * app/render_sandbox.c, one process per master).
 *
 * Reads one transform record (JSON, at most APP_RECORD_MAX_BYTES) from fd 3
 * until EOF, sandboxes itself, renders the master with img_render_master_fd
 * into the empty file on fd 4, writes one small JSON object on fd 5
 * ({"ok":true,"width","height","shrink","effective_dpi"} or
 * {"ok":false,"code","message"}) and exits. Nothing it says is trusted: the
 * kiosk re-checks the file and hashes it itself.
 *
 * Sandbox (app/sandbox.c), in force before the first byte of the photo is
 * read, never relaxed:
 * - every fd but 0-5 closed; no core dumps; RLIMIT_AS from PK_RENDER_MEM
 *   (under AddressSanitizer the kiosk sets ASan's hard_rss_limit_mb instead),
 *   RLIMIT_CPU from PK_RENDER_CPU (soft; hard = soft + 5 s), RLIMIT_NOFILE 32;
 * - Landlock where the kernel has it: READ_FILE on exactly the input photo,
 *   the source profile and the paper profile the record names, nothing else
 *   (no other file or folder opened, listed, written or executed), no TCP,
 *   no signals outside (by ABI). The record is parsed and libvips started
 *   (its loader modules loaded) before, so that needs no file either;
 * - PR_SET_NO_NEW_PRIVS and the seccomp allow-list (no socket, exec, fork,
 *   ptrace; files opened read-only only; ftruncate and fsync on the handed
 *   fd's file are allowed).
 * PK_RENDER_NO_SANDBOX=1 (debugging only) skips Landlock and seccomp, never
 * the rlimits. Test hooks run only when the kiosk set PK_RENDER_TEST_HOOK.
 * Nothing here logs: photo data and names must not reach a journal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/render_sandbox.h"
#include "app/sandbox.h"
#include "app/transform_record.h"
#include "image/image.h"
#include "image/render.h"

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

static bool env_is(const char *name, const char *want)
{
        const char *s = getenv(name);
        return s && strcmp(s, want) == 0;
}

/* Whole record from fd 3, bounded. Returns its length or -1. */
static ssize_t read_record(char *buf, size_t cap)
{
        size_t n = 0;
        for (int guard = 0; guard < 100000; guard++) {
                if (n == cap)
                        return -1; /* over APP_RECORD_MAX_BYTES */
                ssize_t r = read(APP_RENDER_FD_RECORD, buf + n, cap - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        return (ssize_t)n;
                n += (size_t)r;
        }
        return -1;
}

static void answer(json_t *o)
{
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
                _exit(7);
        size_t len = strlen(text), done = 0;
        if (len > APP_RENDER_RESULT_MAX)
                len = 0; /* the kiosk reads "no answer" */
        while (done < len) {
                ssize_t w = write(APP_RENDER_FD_RESULT, text + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                done += (size_t)w;
        }
        free(text);
}

static json_t *fail_json(int code, const char *msg)
{
        json_t *o = json_pack("{s:b, s:i}", "ok", 0, "code", code);
        json_t *m = json_string(msg);
        json_object_set_new(o, "message", m ? m : json_string(img_strerror(code)));
        return o;
}

static json_t *ok_json(const struct img_render_result *r)
{
        return json_pack("{s:b, s:i, s:i, s:i, s:f}", "ok", 1, "width", r->width, "height",
                         r->height, "shrink", r->shrink, "effective_dpi", r->effective_dpi);
}

static const char *can_open(const char *path)
{
        if (!path || !path[0])
                return "none";
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return "refused";
        close(fd);
        return "opened";
}

/* Test hooks (PK_RENDER_TEST_HOOK, set by the kiosk only when a test asks).
 * Returns true when the hook answered instead of a render. */
static bool test_hook(const char *hook, const struct img_render_spec *spec, int ll_abi)
{
        volatile uint64_t spin = 0;
        if (strcmp(hook, "crash") == 0)
                abort();
        if (strcmp(hook, "hang") == 0)
                for (;;)
                        sleep(1); /* only the kiosk's wall-clock timeout ends it */
        if (strcmp(hook, "cpu") == 0)
                for (;;)
                        spin++; /* RLIMIT_CPU (SIGXCPU) ends it */
        if (strcmp(hook, "memory") == 0) {
                /* As a decoder asked for a huge canvas: allocate and touch
                 * until the limit stops us (g_malloc aborts, as libvips'
                 * own allocations do). Bounded: reaching the bound means
                 * the limit did not hold, answered as success so the test
                 * fails loudly. */
                uint64_t lim = env_u64("PK_RENDER_MEM", 1ull << 30, 64ull << 20, 64ull << 30);
                size_t chunk = 16u << 20;
                for (uint64_t got = 0; got < 2 * lim + (256ull << 20); got += chunk) {
                        char *p = g_malloc(chunk);
                        memset(p, 0x5a, chunk);
#ifdef PK_ASAN
                        usleep(20000); /* let ASan's RSS watcher see it */
#endif
                }
                answer(json_pack("{s:b, s:i, s:i, s:i, s:f}", "ok", 1, "width", spec->out_width,
                                 "height", spec->out_height, "shrink", 1, "effective_dpi", 0.0));
                return true;
        }
        if (strcmp(hook, "files") == 0) {
                char msg[256];
                DIR *d = opendir("/");
                snprintf(msg, sizeof(msg), "landlock=%d input=%s profile=%s other=%s passwd=%s root=%s",
                         ll_abi, can_open(spec->input_path), can_open(spec->profile_path),
                         can_open(getenv("PK_RENDER_TEST_PATH")), can_open("/etc/passwd"),
                         d ? "listed" : "refused");
                if (d)
                        closedir(d);
                answer(fail_json(IMG_E_IO, msg));
                return true;
        }
        if (strcmp(hook, "bad-output") == 0) {
                static const char junk[] = "GIF89a: not a master at all, but long enough to "
                                           "get past the length check of its header";
                if (write(APP_RENDER_FD_OUT, junk, sizeof(junk)) != (ssize_t)sizeof(junk))
                        _exit(8);
                struct img_render_result r = {0};
                img_render_expected(spec, &r, NULL);
                answer(ok_json(&r));
                return true;
        }
        return false; /* "wrong-size": after the render, see main */
}

int main(int argc, char **argv)
{
        /* Only stdio, the record, the output file and the result survive. */
        app_sandbox_close_fds_from(APP_RENDER_FD_RESULT + 1);
        struct stat st;
        if (fstat(APP_RENDER_FD_RECORD, &st) != 0 || !S_ISFIFO(st.st_mode) ||
            fstat(APP_RENDER_FD_OUT, &st) != 0 || !S_ISREG(st.st_mode) ||
            fstat(APP_RENDER_FD_RESULT, &st) != 0 || !S_ISFIFO(st.st_mode)) {
                fprintf(stderr, "printkiosk-render: run by app/render_sandbox only\n");
                return 2;
        }
        unsigned flags = 0;
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--verify") == 0)
                        flags |= IMG_RENDER_VERIFY;
        static char rec[APP_RECORD_MAX_BYTES];
        ssize_t len = read_record(rec, sizeof(rec));
        if (len <= 0)
                _exit(3);
        close(APP_RENDER_FD_RECORD);
        struct img_limits lim;
        if (img_init(argv[0], app_sandbox_read_limits("PK_RENDER_LIMITS", &lim) == 0 ? &lim : NULL) != 0)
                _exit(4);
        static struct img_render_spec spec;
        struct img_errbuf err = {{0}};
        int rc = app_record_parse(rec, (size_t)len, &spec, &err);
        if (rc) {
                answer(fail_json(rc, err.msg));
                _exit(0);
        }

        uint64_t mem = env_u64("PK_RENDER_MEM", 1ull << 30, 64ull << 20, APP_RENDER_MEM_MAX);
        int cpu = (int)env_u64("PK_RENDER_CPU", APP_RENDER_CPU_S, 1, 3600);
        /* Under ASan no RLIMIT_AS (its shadow needs TBs of address space):
         * the kiosk sets hard_rss_limit_mb instead. */
        bool asan = false;
#ifdef PK_ASAN
        asan = true;
#endif
        struct app_sandbox_limits rl = {
                .mem_bytes = asan ? 0 : mem,
                .cpu_soft = cpu,
                .cpu_hard = cpu + 5,
                .nofile = 32,
        };
        bool off = env_is("PK_RENDER_NO_SANDBOX", "1");
        const char *files[3] = {spec.input_path, spec.src_profile_path, spec.profile_path};
        int ll_abi = 0;
        /* Allowed on top of the shared list: libtiff/libvips may size or
         * sync the output file through the descriptor they were handed. */
        static const int extra[] = {SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
                                    SCMP_SYS(pwrite64), SCMP_SYS(fadvise64)};
        if (app_sandbox_rlimits(&rl) != 0 || app_sandbox_landlock(files, 3, off, &ll_abi) != 0 ||
            app_sandbox_seccomp(extra, sizeof(extra) / sizeof(extra[0]), off) != 0)
                _exit(5); /* never decode without the sandbox */

        const char *hook = getenv("PK_RENDER_TEST_HOOK");
        if (hook && test_hook(hook, &spec, ll_abi))
                _exit(0);
        struct img_render_result r;
        rc = img_render_master_fd(&spec, APP_RENDER_FD_OUT, flags, &r, &err);
        if (rc) {
                answer(fail_json(rc, err.msg));
                _exit(0);
        }
        if (hook && strcmp(hook, "wrong-size") == 0)
                r.width += 1;
        answer(ok_json(&r));
        /* _exit: no leak scan (LeakSanitizer needs ptrace, which the filter
         * forbids) and no libvips shutdown work after the answer. */
        _exit(0);
}
