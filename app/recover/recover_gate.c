/* printkiosk-recover-gate [--config FILE] [--data DIR] [--ctl PATH]: the
 * kiosk unit's crash-recovery step (ExecStartPre), cheap when there is
 * nothing to recover.
 *
 * `printkioskctl recover` links libvips and everything behind it (122 shared
 * libraries); its dynamic loading and library constructors are ~85 % of its
 * 0.3 s on the build host and most of its 12.7 s under qemu TCG (boot 22),
 * paid on every restart of the kiosk, i.e. inside the watchdog recovery time.
 * This gate links only the store (SQLite) and asks the same two questions
 * app_print_recover() and the render step of `recover` start from:
 *   - is any print job not final (store_job_list(open_only))?
 *   - is any order locked, rendering or printing?
 * If neither, recover would find nothing to do and the gate exits 0 without
 * it. Otherwise, and on ANY doubt (store unreadable, newer schema, bad
 * arguments, out of memory), it execs the full `printkioskctl recover` with
 * the same --config/--data, so the exactly-once rules stay in one place
 * (app/print_queue.c) and the gate can only ever skip an empty pass.
 *
 * Invariant: the two questions must cover every state `recover` acts on
 * (app/ctl/recover.c); a new recovery duty there needs its question here.
 * Exit: 0 nothing to recover; else whatever `printkioskctl recover` exits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/order_state.h"
#include "sync/store.h"

#ifndef PK_CTL_PATH
#define PK_CTL_PATH "/usr/bin/printkioskctl"
#endif
#define GATE_ARG_MAX 4096 /* longest --config/--data/--ctl value accepted */

/* 1 = something to recover (or unsure), 0 = nothing. */
static int needs_recovery(const char *data_dir)
{
        struct stat st;
        if (stat(data_dir, &st) < 0 && errno == ENOENT)
                return 0; /* no data folder yet: no store, nothing was ever printed */
        if (stat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return 1;
        struct store *s = NULL;
        struct store_errbuf se = {{0}};
        if (store_open(data_dir, &s, &se) < 0)
                return 1; /* let recover report it */
        int need = 1;
        struct store_job *jobs = NULL;
        size_t n_jobs = 0;
        struct store_order_summary *orders = NULL;
        size_t n_orders = 0;
        struct store_order_filter f = {
                .states = (1u << ORDER_LOCKED) | (1u << ORDER_RENDERING) | (1u << ORDER_PRINTING),
                .limit = 1,
        };
        if (store_job_list(s, NULL, true, &jobs, &n_jobs, &se) == 0 &&
            store_order_list(s, &f, &orders, &n_orders, &se) == 0)
                need = (n_jobs > 0 || n_orders > 0);
        free(jobs);
        free(orders);
        store_close(s);
        return need;
}

static bool arg_ok(const char *v)
{
        return v && v[0] && strnlen(v, GATE_ARG_MAX + 1) <= GATE_ARG_MAX;
}

int main(int argc, char **argv)
{
        const char *config = NULL, *data = getenv("PK_DATA"), *ctl = PK_CTL_PATH;
        bool usage = false;
        if (!data || !data[0])
                data = "/var/lib/printkiosk";
        for (int i = 1; i < argc && i < 16; i++) {
                const char **dst = NULL;
                if (strcmp(argv[i], "--config") == 0)
                        dst = &config;
                else if (strcmp(argv[i], "--data") == 0)
                        dst = &data;
                else if (strcmp(argv[i], "--ctl") == 0)
                        dst = &ctl;
                if (!dst || i + 1 >= argc || !arg_ok(argv[i + 1])) {
                        usage = true;
                        break;
                }
                *dst = argv[++i];
        }
        if (argc > 16)
                usage = true;
        if (usage) {
                fprintf(stderr, "usage: printkiosk-recover-gate [--config FILE] [--data DIR] "
                                "[--ctl PRINTKIOSKCTL]\n");
                return 2;
        }
        if (!needs_recovery(data))
                return 0;
        char *args[8];
        int n = 0;
        args[n++] = (char *)ctl;
        if (config) {
                args[n++] = (char *)"--config";
                args[n++] = (char *)config;
        }
        args[n++] = (char *)"--data";
        args[n++] = (char *)data;
        args[n++] = (char *)"recover";
        args[n] = NULL;
        execv(ctl, args);
        perror("printkiosk-recover-gate: exec printkioskctl recover");
        return 2;
}
