/* app/render_sandbox: print masters rendered in a sandboxed helper process
 * (printkiosk-render, app/render/), never in the kiosk process.
 *
 * The master of an order item decodes the spool copy of a customer's photo;
 * the photo is hostile until the decoder is done with it. So the kiosk hands
 * the helper the transform record (JSON, on a pipe) and an empty temp file
 * (a descriptor), the helper sandboxes itself (app/sandbox: rlimits, Landlock
 * with read access to exactly the photo and the profiles the record names,
 * no network, seccomp) and renders with img_render_master_fd. Back here the
 * answer is checked before anything is believed: the helper's small JSON
 * result must match what the spec says (img_render_expected), the file must
 * be a PNG/TIFF of the spec's size no larger than img_render_max_bytes, and
 * the SHA-256 and size are computed here from the file, never taken from the
 * helper. Only then is the temp file fsynced and renamed to out_path (and the
 * folder fsynced).
 *
 * A crash, a wall-clock timeout (SIGKILL + reap), the CPU or memory limit or a
 * bad answer is an error for this master (the temp file removed); the kiosk
 * carries on. Thread-safe: every call has its own helper.
 */
#pragma once
#include <stdint.h>

#include "image/render.h"

struct app_render_opts {
        int timeout_ms;      /* wall clock, default APP_RENDER_TIMEOUT_MS */
        int cpu_seconds;     /* RLIMIT_CPU, default APP_RENDER_CPU_S */
        uint64_t mem_bytes;  /* RLIMIT_AS; 0 = sized from the spec (app_render_mem_for) */
        const char *helper_path; /* NULL: $PK_RENDER_HELPER, else next to
                                    /proc/self/exe, the build tree, PK_LIBEXECDIR */
        /* Tests only: the helper runs this hook instead of (or after) the
         * render; see app/render/README.md. "crash", "hang", "cpu", "memory",
         * "bad-output", "wrong-size", "files" (report which files it can
         * open; test_path is the one it must not). NULL in production. */
        const char *test_hook;
        const char *test_path;
};

#define APP_RENDER_TIMEOUT_MS 120000 /* the largest legal master takes ~1 min here */
#define APP_RENDER_CPU_S 240         /* two cores busy for the whole timeout */
#define APP_RENDER_MEM_BASE (768ull << 20) /* libraries, libvips caches, threads */
#define APP_RENDER_MEM_MAX (10ull << 30)   /* IMG_RENDER_MAX_SIDE^2 masters fit */

/* The helper's address-space limit for a (checked) spec: APP_RENDER_MEM_BASE
 * + 16 bytes per master pixel (16-bit input, transformed output, border and
 * 2-up copies) + 8 bytes per decoded source pixel after shrink-on-load,
 * capped at APP_RENDER_MEM_MAX. */
uint64_t app_render_mem_for(const struct img_render_spec *spec);

/* img_render_master() in a sandboxed helper: same bytes (the helper runs the
 * same pipeline), same contract: out_path written durably, *ret filled (its
 * sha256 and bytes computed here). flags as img_render_master
 * (IMG_RENDER_VERIFY: the helper checks input and library versions).
 * Errors: the helper's own verdict (enum img_error) passed through; helper
 * crashed or killed by its sandbox: IMG_E_CORRUPT; timed out or over its CPU
 * limit: IMG_E_CORRUPT ("timed out"/"CPU limit" in err); out of memory:
 * IMG_E_TOO_MANY_PIXELS; answer or file refused, helper missing or not
 * started: IMG_E_INTERNAL; writing the master: IMG_E_IO. On error nothing is
 * left at out_path's temp name. */
int app_render_master_sandboxed(const struct img_render_spec *spec, const char *out_path,
                                unsigned flags, struct img_render_result *ret,
                                struct img_errbuf *err);
/* The same with options (NULL = defaults). */
int app_render_master_sandboxed_opts(const struct img_render_spec *spec, const char *out_path,
                                     unsigned flags, const struct app_render_opts *opts,
                                     struct img_render_result *ret, struct img_errbuf *err);

/* The helper's descriptors (shared with app/render/render_helper_main.c). */
#define APP_RENDER_FD_RECORD 3 /* read: the transform record, then EOF */
#define APP_RENDER_FD_OUT 4    /* read-write: the empty temp file for the master */
#define APP_RENDER_FD_RESULT 5 /* write: one JSON object, then exit */
#define APP_RENDER_RESULT_MAX 4096
