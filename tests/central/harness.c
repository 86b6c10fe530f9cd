/* pk-central test harness (see harness.h). The server's port comes from its
 * --port-file (PORT 0), so harnesses in parallel tests never collide. */
#include "tests/central/harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sync/sign.h"
#include "tests/testutil.h"

#ifndef PK_CENTRAL_BIN
#define PK_CENTRAL_BIN "pk-central"
#endif

struct pc_harness {
        pid_t pid;
        unsigned port;
        char *dir, *data_dir, url[64];
        struct buf {
                char *p;
                size_t n;
        } last_headers;
};

void pc_harness_key(int n, uint8_t out[32])
{
        for (int i = 0; i < 32; i++)
                out[i] = (uint8_t)((n == 2 ? 32 : 0) + i);
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
        nanosleep(&ts, NULL);
}

struct pc_harness *pc_harness_start(const char *const *extra_args)
{
        struct pc_harness *h = calloc(1, sizeof(*h));
        const char *bin = getenv("PK_CENTRAL") ? getenv("PK_CENTRAL") : PK_CENTRAL_BIN;
        char k1[80], k2[80], hex[65], *port_file = NULL, *log = NULL;
        uint8_t key[32];
        const char *argv[64];
        int argc = 0;

        if (!h)
                return NULL;
        h->dir = pk_test_mkdtemp("pk-central");
        if (!h->dir)
                goto fail;
        h->data_dir = pk_test_strdupf("%s/data", h->dir);
        port_file = pk_test_strdupf("%s/port", h->dir);
        log = pk_test_strdupf("%s/server.log", h->dir);
        pc_harness_key(1, key);
        sync_hex_encode(key, 32, hex);
        snprintf(k1, sizeof(k1), "k1:%s", hex);
        pc_harness_key(2, key);
        sync_hex_encode(key, 32, hex);
        snprintf(k2, sizeof(k2), "k2:%s", hex);
        argv[argc++] = bin;
        argv[argc++] = "--listen";
        argv[argc++] = "127.0.0.1:0";
        argv[argc++] = "--data";
        argv[argc++] = h->data_dir;
        argv[argc++] = "--kiosk";
        argv[argc++] = k1;
        argv[argc++] = "--kiosk";
        argv[argc++] = k2;
        argv[argc++] = "--port-file";
        argv[argc++] = port_file;
        for (int i = 0; extra_args && extra_args[i] && argc < 62; i++)
                argv[argc++] = extra_args[i];
        argv[argc] = NULL;
        h->pid = fork();
        if (h->pid < 0)
                goto fail;
        if (h->pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        dup2(fd, 2);
                        dup2(fd, 1);
                }
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        for (int i = 0; i < 1000; i++) { /* up to 20 s: ASan start-up is slow */
                char *txt = pk_test_read_file(port_file, NULL);
                if (txt) {
                        char *end = NULL;
                        long p = strtol(txt, &end, 10);
                        int whole = end && *end == '\n'; /* written atomically, but be sure */
                        free(txt);
                        if (p > 0 && p < 65536 && whole) {
                                h->port = (unsigned)p;
                                break;
                        }
                }
                if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
                        h->pid = 0;
                        break;
                }
                sleep_ms(20);
        }
        if (!h->port) {
                char *txt = pk_test_read_file(log, NULL);
                fprintf(stderr, "pk-central did not start (%s): %s\n", bin, txt ? txt : "");
                free(txt);
                goto fail;
        }
        snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%u", h->port);
        free(port_file);
        free(log);
        return h;
fail:
        free(port_file);
        free(log);
        pc_harness_stop(h);
        return NULL;
}

unsigned pc_harness_port(const struct pc_harness *h)
{
        return h->port;
}

const char *pc_harness_url(const struct pc_harness *h)
{
        return h->url;
}

const char *pc_harness_data_dir(const struct pc_harness *h)
{
        return h->data_dir;
}

static size_t on_data(char *d, size_t sz, size_t nm, void *cls)
{
        struct buf *b = cls;
        size_t n = sz * nm;
        char *np = realloc(b->p, b->n + n + 1);

        if (!np)
                return 0;
        memcpy(np + b->n, d, n);
        b->p = np;
        b->n += n;
        b->p[b->n] = '\0';
        return n;
}

static int perform(struct pc_harness *h, const char *method, const char *target, const void *body,
                   size_t len, struct curl_slist *hdrs, char **ret_body, size_t *ret_len)
{
        CURL *c = curl_easy_init();
        struct buf b = {NULL, 0};
        char *url = pk_test_strdupf("%s%s", h->url, target);
        long status = -1;

        if (!c || !url) {
                free(url);
                curl_easy_cleanup(c);
                return -1;
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (strcmp(method, "HEAD") == 0)
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        if (body || strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        free(h->last_headers.p);
        h->last_headers.p = NULL;
        h->last_headers.n = 0;
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &h->last_headers);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        free(url);
        if (ret_body)
                *ret_body = b.p ? b.p : strdup("");
        else
                free(b.p);
        if (ret_len)
                *ret_len = b.n;
        return (int)status;
}

int pc_harness_request(struct pc_harness *h, const char *kiosk_id, const uint8_t key[32],
                       const char *method, const char *target, const void *body, size_t len,
                       const char *const *headers, char **ret_body, size_t *ret_len)
{
        char ts[SYNC_TIMESTAMP_LEN + 1], sig[SYNC_SIGN_HEADER_LEN + 1], line[256];
        struct curl_slist *hdrs = NULL;

        if (sync_format_timestamp(time(NULL), ts) < 0 ||
            sync_sign_header(key, method, target, ts, body, len, sig) < 0)
                return -1;
        snprintf(line, sizeof(line), "X-Kiosk-Id: %s", kiosk_id);
        hdrs = curl_slist_append(hdrs, line);
        snprintf(line, sizeof(line), "X-Timestamp: %s", ts);
        hdrs = curl_slist_append(hdrs, line);
        snprintf(line, sizeof(line), "X-Signature: %s", sig);
        hdrs = curl_slist_append(hdrs, line);
        for (int i = 0; headers && headers[i] && i < 32; i++)
                hdrs = curl_slist_append(hdrs, headers[i]);
        return perform(h, method, target, body, len, hdrs, ret_body, ret_len);
}

int pc_harness_admin(struct pc_harness *h, const char *method, const char *path, const char *body,
                     char **ret_body)
{
        return perform(h, method, path, body, body ? strlen(body) : 0, NULL, ret_body, NULL);
}

const char *pc_harness_last_header(struct pc_harness *h, const char *name, char *out, size_t outsz)
{
        size_t nl = strlen(name);
        const char *p = h->last_headers.p;

        /* Lines "Name: value\r\n"; bounded by the header block. */
        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                if (len > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
                        const char *v = p + nl + 1;
                        while (*v == ' ')
                                v++;
                        size_t vl = (size_t)(p + len - v);
                        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                                vl--;
                        snprintf(out, outsz, "%.*s", (int)vl, v);
                        return out;
                }
                p = eol ? eol + 1 : NULL;
        }
        return NULL;
}

int pc_harness_stop(struct pc_harness *h)
{
        int status = -1, rc = -1;

        if (!h)
                return -1;
        if (h->pid > 0) {
                kill(h->pid, SIGTERM);
                for (int i = 0; i < 1500; i++) { /* 30 s */
                        pid_t w = waitpid(h->pid, &status, WNOHANG);
                        if (w == h->pid || (w < 0 && errno != EINTR))
                                break;
                        sleep_ms(20);
                        if (i == 1499) {
                                kill(h->pid, SIGKILL);
                                waitpid(h->pid, &status, 0);
                        }
                }
                rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (rc != 0 && h->dir) {
                char *log = pk_test_strdupf("%s/server.log", h->dir);
                char *txt = log ? pk_test_read_file(log, NULL) : NULL;
                fprintf(stderr, "pk-central exit %d:\n%s\n", rc, txt ? txt : "");
                free(txt);
                free(log);
        }
        if (h->dir)
                pk_test_rmtree(h->dir);
        free(h->dir);
        free(h->data_dir);
        free(h->last_headers.p);
        free(h);
        return rc;
}
