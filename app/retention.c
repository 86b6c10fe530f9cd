/* app/retention: holdings report and retention purge (see retention.h for the
 * invariants). The store offers no "assets of finished orders" query, so the
 * purge walks the order list (bounded by APP_RETENTION_MAX_ORDERS) and builds,
 * in memory, the set of files still needed by any order that is not yet due.
 */
#include "app/retention.h"

#include "sync/fsutil.h"
#include "sync/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS (24LL * 3600 * 1000)
#define SPOOL_SCAN_MAX 1000000 /* files looked at in one report: far above a real spool */

static bool order_finished(enum order_state st)
{
        return st == ORDER_COLLECTED || st == ORDER_CANCELLED;
}

/* Orders, newest first, plus which of them are due. */
struct scan {
        struct store_order_summary *orders;
        size_t n;
        GHashTable *keep;   /* sha256 -> 1: needed by an order that is not due */
        GHashTable *due;    /* sha256 -> kind+1 of files referenced by due orders */
};

static void scan_done(struct scan *sc)
{
        free(sc->orders);
        if (sc->keep)
                g_hash_table_destroy(sc->keep);
        if (sc->due)
                g_hash_table_destroy(sc->due);
        memset(sc, 0, sizeof(*sc));
}

static bool is_due(const struct store_order_summary *o, int64_t cutoff)
{
        return order_finished(o->state) && o->updated_at < cutoff;
}

static void add_sha(GHashTable *t, const char *sha, int value)
{
        if (sha[0] && !g_hash_table_contains(t, sha))
                g_hash_table_insert(t, g_strdup(sha), GINT_TO_POINTER(value));
}

static int scan_orders(struct store *s, int64_t cutoff, struct scan *sc, struct store_errbuf *err)
{
        struct store_order_filter f = {.states = 0, .since_ms = 0, .limit = APP_RETENTION_MAX_ORDERS};
        int r = store_order_list(s, &f, &sc->orders, &sc->n, err);
        if (r < 0)
                return r;
        sc->keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        sc->due = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (size_t i = 0; i < sc->n; i++) {
                struct store_order *o = NULL;
                r = store_order_get(s, sc->orders[i].id, &o, err);
                if (r < 0)
                        return r;
                bool due = is_due(&sc->orders[i], cutoff);
                for (size_t k = 0; k < o->n_items; k++) {
                        const struct store_item *it = &o->items[k];
                        if (due) {
                                add_sha(sc->due, it->asset_sha256, STORE_ASSET_PHOTO + 1);
                                add_sha(sc->due, it->master_sha256, STORE_ASSET_MASTER + 1);
                        } else {
                                add_sha(sc->keep, it->asset_sha256, 1);
                                add_sha(sc->keep, it->master_sha256, 1);
                        }
                }
                store_order_free(o);
        }
        return 0;
}

/* Is PATH's folder inside DATA_DIR (both resolved)? A path we cannot resolve
 * because its folder is gone is reported through *ret_gone. */
static bool path_inside(const char *data_root, const char *path, bool *ret_gone)
{
        *ret_gone = false;
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash || strstr(path, "/../") || strcmp(slash + 1, "..") == 0 || slash[1] == '\0')
                return false;
        if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        char real[PATH_MAX];
        if (!realpath(dir, real)) {
                *ret_gone = errno == ENOENT;
                return false;
        }
        size_t n = strlen(data_root);
        return strncmp(real, data_root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* One audit row per purged order (store_audit_note: no state change). */
static int audit_purge(struct store *s, const struct store_order_summary *o, int days,
                       int64_t photos, int64_t masters, struct store_errbuf *err)
{
        char reason[160];
        snprintf(reason, sizeof reason,
                 "retention purge: %lld photo(s), %lld master(s) removed after %d day(s)",
                 (long long)photos, (long long)masters, days);
        return store_audit_note(s, o->id, "system", reason, err);
}

static int purge_order(struct store *s, const char *data_root, const struct scan *sc,
                       const struct store_order_summary *sum, int days, bool dry_run,
                       GHashTable *done, struct app_retention_result *res,
                       struct store_errbuf *err)
{
        struct store_order *o = NULL;
        int r = store_order_get(s, sum->id, &o, err);
        if (r < 0)
                return r;
        /* photos/masters: removed now and counted in the result; the audit also
         * names files of this order that an earlier order of this run removed
         * (a photo shared by two finished orders is purged once, audited on both). */
        int64_t photos = 0, masters = 0, audit_photos = 0, audit_masters = 0;
        if (!dry_run && (r = store_tx_begin(s, err)) < 0)
                goto out;
        for (size_t k = 0; k < o->n_items * 2; k++) {
                const struct store_item *it = &o->items[k / 2];
                const char *sha = (k % 2) ? it->master_sha256 : it->asset_sha256;
                if (!sha[0])
                        continue;
                gpointer prev = NULL;
                if (g_hash_table_lookup_extended(done, sha, NULL, &prev)) {
                        int purged_kind = GPOINTER_TO_INT(prev) - 1; /* -1: not purged */
                        if (purged_kind == STORE_ASSET_MASTER)
                                audit_masters++;
                        else if (purged_kind == STORE_ASSET_PHOTO)
                                audit_photos++;
                        continue;
                }
                if (g_hash_table_contains(sc->keep, sha)) {
                        g_hash_table_insert(done, g_strdup(sha), GINT_TO_POINTER(0));
                        res->kept_shared++;
                        continue;
                }
                struct store_asset a;
                r = store_asset_get(s, sha, &a, err);
                if (r == STORE_E_NOT_FOUND)
                        continue;
                if (r < 0)
                        goto rollback;
                if (a.wiped_at != 0) {
                        g_hash_table_insert(done, g_strdup(sha), GINT_TO_POINTER(0));
                        continue;
                }
                bool gone = false;
                if (!path_inside(data_root, a.path, &gone) && !gone) {
                        r = store_fail(err, STORE_E_INVALID,
                                       "asset %.16s: file is outside the data folder, not deleted",
                                       sha);
                        goto rollback;
                }
                struct stat stbuf;
                bool present = !gone && lstat(a.path, &stbuf) == 0 && S_ISREG(stbuf.st_mode);
                if (!dry_run && present) {
                        if (unlink(a.path) < 0 && errno != ENOENT) {
                                r = store_fail(err, STORE_E_IO, "deleting asset %.16s: %s", sha,
                                               strerror(errno));
                                goto rollback;
                        }
                        char dir[PATH_MAX];
                        snprintf(dir, sizeof dir, "%s", a.path);
                        char *slash = strrchr(dir, '/');
                        if (slash && slash != dir) {
                                *slash = '\0';
                                if ((r = sync_fs_fsync_dir(dir, err)) < 0)
                                        goto rollback;
                        }
                }
                if (!dry_run && (r = store_asset_mark_wiped(s, sha, err)) < 0)
                        goto rollback;
                if (present)
                        res->bytes_freed += stbuf.st_size;
                else
                        res->files_missing++;
                g_hash_table_insert(done, g_strdup(sha), GINT_TO_POINTER((int)a.kind + 1));
                if (a.kind == STORE_ASSET_MASTER)
                        masters++;
                else
                        photos++;
        }
        audit_photos += photos;
        audit_masters += masters;
        if (audit_photos + audit_masters > 0 && !dry_run &&
            (r = audit_purge(s, sum, days, audit_photos, audit_masters, err)) < 0)
                goto rollback;
        if (!dry_run && (r = store_tx_commit(s, err)) < 0)
                goto out;
        res->photos_purged += photos;
        res->masters_purged += masters;
        if (audit_photos + audit_masters > 0)
                res->orders_purged++;
        r = 0;
        goto out;
rollback:
        if (!dry_run)
                store_tx_rollback(s);
out:
        store_order_free(o);
        return r;
}

static int resolve_root(const char *data_dir, char root[PATH_MAX], struct store_errbuf *err)
{
        if (!realpath(data_dir, root))
                return store_fail(err, STORE_E_IO, "data folder: %s", strerror(errno));
        return 0;
}

static int cutoff_for(int days, int64_t now_ms, int64_t *ret, struct store_errbuf *err)
{
        if (days < 0 || days > APP_RETENTION_MAX_DAYS)
                return store_fail(err, STORE_E_INVALID, "retention days %d outside 0..%d", days,
                                  APP_RETENTION_MAX_DAYS);
        *ret = now_ms - (int64_t)days * DAY_MS;
        return 0;
}

int app_retention_purge(struct store *s, const char *data_dir, int days, int64_t now_ms,
                        bool dry_run, struct app_retention_result *ret, struct store_errbuf *err)
{
        struct app_retention_result res = {0};
        char root[PATH_MAX];
        int r = cutoff_for(days, now_ms, &res.cutoff_ms, err);
        if (r < 0 || (r = resolve_root(data_dir, root, err)) < 0)
                return r;
        struct scan sc = {0};
        GHashTable *done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        r = scan_orders(s, res.cutoff_ms, &sc, err);
        for (size_t i = 0; r == 0 && i < sc.n; i++) {
                if (!is_due(&sc.orders[i], res.cutoff_ms))
                        continue;
                res.orders_examined++;
                r = purge_order(s, root, &sc, &sc.orders[i], days, dry_run, done, &res, err);
        }
        g_hash_table_destroy(done);
        scan_done(&sc);
        if (r == 0)
                *ret = res;
        return r;
}

static bool hex64_prefix(const char *name)
{
        for (int i = 0; i < 64; i++) {
                char c = name[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        }
        return name[64] == '.' || name[64] == '\0';
}

static void scan_spool(const char *data_dir, GHashTable *referenced,
                       struct app_retention_holdings *h)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/spool", data_dir);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        struct dirent *de;
        for (int seen = 0; seen < SPOOL_SCAN_MAX && (de = readdir(d)) != NULL; seen++) {
                if (de->d_name[0] == '.')
                        continue;
                struct stat st;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                h->spool_files++;
                h->spool_bytes += st.st_size;
                int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
                if (h->oldest_spool_mtime == 0 || mt < h->oldest_spool_mtime)
                        h->oldest_spool_mtime = mt;
                char sha[65];
                if (!hex64_prefix(de->d_name)) {
                        h->spool_unreferenced++;
                        continue;
                }
                memcpy(sha, de->d_name, 64);
                sha[64] = '\0';
                if (!g_hash_table_contains(referenced, sha))
                        h->spool_unreferenced++;
        }
        closedir(d);
}

int app_retention_report(struct store *s, const char *data_dir, int days, int64_t now_ms,
                         struct app_retention_holdings *ret, struct store_errbuf *err)
{
        struct app_retention_holdings h = {0};
        int64_t cutoff = 0;
        int r = cutoff_for(days, now_ms, &cutoff, err);
        if (r < 0)
                return r;
        struct scan sc = {0};
        GHashTable *all = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        r = scan_orders(s, cutoff, &sc, err);
        for (size_t i = 0; r == 0 && i < sc.n; i++) {
                h.orders_total++;
                if (order_finished(sc.orders[i].state))
                        h.orders_finished++;
                if (h.oldest_order_at == 0 || sc.orders[i].created_at < h.oldest_order_at)
                        h.oldest_order_at = sc.orders[i].created_at;
        }
        if (r == 0) {
                GHashTableIter it;
                gpointer key, val;
                GHashTable *sets[2] = {sc.keep, sc.due};
                for (int k = 0; k < 2; k++) {
                        g_hash_table_iter_init(&it, sets[k]);
                        while (g_hash_table_iter_next(&it, &key, &val))
                                add_sha(all, key, 1);
                }
                g_hash_table_iter_init(&it, all);
                while (r == 0 && g_hash_table_iter_next(&it, &key, &val)) {
                        struct store_asset a;
                        int gr = store_asset_get(s, key, &a, err);
                        if (gr == STORE_E_NOT_FOUND)
                                continue;
                        if (gr < 0) {
                                r = gr;
                                break;
                        }
                        bool master = a.kind == STORE_ASSET_MASTER;
                        if (a.wiped_at) {
                                *(master ? &h.masters_wiped : &h.photos_wiped) += 1;
                                continue;
                        }
                        *(master ? &h.masters_held : &h.photos_held) += 1;
                        h.bytes_held += a.size;
                        if (h.oldest_held_at == 0 || a.created_at < h.oldest_held_at)
                                h.oldest_held_at = a.created_at;
                        if (g_hash_table_contains(sc.due, key) && !g_hash_table_contains(sc.keep, key))
                                h.due_for_purge++;
                }
        }
        if (r == 0)
                scan_spool(data_dir, all, &h);
        g_hash_table_destroy(all);
        scan_done(&sc);
        if (r == 0)
                *ret = h;
        return r;
}
