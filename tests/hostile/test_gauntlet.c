/* The malformed-media gauntlet: every file made by make-gauntlet.sh (and every
 * entry of its nasty volume) goes through the sandboxed decode pool, probe and
 * thumbnail. Each gets a verdict with a reason (written to
 * $PK_BUILD_DIR/gauntlet/verdicts.tsv); the kiosk process survives all of
 * them, no helper crashes, hangs or hits a limit, and peak memory of the
 * kiosk and of the helpers is reported (and bounded).
 *
 * Usage: test_gauntlet [GAUNTLET_DIR] (default $PK_BUILD_DIR/gauntlet).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "app/decode_pool.h"
#include "image/image.h"

#define MAX_FILES 20000

struct item {
        char *path, *name, *category;
        int probe_rc, thumb_rc;
        double secs;
        char reason[sizeof(struct img_errbuf)];
};

static struct item items[MAX_FILES];
static int n_items;
static int next_item;
static pthread_mutex_t next_lock = PTHREAD_MUTEX_INITIALIZER;
static struct app_decode_pool *pool;

static void add(const char *dir, const char *name, const char *cat)
{
        if (n_items >= MAX_FILES)
                return;
        struct item *it = &items[n_items++];
        size_t n = strlen(dir) + strlen(name) + 2;
        it->path = malloc(n);
        snprintf(it->path, n, "%s/%s", dir, name);
        it->name = strdup(name);
        it->category = strdup(cat);
}

static void *worker(void *arg)
{
        (void)arg;
        for (;;) {
                pthread_mutex_lock(&next_lock);
                int i = next_item < n_items ? next_item++ : -1;
                pthread_mutex_unlock(&next_lock);
                if (i < 0)
                        return NULL;
                struct item *it = &items[i];
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                struct img_probe pr;
                struct img_errbuf e1 = {{0}}, e2 = {{0}};
                it->probe_rc = app_decode_probe(pool, it->path, IMG_PROBE_NO_HASH, &pr, &e1);
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                spec.size = 128;
                struct img_pixels px = {0};
                it->thumb_rc = app_decode_thumb(pool, it->path, &spec, &px, NULL, &e2);
                img_pixels_free(&px);
                clock_gettime(CLOCK_MONOTONIC, &b);
                it->secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
                const char *why = it->thumb_rc ? e2.msg : it->probe_rc ? e1.msg : "decoded";
                snprintf(it->reason, sizeof(it->reason), "%s", why[0] ? why : "(no detail)");
                for (char *c = it->reason; *c; c++)
                        if (*c == '\t' || *c == '\n' || (unsigned char)*c < 0x20)
                                *c = ' ';
        }
}

static int is_helper_failure(int rc)
{
        return rc == APP_DECODE_E_CRASHED || rc == APP_DECODE_E_TIMEOUT || rc == APP_DECODE_E_CPU ||
               rc == APP_DECODE_E_PROTOCOL || rc == APP_DECODE_E_SPAWN;
}

int main(int argc, char **argv)
{
        const char *bd = getenv("PK_BUILD_DIR");
        char dir[4096];
        if (argc > 1)
                snprintf(dir, sizeof(dir), "%s", argv[1]);
        else
                snprintf(dir, sizeof(dir), "%s/gauntlet", bd ? bd : ".");
        char path[4200];
        snprintf(path, sizeof(path), "%s/manifest.tsv", dir);
        FILE *m = fopen(path, "re");
        if (!m) {
                fprintf(stderr, "no gauntlet at %s (run make-gauntlet.sh)\n", dir);
                return 1;
        }
        char files[4200], nasty[4200], line[1024];
        snprintf(files, sizeof(files), "%s/files", dir);
        snprintf(nasty, sizeof(nasty), "%s/nasty", dir);
        while (fgets(line, sizeof(line), m)) {
                if (line[0] == '#')
                        continue;
                line[strcspn(line, "\n")] = 0;
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = 0;
                add(files, line, tab + 1);
        }
        fclose(m);
        int from_manifest = n_items;
        DIR *d = opendir(nasty);
        if (d) {
                struct dirent *de;
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                                add(nasty, de->d_name, "nasty");
                closedir(d);
        }

        img_init(argv[0], NULL);
        struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
        cfg.helpers = 2;
        /* A hang is what never ends; CI machines are loaded, so a slow but
         * finite file (the zTXt bomb takes ~2-7 s) must not count as one. */
        cfg.timeout_ms = 30000;
        struct img_errbuf err = {{0}};
        if (app_decode_pool_new(&cfg, &pool, &err) != 0) {
                fprintf(stderr, "pool: %s\n", err.msg);
                return 1;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
                pthread_create(&th[i], NULL, worker, NULL);
        for (int i = 0; i < 2; i++)
                pthread_join(th[i], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        struct app_decode_stats st;
        app_decode_pool_stats(pool, &st);
        pool = app_decode_pool_free(pool);
        struct rusage self, kids;
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &kids);

        snprintf(path, sizeof(path), "%s/verdicts.tsv", dir);
        FILE *out = fopen(path, "we");
        int failures = 0, decoded = 0, refused = 0, helper_failures = 0;
        if (out)
                fprintf(out, "# file\tcategory\tprobe\tthumb\treason\n");
        for (int i = 0; i < n_items; i++) {
                struct item *it = &items[i];
                if (out)
                        fprintf(out, "%s\t%s\t%s\t%s\t%s\n", i < from_manifest ? it->name : "(nasty entry)",
                                it->category, app_decode_strerror(it->probe_rc),
                                app_decode_strerror(it->thumb_rc), it->reason);
                if (it->thumb_rc == 0)
                        decoded++;
                else
                        refused++;
                if (is_helper_failure(it->probe_rc) || is_helper_failure(it->thumb_rc)) {
                        helper_failures++;
                        fprintf(stderr, "HELPER FAILURE on %s (%s): probe %s, thumb %s: %s\n",
                                i < from_manifest ? it->name : "nasty entry", it->category,
                                app_decode_strerror(it->probe_rc), app_decode_strerror(it->thumb_rc),
                                it->reason);
                }
                if (!it->reason[0])
                        failures++; /* no verdict */
        }
        if (out)
                fclose(out);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        long kiosk_mb = self.ru_maxrss / 1024, helper_mb = kids.ru_maxrss / 1024;
        printf("| files | decoded | refused | helper crashes | hangs | cpu-limit | bad answers | "
               "helpers spawned | seconds | kiosk peak RSS MB | helper peak RSS MB |\n"
               "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
               "| %d | %d | %d | %llu | %llu | %llu | %llu | %llu | %.1f | %ld | %ld |\n",
               n_items, decoded, refused, (unsigned long long)st.crashed,
               (unsigned long long)st.timeouts, (unsigned long long)st.cpu_limit,
               (unsigned long long)st.protocol_errors, (unsigned long long)st.spawned, secs, kiosk_mb,
               helper_mb);
        printf("verdicts: %s\n", path);
        int slow = 0;
        for (int i = 1; i < n_items; i++)
                if (items[i].secs > items[slow].secs)
                        slow = i;
        if (n_items)
                printf("slowest: %s (%s) %.2f s\n", slow < from_manifest ? items[slow].name : "nasty entry",
                       items[slow].category, items[slow].secs);
        int rc = 0;
        if (from_manifest < 2000) {
                fprintf(stderr, "only %d gauntlet files (need >= 2000)\n", from_manifest);
                rc = 1;
        }
        if (failures || helper_failures || st.crashed || st.timeouts || st.cpu_limit || st.protocol_errors)
                rc = 1;
        /* Bounds: the kiosk side holds one 128 px thumbnail per thread plus
         * the shared maps; a helper is held under its RLIMIT_AS. Under ASan
         * both carry the sanitizer's shadow, so only the helper bound holds. */
        if (helper_mb > (long)(cfg.mem_bytes >> 20) + 512) {
                fprintf(stderr, "helper peak RSS %ld MB over its bound\n", helper_mb);
                rc = 1;
        }
        for (int i = 0; i < n_items; i++) {
                free(items[i].path);
                free(items[i].name);
                free(items[i].category);
        }
        img_shutdown();
        return rc;
}
