/* app/sandbox: rlimits, Landlock and the seccomp allow-list of the helper
 * processes (see sandbox.h).
 *
 * Invariants: each step either restricts the process or reports failure;
 * nothing is relaxed later (Landlock and seccomp cannot be undone, rlimit
 * hard limits are only lowered). Landlock rights are spelled as numbers so
 * older uapi headers still build; the attribute struct is passed only as far
 * as the running kernel's ABI knows it. */
#include "app/sandbox.h"

#include "image/image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void app_sandbox_close_fds_from(int first)
{
        if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) != 0) {
                for (int fd = first; fd < 1024; fd++)
                        close(fd);
        }
}

int app_sandbox_rlimits(const struct app_sandbox_limits *lim)
{
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        if (lim->mem_bytes) {
                rl.rlim_cur = rl.rlim_max = (rlim_t)lim->mem_bytes;
                if (setrlimit(RLIMIT_AS, &rl) != 0)
                        return -1;
        }
        rl.rlim_cur = (rlim_t)lim->cpu_soft;
        rl.rlim_max = (rlim_t)lim->cpu_hard;
        if (setrlimit(RLIMIT_CPU, &rl) != 0)
                return -1;
        rl.rlim_cur = rl.rlim_max = (rlim_t)lim->nofile;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                return -1;
        return 0;
}

int app_sandbox_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
        long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return v > 0 ? (int)(v > 1000 ? 1000 : v) : 0;
#else
        return 0;
#endif
}

/* The attribute struct grew with the ABI (handled_access_net in 4, scoped in 6). */
struct pk_landlock_attr {
        uint64_t handled_access_fs, handled_access_net, scoped;
};
/* = struct landlock_path_beneath_attr (packed in the uapi). */
struct pk_landlock_path {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

#define PK_LL_READ_FILE (1ull << 2)
#define PK_LL_RULE_PATH_BENEATH 1

int app_sandbox_landlock(const char *const *read_files, size_t n_files, bool off, int *ret_abi)
{
        *ret_abi = 0;
        int abi = app_sandbox_landlock_abi();
        if (abi == 0 || off)
                return 0;
#ifdef SYS_landlock_create_ruleset
        struct pk_landlock_attr a = {0};
        size_t size = sizeof(uint64_t);
        a.handled_access_fs = (1ull << 13) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */
        if (abi >= 2)
                a.handled_access_fs |= 1ull << 13; /* REFER */
        if (abi >= 3)
                a.handled_access_fs |= 1ull << 14; /* TRUNCATE (by path) */
        if (abi >= 5)
                a.handled_access_fs |= 1ull << 15; /* IOCTL_DEV */
        if (abi >= 4) {
                a.handled_access_net = (1ull << 0) | (1ull << 1); /* BIND_TCP, CONNECT_TCP */
                size = 2 * sizeof(uint64_t);
        }
        if (abi >= 6) {
                a.scoped = (1ull << 0) | (1ull << 1); /* ABSTRACT_UNIX_SOCKET, SIGNAL */
                size = 3 * sizeof(uint64_t);
        }
        long rs = syscall(SYS_landlock_create_ruleset, &a, size, 0);
        if (rs < 0)
                return -1;
        int rc = 0;
        for (size_t i = 0; i < n_files && i < 64 && rc == 0; i++) {
                if (!read_files[i] || !read_files[i][0])
                        continue;
                /* O_PATH without O_NOFOLLOW: the rule is on the file the
                 * path names now, which is what the helper will open. */
                int fd = open(read_files[i], O_PATH | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                        rc = -1;
                } else {
                        struct pk_landlock_path pb = {.allowed_access = PK_LL_READ_FILE,
                                                      .parent_fd = fd};
                        if (syscall(SYS_landlock_add_rule, (int)rs, PK_LL_RULE_PATH_BENEATH, &pb,
                                    0) != 0)
                                rc = -1;
                }
                if (fd >= 0)
                        close(fd);
        }
        if (rc == 0 && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
                        syscall(SYS_landlock_restrict_self, (int)rs, 0) != 0))
                rc = -1;
        close((int)rs);
        if (rc == 0)
                *ret_abi = abi;
        return rc;
#else
        (void)read_files;
        (void)n_files;
        return 0;
#endif
}

int app_sandbox_seccomp(const int *extra, size_t n_extra, bool off)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                return -1;
        if (off)
                return 0; /* debugging only; documented in app/README.md */
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        if (!ctx)
                return -1;
        int rc = 0;
        static const int allow[] = {
                SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(write),
                SCMP_SYS(writev), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
                SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(stat), SCMP_SYS(lstat),
                SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
                SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(set_robust_list),
                SCMP_SYS(get_robust_list), SCMP_SYS(rseq), SCMP_SYS(exit), SCMP_SYS(exit_group),
                SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
                SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
                SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
                SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
                SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrusage),
                SCMP_SYS(getrlimit), SCMP_SYS(setrlimit), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
                SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fcntl), SCMP_SYS(dup),
                SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(access),
                SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(uname), SCMP_SYS(sysinfo),
                SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
                SCMP_SYS(getcwd), SCMP_SYS(eventfd2), SCMP_SYS(pipe2), SCMP_SYS(times),
                SCMP_SYS(membarrier), SCMP_SYS(sched_getparam), SCMP_SYS(sched_getscheduler),
        };
        for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]) && rc == 0; i++)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
        for (size_t i = 0; i < n_extra && rc == 0; i++)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, extra[i], 0);
        /* Threads only, never a new process. clone3 takes its flags by
         * pointer (no filtering possible): ENOSYS makes glibc use clone. */
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        /* Read-only opens; anything that could write or create fails. */
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                                      SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                                      SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
        /* abort() signals itself: only its own thread group. */
        if (rc == 0)
                rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
        /* No network, no new programs, no debugging of others: kill. */
        static const int kill_list[] = {
                SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
                SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(sendto), SCMP_SYS(socketpair),
                SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
                SCMP_SYS(process_vm_writev), SCMP_SYS(fork), SCMP_SYS(vfork),
        };
        for (size_t i = 0; i < sizeof(kill_list) / sizeof(kill_list[0]) && rc == 0; i++)
                rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, kill_list[i], 0);
        if (rc == 0)
                rc = seccomp_load(ctx);
        seccomp_release(ctx);
        return rc == 0 ? 0 : -1;
}

int app_sandbox_read_limits(const char *env_name, struct img_limits *ret)
{
        const char *s = getenv(env_name);
        if (!s)
                return -1;
        unsigned long long v[4];
        for (int i = 0; i < 4; i++) {
                char *end = NULL;
                errno = 0;
                v[i] = strtoull(s, &end, 10);
                if (errno || end == s || (i < 3 && *end != ',') || (i == 3 && *end))
                        return -1;
                s = end + 1;
        }
        if (!v[0] || !v[1] || v[1] > UINT32_MAX || !v[2] || !v[3] || v[3] > UINT32_MAX)
                return -1;
        ret->max_pixels = v[0];
        ret->max_side = (uint32_t)v[1];
        ret->max_file_bytes = v[2];
        ret->max_icc_bytes = (uint32_t)v[3];
        return 0;
}

#ifndef PK_LIBEXECDIR
#define PK_LIBEXECDIR "/usr/libexec/printkiosk"
#endif

int app_sandbox_find_helper(const char *want, const char *env_name, const char *name,
                            const char *subdir, char *out, size_t outlen)
{
        const char *env = getenv(env_name);
        if ((want && *want) || (env && *env)) {
                snprintf(out, outlen, "%s", want && *want ? want : env);
                return access(out, X_OK) == 0 ? 0 : -1;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash = NULL;
        if (n > 0) {
                self[n] = 0;
                slash = strrchr(self, '/');
        }
        if (slash) {
                *slash = 0;
                /* Installed next to us, or in the build tree's app/<subdir>/. */
                const char *const pre[] = {"", "/", "/../app/", "/../../app/"};
                for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
                        snprintf(out, outlen, "%s%s%s/%s", self, pre[i], i ? subdir : "", name);
                        if (access(out, X_OK) == 0)
                                return 0;
                }
        }
        snprintf(out, outlen, "%s/%s", PK_LIBEXECDIR, name);
        return access(out, X_OK) == 0 ? 0 : -1;
}
