/* pk-central internals: the server state shared by the HTTP front end
 * (server.c), the v1 routes (routes_v1.c), the admin routes (admin.c), the fault
 * injector (faults.c) and the SQLite store (store.c).
 * Locks: store_lock protects db, the upload/asset files and the in-progress
 * set; faults_lock protects the fault list, its hit counts and the PRNG. A
 * thread never sleeps while holding either lock. */
#pragma once
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tests/central/parse.h"

#define PC_DEFAULT_MAX_UPLOAD (256ull * 1024 * 1024) /* Tus-Max-Size */
#define PC_DEFAULT_MAX_CHUNK (8ull * 1024 * 1024)    /* one PATCH body */
#define PC_DEFAULT_UPLOAD_TTL 86400                  /* s before an unfinished upload is 410 */
#define PC_CLOCK_SKEW 300                            /* s, contract */
#define PC_PAGE_ORDERS 50                            /* pickups page, contract */
#define PC_PAGE_BYTES (512 * 1024)
#define PC_OVERSIZE_BYTES (2 * 1024 * 1024)          /* fault "oversize" body */
#define PC_MAX_KIOSKS 64
#define PC_MAX_INPROGRESS 256
#define PC_MAX_REPLY_HEADERS 10
#define PC_RETRY_AFTER_IN_PROGRESS "1"

struct pc_kiosk {
        char id[PC_MAX_ID + 1];
        uint8_t key[32];
};

enum pc_fault_action {
        PC_FAULT_NONE = 0,
        PC_FAULT_DROP_BEFORE,
        PC_FAULT_DROP_AFTER,
        PC_FAULT_STATUS,
        PC_FAULT_DELAY,
        PC_FAULT_TRUNCATE,
        PC_FAULT_TRICKLE,
        PC_FAULT_GARBAGE,
        PC_FAULT_OVERSIZE,
};

struct pc_fault {
        char route[513];
        enum pc_fault_action action;
        double p;
        int status;
        int retry_after;   /* -1: none */
        int ms;
        unsigned long hits;
};

struct pc_server {
        pthread_mutex_t store_lock;
        sqlite3 *db;
        char *data_dir, *uploads_dir, *assets_dir;
        char inprogress[PC_MAX_INPROGRESS][PC_MAX_ID + 3];

        struct pc_kiosk kiosks[PC_MAX_KIOSKS];
        size_t n_kiosks;
        uint64_t max_upload, max_chunk;
        int64_t upload_ttl;
        int64_t clock_offset;    /* s added to the real clock: Date and skew checks */

        pthread_mutex_t faults_lock;
        struct pc_fault *faults;
        size_t n_faults;
        uint64_t rng;
};

/* One HTTP request, from the URI log callback to the completion callback. */
struct pc_request {
        char *raw_target;        /* as sent, with query: what is signed */
        char *path;              /* raw_target up to '?' */
        const char *method;      /* MHD's copy, valid for the request */
        int started;
        uint8_t *body;
        size_t len, alloc, cap;  /* cap: hard limit for this route */
        int too_big;
        crypto_hash_sha256_state body_hash; /* over every byte, past the cap too */
        char body_sha[65];                  /* its hex, set when the body is complete */
        struct pc_fault fault;   /* copy of the rule that fired, action NONE if none */
        const char *kiosk_id;    /* authenticated kiosk (v1 routes) */
};

struct pc_reply {
        int status;
        char *body;              /* malloc'd, may be NULL */
        size_t len;
        const char *content_type;
        int has_fd;              /* body is len bytes of fd from fd_off (asset GET) */
        int fd;
        uint64_t fd_off;
        int nh;
        char hname[PC_MAX_REPLY_HEADERS][32];
        char hval[PC_MAX_REPLY_HEADERS][512]; /* fits the longest Upload-Metadata */
};

/* reply helpers (server.c) */
void pc_reply_header(struct pc_reply *r, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void pc_reply_json(struct pc_reply *r, int status, json_t *j); /* steals j */
void pc_reply_error(struct pc_reply *r, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void pc_sleep_ms(int ms);
/* The server's clock: real time + --clock-offset. */
time_t pc_now(const struct pc_server *s);

/* routes */
void pc_route_v1(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                 struct pc_reply *r);
void pc_route_admin(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                    struct pc_reply *r);

/* routes_v1.c, under store_lock: store a validated order (state from its
 * "state", state time from locked_at). Returns 0 or -1. */
int pc_order_insert(struct pc_server *s, const json_t *o, const char *kiosk_id, const char *body_sha);

/* faults.c */
int pc_faults_set(struct pc_server *s, const json_t *list, char *msg, size_t msgsz);
json_t *pc_faults_list(struct pc_server *s);
/* The rule that fires for this request (copied into ret), or action NONE. */
void pc_faults_pick(struct pc_server *s, const char *method, const char *path, struct pc_fault *ret);

/* store.c: all callers hold store_lock. */
int pc_store_open(struct pc_server *s, char *msg, size_t msgsz);
void pc_store_close(struct pc_server *s);
int pc_store_reset(struct pc_server *s);
void pc_stat(struct pc_server *s, char kind, const char *id, int received, int applied);
/* Prepare and bind ('s' text, 'i' int64); NULL on error. */
sqlite3_stmt *pc_sql(struct pc_server *s, const char *sql, const char *types, ...);
/* Run a statement to completion and finalize it; 0 or -1. */
int pc_sql_run(sqlite3_stmt *st);
int pc_inprogress_add(struct pc_server *s, char kind, const char *id);  /* -1 if already there or full */
void pc_inprogress_del(struct pc_server *s, char kind, const char *id);
int pc_inprogress_has(struct pc_server *s, char kind, const char *id);
/* Is this asset held (by asset_id)? */
int pc_asset_held(struct pc_server *s, const char *asset_id);
/* Paths under the data dir; malloc'd. */
char *pc_upload_path(struct pc_server *s, const char *upload_id);
char *pc_asset_path(struct pc_server *s, const char *sha256);
