/* pk-central /admin/ routes: loopback only, unsigned, never faulted.
 * GET /admin/store, GET|POST /admin/faults, POST /admin/pickups,
 * POST /admin/reset (faults stay). */
#include "tests/central/central.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sync/sign.h"

static int from_loopback(struct MHD_Connection *c)
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;

        if (!sa)
                return 0;
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->sa_family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
        return 0;
}

static json_t *rows(struct pc_server *s, const char *sql, const char *const *names, const char *types)
{
        json_t *a = json_array();
        sqlite3_stmt *st = pc_sql(s, sql, NULL);

        while (a && st && sqlite3_step(st) == SQLITE_ROW) {
                json_t *o = json_object();
                for (int i = 0; names[i]; i++) {
                        if (types[i] == 'i')
                                json_object_set_new(o, names[i], json_integer(sqlite3_column_int64(st, i)));
                        else
                                json_object_set_new(o, names[i],
                                                    json_string((const char *)sqlite3_column_text(st, i)));
                }
                json_array_append_new(a, o);
        }
        sqlite3_finalize(st);
        return a;
}

static void store_get(struct pc_server *s, struct pc_reply *r)
{
        static const char *const on[] = {"order_id", "kiosk_id", "state", "sha256", "received",
                                         "applied", NULL};
        static const char *const en[] = {"event_id", "order_id", "type", "at", "sha256",
                                         "received", "applied", NULL};
        static const char *const an[] = {"asset_id", "sha256", "size", "kind", "received",
                                         "applied", NULL};
        json_t *j;

        pthread_mutex_lock(&s->store_lock);
        j = json_pack("{s:o, s:o, s:o}", "orders",
                      rows(s,
                           "SELECT o.order_id, o.kiosk_id, o.state, o.sha256, coalesce(t.received, 0),"
                           " coalesce(t.applied, 0) FROM orders o LEFT JOIN stats t"
                           " ON t.kind = 'o' AND t.id = o.order_id ORDER BY o.seq",
                           on, "ssssii"),
                      "events",
                      rows(s,
                           "SELECT e.event_id, e.order_id, e.type, e.at, e.sha256, coalesce(t.received, 0),"
                           " coalesce(t.applied, 0) FROM events e LEFT JOIN stats t"
                           " ON t.kind = 'e' AND t.id = e.event_id ORDER BY e.seq",
                           en, "sssssii"),
                      "assets",
                      rows(s,
                           "SELECT a.asset_id, a.sha256, a.size, a.kind, coalesce(t.received, 0),"
                           " coalesce(t.applied, 0) FROM assets a LEFT JOIN stats t"
                           " ON t.kind = 'a' AND t.id = a.sha256 ORDER BY a.rowid",
                           an, "ssisii"));
        pthread_mutex_unlock(&s->store_lock);
        pc_reply_json(r, 200, j);
}

static json_t *body_json(struct pc_request *q)
{
        if (!q->body || q->too_big)
                return NULL;
        return json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, NULL);
}

static void pickup_place(struct pc_server *s, struct pc_request *q, struct pc_reply *r)
{
        json_t *j = body_json(q), *o;
        const char *kid, *ch, *oid, *miss = NULL;
        char msg[256], sha[65];
        sqlite3_stmt *st;

        kid = json_string_value(json_object_get(j, "kiosk_id"));
        o = json_object_get(j, "order");
        if (!kid || !pc_id_ok(kid) || !json_is_object(o)) {
                pc_reply_error(r, 422, "invalid-order", "want {\"kiosk_id\":...,\"order\":{...}}");
                goto out;
        }
        if (!json_object_get(o, "state"))
                json_object_set_new(o, "state", json_string("queued"));
        if (!json_object_get(o, "kiosk_id"))
                json_object_set_new(o, "kiosk_id", json_string(kid));
        if (pc_validate_order(o, msg, sizeof(msg)) < 0) {
                pc_reply_error(r, 422, "invalid-order", "%s", msg);
                goto out;
        }
        ch = json_string_value(json_object_get(o, "channel"));
        if (strcmp(ch, "app") != 0 || strcmp(json_string_value(json_object_get(o, "kiosk_id")), kid) != 0) {
                pc_reply_error(r, 422, "invalid-order", "a pickup order has channel app and this kiosk_id");
                goto out;
        }
        oid = json_string_value(json_object_get(o, "order_id"));
        pthread_mutex_lock(&s->store_lock);
        st = pc_sql(s, "SELECT 1 FROM orders WHERE order_id = ?1", "s", oid);
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                pc_reply_error(r, 409, "order-exists", "order_id already used");
        } else {
                const json_t *items = json_object_get(o, "items");
                for (size_t i = 0; !miss && i < json_array_size(items); i++) {
                        const json_t *it = json_array_get(items, i);
                        const char *a = json_string_value(json_object_get(it, "asset_id"));
                        const char *m = json_string_value(json_object_get(it, "master_asset_id"));
                        if (a && !pc_asset_held(s, a))
                                miss = a;
                        else if (m && !pc_asset_held(s, m))
                                miss = m;
                }
                if (miss) {
                        pc_reply_error(r, 422, "missing-asset", "asset %s is not held; upload it first", miss);
                } else {
                        char *txt = json_dumps(o, JSON_COMPACT);
                        sync_sha256_hex(txt ? txt : "", txt ? strlen(txt) : 0, sha);
                        free(txt);
                        if (pc_order_insert(s, o, kid, sha) < 0) {
                                pc_reply_error(r, 500, "storage", "cannot store order");
                        } else {
                                pc_stat(s, 'o', oid, 1, 1);
                                pc_reply_json(r, 201, json_incref(o));
                        }
                }
        }
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->store_lock);
out:
        json_decref(j);
}

void pc_route_admin(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                    struct pc_reply *r)
{
        const char *p = q->path, *m = q->method;
        char msg[256];

        if (!from_loopback(c)) {
                pc_reply_error(r, 403, "loopback-only", "admin endpoints answer loopback only");
                return;
        }
        if (strcmp(p, "/admin/store") == 0 && strcmp(m, "GET") == 0) {
                store_get(s, r);
        } else if (strcmp(p, "/admin/faults") == 0 && strcmp(m, "GET") == 0) {
                pc_reply_json(r, 200, pc_faults_list(s));
        } else if (strcmp(p, "/admin/faults") == 0 && strcmp(m, "POST") == 0) {
                json_t *j = body_json(q);
                if (!j || pc_faults_set(s, j, msg, sizeof(msg)) < 0)
                        pc_reply_error(r, 400, "invalid-faults", "%s", j ? msg : "body is not JSON");
                else
                        pc_reply_json(r, 200, pc_faults_list(s));
                json_decref(j);
        } else if (strcmp(p, "/admin/pickups") == 0 && strcmp(m, "POST") == 0) {
                pickup_place(s, q, r);
        } else if (strcmp(p, "/admin/reset") == 0 && strcmp(m, "POST") == 0) {
                int rc;
                pthread_mutex_lock(&s->store_lock);
                rc = pc_store_reset(s);
                pthread_mutex_unlock(&s->store_lock);
                if (rc < 0)
                        pc_reply_error(r, 500, "storage", "reset failed");
                else
                        pc_reply_json(r, 200, json_pack("{s:b}", "reset", 1));
        } else {
                pc_reply_error(r, 404, "not-found", "no such admin route");
        }
}
