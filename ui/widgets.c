/* ui/widgets: the high-contrast theme and the immediate-mode widgets.
 * Invariant: a tap is consumed by at most one widget (the first drawn that
 * contains it; overlays are drawn last but check first via ui_tap_in order in
 * the screen code). Every tappable thing is >= 96 dp tall. */
#include <math.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

const SDL_Color UI_BG = {0x10, 0x14, 0x18, 0xff};
const SDL_Color UI_FG = {0xff, 0xff, 0xff, 0xff};
const SDL_Color UI_ACCENT = {0xff, 0xd4, 0x00, 0xff};
const SDL_Color UI_ACCENT_FG = {0x00, 0x00, 0x00, 0xff};
const SDL_Color UI_PANEL = {0x26, 0x2d, 0x36, 0xff};
const SDL_Color UI_DIM = {0xa8, 0xb3, 0xbf, 0xff};
const SDL_Color UI_WARN = {0xff, 0x6b, 0x4a, 0xff};
const SDL_Color UI_OK = {0x4c, 0xd9, 0x64, 0xff};

static SDL_Rect to_sdl(struct ui_rect r)
{
        return (SDL_Rect){(int)lroundf(r.x), (int)lroundf(r.y), (int)lroundf(r.w), (int)lroundf(r.h)};
}

void ui_fill(struct ui *ui, struct ui_rect r, SDL_Color c)
{
        SDL_SetRenderDrawColor(ui->ren, c.r, c.g, c.b, c.a);
        SDL_Rect s = to_sdl(r);
        SDL_RenderFillRect(ui->ren, &s);
}

void ui_frame(struct ui *ui, struct ui_rect r, SDL_Color c, float thick_dp)
{
        float t = fmaxf(1, ui_dp(ui, thick_dp));
        ui_fill(ui, (struct ui_rect){r.x, r.y, r.w, t}, c);
        ui_fill(ui, (struct ui_rect){r.x, r.y + r.h - t, r.w, t}, c);
        ui_fill(ui, (struct ui_rect){r.x, r.y, t, r.h}, c);
        ui_fill(ui, (struct ui_rect){r.x + r.w - t, r.y, t, r.h}, c);
}

void ui_label(struct ui *ui, const char *s, struct ui_rect r, float size_dp, int align)
{
        ui_text(ui, s, r, size_dp, UI_FG, align, false, true);
}

/* r inside the hit clip (scrolled lists): the visible part, or w = 0. */
static struct ui_rect clipped(const struct ui *ui, struct ui_rect r)
{
        if (ui->hit_clip.w <= 0)
                return r;
        const struct ui_rect c = ui->hit_clip;
        float x0 = fmaxf(r.x, c.x), y0 = fmaxf(r.y, c.y);
        float x1 = fminf(r.x + r.w, c.x + c.w), y1 = fminf(r.y + r.h, c.y + c.h);
        if (x1 <= x0 || y1 <= y0)
                return (struct ui_rect){0, 0, 0, 0};
        return (struct ui_rect){x0, y0, x1 - x0, y1 - y0};
}

void ui_clip_begin(struct ui *ui, struct ui_rect r)
{
        ui->hit_clip = r;
        SDL_Rect s = to_sdl(r);
        SDL_RenderSetClipRect(ui->ren, &s);
}

void ui_clip_end(struct ui *ui)
{
        ui->hit_clip = (struct ui_rect){0, 0, 0, 0};
        SDL_RenderSetClipRect(ui->ren, NULL);
}

void ui_scroll_bar(struct ui *ui, const struct ui_scroll *s, struct ui_rect r)
{
        if (s->max <= 0)
                return;
        float content = r.h + s->max;
        float h = fmaxf(ui_dp(ui, 40), r.h * r.h / content);
        float y = r.y + (r.h - h) * (s->offset / s->max);
        ui_fill(ui, (struct ui_rect){r.x + r.w - ui_dp(ui, 10), y, ui_dp(ui, 8), h}, UI_DIM);
}

void ui_register_hit(struct ui *ui, const char *id, struct ui_rect r)
{
        r = clipped(ui, r);
        if (ui->n_hits >= UI_MAX_HITS || !id || r.w <= 0)
                return;
        struct ui_hit *h = &ui->hits[ui->n_hits++];
        snprintf(h->id, sizeof(h->id), "%s", id);
        h->r = to_sdl(r);
}

bool ui_tap_in(struct ui *ui, struct ui_rect r)
{
        r = clipped(ui, r);
        if (!ui->tap_valid || r.w <= 0)
                return false;
        if (ui->tap_x >= r.x && ui->tap_x < r.x + r.w && ui->tap_y >= r.y && ui->tap_y < r.y + r.h) {
                ui->tap_valid = false;
                ui->dirty = true;
                return true;
        }
        return false;
}

bool ui_hit_area(struct ui *ui, const char *id, struct ui_rect r)
{
        ui_register_hit(ui, id, r);
        return ui_tap_in(ui, r);
}

bool ui_button_enabled(struct ui *ui, const char *id, const char *label, struct ui_rect r,
                       bool primary, bool enabled)
{
        SDL_Color bg = primary ? UI_ACCENT : UI_PANEL;
        SDL_Color fg = primary ? UI_ACCENT_FG : UI_FG;
        if (!enabled) {
                bg = UI_PANEL;
                fg = (SDL_Color){0x6a, 0x74, 0x80, 0xff};
        }
        bool pressed = enabled && ui->pointer_down && !ui->drag_moved && ui->down_x >= r.x &&
                       ui->down_x < r.x + r.w && ui->down_y >= r.y && ui->down_y < r.y + r.h;
        if (pressed)
                bg = (SDL_Color){(Uint8)(bg.r * 3 / 4), (Uint8)(bg.g * 3 / 4), (Uint8)(bg.b * 3 / 4), 0xff};
        ui_fill(ui, r, bg);
        if (!primary)
                ui_frame(ui, r, enabled ? UI_DIM : UI_PANEL, 2);
        struct ui_rect inner = {r.x + ui_dp(ui, 12), r.y, r.w - ui_dp(ui, 24), r.h};
        ui_text(ui, label, inner, 36, fg, UI_CENTRE, true, false);
        if (!enabled)
                return false;
        ui_register_hit(ui, id, r);
        return ui_tap_in(ui, r);
}

bool ui_button(struct ui *ui, const char *id, const char *label, struct ui_rect r, bool primary)
{
        return ui_button_enabled(ui, id, label, r, primary, true);
}

struct ui_rect ui_top_bar(struct ui *ui, const char *title, bool start_over)
{
        float bar = ui_dp(ui, 120), pad = ui_dp(ui, 20);
        ui_fill(ui, (struct ui_rect){0, 0, (float)ui->w, bar}, UI_PANEL);
        float bw = ui_dp(ui, 300);
        ui_text(ui, title, (struct ui_rect){pad, 0, ui->w - bw - 3 * pad, bar},
                ui->landscape ? 44 : 36, UI_FG, UI_LEFT, true, true);
        if (start_over &&
            ui_button(ui, "start-over", _("Start over"),
                      (struct ui_rect){ui->w - bw - pad, ui_dp(ui, 10), bw, bar - ui_dp(ui, 20)}, false))
                ui_start_over(ui);
        if (ui->message[0]) {
                struct ui_rect m = {0, bar, (float)ui->w, ui_dp(ui, 90)};
                ui_fill(ui, m, UI_WARN);
                ui_text(ui, ui->message, (struct ui_rect){pad, m.y, m.w - 2 * pad, m.h}, 30,
                        UI_ACCENT_FG, UI_CENTRE, true, true);
                bar += m.h;
        }
        return (struct ui_rect){pad, bar + pad, ui->w - 2 * pad, ui->h - bar - 2 * pad};
}

struct ui_rect ui_bottom_bar(struct ui *ui, struct ui_rect c, const char *back_label,
                             const char *next_label, bool next_enabled, int *ret_action)
{
        float bh = ui_dp(ui, 120), gap = ui_dp(ui, 20);
        float y = c.y + c.h - bh;
        float bw = fminf(ui_dp(ui, 460), (c.w - gap) / 2);
        *ret_action = 0;
        if (back_label && ui_button(ui, "back", back_label, (struct ui_rect){c.x, y, bw, bh}, false))
                *ret_action = -1;
        if (next_label &&
            ui_button_enabled(ui, "next", next_label, (struct ui_rect){c.x + c.w - bw, y, bw, bh},
                              true, next_enabled))
                *ret_action = 1;
        return (struct ui_rect){c.x, c.y, c.w, c.h - bh - gap};
}

void ui_format_money(char *buf, size_t n, int64_t minor, const char *currency)
{
        /* Integer minor units to "12.34 EUR": no floating point near money. */
        const char *sign = minor < 0 ? "-" : "";
        int64_t a = minor < 0 ? -minor : minor;
        snprintf(buf, n, "%s%lld.%02lld %s", sign, (long long)(a / 100), (long long)(a % 100),
                 currency && *currency ? currency : "");
}

void ui_scroll_update(struct ui *ui, struct ui_scroll *s, struct ui_rect r, float dt)
{
        bool inside = ui->down_x >= r.x && ui->down_x < r.x + r.w && ui->down_y >= r.y &&
                      ui->down_y < r.y + r.h;
        if (ui->pointer_down && inside && ui->drag_moved) {
                s->dragging = true;
                s->offset -= ui->drag_dy;
                ui->drag_dy = 0;
                s->velocity = -ui->fling_v;
        } else if (s->dragging && !ui->pointer_down) {
                s->dragging = false; /* release: keep the velocity for the fling */
                if (SDL_GetTicks64() - ui->last_move_ticks > 80)
                        s->velocity = 0; /* held still before release: no fling */
        }
        if (ui->wheel_y != 0 && ui->ptr_x >= r.x && ui->ptr_x < r.x + r.w) {
                s->velocity = 0;
                s->offset -= ui->wheel_y * ui_dp(ui, 120);
                ui->wheel_y = 0;
        }
        if (!s->dragging && s->velocity != 0) {
                s->offset += s->velocity * dt;
                /* exponential friction: a fling of 3000 px/s runs about a second */
                s->velocity *= expf(-3.0f * dt);
                if (fabsf(s->velocity) < 20)
                        s->velocity = 0;
                ui->animating = true;
        }
        if (s->offset < 0) {
                s->offset = 0;
                s->velocity = 0;
        }
        if (s->offset > s->max) {
                s->offset = s->max > 0 ? s->max : 0;
                s->velocity = 0;
        }
}

void ui_draw_qr(struct ui *ui, const char *text, struct ui_rect r)
{
        QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!q)
                return;
        int n = q->width, quiet = 4;
        float cell = floorf(fminf(r.w, r.h) / (float)(n + 2 * quiet));
        float side = cell * (n + 2 * quiet);
        struct ui_rect bg = {r.x + (r.w - side) / 2, r.y + (r.h - side) / 2, side, side};
        ui_fill(ui, bg, (SDL_Color){255, 255, 255, 255});
        for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                        if (q->data[y * n + x] & 1)
                                ui_fill(ui, (struct ui_rect){bg.x + (x + quiet) * cell,
                                                             bg.y + (y + quiet) * cell, cell, cell},
                                        (SDL_Color){0, 0, 0, 255});
        QRcode_free(q);
}
