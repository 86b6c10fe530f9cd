/* ui/screen_grid: the photo grid, virtualised.
 *
 * A row model (date header rows and cell rows, with their y offsets) is built
 * incrementally as photos arrive, so 10 000 photos cost one pass in total, not
 * one per frame. Each frame only the rows inside the viewport are drawn and
 * only their thumbnails (plus one screen ahead and behind) are asked for; the
 * texture cache bounds memory. Tap toggles a photo; a selected cell shows its
 * quantity with - and + and an edit button; a header selects its whole day.
 * Invariants: rows[] covers photos [0, model_n) in order; row_y is increasing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

#define MAX_ROWS (APP_KIOSK_MAX_PHOTOS * 2)

struct row {
        int first, count; /* photos; count 0 = header */
        char date[11];
        float y, h;       /* dp */
};

static struct row rows[MAX_ROWS];
static int n_rows, model_n, model_cols;
static char last_date[11];
static int visible_cells, visible_cells_max, req_first = -1, req_last = -1, req_count = -1;

void ui_grid_reset(void)
{
        n_rows = model_n = model_cols = 0;
        last_date[0] = '\0';
        req_first = req_last = req_count = -1;
}

int ui_grid_visible_cells(void)
{
        return visible_cells_max;
}

static const float CELL = 320, GAP = 16, HEADER = 110; /* dp */

/* Columns and cell size (px) for content width w: cells of at least CELL
 * dp, stretched to fill the width. */
static float grid_cell(struct ui *ui, float w, int *ret_cols)
{
        float cell = ui_dp(ui, CELL), gap = ui_dp(ui, GAP);
        int cols = (int)((w + gap) / (cell + gap));
        if (cols < 2)
                cols = 2;
        *ret_cols = cols;
        return (w + gap) / cols - gap;
}

/* Thumbnails are scaled once to this cell at upload; a new cell size
 * (resize, orientation) asks for them again at the new size. */
static void grid_fit(struct ui *ui, float cell)
{
        if (ui_texcache_set_fit(ui->tex, (int)cell)) {
                req_first = req_last = req_count = -1;
                ui->thumbs_outstanding = 0;
        }
}

void ui_grid_photo_state(struct ui *ui, int index)
{
        struct app_kiosk_photo p;
        if (!ui_texcache_is_preview(ui->tex, index) || app_kiosk_photo_get(ui->kiosk, index, &p) != 0 ||
            p.downloading)
                return;
        ui_texcache_forget(ui->tex, index);
        req_first = req_last = req_count = -1; /* ask again, this photo included */
}

bool ui_grid_prewarm(struct ui *ui)
{
        if (ui->screen != UI_SCREEN_ATTRACT && ui->screen != UI_SCREEN_SOURCE &&
            ui->screen != UI_SCREEN_GRID)
                return false;
        /* the content width ui_top_bar leaves (20 dp each side) */
        int cols;
        float cell = grid_cell(ui, (float)ui->w - 2 * ui_dp(ui, 20), &cols);
        grid_fit(ui, cell);
        int per_col = (int)ceilf((float)ui->h / (cell + ui_dp(ui, GAP))) + 1;
        return ui_texcache_prewarm(ui->tex, ui->ren, 3 * per_col * cols);
}

static float rows_end(void)
{
        return n_rows ? rows[n_rows - 1].y + rows[n_rows - 1].h : 0;
}

static void add_row(int first, int count, const char *date, float h)
{
        if (n_rows >= MAX_ROWS)
                return;
        struct row *r = &rows[n_rows];
        float y = rows_end();
        r->first = first;
        r->count = count;
        snprintf(r->date, sizeof(r->date), "%s", date);
        r->y = y;
        r->h = h;
        n_rows++;
}

static void model_update(struct ui *ui, int cols)
{
        /* The core replaced its photo list underneath us (a source opened or
         * ended without this screen's start over): our rows, textures and
         * outstanding requests are of other photos. Seen in the escape storm. */
        static uint64_t model_epoch;
        uint64_t epoch = app_kiosk_photos_epoch(ui->kiosk);
        if (epoch != model_epoch) {
                model_epoch = epoch;
                ui_grid_reset();
                ui_texcache_clear(ui->tex);
                ui->thumbs_outstanding = 0;
        }
        if (cols != model_cols)
                ui_grid_reset();
        model_cols = cols;
        int n = app_kiosk_photo_count(ui->kiosk);
        for (int i = model_n; i < n; i++) {
                struct app_kiosk_photo p;
                if (app_kiosk_photo_get(ui->kiosk, i, &p) != 0)
                        break;
                struct row *last = n_rows ? &rows[n_rows - 1] : NULL;
                bool new_group = (i == 0) || strcmp(p.date, last_date) != 0;
                if (new_group) {
                        snprintf(last_date, sizeof(last_date), "%s", p.date);
                        if (p.date[0] || i > 0)
                                add_row(i, 0, p.date, HEADER);
                        add_row(i, 1, p.date, CELL + GAP);
                } else if (last && last->count > 0 && last->count < cols) {
                        last->count++;
                } else {
                        add_row(i, 1, p.date, CELL + GAP);
                }
                model_n = i + 1;
        }
}

bool ui_photo_low_res(struct ui *ui, const struct app_kiosk_photo *p)
{
        if (p->width <= 0 || p->height <= 0)
                return false;
        struct app_kiosk_product prods[APP_KIOSK_MAX_PRODUCTS];
        int n = app_kiosk_products(ui->kiosk, prods, APP_KIOSK_MAX_PRODUCTS);
        int long_mm = 152; /* 6x4 in when there is no price list */
        for (int i = 0; i < n && i < APP_KIOSK_MAX_PRODUCTS; i++) {
                int l = prods[i].width_mm > prods[i].height_mm ? prods[i].width_mm : prods[i].height_mm;
                if (i == 0 || l < long_mm)
                        long_mm = l;
        }
        int need = (int)(long_mm / 25.4 * APP_KIOSK_LOW_RES_DPI);
        int have = p->width > p->height ? p->width : p->height;
        return have < need;
}

struct ui_rect ui_draw_photo(struct ui *ui, int index, struct ui_rect r, bool cover)
{
        int tw, th;
        SDL_Texture *t = ui_texcache_get(ui->tex, index, &tw, &th);
        if (!t) {
                ui_fill(ui, r, UI_PANEL);
                const char *s = ui_texcache_failed(ui->tex, index) ? _("No preview") : "...";
                ui_text(ui, s, r, 24, UI_DIM, UI_CENTRE, false, false);
                return r;
        }
        float sa = (float)tw / th, ra = r.w / r.h;
        if (cover) {
                SDL_Rect dst = {(int)r.x, (int)r.y, (int)r.w, (int)r.h};
                if (tw >= dst.w && th >= dst.h && (tw == dst.w || th == dst.h)) {
                        /* made for this cell (ui_texcache_set_fit): the centre,
                         * copied 1:1, which the software renderer does as a
                         * plain row copy instead of a bilinear stretch */
                        SDL_Rect src = {(tw - dst.w) / 2, (th - dst.h) / 2, dst.w, dst.h};
                        SDL_RenderCopy(ui->ren, t, &src, &dst);
                        return r;
                }
                SDL_Rect src = {0, 0, tw, th};
                if (sa > ra) {
                        src.w = (int)(th * ra);
                        src.x = (tw - src.w) / 2;
                } else {
                        src.h = (int)(tw / ra);
                        src.y = (th - src.h) / 2;
                }
                SDL_RenderCopy(ui->ren, t, &src, &dst);
                return r;
        }
        struct ui_rect d = r;
        if (sa > ra) {
                d.h = r.w / sa;
                d.y = r.y + (r.h - d.h) / 2;
        } else {
                d.w = r.h * sa;
                d.x = r.x + (r.w - d.w) / 2;
        }
        SDL_Rect dst = {(int)d.x, (int)d.y, (int)d.w, (int)d.h};
        SDL_RenderCopy(ui->ren, t, NULL, &dst);
        return d;
}

static void request_visible(struct ui *ui, int first, int last, int count)
{
        if (first == req_first && last == req_last && count == req_count)
                return;
        req_first = first;
        req_last = last;
        req_count = count;
        int want[APP_KIOSK_MAX_REQUEST], n = 0;
        for (int i = first; i <= last && n < APP_KIOSK_MAX_REQUEST; i++)
                if (!ui_texcache_known(ui->tex, i))
                        want[n++] = i;
        if (n == 0)
                return;
        int64_t g = app_kiosk_request_thumbs(ui->kiosk, want, n);
        if (g > 0) {
                ui->thumb_generation = g;
                ui->thumbs_outstanding = n;
        }
}

static void select_day(struct ui *ui, int r0)
{
        /* Select every photo of the header's day that is not selected yet. */
        for (int r = r0 + 1; r < n_rows && rows[r].count > 0; r++)
                for (int i = rows[r].first; i < rows[r].first + rows[r].count; i++) {
                        struct app_kiosk_photo p;
                        if (app_kiosk_photo_get(ui->kiosk, i, &p) == 0 && p.quantity == 0)
                                app_kiosk_set_quantity(ui->kiosk, i, 1);
                }
}

void ui_screen_grid(struct ui *ui)
{
        struct app_kiosk_summary sum;
        app_kiosk_summary(ui->kiosk, &sum);
        char title[96];
        snprintf(title, sizeof(title), _("Tap photos to print (%d selected)"), sum.photos);
        struct ui_rect c = ui_top_bar(ui, title, true);
        char next[64];
        snprintf(next, sizeof(next), _("Next: %d prints"), sum.prints);
        int act;
        c = ui_bottom_bar(ui, c, _("Back"), next, sum.prints > 0, &act);
        if (act < 0) {
                ui_go(ui, UI_SCREEN_SOURCE);
                return;
        }
        if (act > 0) {
                ui_go(ui, UI_SCREEN_PRODUCTS);
                return;
        }
        float gap = ui_dp(ui, GAP);
        int cols;
        float cell = grid_cell(ui, c.w, &cols);
        float scale = (cell + gap) / ui_dp(ui, CELL + GAP); /* row heights are in unstretched dp */
        grid_fit(ui, cell);
        model_update(ui, cols);
        struct ui_scroll *s = &ui->grid_scroll;
        s->max = ui_dp(ui, rows_end()) * scale - c.h;
        ui_scroll_update(ui, s, c, ui->frame_dt);
        SDL_Rect clip = {(int)c.x, (int)c.y, (int)c.w, (int)c.h};
        SDL_RenderSetClipRect(ui->ren, &clip);
        /* first visible row: binary search on y */
        float top_dp = s->offset / ui->dp / scale;
        int lo = 0, hi = n_rows;
        while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (rows[mid].y + rows[mid].h <= top_dp)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        visible_cells = 0;
        int first_idx = -1, last_idx = -1;
        for (int r = lo; r < n_rows; r++) {
                float y = c.y + ui_dp(ui, rows[r].y) * scale - s->offset;
                if (y > c.y + c.h)
                        break;
                if (rows[r].count == 0) {
                        struct ui_rect hr = {c.x, y, c.w, ui_dp(ui, HEADER) * scale - gap};
                        ui_text(ui, rows[r].date[0] ? rows[r].date : _("Date unknown"),
                                (struct ui_rect){c.x, y, c.w / 2, hr.h}, 36, UI_FG, UI_LEFT, true, false);
                        char id[40];
                        snprintf(id, sizeof(id), "select-day-%d", r);
                        if (ui_button(ui, id, _("Select all"),
                                      (struct ui_rect){c.x + c.w - ui_dp(ui, 320), y + ui_dp(ui, 4), ui_dp(ui, 320), hr.h - ui_dp(ui, 8)},
                                      false))
                                select_day(ui, r);
                        continue;
                }
                for (int k = 0; k < rows[r].count; k++) {
                        int i = rows[r].first + k;
                        struct ui_rect cr = {c.x + k * (cell + gap), y, cell, cell};
                        struct app_kiosk_photo p;
                        if (app_kiosk_photo_get(ui->kiosk, i, &p) != 0)
                                continue;
                        visible_cells++;
                        if (first_idx < 0)
                                first_idx = i;
                        last_idx = i;
                        ui_draw_photo(ui, i, cr, true);
                        char id[40];
                        /* the core's per-photo state: a photo the sandboxed decoder
                         * gave up on cannot be chosen; a chosen one whose stick
                         * was pulled out before it was copied waits for the stick */
                        if (p.unreadable || p.reinsert) {
                                struct ui_rect b = {cr.x, cr.y + cr.h / 2 - ui_dp(ui, 30), cr.w, ui_dp(ui, 60)};
                                ui_fill(ui, b, UI_WARN);
                                ui_text(ui, p.unreadable ? _("Can't be read")
                                            : p.downloading ? _("Reconnect phone") : _("Reinsert card"),
                                        b, 24, UI_ACCENT_FG, UI_CENTRE, true, false);
                        } else if (p.downloading) {
                                /* the phone's own preview (or nothing yet)
                                 * while the photo itself comes over: it
                                 * cannot be chosen until it is here */
                                struct ui_rect b = {cr.x, cr.y + cr.h - ui_dp(ui, 52), cr.w, ui_dp(ui, 52)};
                                ui_fill(ui, b, UI_PANEL);
                                ui_text(ui, _("Copying from phone..."), b, 22, UI_DIM, UI_CENTRE, false, false);
                        }
                        if (!p.downloading && ui_photo_low_res(ui, &p)) {
                                struct ui_rect b = {cr.x + ui_dp(ui, 8), cr.y + ui_dp(ui, 8), ui_dp(ui, 150), ui_dp(ui, 44)};
                                ui_fill(ui, b, UI_WARN);
                                ui_text(ui, _("Low res"), b, 24, UI_ACCENT_FG, UI_CENTRE, true, false);
                        }
                        if (p.quantity > 0) {
                                ui_frame(ui, cr, UI_ACCENT, 8);
                                float sh = ui_dp(ui, 96), bw = cell / 4;
                                struct ui_rect strip = {cr.x, cr.y + cr.h - sh, cr.w, sh};
                                ui_fill(ui, strip, (SDL_Color){0, 0, 0, 255});
                                snprintf(id, sizeof(id), "minus-%d", i);
                                if (ui_button(ui, id, "-", (struct ui_rect){strip.x, strip.y, bw, sh}, false))
                                        app_kiosk_set_quantity(ui->kiosk, i, p.quantity - 1);
                                char q[8];
                                snprintf(q, sizeof(q), "%d", p.quantity);
                                ui_text(ui, q, (struct ui_rect){strip.x + bw, strip.y, bw, sh}, 40, UI_ACCENT, UI_CENTRE, true, false);
                                snprintf(id, sizeof(id), "plus-%d", i);
                                if (ui_button(ui, id, "+", (struct ui_rect){strip.x + 2 * bw, strip.y, bw, sh}, false) &&
                                    p.quantity < APP_KIOSK_MAX_QTY)
                                        app_kiosk_set_quantity(ui->kiosk, i, p.quantity + 1);
                                snprintf(id, sizeof(id), "edit-%d", i);
                                if (ui_button(ui, id, _("Edit"), (struct ui_rect){strip.x + 3 * bw, strip.y, bw, sh}, false)) {
                                        ui->edit_index = i;
                                        ui_go(ui, UI_SCREEN_EDIT);
                                }
                        }
                        snprintf(id, sizeof(id), "cell-%d", i);
                        if (ui_hit_area(ui, id, cr))
                                app_kiosk_set_quantity(ui->kiosk, i, p.quantity > 0 ? 0 : 1);
                }
        }
        SDL_RenderSetClipRect(ui->ren, NULL);
        if (visible_cells > visible_cells_max)
                visible_cells_max = visible_cells;
        if (n_rows == 0)
                ui_text(ui, _("Reading photos..."), c, 40, UI_DIM, UI_CENTRE, false, false);
        /* thumbnails for what is visible and one screen either side */
        if (first_idx >= 0) {
                int per_screen = last_idx - first_idx + 1;
                int a = first_idx - per_screen, b = last_idx + per_screen;
                if (a < 0)
                        a = 0;
                if (b >= model_n)
                        b = model_n - 1;
                /* visible first, so they arrive first */
                int want_first = first_idx, want_last = last_idx;
                int n_known = 0;
                for (int i = want_first; i <= want_last; i++)
                        n_known += ui_texcache_known(ui->tex, i);
                /* what scrolled out of that window is not uploaded (it is
                 * asked for again if it comes back) */
                ui_texcache_drop_queued_outside(ui->tex, a, b);
                if (n_known == want_last - want_first + 1)
                        request_visible(ui, a, b, model_n); /* visible done: prefetch around */
                else
                        request_visible(ui, want_first, want_last, model_n);
        }
}
