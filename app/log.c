/* app/ logging to stderr with syslog-style priority prefixes that journald
 * understands ("<3>"); see log.h for what may be logged. */
#include "app/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        /* One write per line: lines of different threads never interleave
         * (stderr is unbuffered: three calls were three writes), and the
         * thread pays one system call. Longer lines are cut, marked "...". */
        char line[1024];
        int n = snprintf(line, sizeof(line), "<%d>", prio[level]);
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        va_end(ap);
        if (m < 0)
                m = 0;
        size_t len = (size_t)n + (size_t)m;
        if (len > sizeof(line) - 2) {
                len = sizeof(line) - 2;
                memcpy(line + len - 3, "...", 3);
        }
        line[len++] = '\n';
        for (size_t off = 0; off < len;) {
                ssize_t w = write(STDERR_FILENO, line + off, len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break; /* nowhere to log: nothing else to do */
                off += (size_t)w;
        }
}
