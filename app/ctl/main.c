/* printkioskctl entry point: global options, then dispatch to a registered verb
 * (see ctl.h). Verbs live in the linker section "pk_ctl_verbs". */
#include "app/ctl/ctl.h"
#include "image/image.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ctl_verb __start_pk_ctl_verbs[];
extern const struct ctl_verb __stop_pk_ctl_verbs[];

void ctl_emit(json_t *obj)
{
        if (!obj)
                return;
        char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (s) {
                fputs(s, stdout);
                fputc('\n', stdout);
                fflush(stdout);
                free(s);
        }
        json_decref(obj);
}

void ctl_msg(const char *fmt, ...)
{
        va_list ap;
        fputs("printkioskctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static const struct ctl_verb *find_verb(const char *name)
{
        for (const struct ctl_verb *v = __start_pk_ctl_verbs; v < __stop_pk_ctl_verbs; v++)
                if (strcmp(v->name, name) == 0)
                        return v;
        return NULL;
}

int ctl_usage(const char *verb)
{
        const struct ctl_verb *v = verb ? find_verb(verb) : NULL;
        if (v) {
                fprintf(stderr, "usage: printkioskctl [--config FILE] [--data DIR] %s\n", v->usage);
                return CTL_EXIT_USAGE;
        }
        fprintf(stderr, "usage: printkioskctl [--config FILE] [--data DIR] VERB ...\n\nverbs:\n");
        for (const struct ctl_verb *it = __start_pk_ctl_verbs; it < __stop_pk_ctl_verbs; it++)
                fprintf(stderr, "  %s\n", it->usage);
        return CTL_EXIT_USAGE;
}

static int run_version(const struct ctl_ctx *ctx, int argc, char **argv)
{
        (void)ctx, (void)argc, (void)argv;
        json_t *o = json_object();
        json_object_set_new(o, "printkiosk", json_string(PK_VERSION));
        ctl_emit(o);
        return CTL_EXIT_OK;
}
CTL_VERB(version, "version", "version", run_version);

int main(int argc, char **argv)
{
        struct ctl_ctx ctx = {
                .config_path = NULL,
                .data_dir = getenv("PK_DATA") ? getenv("PK_DATA") : "/var/lib/printkiosk",
                .prog = argv[0],
        };
        /* Global options stop at the first non-option (the verb). */
        int i = 1;
        for (; i < argc; i++) {
                if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
                        ctx.config_path = argv[++i];
                else if (strncmp(argv[i], "--config=", 9) == 0)
                        ctx.config_path = argv[i] + 9;
                else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
                        ctx.data_dir = argv[++i];
                else if (strncmp(argv[i], "--data=", 7) == 0)
                        ctx.data_dir = argv[i] + 7;
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return ctl_usage(NULL), CTL_EXIT_OK;
                else if (argv[i][0] == '-')
                        return ctl_msg("unknown global option '%s'", argv[i]), ctl_usage(NULL);
                else
                        break;
        }
        if (i >= argc)
                return ctl_usage(NULL);
        const struct ctl_verb *v = find_verb(argv[i]);
        if (!v)
                return ctl_msg("unknown verb '%s'", argv[i]), ctl_usage(NULL);
        optind = 0; /* let the verb use getopt_long on its own argv */
        int rc = v->run(&ctx, argc - i, argv + i);
        img_shutdown(); /* a no-op unless a verb started libvips */
        return rc;
}
