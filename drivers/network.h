/* drivers/network: is headquarters reachable? A small driver: one struct with
 * a backend behind it and one callback on change.
 *
 * Backends:
 *   nm     NetworkManager's connectivity state through libnm (nm_client_new on
 *          a private GMainContext in the watcher thread; notify::connectivity
 *          drives the callback; online = NM_CONNECTIVITY_FULL).
 *   probe  an HTTP reachability probe of the central URL (any HTTP answer, even
 *          401/404, means the server is reachable): every interval while
 *          online, with doubling backoff up to the maximum while offline.
 *   fake   the test double: drv_net_fake_set() decides.
 * DRV_NET_AUTO uses nm when NetworkManager runs, else falls back to probe.
 * The callback runs on the watcher thread, only when the state changes; it
 * must be quick (the sync worker's set_online is). No logging; the probe
 * sends no credentials and no data. */
#pragma once
#include <stdbool.h>

#include "drivers/error.h"

#define DRV_NET_PROBE_INTERVAL_MS 10000      /* while online */
#define DRV_NET_PROBE_MAX_INTERVAL_MS 60000  /* offline backoff ceiling */
#define DRV_NET_PROBE_TIMEOUT_S 5

enum drv_net_backend { DRV_NET_AUTO = 0, DRV_NET_NM, DRV_NET_PROBE, DRV_NET_FAKE };

struct drv_net;

struct drv_net_config {
        enum drv_net_backend backend;
        const char *probe_url;       /* central URL (probe backend) */
        const char *ca_bundle;       /* NULL = system default */
        int probe_interval_ms;       /* 0 = DRV_NET_PROBE_INTERVAL_MS */
        int probe_max_interval_ms;   /* 0 = DRV_NET_PROBE_MAX_INTERVAL_MS */
        void (*on_change)(void *ud, bool online);
        void *ud;
        bool fake_online;            /* fake backend's initial state */
};

/* Start watching. DRV_NET_NM when NetworkManager is not running:
 * DRV_E_UNAVAILABLE. (transfer full) */
int drv_net_new(const struct drv_net_config *cfg, struct drv_net **ret, struct drv_errbuf *err);
/* Stops the watcher; accepts NULL; returns NULL. */
struct drv_net *drv_net_free(struct drv_net *n);
bool drv_net_online(struct drv_net *n);
/* "nm", "probe" or "fake": what AUTO chose. */
const char *drv_net_backend_name(const struct drv_net *n);
/* Fake backend only: set the state (calls on_change when it changes). */
void drv_net_fake_set(struct drv_net *n, bool online);
/* Is NetworkManager running (a libnm client can reach it)? */
bool drv_net_nm_running(void);
