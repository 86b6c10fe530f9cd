/* pk-central test harness for C tests (link pk_central_harness): starts the
 * reference server on a free loopback port in a fresh temp dir, makes signed
 * and admin requests with libcurl + sync/sign, and stops it with SIGTERM.
 * Kiosks "k1" (key bytes 0x00..0x1f) and "k2" (0x20..0x3f) are always
 * configured. Callers must stop every harness they start, on every path.
 * Link it into a pk_test() executable: it uses tests/testutil.c from there. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct pc_harness;

/* Key of test kiosk n (1 or 2). */
void pc_harness_key(int n, uint8_t out[32]);

/* Start pk-central (path from $PK_CENTRAL, else the build tree's) with extra
 * arguments (NULL-terminated list, may be NULL). NULL on failure (the reason
 * goes to stderr). */
struct pc_harness *pc_harness_start(const char *const *extra_args);
unsigned pc_harness_port(const struct pc_harness *h);
/* "http://127.0.0.1:PORT", no trailing slash. */
const char *pc_harness_url(const struct pc_harness *h);
/* The server's --data directory. */
const char *pc_harness_data_dir(const struct pc_harness *h);

/* Signed request as kiosk_id with key. headers: NULL-terminated "Name: value"
 * list or NULL. Returns the HTTP status, or -1 on a transport error.
 * *ret_body (if ret_body) gets the malloc'd, NUL-terminated answer body. */
int pc_harness_request(struct pc_harness *h, const char *kiosk_id, const uint8_t key[32],
                       const char *method, const char *target, const void *body, size_t len,
                       const char *const *headers, char **ret_body, size_t *ret_len);
/* Unsigned admin request (body may be NULL). Same returns. */
int pc_harness_admin(struct pc_harness *h, const char *method, const char *path, const char *body,
                     char **ret_body);

/* Value of a header in the last answer this harness received (copied into
 * out, trimmed), or NULL. One request at a time per harness for this. */
const char *pc_harness_last_header(struct pc_harness *h, const char *name, char *out, size_t outsz);

/* SIGTERM, wait (killing after 30 s), remove the temp dir, free h.
 * Returns the exit status: 0 for a clean stop (also no sanitizer report). */
int pc_harness_stop(struct pc_harness *h);
