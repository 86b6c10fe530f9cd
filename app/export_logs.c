/* app/export_logs: the support bundle (see export_logs.h for what it holds and
 * what it must never hold). */
#include "app/export_logs.h"

#include "app/doctor.h"
#include "app/retention.h"
#include "sync/fsutil.h"
#include "sync/outbox.h"
#include "sync/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *const kiosk_units[] = {
        "printkiosk.service", "printkiosk-sync.service", "printkiosk-retention.service",
};
/* Fields a support engineer needs; everything else (command lines, custom
 * fields, environment) is left out because it could carry customer data. */
#define JOURNAL_FIELDS                                                                  \
        "MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_SYSTEMD_UNIT,UNIT,_PID,_COMM,_BOOT_ID,"    \
        "_TRANSPORT,CODE_FUNC,ERRNO,EXIT_STATUS,EXIT_CODE,INVOCATION_ID"

static bool secret_key(const char *k, size_t n)
{
        static const char *const words[] = {"secret", "key", "pin", "password", "passwd", "token",
                                            "hash"};
        char low[128];
        if (n >= sizeof low)
                n = sizeof low - 1;
        for (size_t i = 0; i < n; i++)
                low[i] = (char)tolower((unsigned char)k[i]);
        low[n] = '\0';
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
                if (strstr(low, words[i]))
                        return true;
        return false;
}

char *app_export_redact_config(const char *text, size_t len)
{
        /* Worst case every line grows by "<redacted>". */
        size_t cap = len * 2 + 64;
        char *out = malloc(cap);
        if (!out)
                return NULL;
        size_t o = 0;
        const char *p = text, *end = text + len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *eq = memchr(p, '=', (size_t)(le - p));
                const char *ks = p;
                while (ks < le && (*ks == ' ' || *ks == '\t'))
                        ks++;
                bool comment = ks < le && (*ks == '#' || *ks == ';' || *ks == '[');
                if (eq && !comment) {
                        const char *ke = eq;
                        while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
                                ke--;
                        if (secret_key(ks, (size_t)(ke - ks))) {
                                size_t kl = (size_t)(eq - p) + 1;
                                memcpy(out + o, p, kl);
                                o += kl;
                                memcpy(out + o, " <redacted>", 11);
                                o += 11;
                                goto next;
                        }
                }
                memcpy(out + o, p, (size_t)(le - p));
                o += (size_t)(le - p);
        next:
                if (nl)
                        out[o++] = '\n';
                p = nl ? nl + 1 : end;
        }
        out[o] = '\0';
        return out;
}

static int write_text(const char *dir, const char *name, const char *text,
                      struct app_export_result *res, json_t *files, struct store_errbuf *err)
{
        size_t len = strlen(text);
        int r = sync_fs_write_atomic(dir, name, text, len, 0600, err);
        if (r < 0)
                return r;
        res->files++;
        res->bytes += (int64_t)len;
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(name));
        json_object_set_new(f, "bytes", json_integer((json_int_t)len));
        json_array_append_new(files, f);
        return 0;
}

static int write_json(const char *dir, const char *name, json_t *v, struct app_export_result *res,
                      json_t *files, struct store_errbuf *err)
{
        char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!s)
                return store_fail(err, STORE_E_IO, "out of memory");
        size_t l = strlen(s);
        char *t = realloc(s, l + 2);
        if (!t) {
                free(s);
                return store_fail(err, STORE_E_IO, "out of memory");
        }
        t[l] = '\n';
        t[l + 1] = '\0';
        int r = write_text(dir, name, t, res, files, err);
        free(t);
        return r;
}

/* journalctl into DIR/.journal.tmp, then fsync + rename. Returns 0 when the
 * file was written; *ret_ok says whether journalctl itself succeeded. */
static int export_journal(const struct app_export_opts *o, const char *dir, bool *ret_ok,
                          json_t *info, struct app_export_result *res, json_t *files,
                          struct store_errbuf *err)
{
        char tmp[4200], final[4200];
        snprintf(tmp, sizeof tmp, "%s/.journal.export.tmp", dir);
        snprintf(final, sizeof final, "%s/journal.export", dir);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "%s: %s", tmp, strerror(errno));
        char lines[32];
        snprintf(lines, sizeof lines, "--lines=%d", APP_EXPORT_JOURNAL_LINES);
        const char *jc = o->journalctl ? o->journalctl : "journalctl";
        char *argv[16];
        int a = 0;
        argv[a++] = (char *)jc;
        argv[a++] = (char *)"--no-pager";
        argv[a++] = (char *)"--output=export";
        argv[a++] = (char *)"--output-fields=" JOURNAL_FIELDS;
        argv[a++] = lines;
        for (size_t i = 0; i < sizeof kiosk_units / sizeof kiosk_units[0]; i++) {
                argv[a++] = (char *)"-u";
                argv[a++] = (char *)kiosk_units[i];
        }
        argv[a] = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        pid_t pid;
        int sr = posix_spawnp(&pid, jc, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        int status = 0;
        if (sr == 0)
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        *ret_ok = sr == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        json_object_set_new(info, "journal_ok", json_boolean(*ret_ok));
        if (sr != 0)
                json_object_set_new(info, "journal_error", json_string(strerror(sr)));
        else if (!*ret_ok)
                json_object_set_new(info, "journal_error", json_string("journalctl failed"));
        struct stat st;
        int r = 0;
        if (fstat(fd, &st) < 0 || fsync(fd) < 0)
                r = store_fail(err, STORE_E_IO, "journal: %s", strerror(errno));
        close(fd);
        if (r == 0 && st.st_size > APP_EXPORT_JOURNAL_MAX_BYTES && truncate(tmp, APP_EXPORT_JOURNAL_MAX_BYTES) < 0)
                r = store_fail(err, STORE_E_IO, "journal: %s", strerror(errno));
        if (r == 0 && rename(tmp, final) < 0)
                r = store_fail(err, STORE_E_IO, "journal: %s", strerror(errno));
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        res->files++;
        res->bytes += st.st_size;
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string("journal.export"));
        json_object_set_new(f, "bytes", json_integer(st.st_size));
        json_array_append_new(files, f);
        return sync_fs_fsync_dir(dir, err);
}

static json_t *store_stats(const struct app_export_opts *o)
{
        json_t *j = json_object();
        struct store_errbuf err = {{0}};
        struct store *s = NULL;
        int r = store_open(o->data_dir, &s, &err);
        if (r < 0) {
                json_object_set_new(j, "error", json_string(err.msg));
                return j;
        }
        json_object_set_new(j, "schema_version", json_integer(store_schema_version(s)));
        struct store_order_filter f = {.limit = 10000};
        struct store_order_summary *orders = NULL;
        size_t n = 0;
        if (store_order_list(s, &f, &orders, &n, &err) == 0) {
                json_t *by = json_object();
                for (size_t i = 0; i < n; i++) {
                        const char *name = store_order_state_name(orders[i].state);
                        json_t *v = json_object_get(by, name);
                        json_object_set_new(by, name, json_integer(v ? json_integer_value(v) + 1 : 1));
                }
                json_object_set_new(j, "orders_by_state", by);
                json_object_set_new(j, "orders", json_integer((json_int_t)n));
                free(orders);
        }
        struct store_outbox_stats os;
        if (store_outbox_stats(s, &os, &err) == 0)
                json_object_set_new(j, "outbox",
                                    json_pack("{sIsIsIsIsi}", "pending", (json_int_t)os.pending,
                                              "sent", (json_int_t)os.sent, "dead",
                                              (json_int_t)os.dead, "oldest_pending_at",
                                              (json_int_t)os.oldest_pending_at, "max_attempts",
                                              os.max_attempts));
        struct app_retention_holdings h;
        if (app_retention_report(s, o->data_dir, 0, store_now_ms(s), &h, &err) == 0)
                json_object_set_new(
                        j, "held",
                        json_pack("{sIsIsIsIsIsI}", "photos", (json_int_t)h.photos_held, "masters",
                                  (json_int_t)h.masters_held, "bytes", (json_int_t)h.bytes_held,
                                  "oldest_at", (json_int_t)h.oldest_held_at, "spool_files",
                                  (json_int_t)h.spool_files, "spool_unreferenced",
                                  (json_int_t)h.spool_unreferenced));
        store_close(s);
        return j;
}

static int prepare_dir(const char *dir, struct store_errbuf *err)
{
        struct stat st;
        if (stat(dir, &st) < 0) {
                if (errno != ENOENT)
                        return store_fail(err, STORE_E_IO, "%s: %s", dir, strerror(errno));
                return sync_fs_mkdir_p(dir, 0700, err);
        }
        if (!S_ISDIR(st.st_mode))
                return store_fail(err, STORE_E_INVALID, "%s is not a folder", dir);
        DIR *d = opendir(dir);
        if (!d)
                return store_fail(err, STORE_E_IO, "%s: %s", dir, strerror(errno));
        struct dirent *de;
        int entries = 0;
        while ((de = readdir(d)) != NULL && entries == 0)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        entries++;
        closedir(d);
        if (entries)
                return store_fail(err, STORE_E_INVALID, "%s is not empty", dir);
        return 0;
}

int app_export_logs(const struct app_export_opts *o, const char *out_dir,
                    struct app_export_result *ret, struct store_errbuf *err)
{
        struct app_export_result res = {0};
        int r = prepare_dir(out_dir, err);
        if (r < 0)
                return r;
        json_t *files = json_array();
        json_t *manifest = json_object();
        json_object_set_new(manifest, "printkiosk", json_string(PK_VERSION));
        time_t now = time(NULL);
        json_object_set_new(manifest, "created_at", json_integer((json_int_t)now));

        bool jok = false;
        r = export_journal(o, out_dir, &jok, manifest, &res, files, err);
        res.journal_ok = jok;

        if (r == 0) {
                json_t *st = store_stats(o);
                r = write_json(out_dir, "store.json", st, &res, files, err);
                json_decref(st);
        }
        if (r == 0 && o->config_path) {
                char *text = NULL;
                size_t len = 0;
                struct store_errbuf rerr = {{0}};
                if (sync_fs_read_small(o->config_path, APP_EXPORT_CONFIG_MAX_BYTES, &text, &len,
                                       &rerr) == 0) {
                        char *red = app_export_redact_config(text, len);
                        free(text);
                        if (!red)
                                r = store_fail(err, STORE_E_IO, "out of memory");
                        else
                                r = write_text(out_dir, "config.ini", red, &res, files, err);
                        free(red);
                } else {
                        json_object_set_new(manifest, "config_error", json_string(rerr.msg));
                }
        }
        if (r == 0) {
                struct app_doctor_opts d = {.config_path = o->config_path,
                                            .data_dir = o->data_dir,
                                            .cups_server = o->cups_server,
                                            .skip_printers = o->skip_printers};
                json_t *checks = NULL;
                res.doctor_status = (int)app_doctor_run(&d, &checks);
                size_t cap = 0, used = 0;
                char *buf = NULL;
                size_t i;
                json_t *c;
                json_array_foreach(checks, i, c) {
                        char *line = json_dumps(c, JSON_COMPACT);
                        size_t l = line ? strlen(line) : 0;
                        if (line && used + l + 2 > cap) {
                                size_t ncap = (used + l + 2) * 2;
                                char *nb = realloc(buf, ncap);
                                if (nb) {
                                        buf = nb;
                                        cap = ncap;
                                }
                        }
                        if (line && used + l + 2 <= cap) {
                                memcpy(buf + used, line, l);
                                used += l;
                                buf[used++] = '\n';
                                buf[used] = '\0';
                        }
                        free(line);
                }
                json_decref(checks);
                r = write_text(out_dir, "doctor.jsonl", buf ? buf : "", &res, files, err);
                free(buf);
        }
        if (r == 0) {
                /* Hash what was written so support can tell a damaged bundle. */
                size_t i;
                json_t *f;
                json_array_foreach(files, i, f) {
                        char path[4200], sha[65];
                        snprintf(path, sizeof path, "%s/%s", out_dir,
                                 json_string_value(json_object_get(f, "name")));
                        if (sync_fs_sha256_file(path, sha, NULL, NULL) == 0)
                                json_object_set_new(f, "sha256", json_string(sha));
                }
                json_object_set(manifest, "files", files);
                r = write_json(out_dir, "manifest.json", manifest, &res, files, err);
        }
        json_decref(files);
        json_decref(manifest);
        if (r == 0)
                *ret = res;
        return r;
}
