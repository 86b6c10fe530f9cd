/* app/decode_pool: customer photos are probed, thumbnailed, soft-proofed
 * and stripped of their metadata in sandboxed helper processes
 * (printkiosk-decode), never in the kiosk process.
 *
 * A pool of N helpers, each started with posix_spawn and talking over its own
 * SOCK_SEQPACKET socketpair. A request carries the photo as an open read-only
 * file descriptor (SCM_RIGHTS), so the helper needs no path of ours; the
 * answer is one fixed-size message, and thumbnail pixels come back through a
 * memfd the pool created and maps. Every answer is validated here (magic,
 * version, sequence number, sizes, ranges, NUL-terminated strings, hex) before
 * any field is used: a helper is hostile once it has touched a photo.
 *
 * A crash, a wall-clock timeout, a CPU or memory limit, or a malformed answer
 * costs that one photo (APP_DECODE_E_*) and the helper is killed and started
 * again on the next request; the pool itself never fails because of a photo.
 *
 * Thread-safe: any number of threads may call app_decode_probe/_thumb; each
 * call holds one helper for its duration (pool lock `free_lock` guards the
 * free list; a helper is owned by the one caller that took it).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "app/strip_metadata.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/proof.h"
#include "image/thumb.h"

/* Pool failures that are not the image's own verdict. Distinct from
 * enum img_error (which the pool passes through unchanged); numbers never
 * change. */
enum app_decode_error {
        APP_DECODE_E_CRASHED = -100,  /* helper died (signal, abort, out of memory) */
        APP_DECODE_E_TIMEOUT = -101,  /* wall-clock timeout; helper killed */
        APP_DECODE_E_CPU = -102,      /* RLIMIT_CPU hit (SIGXCPU) */
        APP_DECODE_E_PROTOCOL = -103, /* answer failed validation; helper killed */
        APP_DECODE_E_SPAWN = -104,    /* helper could not be started */
        APP_DECODE_E_INVALID = -105,  /* bad argument from the caller */
        _APP_DECODE_E_MIN = -106,
};

/* "crashed", "timeout", ... or img_strerror() for image codes. */
const char *app_decode_strerror(int err);
/* True when err means "this photo can't be read" because of the photo (image
 * verdicts and helper failures alike) rather than a caller bug. */
bool app_decode_error_is_photo(int err);

#define APP_DECODE_MAX_HELPERS 16
#define APP_DECODE_MAX_THUMB 2048 /* = img_thumb_spec.size maximum */

struct app_decode_config {
        int helpers;           /* pool size, 1..16, default 2 */
        int timeout_ms;        /* wall clock per request, default 10000 */
        int cpu_seconds;       /* RLIMIT_CPU per request, default 8 */
        uint64_t mem_bytes;    /* RLIMIT_AS of a helper, default 1 GiB */
        int max_requests;      /* helper restarted after this many, default 500 */
        const char *helper_path; /* NULL: $PK_DECODE_HELPER, else next to
                                    /proc/self/exe, else PK_LIBEXECDIR */
        bool test_hooks;       /* let APP_DECODE_TEST_* requests through (tests only) */
};
#define APP_DECODE_CONFIG_DEFAULT                                                         \
        {.helpers = 2, .timeout_ms = 10000, .cpu_seconds = 8, .mem_bytes = 1ull << 30,     \
         .max_requests = 500, .helper_path = NULL, .test_hooks = false}

struct app_decode_pool;

/* Start a pool (helpers are spawned lazily, on first use). `cfg` may be NULL
 * for the defaults. Returns 0 and *ret, or APP_DECODE_E_INVALID /
 * APP_DECODE_E_SPAWN (helper binary not found) with detail in err. */
int app_decode_pool_new(const struct app_decode_config *cfg, struct app_decode_pool **ret,
                        struct img_errbuf *err);
/* Stop every helper (EOF, then SIGKILL after 1 s) and free. NULL-safe;
 * returns NULL. Callers must have returned first. */
struct app_decode_pool *app_decode_pool_free(struct app_decode_pool *pool);

/* Start every helper now instead of on first use, so the first photos do not
 * wait for a helper's start-up (libvips init). The kiosk calls it at start. */
int app_decode_pool_warm(struct app_decode_pool *pool, struct img_errbuf *err);

/* img_probe_file() in a helper. IMG_PROBE_ALLOW_TIFF is refused (customer
 * files are never trusted). Returns 0 with *ret filled, an enum img_error
 * verdict, or an enum app_decode_error. */
int app_decode_probe(struct app_decode_pool *pool, const char *path, unsigned flags,
                     struct img_probe *ret, struct img_errbuf *err);
/* img_thumb_to_pixels() in a helper; *ret_px is (transfer full), free with
 * img_pixels_free. Same return codes as app_decode_probe. */
int app_decode_thumb(struct app_decode_pool *pool, const char *path,
                     const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                     struct img_thumb_info *ret_info, struct img_errbuf *err);

/* The same for a file the caller already opened and checked (read-only, a
 * regular file): app/ingest opens photos beneath the volume root with
 * O_NOFOLLOW on every component, so it hands over the fd, never a path. The
 * fd stays the caller's. */
int app_decode_probe_fd(struct app_decode_pool *pool, int fd, unsigned flags,
                        struct img_probe *ret, struct img_errbuf *err);
int app_decode_thumb_fd(struct app_decode_pool *pool, int fd,
                        const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                        struct img_thumb_info *ret_info, struct img_errbuf *err);

/* img_proof_to_pixels() in a helper: the photo is probed there (no hash)
 * and soft-proofed for `paper` (its profile, intent and BPC) into the
 * display profile (spec->display_profile, else spec->profiles_dir/sRGB.icc).
 * The pool opens the profiles (our own files) and hands every file over as a
 * descriptor, so the helper keeps no file rights. The box must fit the pixel
 * buffer (width x height x 3 <= APP_DECODE_SHM_BYTES, e.g. 1920 x 1080), and
 * the answer is refused unless its size is img_proof_fit() of the photo's
 * size (one pixel either way). ret_info's out_of_gamut is counted here from
 * the pixels, not taken from the helper. *ret_px is (transfer full), free
 * with img_pixels_free. Same return codes as app_decode_probe; a profile the
 * pool cannot open is IMG_E_UNREADABLE with its reason in err. */
int app_decode_proof(struct app_decode_pool *pool, const char *path,
                     const struct img_paper *paper, const struct img_proof_spec *spec,
                     struct img_pixels *ret_px, struct img_proof_info *ret_info,
                     struct img_errbuf *err);
int app_decode_proof_fd(struct app_decode_pool *pool, int fd, const struct img_paper *paper,
                        const struct img_proof_spec *spec, struct img_pixels *ret_px,
                        struct img_proof_info *ret_info, struct img_errbuf *err);

/* app_strip() (app/strip_metadata.c) in a helper: the photo `in_fd` (a
 * regular file of 1 .. the file-size limit bytes, read-only) is read there and
 * its stripped bytes written to `out_fd`, which must be an empty regular file
 * the caller created for writing, at offset 0 (O_WRONLY is enough: the helper
 * gets this descriptor and no path). The answer is checked like every answer
 * (the bytes it claims at most the photo's size, HEIF unchanged in length,
 * report counts in range) and against the file: its size must be the bytes
 * claimed, else APP_DECODE_E_PROTOCOL and the helper is killed. On success
 * *ret_len is the output's length and *report (may be NULL) the helper's
 * report. On any error out_fd may hold a part: the caller deletes it.
 * Returns 0, an enum img_error verdict of the stripper (IMG_E_UNSUPPORTED,
 * IMG_E_TRUNCATED, IMG_E_CORRUPT, IMG_E_EMPTY, IMG_E_FILE_TOO_LARGE, ...),
 * IMG_E_IO (output not writable) or an enum app_decode_error. Fds stay the
 * caller's. */
int app_decode_strip_fd(struct app_decode_pool *pool, int in_fd, int out_fd,
                        enum app_strip_mode mode, uint64_t *ret_len,
                        struct app_strip_report *report, struct img_errbuf *err);
/* app_strip_file() through a helper, same contract: out_path is written
 * durably (a temp file next to it, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, filled
 * by the helper, then fsync, rename, fsync of the folder); on any error,
 * a helper crash or timeout included, nothing is left at either name. */
int app_decode_strip_file(struct app_decode_pool *pool, const char *in_path,
                          const char *out_path, enum app_strip_mode mode,
                          struct app_strip_report *report, struct img_errbuf *err);

struct app_decode_stats {
        uint64_t requests, spawned, crashed, timeouts, cpu_limit, protocol_errors;
};
void app_decode_pool_stats(struct app_decode_pool *pool, struct app_decode_stats *ret);

/* Test hooks: only honoured when the pool was made with test_hooks (the
 * helper then gets PK_DECODE_TEST_HOOKS=1); otherwise APP_DECODE_E_INVALID. */
enum app_decode_test_op {
        APP_DECODE_TEST_CRASH = 1, /* helper calls abort() */
        APP_DECODE_TEST_HANG,      /* helper spins forever (wall-clock timeout) */
        APP_DECODE_TEST_MEMORY,    /* helper allocates until its memory limit */
        APP_DECODE_TEST_CPU,       /* helper burns CPU, sleeping-free (RLIMIT_CPU) */
        APP_DECODE_TEST_BAD_REPLY, /* helper answers with a malformed message */
        APP_DECODE_TEST_NETWORK,   /* helper tries socket(): seccomp kills it */
        APP_DECODE_TEST_WRITE,     /* helper tries to create a file: must fail */
};
/* Test hook for the next proof request on this pool (tests only, needs
 * test_hooks): the helper forges its answer, crashes or hangs while serving
 * it. 0, or APP_DECODE_E_INVALID without test_hooks. */
enum app_decode_proof_fault {
        APP_DECODE_PROOF_NONE = 0,
        APP_DECODE_PROOF_WIDER,       /* preview one column wider than fit + 1 */
        APP_DECODE_PROOF_HUGE,        /* preview size claiming more than the buffer */
        APP_DECODE_PROOF_STRIDE,      /* stride != width x 3 */
        APP_DECODE_PROOF_PHOTO_SIZE,  /* photo size inconsistent with the preview */
        APP_DECODE_PROOF_CRASH,       /* abort() after decoding, before answering */
        APP_DECODE_PROOF_HANG,        /* sleep forever after decoding */
        _APP_DECODE_PROOF_FAULT_MAX,
};
int app_decode_pool_fault_next_proof(struct app_decode_pool *pool,
                                     enum app_decode_proof_fault how);
/* Test hook for the next strip request on this pool (tests only, needs
 * test_hooks). */
enum app_decode_strip_fault {
        APP_DECODE_STRIP_NONE = 0,
        APP_DECODE_STRIP_CRASH,      /* half the output written, then abort() */
        APP_DECODE_STRIP_HANG,       /* half the output written, then sleep forever */
        APP_DECODE_STRIP_SHORT,      /* half written, all claimed */
        APP_DECODE_STRIP_CLAIM_MORE, /* claims more bytes than the photo has */
        APP_DECODE_STRIP_FLOOD,      /* writes past the file-size limit (RLIMIT_FSIZE) */
        _APP_DECODE_STRIP_FAULT_MAX,
};
int app_decode_pool_fault_next_strip(struct app_decode_pool *pool,
                                     enum app_decode_strip_fault how);
int app_decode_test(struct app_decode_pool *pool, enum app_decode_test_op op,
                    struct img_errbuf *err);

/* The pid of helper `i`, or 0 when not running (tests check restarts). */
int app_decode_pool_helper_pid(struct app_decode_pool *pool, int i);
