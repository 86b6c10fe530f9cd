/* ui/i18n: customer wording in the kiosk's languages.
 *
 * Catalogues are GNU gettext .mo files (assets/locale/<lang>.po, compiled by
 * msgfmt at build time). They are read here rather than through setlocale()
 * + gettext() because a kiosk switches language per customer at run time and
 * must not depend on which system locales happen to be generated. All
 * catalogues are loaded at start (the main thread never reads files later).
 * Invariants: a loaded catalogue's offsets were all checked against its size;
 * a missing or bad catalogue means English (the msgids) for that language.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/ui.h"

#define MO_MAX_BYTES (1u << 20) /* our catalogues are a few kB */
#define MO_MAGIC 0x950412deu

struct mo {
        uint8_t *data;
        uint32_t n, orig, trans;
};

static struct mo catalogues[2]; /* [1] = German */
static int current;

static uint32_t rd32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int mo_load(struct mo *m, const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        struct stat st;
        if (fstat(fd, &st) != 0 || st.st_size < 28 || st.st_size > MO_MAX_BYTES) {
                close(fd);
                return -1;
        }
        size_t size = (size_t)st.st_size;
        uint8_t *d = malloc(size + 1);
        ssize_t got = d ? read(fd, d, size) : -1;
        close(fd);
        if (got != (ssize_t)size || rd32(d) != MO_MAGIC) {
                free(d);
                return -1;
        }
        d[size] = 0;
        uint32_t n = rd32(d + 8), o = rd32(d + 12), t = rd32(d + 16);
        bool ok = n < 100000 && o <= size && t <= size && (uint64_t)n * 8 <= size - o &&
                  (uint64_t)n * 8 <= size - t;
        for (uint32_t i = 0; ok && i < n; i++) {
                for (int tab = 0; tab < 2; tab++) {
                        const uint8_t *e = d + (tab ? t : o) + i * 8;
                        uint64_t len = rd32(e), off = rd32(e + 4);
                        /* msgfmt writes a NUL after each string */
                        if (off + len >= size || d[off + len] != 0)
                                ok = false;
                }
        }
        if (!ok) {
                free(d);
                return -1;
        }
        m->data = d;
        m->n = n;
        m->orig = o;
        m->trans = t;
        return 0;
}

int ui_i18n_load(void)
{
        const char *dirs[] = {getenv("PK_LOCALE_DIR"), PK_LOCALE_DIR,
                              "/usr/share/printkiosk/locale"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                if (!dirs[i])
                        continue;
                char path[1024];
                snprintf(path, sizeof(path), "%s/de/LC_MESSAGES/printkiosk.mo", dirs[i]);
                if (mo_load(&catalogues[1], path) == 0)
                        return 0;
        }
        return -1;
}

void ui_i18n_set_lang(int lang)
{
        current = (lang == 1 && catalogues[1].data) ? 1 : 0;
}

const char *ui_tr(const char *msgid)
{
        const struct mo *m = &catalogues[current];
        if (!m->data || !msgid)
                return msgid;
        /* msgfmt sorts the original strings: binary search (bounded by log2 n). */
        uint32_t lo = 0, hi = m->n;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                const char *s = (const char *)m->data + rd32(m->data + m->orig + mid * 8 + 4);
                int c = strcmp(msgid, s);
                if (c == 0) {
                        const uint8_t *e = m->data + m->trans + mid * 8;
                        const char *tr = (const char *)m->data + rd32(e + 4);
                        return rd32(e) > 0 ? tr : msgid;
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return msgid;
}

void ui_i18n_free(void)
{
        for (int i = 0; i < 2; i++) {
                free(catalogues[i].data);
                memset(&catalogues[i], 0, sizeof(catalogues[i]));
        }
        current = 0;
}
