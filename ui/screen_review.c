/* ui/review: the selected photos before ordering, each as a soft proof for
 * the chosen paper (image/proof, made on the core's workers; the thumbnail
 * shows until it arrives), with the gamut warning toggle. Without proofs an
 * honest note. Previews are keyed by preview_tag = (product, paper, warning):
 * a new choice clears them and late answers for an old one are dropped. */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

void ui_screen_review(struct ui *ui)
{
        struct app_kiosk_summary sum;
        app_kiosk_summary(ui->kiosk, &sum);
        struct ui_rect c = ui_top_bar(ui, _("Check your prints"), true);
        int act;
        c = ui_bottom_bar(ui, c, _("Back"), _("Next"), sum.prints > 0, &act);
        if (act < 0) {
                ui_go(ui, UI_SCREEN_PRODUCTS);
                return;
        }
        if (act > 0) {
                ui_go(ui, UI_SCREEN_CHECKOUT);
                return;
        }
        bool proofs = app_kiosk_has(ui->kiosk, APP_KIOSK_HAS_PREVIEW);
        float bh = ui_dp(ui, 110);
        if (ui_button_enabled(ui, "gamut", ui->gamut_warning ? _("Colour warning: on") : _("Colour warning: off"),
                              (struct ui_rect){c.x, c.y, ui_dp(ui, 480), bh}, false, proofs))
                ui->gamut_warning = !ui->gamut_warning;
        if (!proofs)
                ui_text(ui, _("Colour preview of the paper is not available on this kiosk yet."),
                        (struct ui_rect){c.x + ui_dp(ui, 500), c.y, c.w - ui_dp(ui, 500), bh}, 28, UI_DIM, UI_LEFT, false, true);
        /* FNV-1a of the choice: a stable key without a table */
        uint64_t tag = 1469598103934665603ull;
        for (const char *q = sum.sku; *q; q++)
                tag = (tag ^ (unsigned char)*q) * 1099511628211ull;
        for (const char *q = sum.paper; *q; q++)
                tag = (tag ^ (unsigned char)*q) * 1099511628211ull;
        tag = (tag ^ (ui->gamut_warning ? 1u : 2u)) * 1099511628211ull;
        if (tag != ui->preview_tag) {
                ui->preview_tag = tag;
                ui_texcache_clear(ui->ptex);
                memset(ui->preview_asked, 0, sizeof(ui->preview_asked));
                ui->previews_outstanding = 0;
        }
        struct ui_rect list = {c.x, c.y + bh + ui_dp(ui, 20), c.w, c.h - bh - ui_dp(ui, 20)};
        float rh = ui_dp(ui, 260), g = ui_dp(ui, 16);
        int n = app_kiosk_photo_count(ui->kiosk);
        int shown = 0;
        struct ui_scroll *s = &ui->review_scroll;
        s->max = sum.photos * (rh + g) - list.h;
        ui_scroll_update(ui, s, list, ui->frame_dt);
        SDL_Rect clip = {(int)list.x, (int)list.y, (int)list.w, (int)list.h};
        SDL_RenderSetClipRect(ui->ren, &clip);
        for (int i = 0; i < n && shown < sum.photos; i++) {
                struct app_kiosk_photo p;
                if (app_kiosk_photo_get(ui->kiosk, i, &p) != 0 || p.quantity == 0)
                        continue;
                float y = list.y + shown * (rh + g) - s->offset;
                shown++;
                if (y + rh < list.y || y > list.y + list.h)
                        continue;
                ui_fill(ui, (struct ui_rect){list.x, y, list.w, rh}, UI_PANEL);
                struct ui_rect pr = {list.x + g, y + g, rh * 1.4f, rh - 2 * g};
                int tw, th;
                SDL_Texture *t = proofs ? ui_texcache_get(ui->ptex, i, &tw, &th) : NULL;
                if (t) {
                        float sa = (float)tw / th, ra = pr.w / pr.h;
                        SDL_Rect d = {(int)pr.x, (int)pr.y, (int)pr.w, (int)pr.h};
                        if (sa > ra) {
                                d.h = (int)(pr.w / sa);
                                d.y = (int)(pr.y + (pr.h - d.h) / 2);
                        } else {
                                d.w = (int)(pr.h * sa);
                                d.x = (int)(pr.x + (pr.w - d.w) / 2);
                        }
                        SDL_RenderCopy(ui->ren, t, NULL, &d);
                } else {
                        ui_draw_photo(ui, i, pr, false);
                        if (proofs && !ui->preview_asked[i] &&
                            app_kiosk_request_preview(ui->kiosk, i, ui->gamut_warning, tag) == 0) {
                                ui->preview_asked[i] = 1;
                                ui->previews_outstanding++;
                        }
                }
                char line[160];
                snprintf(line, sizeof(line), _("%d x %s"), p.quantity, p.name);
                float tx = list.x + rh * 1.4f + 2 * g;
                ui_text(ui, line, (struct ui_rect){tx, y + g, list.w - tx - ui_dp(ui, 240), ui_dp(ui, 60)}, 32, UI_FG, UI_LEFT, true, false);
                int dpi = app_kiosk_effective_dpi(ui->kiosk, i);
                if (dpi > 0 && dpi < APP_KIOSK_LOW_RES_DPI)
                        ui_text(ui, _("Low resolution: this print may look soft"),
                                (struct ui_rect){tx, y + ui_dp(ui, 90), list.w - tx, ui_dp(ui, 50)}, 28, UI_WARN, UI_LEFT, true, false);
                char id[40];
                snprintf(id, sizeof(id), "review-edit-%d", i);
                if (ui_button(ui, id, _("Edit"), (struct ui_rect){list.x + list.w - ui_dp(ui, 220), y + (rh - bh) / 2, ui_dp(ui, 200), bh}, false)) {
                        ui->edit_index = i;
                        ui_go(ui, UI_SCREEN_EDIT);
                }
        }
        SDL_RenderSetClipRect(ui->ren, NULL);
}
