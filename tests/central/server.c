/* pk-central: the reference central order API server (contract:
 * ../shared/api/central-order-api.md). This file holds the command line, the
 * libmicrohttpd daemon (one thread per connection, so a delayed or trickled
 * answer blocks only its own connection), body accumulation with hard caps,
 * and the send stage where the fault that fired for a request mangles its
 * answer. Routes live in routes_v1.c and admin.c, the store in store.c.
 * Shutdown: SIGTERM/SIGINT are taken by sigwait() in main, which stops the
 * daemon and frees everything (LeakSanitizer runs clean). */
#include "tests/central/central.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sync/sign.h"

void pc_sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

time_t pc_now(const struct pc_server *s)
{
        return time(NULL) + (time_t)s->clock_offset;
}

void pc_reply_header(struct pc_reply *r, const char *name, const char *fmt, ...)
{
        va_list ap;

        if (r->nh >= PC_MAX_REPLY_HEADERS)
                return;
        snprintf(r->hname[r->nh], sizeof(r->hname[0]), "%s", name);
        va_start(ap, fmt);
        vsnprintf(r->hval[r->nh], sizeof(r->hval[0]), fmt, ap);
        va_end(ap);
        r->nh++;
}

void pc_reply_json(struct pc_reply *r, int status, json_t *j)
{
        free(r->body);
        r->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        r->len = r->body ? strlen(r->body) : 0;
        r->status = r->body || !j ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
        r->content_type = "application/json";
        json_decref(j);
}

void pc_reply_error(struct pc_reply *r, int status, const char *code, const char *fmt, ...)
{
        char m[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m, sizeof(m), fmt, ap);
        va_end(ap);
        pc_reply_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", m));
}

/* ---- fault-shaped bodies ---- */

struct slow_body {
        char *data;
        size_t len;        /* bytes we will really send */
        int pieces, ms;    /* trickle: pieces over ms */
};

static ssize_t slow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct slow_body *b = cls;
        size_t piece, n;

        if (pos >= b->len)
                return MHD_CONTENT_READER_END_WITH_ERROR; /* truncate: close early */
        piece = b->pieces > 1 ? (b->len + (size_t)b->pieces - 1) / (size_t)b->pieces : b->len;
        n = b->len - (size_t)pos;
        if (n > piece)
                n = piece;
        if (n > max)
                n = max;
        if (b->pieces > 1 && b->ms > 0)
                pc_sleep_ms(b->ms / b->pieces);
        memcpy(buf, b->data + pos, n);
        return (ssize_t)n;
}

static void slow_free(void *cls)
{
        struct slow_body *b = cls;

        free(b->data);
        free(b);
}

static char *oversize_body(size_t *ret_len)
{
        static const char head[] = "{\"padding\":\"", tail[] = "\"}";
        size_t n = PC_OVERSIZE_BYTES;
        char *b = malloc(n + 1);

        if (!b)
                return NULL;
        memcpy(b, head, sizeof(head) - 1);
        memset(b + sizeof(head) - 1, 'x', n - (sizeof(head) - 1) - (sizeof(tail) - 1));
        memcpy(b + n - (sizeof(tail) - 1), tail, sizeof(tail));
        *ret_len = n;
        return b;
}

/* Send r for q, shaped by the fault that fired. Returns what the access
 * handler returns: MHD_NO closes the connection without an answer. */
static enum MHD_Result send_reply(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                                  struct pc_reply *r)
{
        struct MHD_Response *resp = NULL;
        enum MHD_Result ret;
        char date[64];
        time_t now = pc_now(s);
        struct tm tm;

        switch (q->fault.action) {
        case PC_FAULT_DROP_AFTER:
                return MHD_NO;
        case PC_FAULT_GARBAGE: {
                const union MHD_ConnectionInfo *ci =
                        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                /* Not an HTTP status line: random bytes behind a marker. */
                uint8_t junk[256];
                memcpy(junk, "\x01\xff garbage from pk-central\r\n\x00", 28);
                randombytes_buf(junk + 28, sizeof(junk) - 28);
                if (ci)
                        (void)!send(ci->connect_fd, junk, sizeof(junk), MSG_NOSIGNAL);
                return MHD_NO;
        }
        case PC_FAULT_OVERSIZE:
                free(r->body);
                r->body = oversize_body(&r->len);
                if (!r->body)
                        r->len = 0;
                r->content_type = "application/json";
                break;
        default:
                break;
        }
        if ((q->fault.action == PC_FAULT_TRUNCATE || q->fault.action == PC_FAULT_TRICKLE) && r->len > 0) {
                struct slow_body *b = calloc(1, sizeof(*b));
                if (b) {
                        b->data = r->body;
                        r->body = NULL;
                        if (q->fault.action == PC_FAULT_TRUNCATE) {
                                b->len = r->len / 2;
                                b->pieces = 1;
                        } else {
                                b->len = r->len;
                                b->pieces = r->len < 10 ? (int)r->len : 10;
                                b->ms = q->fault.ms;
                        }
                        /* Announce the whole length, even when we send half. */
                        resp = MHD_create_response_from_callback(r->len, 1024, slow_read, b, slow_free);
                        if (!resp)
                                slow_free(b);
                }
        }
        if (!resp && r->has_fd) {
                /* Streamed from the file: MHD owns and closes the fd from here. */
                resp = MHD_create_response_from_fd_at_offset64(r->len, r->fd, r->fd_off);
                if (resp)
                        r->has_fd = 0;
        }
        if (!resp)
                resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                                       MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        if (r->content_type && r->len)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        for (int i = 0; i < r->nh; i++)
                MHD_add_response_header(resp, r->hname[i], r->hval[i]);
        /* Our own Date (MHD's is suppressed) so --clock-offset shows in it; the
         * kiosk corrects its clock from this header after a 401 clock-skew. */
        if (gmtime_r(&now, &tm) && strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_DATE, date);
        ret = MHD_queue_response(c, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* ---- MHD callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
        struct pc_request *q = calloc(1, sizeof(*q));
        const char *qm;

        if (!q)
                return NULL;
        q->raw_target = strdup(uri);
        if (!q->raw_target) {
                free(q);
                return NULL;
        }
        qm = strchr(uri, '?');
        q->path = strndup(uri, qm ? (size_t)(qm - uri) : strlen(uri));
        if (!q->path) {
                free(q->raw_target);
                free(q);
                return NULL;
        }
        return q;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
        struct pc_request *q = *con_cls;

        if (!q)
                return;
        free(q->raw_target);
        free(q->path);
        free(q->body);
        free(q);
        *con_cls = NULL;
}

static int is_tus_path(const char *path)
{
        return strncmp(path, "/v1/uploads", 11) == 0 && (path[11] == '\0' || path[11] == '/');
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        struct pc_server *s = cls;
        struct pc_request *q = *con_cls;
        struct pc_reply r;
        enum MHD_Result ret;

        if (!q)
                return MHD_NO; /* out of memory in on_uri */
        if (!q->started) {
                q->started = 1;
                q->method = method;
                crypto_hash_sha256_init(&q->body_hash);
                q->cap = (strcmp(method, "PATCH") == 0 && is_tus_path(q->path)) ? s->max_chunk
                                                                                : PC_MAX_JSON_BODY;
                if (strncmp(q->path, "/v1/", 4) == 0)
                        pc_faults_pick(s, method, q->path, &q->fault);
                if (q->fault.action == PC_FAULT_DROP_BEFORE)
                        return MHD_NO;
                return MHD_YES;
        }
        if (*upload_data_size) {
                size_t n = *upload_data_size;
                crypto_hash_sha256_update(&q->body_hash, (const uint8_t *)upload_data, n);
                if (!q->too_big && q->len + n > q->cap) {
                        q->too_big = 1;
                        free(q->body);
                        q->body = NULL;
                        q->len = q->alloc = 0;
                }
                if (!q->too_big && q->len + n > q->alloc) {
                        /* Grow geometrically, never past the cap. */
                        size_t want = q->alloc ? q->alloc : 65536;
                        while (want < q->len + n)
                                want *= 2;
                        if (want > q->cap)
                                want = q->cap;
                        uint8_t *nb = realloc(q->body, want);
                        if (!nb)
                                return MHD_NO;
                        q->body = nb;
                        q->alloc = want;
                }
                if (!q->too_big) {
                        memcpy(q->body + q->len, upload_data, n);
                        q->len += n;
                }
                *upload_data_size = 0;
                return MHD_YES;
        }

        {
                uint8_t d[32];
                crypto_hash_sha256_final(&q->body_hash, d);
                sync_hex_encode(d, sizeof(d), q->body_sha);
        }
        memset(&r, 0, sizeof(r));
        if (q->fault.action == PC_FAULT_STATUS) {
                pc_reply_error(&r, q->fault.status, "fault-injected", "injected status %d",
                               q->fault.status);
                if (q->fault.retry_after >= 0)
                        pc_reply_header(&r, MHD_HTTP_HEADER_RETRY_AFTER, "%d", q->fault.retry_after);
        } else if (strncmp(q->path, "/admin/", 7) == 0 || strcmp(q->path, "/admin") == 0) {
                pc_route_admin(s, c, q, &r);
        } else if (strncmp(q->path, "/v1/", 4) == 0) {
                pc_route_v1(s, c, q, &r);
        } else {
                pc_reply_error(&r, 404, "not-found", "no such route (the API lives under /v1/)");
        }
        if (is_tus_path(q->path))
                pc_reply_header(&r, "Tus-Resumable", "1.0.0");
        ret = send_reply(s, c, q, &r);
        if (r.has_fd)
                close(r.fd);
        free(r.body);
        return ret;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: pk-central --listen 127.0.0.1:PORT --data DIR --kiosk ID:HEXSECRET [--kiosk ...]\n"
                "                  [--faults FILE] [--seed N] [--max-upload BYTES] [--max-chunk BYTES]\n"
                "                  [--upload-ttl SECONDS] [--clock-offset [-]SECONDS] [--port-file FILE]\n"
                "PORT 0 picks a free port (written to --port-file). Loopback addresses only.\n");
}

static int parse_listen(const char *arg, struct sockaddr_in *ret)
{
        const char *colon = strrchr(arg, ':');
        char host[64];
        uint64_t port;
        struct sockaddr_in a = {.sin_family = AF_INET};

        if (!colon || (size_t)(colon - arg) >= sizeof(host))
                return -1;
        memcpy(host, arg, (size_t)(colon - arg));
        host[colon - arg] = '\0';
        if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || pc_parse_u64(colon + 1, &port) < 0 ||
            port > 65535)
                return -1;
        /* Plain HTTP is for loopback only (contract). */
        if ((ntohl(a.sin_addr.s_addr) >> 24) != 127)
                return -1;
        a.sin_port = htons((uint16_t)port);
        *ret = a;
        return 0;
}

static int add_kiosk(struct pc_server *s, const char *arg)
{
        const char *colon = strchr(arg, ':');
        struct pc_kiosk *k;

        if (!colon || s->n_kiosks >= PC_MAX_KIOSKS || (size_t)(colon - arg) > PC_MAX_ID)
                return -1;
        k = &s->kiosks[s->n_kiosks];
        memset(k, 0, sizeof(*k));
        memcpy(k->id, arg, (size_t)(colon - arg));
        if (!pc_id_ok(k->id) || sync_hex_decode_key(colon + 1, k->key) < 0)
                return -1;
        for (size_t i = 0; i < s->n_kiosks; i++)
                if (strcmp(s->kiosks[i].id, k->id) == 0)
                        return -1;
        s->n_kiosks++;
        return 0;
}

static int write_port_file(const char *path, unsigned port)
{
        size_t n = strlen(path) + 8;
        char *tmp = malloc(n), buf[16];
        int fd, len, r = -1;

        if (!tmp)
                return -1;
        snprintf(tmp, n, "%s.tmp", path);
        len = snprintf(buf, sizeof(buf), "%u\n", port);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
                if (write(fd, buf, (size_t)len) == len && fsync(fd) == 0 && close(fd) == 0)
                        r = rename(tmp, path);
                else
                        close(fd);
        }
        free(tmp);
        return r;
}

int main(int argc, char **argv)
{
        struct pc_server s;
        struct sockaddr_in addr;
        const char *listen_arg = NULL, *faults_file = NULL, *port_file = NULL;
        struct MHD_Daemon *d = NULL;
        char msg[512];
        int have_seed = 0, lfd = -1, status = 1, one = 1;
        uint64_t v, seed = 0;
        sigset_t sigs;
        socklen_t alen = sizeof(addr);

        memset(&s, 0, sizeof(s));
        pthread_mutex_init(&s.store_lock, NULL);
        pthread_mutex_init(&s.faults_lock, NULL);
        s.max_upload = PC_DEFAULT_MAX_UPLOAD;
        s.max_chunk = PC_DEFAULT_MAX_CHUNK;
        s.upload_ttl = PC_DEFAULT_UPLOAD_TTL;
        if (sodium_init() < 0) {
                fprintf(stderr, "pk-central: libsodium failed to initialise\n");
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (!a) {
                        usage(stderr);
                        return 2;
                }
                i++;
                if (strcmp(o, "--listen") == 0) {
                        listen_arg = a;
                } else if (strcmp(o, "--data") == 0) {
                        free(s.data_dir);
                        s.data_dir = strdup(a);
                } else if (strcmp(o, "--kiosk") == 0) {
                        if (add_kiosk(&s, a) < 0) {
                                fprintf(stderr, "pk-central: --kiosk wants ID:64-lowercase-hex, unique ID\n");
                                goto out;
                        }
                } else if (strcmp(o, "--faults") == 0) {
                        faults_file = a;
                } else if (strcmp(o, "--port-file") == 0) {
                        port_file = a;
                } else if (strcmp(o, "--seed") == 0 && pc_parse_u64(a, &v) == 0) {
                        seed = v;
                        have_seed = 1;
                } else if (strcmp(o, "--max-upload") == 0 && pc_parse_u64(a, &v) == 0 && v > 0) {
                        s.max_upload = v;
                } else if (strcmp(o, "--max-chunk") == 0 && pc_parse_u64(a, &v) == 0 && v > 0 &&
                           v <= (1ull << 30)) {
                        s.max_chunk = v;
                } else if (strcmp(o, "--clock-offset") == 0 &&
                           pc_parse_u64(a[0] == '-' ? a + 1 : a, &v) == 0 && v <= 10ull * 365 * 86400) {
                        s.clock_offset = a[0] == '-' ? -(int64_t)v : (int64_t)v;
                } else if (strcmp(o, "--upload-ttl") == 0 && pc_parse_u64(a, &v) == 0 && v <= INT32_MAX) {
                        s.upload_ttl = (int64_t)v;
                } else {
                        fprintf(stderr, "pk-central: bad option or value: %s %s\n", o, a);
                        usage(stderr);
                        goto out;
                }
        }
        if (!listen_arg || !s.data_dir || s.n_kiosks == 0 || parse_listen(listen_arg, &addr) < 0) {
                fprintf(stderr, "pk-central: need --listen 127.x.x.x:PORT, --data DIR and --kiosk\n");
                usage(stderr);
                goto out;
        }
        /* xorshift must not start at 0 */
        if (!have_seed)
                randombytes_buf(&seed, sizeof(seed));
        s.rng = seed ? seed : 0x9E3779B97F4A7C15ull;
        if (faults_file) {
                json_error_t je;
                json_t *list = json_load_file(faults_file, JSON_REJECT_DUPLICATES, &je);
                int fr = list ? pc_faults_set(&s, list, msg, sizeof(msg)) : -1;
                if (!list)
                        snprintf(msg, sizeof(msg), "line %d: %s", je.line, je.text);
                json_decref(list);
                if (fr < 0) {
                        fprintf(stderr, "pk-central: %s: %s\n", faults_file, msg);
                        goto out;
                }
        }
        if (pc_store_open(&s, msg, sizeof(msg)) < 0) {
                fprintf(stderr, "pk-central: %s\n", msg);
                goto out;
        }
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 64) < 0 ||
            getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
                fprintf(stderr, "pk-central: cannot listen on %s: %s\n", listen_arg, strerror(errno));
                goto out;
        }
        /* Signals: taken by sigwait below, never by the connection threads. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                     MHD_USE_ERROR_LOG | MHD_USE_SUPPRESS_DATE_NO_CLOCK,
                             0, NULL, NULL, on_request, &s, MHD_OPTION_LISTEN_SOCKET, lfd,
                             MHD_OPTION_URI_LOG_CALLBACK, on_uri, &s, MHD_OPTION_NOTIFY_COMPLETED,
                             on_done, &s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "pk-central: libmicrohttpd failed to start\n");
                goto out;
        }
        lfd = -1; /* MHD closes it */
        if (port_file && write_port_file(port_file, ntohs(addr.sin_port)) < 0) {
                fprintf(stderr, "pk-central: cannot write %s: %s\n", port_file, strerror(errno));
                goto out;
        }
        fprintf(stderr, "pk-central: listening on 127.0.0.1:%u, %zu kiosk(s)\n", ntohs(addr.sin_port),
                s.n_kiosks);
        for (;;) {
                int sig = 0;
                if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
                        break;
        }
        fprintf(stderr, "pk-central: stopping\n");
        status = 0;
out:
        if (d)
                MHD_stop_daemon(d);
        if (lfd >= 0)
                close(lfd);
        pc_store_close(&s);
        free(s.faults);
        free(s.data_dir);
        sodium_memzero(s.kiosks, sizeof(s.kiosks));
        pthread_mutex_destroy(&s.store_lock);
        pthread_mutex_destroy(&s.faults_lock);
        return status;
}
