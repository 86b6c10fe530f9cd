/* app/ logging to stderr with syslog-style priority prefixes that journald
 * understands ("<3>"); see log.h for what may be logged. */
#include "app/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum app_log_level min_level = APP_LOG_INFO;
static int level_from_env = -1;

void app_log_set_level(enum app_log_level level)
{
        min_level = level;
        level_from_env = 0;
}

void app_log(enum app_log_level level, const char *fmt, ...)
{
        static const int prio[] = {7, 6, 4, 3};
        if (level_from_env < 0) {
                const char *e = getenv("PK_LOG_LEVEL");
                if (e && strcmp(e, "debug") == 0)
                        min_level = APP_LOG_DEBUG;
                level_from_env = 1;
        }
        if (level < min_level)
                return;
        va_list ap;
        fprintf(stderr, "<%d>", prio[level]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
