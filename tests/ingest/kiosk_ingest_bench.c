/* kiosk_ingest_bench DIR [--in-process] [--all]: times the kiosk core's photo
 * source on DIR the way the screen drives it, for tests/bench/ingest.sh.
 *
 * t0 = app_kiosk_open_folder (the moment the volume is opened after it
 * arrived). As soon as photos are on the grid (APP_MSG_WALK_PROGRESS or
 * WALK_DONE) the first screen's cells without an answer are requested, as
 * ui/screen_grid does; first24 = when cells 0..23 all have an answer (they
 * are final once a published batch filled them: indices never move). With --all,
 * every photo is then requested (512 at a time) and `all` = when the last
 * answer arrived. Peak memory, two figures, in MB:
 * - rss_sampled_mb, the true simultaneous peak: a sampler thread reads the
 *   current VmRSS (/proc/PID/status) of this process and of every live decode
 *   helper every 5 ms and keeps the largest sum. Pages shared between them
 *   (libraries, the pixel memfd) count once per process, as VmRSS does.
 *   A peak shorter than 5 ms can be missed.
 * - rss_kiosk_mb + rss_helpers_mb, an upper bound: this process's VmHWM plus
 *   the sum of each helper's own VmHWM (read while they still run), peaks
 *   that need not have happened at the same time.
 * Prints one JSON object. Not a test: timings are never assertions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/kiosk.h"

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long hwm_kb(const char *pid)
{
        char p[300], line[256];
        snprintf(p, sizeof(p), "/proc/%s/status", pid);
        FILE *f = fopen(p, "re");
        long kb = 0;
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "VmHWM:", 6) == 0)
                        kb = strtol(line + 6, NULL, 10);
        if (f)
                fclose(f);
        return kb;
}

/* Calls visit(pid, user) for each live child of ours called printkiosk-dec*
 * (the decode helpers), up to max; returns how many were visited. */
static int for_each_helper(int max, void (*visit)(const char *pid, void *user), void *user)
{
        DIR *d = opendir("/proc");
        int n = 0;
        struct dirent *de;
        while (d && n < max && (de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                char p[300], st[512] = "";
                snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
                FILE *f = fopen(p, "re");
                if (!f)
                        continue;
                size_t len = fread(st, 1, sizeof(st) - 1, f);
                fclose(f);
                st[len] = '\0';
                char *cp = strrchr(st, ')');
                if (!cp || strtol(cp + 4, NULL, 10) != (long)getpid() || !strstr(st, "(printkiosk-dec"))
                        continue;
                visit(de->d_name, user);
                n++;
        }
        if (d)
                closedir(d);
        return n;
}

static void add_hwm(const char *pid, void *user)
{
        *(long *)user += hwm_kb(pid);
}

/* Sum of VmHWM of the decode helpers. */
static long helpers_hwm_kb(int *ret_n)
{
        long sum = 0;
        *ret_n = for_each_helper(1 << 20, add_hwm, &sum);
        return sum;
}

/* The RSS sampler. Helper pids are looked up in /proc every
 * SAMPLER_RESCAN_MS (helpers are restarted after a crash or a limit); each
 * known process's status file stays open and is re-read with pread(), which
 * costs a few microseconds, so sampling every 5 ms stays cheap. */
#define SAMPLER_PERIOD_MS 5
#define SAMPLER_RESCAN_MS 50
#define SAMPLER_MAX_PROCS 16

struct sampler {
        pthread_t thread;
        pthread_mutex_t lock; /* protects stop, max_kb, samples */
        bool stop;
        long max_kb;
        long samples;
};

static long vmrss_kb_fd(int fd)
{
        char buf[2048];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        const char *l = strstr(buf, "\nVmRSS:");
        return l ? strtol(l + 7, NULL, 10) : 0;
}

static int open_status(const char *pid)
{
        char p[300];
        snprintf(p, sizeof(p), "/proc/%s/status", pid);
        return open(p, O_RDONLY | O_CLOEXEC);
}

struct fd_list {
        int *fds, n;
};

static void add_status_fd(const char *pid, void *user)
{
        struct fd_list *l = user;
        int fd = open_status(pid);
        if (fd >= 0)
                l->fds[l->n++] = fd;
}

/* The decode helpers' status fds into fds[] (at most max). */
static int helper_status_fds(int *fds, int max)
{
        struct fd_list l = {fds, 0};
        for_each_helper(max, add_status_fd, &l);
        return l.n;
}

static void *sampler_main(void *arg)
{
        struct sampler *s = arg;
        int self = open_status("self");
        int fds[SAMPLER_MAX_PROCS], n = 0;
        double last_scan = -1;
        for (;;) {
                pthread_mutex_lock(&s->lock);
                bool stop = s->stop;
                pthread_mutex_unlock(&s->lock);
                if (stop)
                        break;
                double t = now_s();
                if (last_scan < 0 || t - last_scan >= SAMPLER_RESCAN_MS / 1000.0) {
                        for (int i = 0; i < n; i++)
                                close(fds[i]);
                        n = helper_status_fds(fds, SAMPLER_MAX_PROCS);
                        last_scan = t;
                }
                long sum = self >= 0 ? vmrss_kb_fd(self) : 0;
                for (int i = 0; i < n; i++) {
                        long kb = vmrss_kb_fd(fds[i]);
                        if (kb > 0) /* a helper that exited reads as nothing */
                                sum += kb;
                }
                pthread_mutex_lock(&s->lock);
                if (sum > s->max_kb)
                        s->max_kb = sum;
                s->samples++;
                pthread_mutex_unlock(&s->lock);
                struct timespec ts = {0, SAMPLER_PERIOD_MS * 1000000L};
                while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                        ;
        }
        for (int i = 0; i < n; i++)
                close(fds[i]);
        if (self >= 0)
                close(self);
        return NULL;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: kiosk_ingest_bench DIR [--in-process] [--all]\n");
                return 2;
        }
        bool in_process = false, all = false;
        for (int i = 2; i < argc; i++) {
                in_process |= strcmp(argv[i], "--in-process") == 0;
                all |= strcmp(argv[i], "--all") == 0;
        }
        char sessions[] = "/tmp/pk-bench-sessions.XXXXXX";
        if (!mkdtemp(sessions))
                return 2;
        struct app_bus *bus = app_bus_new(8192);
        struct app_kiosk_config cfg = {.session_dir = sessions,
                                       .decode_in_process = in_process,
                                       .no_volume_watch = true};
        char err[256] = "";
        struct app_kiosk *k = app_kiosk_new(&cfg, bus, err, sizeof(err));
        if (!k) {
                fprintf(stderr, "kiosk: %s\n", err);
                return 2;
        }
        /* A kiosk starts long before a customer arrives: let the decode
         * helpers finish starting (libvips init) before the clock runs. */
        sleep(2);
        struct sampler smp = {.max_kb = 0};
        pthread_mutex_init(&smp.lock, NULL);
        bool sampling = pthread_create(&smp.thread, NULL, sampler_main, &smp) == 0;
        app_kiosk_session_start(k);
        double t0 = now_s();
        if (app_kiosk_open_folder(k, argv[1]) != 0)
                return 2;
        double t_grid = -1, t_first24 = -1, t_walk = -1, t_all = -1;
        int64_t gen_all = 0;
        bool answered[24] = {false};
        int want24 = 0, got24 = 0, got_all = 0, n_photos = 0, next_all = 0, failed = 0;
        while (now_s() - t0 < 3600) {
                app_bus_wait(bus, 100);
                struct app_msg m;
                while (app_bus_pop(bus, &m)) {
                        if ((m.type == APP_MSG_WALK_PROGRESS || m.type == APP_MSG_WALK_DONE) &&
                            m.u.walk.found > 0) {
                                if (t_grid < 0)
                                        t_grid = now_s() - t0;
                                /* As the grid does: the first screen's cells
                                 * that have no answer yet, as they appear. */
                                int idx[24], c = 0;
                                want24 = m.u.walk.found < 24 ? m.u.walk.found : 24;
                                for (int i = 0; i < want24; i++)
                                        if (!answered[i])
                                                idx[c++] = i;
                                if (c > 0)
                                        (void)app_kiosk_request_thumbs(k, idx, c);
                        }
                        if (m.type == APP_MSG_WALK_DONE) {
                                t_walk = now_s() - t0;
                                n_photos = m.u.walk.found;
                        }
                        if ((m.type == APP_MSG_THUMB_READY || m.type == APP_MSG_THUMB_FAILED)) {
                                failed += m.type == APP_MSG_THUMB_FAILED;
                                int i = m.u.thumb.index;
                                if (i >= 0 && i < 24 && !answered[i] && gen_all == 0) {
                                        answered[i] = true;
                                        got24++;
                                }
                                if (gen_all && (int64_t)m.generation == gen_all)
                                        got_all++;
                        }
                        /* Cells 0..23 are final once a batch filled them
                         * (indices never move), else when the walk ends. */
                        if (t_first24 < 0 && (want24 == 24 || t_walk >= 0) && got24 >= want24)
                                t_first24 = now_s() - t0;
                        app_msg_done(&m);
                }
                if (t_first24 >= 0 && !all && t_walk >= 0)
                        break;
                if (all && t_first24 >= 0 && t_walk >= 0) {
                        /* The rest, a batch at a time (as a customer scrolling through). */
                        if (gen_all == 0 || (got_all == next_all && next_all < n_photos)) {
                                int idx[APP_KIOSK_MAX_REQUEST], c = 0;
                                int from = next_all;
                                for (int i = from; i < n_photos && c < APP_KIOSK_MAX_REQUEST; i++)
                                        idx[c++] = i;
                                if (c == 0) {
                                        t_all = now_s() - t0;
                                        break;
                                }
                                got_all = from;
                                next_all = from + c;
                                gen_all = app_kiosk_request_thumbs(k, idx, c);
                        } else if (got_all >= n_photos) {
                                t_all = now_s() - t0;
                                break;
                        }
                }
        }
        if (sampling) {
                pthread_mutex_lock(&smp.lock);
                smp.stop = true;
                pthread_mutex_unlock(&smp.lock);
                pthread_join(smp.thread, NULL);
        }
        pthread_mutex_destroy(&smp.lock);
        int n_helpers = 0;
        long helpers = helpers_hwm_kb(&n_helpers);
        long self = hwm_kb("self");
        printf("{\"photos\":%d,\"seconds_to_grid\":%.3f,\"seconds_to_first_24\":%.3f,"
               "\"seconds_walk\":%.3f,\"seconds_all\":%.3f,\"failed\":%d,\"sandbox\":%s,"
               "\"rss_kiosk_mb\":%.1f,\"rss_helpers_mb\":%.1f,\"helpers\":%d,"
               "\"rss_sampled_mb\":%.1f,\"rss_samples\":%ld,\"thumb_size\":%d}\n",
               n_photos, t_grid, t_first24, t_walk, t_all, failed, in_process ? "false" : "true",
               self / 1024.0, helpers / 1024.0, n_helpers, smp.max_kb / 1024.0, smp.samples,
               APP_KIOSK_THUMB_SIZE);
        fflush(stdout);
        app_kiosk_session_end(k);
        app_kiosk_free(k);
        app_bus_free(bus);
        rmdir(sessions);
        return 0;
}
