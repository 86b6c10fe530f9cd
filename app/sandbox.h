/* app/sandbox: the process sandbox shared by the helpers that touch customer
 * bytes (app/decode/printkiosk-decode, app/render/printkiosk-render).
 *
 * A helper calls, in this order and before it reads the first customer byte:
 *   app_sandbox_close_fds_from(first)   every inherited fd >= first closed
 *   app_sandbox_rlimits(&lim)           core 0, AS, CPU, NOFILE
 *   app_sandbox_landlock(files, n, &abi) no file but `files` (read-only), no
 *                                       TCP, no signals/abstract sockets out
 *   app_sandbox_seccomp(extra, n)       syscall allow-list
 * and exits (never continues) when one of them fails: a helper never decodes
 * without its sandbox. Nothing here logs.
 *
 * `off` (a debugging switch the helpers read from their environment) skips
 * Landlock and the seccomp filter, never the rlimits.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_sandbox_limits {
        uint64_t mem_bytes; /* RLIMIT_AS; 0 = leave it (AddressSanitizer builds) */
        int cpu_soft;       /* RLIMIT_CPU soft limit, seconds (SIGXCPU) */
        int cpu_hard;       /* RLIMIT_CPU hard limit, seconds (SIGKILL) */
        int nofile;         /* RLIMIT_NOFILE */
};

/* Close every fd >= first (close_range, else a bounded loop). */
void app_sandbox_close_fds_from(int first);

/* Set RLIMIT_CORE 0 and the limits above. 0, or -1 when one could not be set. */
int app_sandbox_rlimits(const struct app_sandbox_limits *lim);

/* The Landlock ABI of the running kernel, 0 when it has none. */
int app_sandbox_landlock_abi(void);

/* Restrict this process with Landlock: every file-system access right the
 * kernel's ABI knows is handled, and the only grant is READ_FILE on each of
 * `read_files` (regular files, opened O_PATH here; NULL or "" entries are
 * skipped). ABI >= 4 also forbids TCP bind/connect, ABI >= 6 signals and
 * abstract unix sockets outside the process. Sets PR_SET_NO_NEW_PRIVS.
 * Returns 0 when restricted (*ret_abi = the ABI in force) or when the
 * kernel has no Landlock or `off` (*ret_abi = 0); -1 when the kernel has
 * Landlock but a step failed, or a file could not be opened (fail closed). */
int app_sandbox_landlock(const char *const *read_files, size_t n_files, bool off, int *ret_abi);

/* Load the seccomp allow-list (libseccomp): default EPERM; socket, connect,
 * bind, listen, accept, sendto, socketpair, execve, fork, vfork, ptrace and
 * process_vm_* kill the process; clone only with CLONE_THREAD, clone3 ENOSYS;
 * open/openat read-only only; tgkill only to this process. `extra` lists
 * further syscall numbers (SCMP_SYS) a helper needs. Sets
 * PR_SET_NO_NEW_PRIVS. 0, or -1 on failure; `off` loads nothing. */
int app_sandbox_seccomp(const int *extra, size_t n_extra, bool off);

struct img_limits;

/* The kiosk's image limits handed to a helper in environment variable
 * `env_name` as "pixels,side,bytes,icc". 0, or -1 when absent or malformed
 * (the helper then keeps image/'s defaults). */
int app_sandbox_read_limits(const char *env_name, struct img_limits *ret);

/* The helper program `name` (e.g. "printkiosk-decode") into out: `want` when
 * set, else $env_name, else next to this executable, in its <subdir>/, in the
 * build tree's app/<subdir>/, else PK_LIBEXECDIR. 0 when the chosen path is
 * executable, else -1. */
int app_sandbox_find_helper(const char *want, const char *env_name, const char *name,
                            const char *subdir, char *out, size_t outlen);
