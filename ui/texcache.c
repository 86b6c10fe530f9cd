/* ui/texcache: thumbnail textures with an LRU memory bound, a texture pool and
 * an upload budget in time.
 *
 * Thumbnails arrive from the core as RGB pixel buffers (on the main thread,
 * drained from the bus); they wait in a bounded queue and are turned into
 * textures at the start of a frame until the frame's upload time budget is
 * spent (at least one per frame), so a burst of thumbnails never stalls a
 * frame. Why it is built this way (measured, ui/README.md "Frame time"):
 *  - With a fit size (the grid's cell, ui_texcache_set_fit) a thumbnail whose
 *    short side is smaller than the cell is scaled once, here, so its short
 *    side is exactly the cell: the grid then draws every cell as a 1:1 copy
 *    (a centred crop), where SDL's software renderer otherwise stretched each
 *    cell bilinearly on every frame (0.4 ms a cell, 20 cells a frame). The
 *    scaling is SDL's own SDL_SoftStretchLinear, the filter the per-frame
 *    stretch used, so the picture is the same. Thumbnails larger than the
 *    cell are kept as they are (never scaled down: the edit screen draws the
 *    same texture larger).
 *  - Textures are XRGB8888 (the software renderer's and the window's format)
 *    and streaming: the pixels are converted straight into the texture's own
 *    memory, without SDL's per-update temporary buffer.
 *  - Textures are never destroyed while the cache lives: an evicted or
 *    cleared one goes to a free pool and is reused for the next thumbnail of
 *    the same size. Creating a texture zeroes fresh memory, and a page fault
 *    costs ~25 us on the kiosk VM: 3.8-4.2 ms per 600-730 kB texture,
 *    measured. So the pool is also filled ahead (ui_texcache_prewarm), one
 *    texture per idle loop turn on the screens before the grid.
 * Invariants: bytes == sum of w*h*4 of live and pooled textures <= max_bytes
 * (after each upload, unless one texture alone is larger); state[i] says
 * where photo i is (none, queued, texture, failed); at most QUEUE_MAX buffers
 * wait; a pooled texture belongs to no photo. Main thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

#define QUEUE_MAX 128
#define TEX_SIDE_MAX 4096 /* a scaled texture's longest side (panoramas stay unscaled) */
#define TEX_FORMAT SDL_PIXELFORMAT_RGB888 /* XRGB8888: no conversion when drawn */

enum { T_NONE = 0, T_QUEUED, T_TEX, T_FAILED };

struct entry {
        int index;
        SDL_Texture *tex;
        int w, h;
        uint64_t used;
};

struct pooled {
        SDL_Texture *tex;
        int w, h;
};

struct pending {
        int index, w, h, stride;
        uint8_t *pixels;
};

struct ui_texcache {
        size_t max_bytes, bytes;
        int fit_px; /* > 0: scale up so the short side is this (grid cells) */
        uint8_t state[APP_KIOSK_MAX_PHOTOS];
        uint8_t preview[APP_KIOSK_MAX_PHOTOS]; /* made from a phone's own preview */
        int slot[APP_KIOSK_MAX_PHOTOS]; /* entry index when T_TEX */
        struct entry *entries;          /* live textures, one per photo */
        int n_entries, cap_entries;
        struct pooled *pool;            /* textures without a photo, reused by size */
        int n_pool, cap_pool;
        struct pending queue[QUEUE_MAX];
        int q_head, q_len;
        uint64_t clock;
        int last_w, last_h;             /* size the latest thumbnail's texture got */
        uint8_t *stage;                 /* XRGB copy of a thumbnail before scaling */
        size_t stage_cap;
        struct ui_texcache_stats st;
};

struct ui_texcache *ui_texcache_new(size_t max_bytes)
{
        struct ui_texcache *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->max_bytes = max_bytes;
        return c;
}

static size_t tex_bytes(int w, int h)
{
        return (size_t)w * (size_t)h * 4;
}

static void pool_destroy(struct ui_texcache *c, int i)
{
        c->bytes -= tex_bytes(c->pool[i].w, c->pool[i].h);
        SDL_DestroyTexture(c->pool[i].tex);
        c->pool[i] = c->pool[--c->n_pool];
}

/* Keep a texture for reuse; destroys it when the pool cannot grow. */
static void pool_put(struct ui_texcache *c, SDL_Texture *t, int w, int h)
{
        if (c->n_pool == c->cap_pool) {
                int cap = c->cap_pool ? c->cap_pool * 2 : 64;
                struct pooled *np = realloc(c->pool, (size_t)cap * sizeof(*np));
                if (!np) {
                        c->bytes -= tex_bytes(w, h);
                        SDL_DestroyTexture(t);
                        return;
                }
                c->pool = np;
                c->cap_pool = cap;
        }
        c->pool[c->n_pool++] = (struct pooled){.tex = t, .w = w, .h = h};
}

void ui_texcache_clear(struct ui_texcache *c)
{
        /* Textures go to the pool: the next customer's thumbnails reuse them. */
        for (int i = 0; i < c->n_entries; i++)
                pool_put(c, c->entries[i].tex, c->entries[i].w, c->entries[i].h);
        c->n_entries = 0;
        for (int i = 0; i < c->q_len; i++)
                free(c->queue[(c->q_head + i) % QUEUE_MAX].pixels);
        c->q_len = c->q_head = 0;
        memset(c->state, 0, sizeof(c->state));
        memset(c->preview, 0, sizeof(c->preview));
}

struct ui_texcache *ui_texcache_free(struct ui_texcache *c)
{
        if (!c)
                return NULL;
        ui_texcache_clear(c);
        while (c->n_pool > 0)
                pool_destroy(c, c->n_pool - 1);
        free(c->pool);
        free(c->entries);
        free(c->stage);
        free(c);
        return NULL;
}

bool ui_texcache_set_fit(struct ui_texcache *c, int px)
{
        if (px < 0)
                px = 0;
        if (px == c->fit_px)
                return false;
        c->fit_px = px;
        /* Textures made for the old cell would be stretched every frame
         * again: drop them (to the pool; other sizes are destroyed when
         * their bytes are needed). The caller asks for the thumbnails again. */
        ui_texcache_clear(c);
        return true;
}

static bool valid(int index)
{
        return index >= 0 && index < APP_KIOSK_MAX_PHOTOS;
}

void ui_texcache_offer(struct ui_texcache *c, int index, uint8_t *pixels, int w, int h, int stride)
{
        if (!valid(index) || !pixels || w <= 0 || h <= 0 || w > TEX_SIDE_MAX || h > TEX_SIDE_MAX ||
            stride < w * 3 || c->state[index] == T_TEX || c->state[index] == T_QUEUED) {
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

int ui_texcache_drop_queued_outside(struct ui_texcache *c, int first, int last)
{
        /* compact the ring in place, keeping order */
        int kept = 0, dropped = 0;
        for (int i = 0; i < c->q_len; i++) {
                struct pending p = c->queue[(c->q_head + i) % QUEUE_MAX];
                if (p.index < first || p.index > last) {
                        c->state[p.index] = T_NONE; /* asked for again if it comes back */
                        free(p.pixels);
                        dropped++;
                        continue;
                }
                c->queue[(c->q_head + kept) % QUEUE_MAX] = p;
                kept++;
        }
        c->q_len = kept;
        return dropped;
}

static void drop_entry(struct ui_texcache *c, int victim);

/* The least recently used texture goes to the pool. */
static void evict_lru(struct ui_texcache *c)
{
        int victim = -1;
        for (int i = 0; i < c->n_entries; i++)
                if (victim < 0 || c->entries[i].used < c->entries[victim].used)
                        victim = i;
        if (victim >= 0)
                drop_entry(c, victim);
}

/* Entry `victim`'s texture goes to the pool; its photo has none. */
static void drop_entry(struct ui_texcache *c, int victim)
{
        struct entry *e = &c->entries[victim];
        c->state[e->index] = T_NONE;
        pool_put(c, e->tex, e->w, e->h);
        c->entries[victim] = c->entries[--c->n_entries];
        if (victim < c->n_entries)
                c->slot[c->entries[victim].index] = victim;
}

void ui_texcache_fit_size(int w, int h, int fit_px, int *ret_w, int *ret_h)
{
        int s = w < h ? w : h;
        *ret_w = w;
        *ret_h = h;
        if (fit_px <= 0 || s >= fit_px)
                return; /* never scaled down */
        /* short side exactly fit_px, long side rounded */
        long lw = w < h ? fit_px : ((long)w * fit_px + s / 2) / s;
        long lh = w < h ? ((long)h * fit_px + s / 2) / s : fit_px;
        if (lw > TEX_SIDE_MAX || lh > TEX_SIDE_MAX)
                return;
        *ret_w = (int)lw;
        *ret_h = (int)lh;
}

/* A texture of w x h: from the pool, else made after making room. */
static SDL_Texture *texture_for(struct ui_texcache *c, SDL_Renderer *ren, int w, int h)
{
        size_t need = tex_bytes(w, h);
        /* bound: each turn takes a pooled texture, makes one, or removes an
         * entry or a pooled texture */
        for (int turn = 0, turns = c->n_entries + c->n_pool + 2; turn < turns; turn++) {
                for (int i = 0; i < c->n_pool; i++)
                        if (c->pool[i].w == w && c->pool[i].h == h) {
                                SDL_Texture *t = c->pool[i].tex;
                                c->pool[i] = c->pool[--c->n_pool];
                                c->st.reused++;
                                return t;
                        }
                if (c->bytes + need <= c->max_bytes || (c->n_pool == 0 && c->n_entries == 0))
                        break;
                if (c->n_pool > 0)
                        pool_destroy(c, c->n_pool - 1); /* a size no longer made */
                else
                        evict_lru(c);
        }
        SDL_Texture *t = SDL_CreateTexture(ren, TEX_FORMAT, SDL_TEXTUREACCESS_STREAMING, w, h);
        if (!t)
                return NULL;
        SDL_SetTextureScaleMode(t, SDL_ScaleModeLinear); /* for the screens that draw it larger */
        c->bytes += need;
        c->st.created++;
        return t;
}

/* RGB24 p -> XRGB texture t of w x h (scaled from p's size when they differ). */
static int fill_texture(struct ui_texcache *c, SDL_Texture *t, int w, int h, const struct pending *p)
{
        void *dst;
        int pitch;
        if (SDL_LockTexture(t, NULL, &dst, &pitch) != 0)
                return -1;
        int r;
        if (w == p->w && h == p->h) {
                r = SDL_ConvertPixels(w, h, SDL_PIXELFORMAT_RGB24, p->pixels, p->stride, TEX_FORMAT,
                                      dst, pitch);
        } else {
                size_t need = tex_bytes(p->w, p->h);
                if (need > c->stage_cap) { /* grows to the largest thumbnail once */
                        uint8_t *ns = realloc(c->stage, need);
                        if (!ns) {
                                SDL_UnlockTexture(t);
                                return -1;
                        }
                        c->stage = ns;
                        c->stage_cap = need;
                }
                r = SDL_ConvertPixels(p->w, p->h, SDL_PIXELFORMAT_RGB24, p->pixels, p->stride, TEX_FORMAT,
                                      c->stage, p->w * 4);
                SDL_Surface *from = r == 0 ? SDL_CreateRGBSurfaceWithFormatFrom(c->stage, p->w, p->h, 32,
                                                                                p->w * 4, TEX_FORMAT)
                                           : NULL;
                SDL_Surface *to = from ? SDL_CreateRGBSurfaceWithFormatFrom(dst, w, h, 32, pitch, TEX_FORMAT)
                                       : NULL;
                r = to ? SDL_SoftStretchLinear(from, NULL, to, NULL) : -1;
                SDL_FreeSurface(to);
                SDL_FreeSurface(from);
        }
        SDL_UnlockTexture(t);
        return r;
}

int ui_texcache_upload(struct ui_texcache *c, SDL_Renderer *ren, int max_count, double budget_ms)
{
        int done = 0;
        Uint64 t0 = SDL_GetPerformanceCounter(), freq = SDL_GetPerformanceFrequency();
        Uint64 budget = (Uint64)(budget_ms * (double)freq / 1000.0);
        while (c->q_len > 0 && done < max_count &&
               (done == 0 || SDL_GetPerformanceCounter() - t0 < budget)) {
                struct pending p = c->queue[c->q_head];
                c->q_head = (c->q_head + 1) % QUEUE_MAX;
                c->q_len--;
                done++;
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
                int w, h;
                ui_texcache_fit_size(p.w, p.h, c->fit_px, &w, &h);
                SDL_Texture *t = texture_for(c, ren, w, h);
                c->last_w = w;
                c->last_h = h;
                if (t && fill_texture(c, t, w, h, &p) == 0) {
                        c->entries[c->n_entries] =
                                (struct entry){.index = p.index, .tex = t, .w = w, .h = h, .used = ++c->clock};
                        c->slot[p.index] = c->n_entries++;
                        c->state[p.index] = T_TEX;
                        c->st.uploaded++;
                        if (w != p.w || h != p.h)
                                c->st.scaled++;
                } else {
                        if (t)
                                pool_put(c, t, w, h);
                        c->state[p.index] = T_FAILED;
                }
                free(p.pixels);
        }
        return done;
}

bool ui_texcache_prewarm(struct ui_texcache *c, SDL_Renderer *ren, int count)
{
        int w = c->last_w, h = c->last_h;
        if (w <= 0 || h <= 0) /* nothing uploaded yet: most cameras' 4:3 landscape */
                ui_texcache_fit_size(4, 3, c->fit_px, &w, &h);
        if (c->fit_px <= 0 || w > TEX_SIDE_MAX || h > TEX_SIDE_MAX)
                return false;
        int have = 0;
        for (int i = 0; i < c->n_entries; i++)
                have += c->entries[i].w == w && c->entries[i].h == h;
        for (int i = 0; i < c->n_pool; i++)
                have += c->pool[i].w == w && c->pool[i].h == h;
        if (have >= count || c->bytes + tex_bytes(w, h) > c->max_bytes)
                return false;
        SDL_Texture *t = SDL_CreateTexture(ren, TEX_FORMAT, SDL_TEXTUREACCESS_STREAMING, w, h);
        if (!t)
                return false;
        SDL_SetTextureScaleMode(t, SDL_ScaleModeLinear);
        c->bytes += tex_bytes(w, h);
        c->st.created++;
        c->st.prewarmed++;
        pool_put(c, t, w, h);
        return true;
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

void ui_texcache_set_preview(struct ui_texcache *c, int index, bool on)
{
        if (valid(index))
                c->preview[index] = on;
}

bool ui_texcache_is_preview(struct ui_texcache *c, int index)
{
        return valid(index) && c->preview[index];
}

void ui_texcache_forget(struct ui_texcache *c, int index)
{
        if (!valid(index))
                return;
        if (c->state[index] == T_TEX) {
                drop_entry(c, c->slot[index]);
        } else if (c->state[index] == T_QUEUED) {
                int kept = 0;
                for (int i = 0; i < c->q_len; i++) {
                        struct pending q = c->queue[(c->q_head + i) % QUEUE_MAX];
                        if (q.index == index)
                                free(q.pixels);
                        else
                                c->queue[(c->q_head + kept++) % QUEUE_MAX] = q;
                }
                c->q_len = kept;
        }
        c->state[index] = T_NONE;
        c->preview[index] = 0;
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

void ui_texcache_stats(struct ui_texcache *c, struct ui_texcache_stats *ret)
{
        *ret = c->st;
        ret->pooled = c->n_pool;
}
