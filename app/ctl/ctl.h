/* printkioskctl: the technician and script CLI.
 *
 * One binary, one file per verb (ctl/<verb>.c). A verb registers itself with
 * CTL_VERB(); main() (ctl/main.c) finds it by name in the linker section
 * "pk_ctl_verbs", so adding a verb never touches another file.
 *
 * Conventions (../shared/DESIGN.md "Technician CLI"): JSON Lines on stdout, one
 * object per input; messages on stderr; exit 0 = all ok, 1 = some input
 * rejected, 2 = usage or internal error.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>

enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_REJECTED = 1,
        CTL_EXIT_USAGE = 2,
};

/* Global options, parsed by main() before the verb. */
struct ctl_ctx {
        const char *config_path; /* --config FILE, or NULL: built-in defaults */
        const char *data_dir;    /* --data DIR: store and spool; default $PK_DATA or
                                    /var/lib/printkiosk */
        const char *prog;        /* argv[0] */
};

struct ctl_verb {
        const char *name;  /* "probe", "order" (verbs with sub-verbs parse their own) */
        const char *usage; /* one line, after "printkioskctl " */
        int (*run)(const struct ctl_ctx *ctx, int argc, char **argv); /* argv[0] = verb */
};

#define CTL_VERB(id, verb_name, verb_usage, fn)                                    \
        static const struct ctl_verb ctl_verb_##id                                 \
                __attribute__((used, section("pk_ctl_verbs"), aligned(8))) = {     \
                .name = (verb_name), .usage = (verb_usage), .run = (fn)}

/* Print one JSON value as a line on stdout, flush, and drop the reference. */
void ctl_emit(json_t *obj);
/* Print "printkioskctl: <msg>" on stderr (printf-style). */
void ctl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the verb's usage line on stderr and return CTL_EXIT_USAGE. */
int ctl_usage(const char *verb);
