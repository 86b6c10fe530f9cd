/* printkioskctl sync run|status: the sync worker from the CLI.
 *
 *   sync run [--once] [--chunk BYTES] [--lease-ms MS] [--poll S]
 *            [--backoff-base-ms MS] [--backoff-cap-ms MS]   (tests: shorter waits)
 *       Foreground worker until SIGTERM/SIGINT. It looks at the outbox at once
 *       when another process commits to the store (inotify on the data folder:
 *       the kiosk UI and the CLI write kiosk.db-wal; no coupling, no polling)
 *       and on SIGUSR1. Connectivity from drivers/network (NetworkManager, else an HTTP
 *       probe of the central URL). --once drains what is due now, polls the
 *       pickups once, prints {"sent","retried","dead","pending",...} and exits 0,
 *       or 1 when anything was dead-lettered. A second worker on the same data
 *       folder is refused (flock on DATA/sync.lock), exit 2.
 *   sync status
 *       {"pending","sent","dead","oldest_pending_at","next_due_at",
 *        "last_success_at","circuit","online"} (times in Unix ms, 0 = none).
 *
 * Central URL, kiosk id and key come from --config ([central] url, ca_bundle,
 * secret_file; [kiosk] id; [sync] poll_interval), or, for tests and scripts,
 * from the environment: PK_CENTRAL_URL, PK_KIOSK_ID, PK_KIOSK_SECRET (64 hex),
 * which win over the file. */
#include "app/ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "app/config.h"
#include "drivers/network.h"
#include "sync/fsutil.h"
#include "sync/outbox.h"
#include "sync/sign.h"
#include "sync/store.h"
#include "sync/worker.h"

static long parse_long(const char *s, long lo, long hi)
{
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || !end || *end || end == s || v < lo || v > hi)
                return -1;
        return v;
}

static int64_t kv_int(struct store *s, const char *k)
{
        char *v = NULL;
        long long n = 0;
        if (store_kv_get(s, STORE_KV_SYNC, k, &v, NULL) == 0) {
                char *end = NULL;
                n = strtoll(v, &end, 10);
                if (!end || *end)
                        n = 0;
                free(v);
        }
        return n;
}

static int run_status(const struct ctl_ctx *ctx)
{
        struct store *s = NULL;
        struct store_errbuf err = {""};
        struct store_outbox_stats st;
        char *circuit = NULL, *online = NULL;

        if (store_open(ctx->data_dir, &s, &err) != 0 || store_outbox_stats(s, &st, &err) != 0) {
                ctl_msg("sync status: %s", err.msg);
                store_close(s);
                return CTL_EXIT_USAGE;
        }
        store_kv_get(s, STORE_KV_SYNC, "circuit", &circuit, NULL);
        store_kv_get(s, STORE_KV_SYNC, "online", &online, NULL);
        ctl_emit(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:b}", "pending", (json_int_t)st.pending,
                           "sent", (json_int_t)st.sent, "dead", (json_int_t)st.dead, "oldest_pending_at",
                           (json_int_t)st.oldest_pending_at, "next_due_at", (json_int_t)st.next_due_at,
                           "last_success_at", (json_int_t)kv_int(s, "last_success_at"), "circuit",
                           circuit ? circuit : "closed", "online", online && strcmp(online, "1") == 0));
        free(circuit);
        free(online);
        store_close(s);
        return CTL_EXIT_OK;
}

static void net_changed(void *ud, bool online)
{
        sync_worker_set_online(ud, online);
}

/* Watch the data folder for commits by other processes (the kiosk and the CLI
 * append to the WAL). Best effort: without inotify the worker still re-checks
 * on its own timers (at most a minute) and on SIGUSR1. */
static int watch_store(const char *data_dir)
{
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -1;
        if (inotify_add_watch(fd, data_dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Drain the pending inotify events; true if one was about the store's files
 * (kiosk.db, kiosk.db-wal). Bounded: the fd is non-blocking and each read
 * consumes what the kernel queued. */
static bool store_touched(int fd)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool hit = false;
        for (int rounds = 0; rounds < 64; rounds++) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p + sizeof(struct inotify_event) <= buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->len > 0 && strncmp(ev->name, STORE_DB_NAME, strlen(STORE_DB_NAME)) == 0)
                                hit = true;
                        p += sizeof(struct inotify_event) + ev->len;
                }
        }
        return hit;
}

/* Foreground worker until SIGTERM/SIGINT; signals are taken synchronously by
 * this thread only (blocked before any thread starts, read through a
 * signalfd), next to the store watch. */
static int run_foreground(struct sync_worker *w, const struct app_config *cfg, const char *data_dir)
{
        struct store_errbuf err = {""};
        struct drv_errbuf derr = {""};
        struct drv_net *net = NULL;
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (sfd < 0) {
                ctl_msg("sync: signalfd failed");
                return CTL_EXIT_USAGE;
        }
        int ifd = watch_store(data_dir);
        struct drv_net_config nc = {.backend = DRV_NET_AUTO, .probe_url = cfg->central_url,
                                    .ca_bundle = cfg->ca_bundle[0] ? cfg->ca_bundle : NULL,
                                    .on_change = net_changed, .ud = w};
        if (getenv("PK_SYNC_PROBE_MS")) {
                long ms = parse_long(getenv("PK_SYNC_PROBE_MS"), 10, 600000);
                nc.probe_interval_ms = ms > 0 ? (int)ms : 0;
                nc.probe_max_interval_ms = ms > 0 ? (int)ms * 4 : 0;
        }
        if (sync_worker_start(w, &err) != 0 || drv_net_new(&nc, &net, &derr) != 0) {
                ctl_msg("sync: %s%s", err.msg, derr.msg);
                close(sfd);
                if (ifd >= 0)
                        close(ifd);
                return CTL_EXIT_USAGE;
        }
        sync_worker_set_online(w, drv_net_online(net));
        for (bool running = true; running;) {
                struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = ifd, .events = POLLIN}};
                if (poll(pfd, ifd >= 0 ? 2 : 1, -1) < 0)
                        continue; /* EINTR */
                if (ifd >= 0 && (pfd[1].revents & POLLIN) && store_touched(ifd))
                        sync_worker_wake(w);
                if (pfd[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                                continue;
                        if (si.ssi_signo == SIGUSR1)
                                sync_worker_wake(w);
                        else
                                running = false;
                }
        }
        close(sfd);
        if (ifd >= 0)
                close(ifd);
        drv_net_free(net);
        sync_worker_stop(w);
        struct sync_worker_stats st;
        sync_worker_get_stats(w, &st);
        ctl_emit(json_pack("{s:I, s:I, s:I, s:I}", "sent", (json_int_t)st.sent, "retried",
                           (json_int_t)st.retried, "dead", (json_int_t)st.dead, "upload_bytes",
                           (json_int_t)st.upload_bytes));
        return CTL_EXIT_OK;
}

static int run_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {{"once", no_argument, NULL, 'o'},
                                             {"chunk", required_argument, NULL, 'c'},
                                             {"lease-ms", required_argument, NULL, 'l'},
                                             {"poll", required_argument, NULL, 'p'},
                                             {"backoff-base-ms", required_argument, NULL, 'b'},
                                             {"backoff-cap-ms", required_argument, NULL, 'C'},
                                             {NULL, 0, NULL, 0}};
        struct app_config cfg;
        struct app_config_report rep = {0};
        struct store_errbuf err = {""};
        struct sync_worker *w = NULL;
        uint8_t key[32];
        char spool[600], lockp[600];
        bool once = false, have_key = false;
        long chunk = 0, lease = 0, poll = -1, base = 0, cap = 0;
        int c, rc = CTL_EXIT_USAGE, lfd = -1;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'o': once = true; break;
                case 'c': if ((chunk = parse_long(optarg, 1024, 8L << 20)) < 0) return ctl_usage("sync"); break;
                case 'l': if ((lease = parse_long(optarg, 100, 3600000)) < 0) return ctl_usage("sync"); break;
                case 'b': if ((base = parse_long(optarg, 1, 3600000)) < 0) return ctl_usage("sync"); break;
                case 'C': if ((cap = parse_long(optarg, 1, 3600000)) < 0) return ctl_usage("sync"); break;
                case 'p': if ((poll = parse_long(optarg, 0, 86400)) < 0) return ctl_usage("sync"); break;
                default: return ctl_usage("sync");
                }
        }
        app_config_defaults(&cfg);
        if (ctx->config_path && app_config_load(ctx->config_path, &cfg, &rep) != 0) {
                ctl_msg("sync: configuration has problems (run config check)");
                return CTL_EXIT_USAGE;
        }
        if (getenv("PK_CENTRAL_URL"))
                snprintf(cfg.central_url, sizeof(cfg.central_url), "%s", getenv("PK_CENTRAL_URL"));
        if (getenv("PK_KIOSK_ID"))
                snprintf(cfg.kiosk_id, sizeof(cfg.kiosk_id), "%s", getenv("PK_KIOSK_ID"));
        if (getenv("PK_KIOSK_SECRET")) {
                if (sync_hex_decode_key(getenv("PK_KIOSK_SECRET"), key) != 0) {
                        ctl_msg("sync: PK_KIOSK_SECRET must be 64 lowercase hex digits");
                        return CTL_EXIT_USAGE;
                }
                have_key = true;
        } else if (ctx->config_path && app_config_load_secret(&cfg, key, &rep) == 0) {
                have_key = true;
        }
        if (!cfg.central_url[0] || !cfg.kiosk_id[0] || !have_key) {
                ctl_msg("sync: central url, kiosk id and key are needed (--config or PK_CENTRAL_URL, "
                        "PK_KIOSK_ID, PK_KIOSK_SECRET)");
                return CTL_EXIT_USAGE;
        }
        snprintf(spool, sizeof(spool), "%s/spool", ctx->data_dir);
        snprintf(lockp, sizeof(lockp), "%s/sync.lock", ctx->data_dir);
        if (sync_fs_mkdir_p(spool, 0700, &err) != 0) {
                ctl_msg("sync: %s", err.msg);
                return CTL_EXIT_USAGE;
        }
        lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) != 0) {
                ctl_msg("sync: another sync worker is running on this data folder");
                if (lfd >= 0)
                        close(lfd);
                return CTL_EXIT_USAGE;
        }
        struct sync_worker_config wc = {.db_path = ctx->data_dir, .spool_dir = spool,
                                        .central_url = cfg.central_url, .kiosk_id = cfg.kiosk_id,
                                        .key = key, .ca_bundle = cfg.ca_bundle[0] ? cfg.ca_bundle : NULL,
                                        .poll_interval_s = poll >= 0 ? (int)poll : cfg.sync_poll_s,
                                        .chunk_size = (size_t)chunk, .lease_ms = lease,
                                        .backoff_base_ms = base, .backoff_cap_ms = cap,
                                        .start_online = once};
        if (sync_worker_new(&wc, &w, &err) != 0) {
                ctl_msg("sync: %s", err.msg);
                goto out;
        }
        memset(key, 0, sizeof(key));
        if (once) {
                int64_t dead = 0;
                struct sync_worker_stats st;
                struct store_outbox_stats os = {0};
                struct store *s = NULL;
                if (sync_worker_run_once(w, &dead, &err) != 0) {
                        ctl_msg("sync: %s", err.msg);
                        goto out;
                }
                sync_worker_get_stats(w, &st);
                if (store_open(ctx->data_dir, &s, NULL) == 0)
                        store_outbox_stats(s, &os, NULL);
                store_close(s);
                ctl_emit(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "sent", (json_int_t)st.sent,
                                   "retried", (json_int_t)st.retried, "dead", (json_int_t)dead, "pending",
                                   (json_int_t)os.pending, "pickups", (json_int_t)st.pickups_stored,
                                   "upload_bytes", (json_int_t)st.upload_bytes, "requests",
                                   (json_int_t)st.requests, "circuit", sync_circuit_name(st.circuit)));
                rc = dead > 0 ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
                goto out;
        }
        rc = run_foreground(w, &cfg, ctx->data_dir);
        goto out;
out:
        sync_worker_free(w);
        memset(key, 0, sizeof(key));
        close(lfd);
        return rc;
}

static int run_sync(const struct ctl_ctx *ctx, int argc, char **argv)
{
        if (argc < 2)
                return ctl_usage("sync");
        if (strcmp(argv[1], "status") == 0)
                return argc == 2 ? run_status(ctx) : ctl_usage("sync");
        if (strcmp(argv[1], "run") == 0)
                return run_run(ctx, argc - 1, argv + 1);
        return ctl_usage("sync");
}

CTL_VERB(sync, "sync", "sync run [--once] [--chunk BYTES] [--lease-ms MS] [--poll S] [--backoff-base-ms MS] "
         "[--backoff-cap-ms MS] | sync status", run_sync);
