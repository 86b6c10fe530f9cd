/* drivers/network: connectivity watcher (see network.h).
 * Invariants: one watcher thread per struct drv_net; `lock` protects online and
 * stop; the thread sleeps on `cond` between probes (stop wakes it at once); the
 * NM backend's GLib objects live only on its own thread and main context. */
#include "drivers/network.h"

#include <curl/curl.h>
#include <NetworkManager.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct drv_net {
        struct drv_net_config cfg;
        enum drv_net_backend backend;
        char *probe_url, *ca_bundle;
        pthread_mutex_t lock;         /* protects online, stop, nm_ready, nm_ok */
        pthread_cond_t cond;
        bool online, stop, running;
        bool nm_ready, nm_ok;
        GMainContext *nm_ctx;         /* NM thread only (and wakeup from free) */
        GMainLoop *nm_loop;
        pthread_t thread;
};

static void set_state(struct drv_net *n, bool online)
{
        bool changed;
        pthread_mutex_lock(&n->lock);
        changed = n->online != online;
        n->online = online;
        pthread_mutex_unlock(&n->lock);
        if (changed && n->cfg.on_change)
                n->cfg.on_change(n->cfg.ud, online);
}

/* ---- probe ------------------------------------------------------------------ */

static size_t discard(char *p, size_t s, size_t nm, void *ud)
{
        (void)p;
        (void)ud;
        return s * nm;
}

static bool probe_once(struct drv_net *n, CURL *c)
{
        long status = 0;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, n->probe_url);
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)DRV_NET_PROBE_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)DRV_NET_PROBE_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        if (n->ca_bundle)
                curl_easy_setopt(c, CURLOPT_CAINFO, n->ca_bundle);
        if (curl_easy_perform(c) != CURLE_OK)
                return false;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        return status >= 100;
}

static void *probe_main(void *arg)
{
        struct drv_net *n = arg;
        CURL *c = curl_easy_init();
        int interval = n->cfg.probe_interval_ms > 0 ? n->cfg.probe_interval_ms : DRV_NET_PROBE_INTERVAL_MS;
        int maxi = n->cfg.probe_max_interval_ms > 0 ? n->cfg.probe_max_interval_ms : DRV_NET_PROBE_MAX_INTERVAL_MS;
        int wait = interval;

        for (;;) {
                bool up = c ? probe_once(n, c) : false;
                set_state(n, up);
                /* online: steady interval; offline: back off, up to the ceiling */
                wait = up ? interval : (wait * 2 > maxi ? maxi : wait * 2);
                if (!up && wait < interval)
                        wait = interval;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += wait / 1000;
                ts.tv_nsec += (long)(wait % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_mutex_lock(&n->lock);
                while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock, &ts) == 0)
                        ;
                bool stop = n->stop;
                pthread_mutex_unlock(&n->lock);
                if (stop)
                        break;
        }
        if (c)
                curl_easy_cleanup(c);
        return NULL;
}

/* ---- NetworkManager ------------------------------------------------------------ */

static bool nm_full(NMClient *cl)
{
        return nm_client_get_connectivity(cl) == NM_CONNECTIVITY_FULL;
}

static void on_connectivity(GObject *obj, GParamSpec *ps, gpointer ud)
{
        (void)ps;
        set_state(ud, nm_full(NM_CLIENT(obj)));
}

static gboolean nm_check_stop(gpointer ud)
{
        struct drv_net *n = ud;
        bool stop;
        pthread_mutex_lock(&n->lock);
        stop = n->stop;
        pthread_mutex_unlock(&n->lock);
        if (stop)
                g_main_loop_quit(n->nm_loop);
        return G_SOURCE_CONTINUE;
}

static void *nm_main(void *arg)
{
        struct drv_net *n = arg;
        GError *ge = NULL;
        NMClient *cl;
        bool ok;

        g_main_context_push_thread_default(n->nm_ctx);
        cl = nm_client_new(NULL, &ge);
        ok = cl && nm_client_get_nm_running(cl);
        if (ge)
                g_error_free(ge);
        pthread_mutex_lock(&n->lock);
        n->nm_ready = true;
        n->nm_ok = ok;
        pthread_cond_broadcast(&n->cond);
        pthread_mutex_unlock(&n->lock);
        if (ok) {
                set_state(n, nm_full(cl));
                g_signal_connect(cl, "notify::" NM_CLIENT_CONNECTIVITY, G_CALLBACK(on_connectivity), n);
                /* stop is checked on a short timer: drv_net_free may run on any thread */
                GSource *t = g_timeout_source_new(200);
                g_source_set_callback(t, nm_check_stop, n, NULL);
                g_source_attach(t, n->nm_ctx);
                g_main_loop_run(n->nm_loop);
                g_source_destroy(t);
                g_source_unref(t);
                g_signal_handlers_disconnect_by_data(cl, n);
        }
        if (cl)
                g_object_unref(cl);
        g_main_context_pop_thread_default(n->nm_ctx);
        return NULL;
}

static int start_nm(struct drv_net *n)
{
        n->nm_ctx = g_main_context_new();
        n->nm_loop = g_main_loop_new(n->nm_ctx, FALSE);
        if (pthread_create(&n->thread, NULL, nm_main, n) != 0)
                return -1;
        n->running = true;
        pthread_mutex_lock(&n->lock);
        while (!n->nm_ready)
                pthread_cond_wait(&n->cond, &n->lock);
        bool ok = n->nm_ok;
        pthread_mutex_unlock(&n->lock);
        if (!ok) {
                pthread_join(n->thread, NULL);
                n->running = false;
                g_main_loop_unref(n->nm_loop);
                g_main_context_unref(n->nm_ctx);
                n->nm_loop = NULL;
                n->nm_ctx = NULL;
                return 1;  /* NetworkManager is not running */
        }
        return 0;
}

bool drv_net_nm_running(void)
{
        GMainContext *ctx = g_main_context_new();
        GError *ge = NULL;
        NMClient *cl;
        bool ok;

        g_main_context_push_thread_default(ctx);
        cl = nm_client_new(NULL, &ge);
        ok = cl && nm_client_get_nm_running(cl);
        if (cl)
                g_object_unref(cl);
        if (ge)
                g_error_free(ge);
        g_main_context_pop_thread_default(ctx);
        g_main_context_unref(ctx);
        return ok;
}

/* ---- life cycle ----------------------------------------------------------------- */

int drv_net_new(const struct drv_net_config *cfg, struct drv_net **ret, struct drv_errbuf *err)
{
        struct drv_net *n;
        pthread_condattr_t ca;
        int r;

        if (!cfg || !ret)
                return drv_fail(err, DRV_E_INVALID, "network: no configuration");
        if ((cfg->backend == DRV_NET_PROBE || cfg->backend == DRV_NET_AUTO) &&
            (!cfg->probe_url || !cfg->probe_url[0]))
                return drv_fail(err, DRV_E_INVALID, "network: probe needs the central URL");
        n = calloc(1, sizeof(*n));
        if (!n)
                return drv_fail(err, DRV_E_IO, "out of memory");
        n->cfg = *cfg;
        n->probe_url = cfg->probe_url ? strdup(cfg->probe_url) : NULL;
        n->ca_bundle = cfg->ca_bundle && cfg->ca_bundle[0] ? strdup(cfg->ca_bundle) : NULL;
        pthread_mutex_init(&n->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&n->cond, &ca);
        pthread_condattr_destroy(&ca);
        if (cfg->backend == DRV_NET_FAKE) {
                n->backend = DRV_NET_FAKE;
                n->online = cfg->fake_online;
                *ret = n;
                return 0;
        }
        if (cfg->backend == DRV_NET_NM || cfg->backend == DRV_NET_AUTO) {
                r = start_nm(n);
                if (r == 0) {
                        n->backend = DRV_NET_NM;
                        *ret = n;
                        return 0;
                }
                if (cfg->backend == DRV_NET_NM || r < 0) {
                        drv_net_free(n);
                        return r < 0 ? drv_fail(err, DRV_E_IO, "network: cannot start the NM thread")
                                     : drv_fail(err, DRV_E_UNAVAILABLE, "NetworkManager is not running");
                }
        }
        n->backend = DRV_NET_PROBE;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (pthread_create(&n->thread, NULL, probe_main, n) != 0) {
                drv_net_free(n);
                return drv_fail(err, DRV_E_IO, "network: cannot start the probe thread");
        }
        n->running = true;
        *ret = n;
        return 0;
}

struct drv_net *drv_net_free(struct drv_net *n)
{
        if (!n)
                return NULL;
        pthread_mutex_lock(&n->lock);
        n->stop = true;
        pthread_cond_broadcast(&n->cond);
        pthread_mutex_unlock(&n->lock);
        if (n->nm_ctx)
                g_main_context_wakeup(n->nm_ctx);
        if (n->running)
                pthread_join(n->thread, NULL);
        if (n->nm_loop)
                g_main_loop_unref(n->nm_loop);
        if (n->nm_ctx)
                g_main_context_unref(n->nm_ctx);
        pthread_cond_destroy(&n->cond);
        pthread_mutex_destroy(&n->lock);
        free(n->probe_url);
        free(n->ca_bundle);
        free(n);
        return NULL;
}

bool drv_net_online(struct drv_net *n)
{
        bool v;
        pthread_mutex_lock(&n->lock);
        v = n->online;
        pthread_mutex_unlock(&n->lock);
        return v;
}

const char *drv_net_backend_name(const struct drv_net *n)
{
        switch (n->backend) {
        case DRV_NET_NM: return "nm";
        case DRV_NET_PROBE: return "probe";
        case DRV_NET_FAKE: return "fake";
        default: return "auto";
        }
}

void drv_net_fake_set(struct drv_net *n, bool online)
{
        if (n->backend == DRV_NET_FAKE)
                set_state(n, online);
}
