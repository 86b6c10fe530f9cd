/* ui/texcache: thumbnail textures with an LRU memory bound and an upload budget.
 *
 * Thumbnails arrive from the core as RGB pixel buffers (on the main thread,
 * drained from the bus); they wait in a bounded queue and at most `budget` are
 * turned into textures per frame, so a burst of thumbnails never stalls a
 * frame. Textures are evicted least-recently-used when their bytes exceed
 * max_bytes. Invariants: bytes == sum of w*h*4 of live textures <= max_bytes
 * (after each upload); state[i] says where photo i is (none, queued, texture,
 * failed); at most QUEUE_MAX buffers wait. Main thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

#define QUEUE_MAX 128

enum { T_NONE = 0, T_QUEUED, T_TEX, T_FAILED };

struct entry {
        int index;
        SDL_Texture *tex;
        int w, h;
        uint64_t used;
};

struct pending {
        int index, w, h, stride;
        uint8_t *pixels;
};

struct ui_texcache {
        size_t max_bytes, bytes;
        uint8_t state[APP_KIOSK_MAX_PHOTOS];
        int slot[APP_KIOSK_MAX_PHOTOS]; /* entry index when T_TEX */
        struct entry *entries;
        int n_entries, cap_entries;
        struct pending queue[QUEUE_MAX];
        int q_head, q_len;
        uint64_t clock;
};

struct ui_texcache *ui_texcache_new(size_t max_bytes)
{
        struct ui_texcache *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->max_bytes = max_bytes;
        return c;
}

void ui_texcache_clear(struct ui_texcache *c)
{
        for (int i = 0; i < c->n_entries; i++)
                SDL_DestroyTexture(c->entries[i].tex);
        c->n_entries = 0;
        c->bytes = 0;
        for (int i = 0; i < c->q_len; i++)
                free(c->queue[(c->q_head + i) % QUEUE_MAX].pixels);
        c->q_len = c->q_head = 0;
        memset(c->state, 0, sizeof(c->state));
}

struct ui_texcache *ui_texcache_free(struct ui_texcache *c)
{
        if (!c)
                return NULL;
        ui_texcache_clear(c);
        free(c->entries);
        free(c);
        return NULL;
}

static bool valid(int index)
{
        return index >= 0 && index < APP_KIOSK_MAX_PHOTOS;
}

void ui_texcache_offer(struct ui_texcache *c, int index, uint8_t *pixels, int w, int h, int stride)
{
        if (!valid(index) || !pixels || w <= 0 || h <= 0 || stride < w * 3 ||
            c->state[index] == T_TEX || c->state[index] == T_QUEUED) {
                free(pixels);
                return;
        }
        if (c->q_len == QUEUE_MAX) { /* drop the oldest: it will be asked for again */
                struct pending *old = &c->queue[c->q_head];
                c->state[old->index] = T_NONE;
                free(old->pixels);
                c->q_head = (c->q_head + 1) % QUEUE_MAX;
                c->q_len--;
        }
        c->queue[(c->q_head + c->q_len) % QUEUE_MAX] =
                (struct pending){.index = index, .w = w, .h = h, .stride = stride, .pixels = pixels};
        c->q_len++;
        c->state[index] = T_QUEUED;
}

static void evict_lru(struct ui_texcache *c)
{
        int victim = -1;
        for (int i = 0; i < c->n_entries; i++)
                if (victim < 0 || c->entries[i].used < c->entries[victim].used)
                        victim = i;
        if (victim < 0)
                return;
        struct entry *e = &c->entries[victim];
        c->bytes -= (size_t)e->w * e->h * 4;
        c->state[e->index] = T_NONE;
        SDL_DestroyTexture(e->tex);
        c->entries[victim] = c->entries[--c->n_entries];
        if (victim < c->n_entries)
                c->slot[c->entries[victim].index] = victim;
}

int ui_texcache_upload(struct ui_texcache *c, SDL_Renderer *ren, int budget)
{
        int done = 0;
        while (c->q_len > 0 && done < budget) {
                struct pending p = c->queue[c->q_head];
                c->q_head = (c->q_head + 1) % QUEUE_MAX;
                c->q_len--;
                size_t need = (size_t)p.w * p.h * 4;
                while (c->bytes + need > c->max_bytes && c->n_entries > 0)
                        evict_lru(c);
                if (c->n_entries == c->cap_entries) {
                        int cap = c->cap_entries ? c->cap_entries * 2 : 256;
                        struct entry *ne = realloc(c->entries, (size_t)cap * sizeof(*ne));
                        if (!ne) {
                                free(p.pixels);
                                c->state[p.index] = T_NONE;
                                continue;
                        }
                        c->entries = ne;
                        c->cap_entries = cap;
                }
                SDL_Texture *t = SDL_CreateTexture(ren, SDL_PIXELFORMAT_RGB24,
                                                   SDL_TEXTUREACCESS_STATIC, p.w, p.h);
                if (t && SDL_UpdateTexture(t, NULL, p.pixels, p.stride) == 0) {
                        SDL_SetTextureScaleMode(t, SDL_ScaleModeLinear);
                        c->entries[c->n_entries] =
                                (struct entry){.index = p.index, .tex = t, .w = p.w, .h = p.h,
                                               .used = ++c->clock};
                        c->slot[p.index] = c->n_entries++;
                        c->state[p.index] = T_TEX;
                        c->bytes += need;
                } else {
                        if (t)
                                SDL_DestroyTexture(t);
                        c->state[p.index] = T_FAILED;
                }
                free(p.pixels);
                done++;
        }
        return done;
}

SDL_Texture *ui_texcache_get(struct ui_texcache *c, int index, int *ret_w, int *ret_h)
{
        if (!valid(index) || c->state[index] != T_TEX)
                return NULL;
        struct entry *e = &c->entries[c->slot[index]];
        e->used = ++c->clock;
        if (ret_w)
                *ret_w = e->w;
        if (ret_h)
                *ret_h = e->h;
        return e->tex;
}

bool ui_texcache_known(struct ui_texcache *c, int index)
{
        return valid(index) && c->state[index] != T_NONE;
}

void ui_texcache_mark_failed(struct ui_texcache *c, int index)
{
        if (valid(index) && c->state[index] == T_NONE)
                c->state[index] = T_FAILED;
}

bool ui_texcache_failed(struct ui_texcache *c, int index)
{
        return valid(index) && c->state[index] == T_FAILED;
}

size_t ui_texcache_bytes(struct ui_texcache *c) { return c->bytes; }
int ui_texcache_count(struct ui_texcache *c) { return c->n_entries; }
int ui_texcache_queued(struct ui_texcache *c) { return c->q_len; }
