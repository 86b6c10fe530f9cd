/* ui/text: text through SDL2_ttf (DejaVu Sans), never baked into images.
 *
 * The two font files are read into memory once at start (ui_text_init), so
 * opening a new pixel size later parses memory and never reads a file on the
 * UI thread (measured before: 50-400 ms frames on the first staff and desk
 * screens, each new size re-reading both 700 kB files, and an 8-size table
 * that thrashed). Fonts are opened once per pixel size and weight (at most
 * UI_FONT_SIZES sizes), regular and bold each when first drawn. Rendered
 * strings are cached as textures keyed by (text, size, colour, bold, wrap
 * width) in a small LRU, so an unchanged frame renders no glyphs.
 * Invariant: the cache holds at most TEXT_CACHE entries, each owning its texture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

#define TEXT_CACHE 384
#define TEXT_MAX 512 /* bytes of one string drawn */

struct text_entry {
        uint64_t hash;
        SDL_Texture *tex;
        int w, h;
        uint64_t used;
};

static struct text_entry cache[TEXT_CACHE];
static uint64_t use_clock;
/* The font files' bytes (regular, bold), owned here from ui_text_init to
 * ui_text_done; SDL_ttf reads them through const-memory RWops. */
static void *font_data[2];
static size_t font_len[2];
#define FONT_FILE_MAX (16u << 20) /* DejaVu Sans is 0.7 MB; a bound for PK_FONT */

static const char *font_path(bool bold)
{
        const char *env = getenv(bold ? "PK_FONT_BOLD" : "PK_FONT");
        if (env)
                return env;
        return bold ? "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
                    : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
}

static TTF_Font *open_font(bool bold, int px)
{
        int i = bold ? 1 : 0;
        if (!font_data[i])
                return NULL;
        SDL_RWops *rw = SDL_RWFromConstMem(font_data[i], (int)font_len[i]);
        return rw ? TTF_OpenFontRW(rw, 1, px) : NULL;
}

int ui_text_init(struct ui *ui, char *err, size_t errlen)
{
        (void)ui;
        if (TTF_Init() != 0) {
                snprintf(err, errlen, "TTF_Init: %s", TTF_GetError());
                return -1;
        }
        /* Read the fonts now, not mid-session (and check they parse). */
        for (int i = 0; i < 2; i++) {
                size_t n = 0;
                void *data = SDL_LoadFile(font_path(i == 1), &n);
                if (!data || n == 0 || n > FONT_FILE_MAX) {
                        SDL_free(data);
                        snprintf(err, errlen, "font %s: %s (package fonts-dejavu-core)",
                                 font_path(i == 1), data ? "too large" : SDL_GetError());
                        return -1;
                }
                font_data[i] = data;
                font_len[i] = n;
                TTF_Font *f = open_font(i == 1, 12);
                if (!f) {
                        snprintf(err, errlen, "font %s: %s", font_path(i == 1), TTF_GetError());
                        return -1;
                }
                TTF_CloseFont(f);
        }
        return 0;
}

static TTF_Font *font_for(struct ui *ui, int px, bool bold)
{
        int slot = -1;
        for (int i = 0; i < ui->n_fonts; i++)
                if (ui->fonts[i].px == px)
                        slot = i;
        if (slot < 0) {
                slot = ui->n_fonts < UI_FONT_SIZES ? ui->n_fonts++ : (int)(ui->frame_no % UI_FONT_SIZES);
                if (ui->fonts[slot].font)
                        TTF_CloseFont(ui->fonts[slot].font);
                if (ui->fonts[slot].bold)
                        TTF_CloseFont(ui->fonts[slot].bold);
                ui->fonts[slot].px = px;
                ui->fonts[slot].font = ui->fonts[slot].bold = NULL;
        }
        TTF_Font **f = bold ? &ui->fonts[slot].bold : &ui->fonts[slot].font;
        if (!*f)
                *f = open_font(bold, px);
        return *f;
}

void ui_text_flush_cache(void)
{
        for (int i = 0; i < TEXT_CACHE; i++) {
                if (cache[i].tex)
                        SDL_DestroyTexture(cache[i].tex);
                memset(&cache[i], 0, sizeof(cache[i]));
        }
}

void ui_text_done(struct ui *ui)
{
        ui_text_flush_cache();
        for (int i = 0; i < ui->n_fonts; i++) {
                if (ui->fonts[i].font)
                        TTF_CloseFont(ui->fonts[i].font);
                if (ui->fonts[i].bold)
                        TTF_CloseFont(ui->fonts[i].bold);
        }
        ui->n_fonts = 0;
        TTF_Quit();
        for (int i = 0; i < 2; i++) {
                SDL_free(font_data[i]);
                font_data[i] = NULL;
                font_len[i] = 0;
        }
}

static uint64_t fnv(const char *s, uint64_t h)
{
        for (size_t i = 0; s[i] && i < TEXT_MAX; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ull;
        }
        return h;
}

float ui_text(struct ui *ui, const char *s, struct ui_rect r, float size_dp, SDL_Color c,
              int align, bool bold, bool wrap)
{
        if (!s || !*s)
                return 0;
        int px = (int)(size_dp * ui->dp + 0.5f);
        if (px < 6)
                px = 6;
        int wrap_w = wrap ? (int)r.w : 0;
        char key[64];
        snprintf(key, sizeof(key), "%d/%d/%08x/%d/", px, bold, ((unsigned)c.r << 24 | (unsigned)c.g << 16 | (unsigned)c.b << 8 | c.a), wrap_w);
        uint64_t h = fnv(s, fnv(key, 1469598103934665603ull));
        struct text_entry *e = NULL, *victim = &cache[0];
        for (int i = 0; i < TEXT_CACHE; i++) {
                if (cache[i].tex && cache[i].hash == h) {
                        e = &cache[i];
                        break;
                }
                /* victim: an empty slot if any, else the least recently used */
                if (victim->tex && (!cache[i].tex || cache[i].used < victim->used))
                        victim = &cache[i];
        }
        if (!e) {
                TTF_Font *f = font_for(ui, px, bold);
                if (!f)
                        return 0;
                char buf[TEXT_MAX + 1];
                snprintf(buf, sizeof(buf), "%s", s);
                SDL_Surface *surf = wrap ? TTF_RenderUTF8_Blended_Wrapped(f, buf, c, (Uint32)wrap_w)
                                         : TTF_RenderUTF8_Blended(f, buf, c);
                if (!surf)
                        return 0;
                if (victim->tex)
                        SDL_DestroyTexture(victim->tex);
                e = victim;
                e->tex = SDL_CreateTextureFromSurface(ui->ren, surf);
                e->w = surf->w;
                e->h = surf->h;
                e->hash = h;
                SDL_FreeSurface(surf);
                if (!e->tex)
                        return 0;
        }
        e->used = ++use_clock;
        float w = (float)e->w, hh = (float)e->h;
        float x = r.x;
        if (align == UI_CENTRE)
                x = r.x + (r.w - w) / 2;
        else if (align == UI_RIGHT)
                x = r.x + r.w - w;
        float y = r.y + (r.h - hh) / 2;
        if (wrap && hh > r.h)
                y = r.y;
        SDL_Rect dst = {(int)x, (int)y, e->w, e->h};
        SDL_RenderCopy(ui->ren, e->tex, NULL, &dst);
        return hh;
}
