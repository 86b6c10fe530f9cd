/* ui/screen_edit: crop, rotate, border and quantity for one photo.
 * The crop frame is locked to the chosen product's aspect (the first product
 * until one is chosen); drag moves it, pinch and wheel zoom, and the effective
 * resolution is shown live with a warning below APP_KIOSK_LOW_RES_DPI. The
 * crop lives in the core (app_kiosk_set_crop); this screen only draws it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

static void product_mm(struct ui *ui, int *w, int *h)
{
        struct app_kiosk_product prods[APP_KIOSK_MAX_PRODUCTS];
        struct app_kiosk_summary sum;
        app_kiosk_summary(ui->kiosk, &sum);
        int n = app_kiosk_products(ui->kiosk, prods, APP_KIOSK_MAX_PRODUCTS);
        *w = 152;
        *h = 102;
        for (int i = 0; i < n && i < APP_KIOSK_MAX_PRODUCTS; i++) {
                if (i == 0 || strcmp(prods[i].sku, sum.sku) == 0) {
                        *w = prods[i].width_mm;
                        *h = prods[i].height_mm;
                }
        }
}

void ui_screen_edit(struct ui *ui)
{
        int idx = ui->edit_index;
        struct app_kiosk_photo p;
        if (app_kiosk_photo_get(ui->kiosk, idx, &p) != 0) {
                ui_go(ui, UI_SCREEN_GRID);
                return;
        }
        struct ui_rect c = ui_top_bar(ui, _("Crop and rotate"), true);
        int act;
        c = ui_bottom_bar(ui, c, NULL, _("Done"), true, &act);
        if (act > 0) {
                ui_go(ui, ui->prev_screen == UI_SCREEN_REVIEW ? UI_SCREEN_REVIEW : UI_SCREEN_GRID);
                return;
        }
        float side = ui->landscape ? ui_dp(ui, 440) : 0;
        float tools_h = ui->landscape ? 0 : ui_dp(ui, 380);
        struct ui_rect img = {c.x, c.y, c.w - side - (side > 0 ? ui_dp(ui, 20) : 0), c.h - tools_h};
        struct ui_rect tools = ui->landscape ? (struct ui_rect){c.x + c.w - side, c.y, side, c.h}
                                             : (struct ui_rect){c.x, c.y + c.h - tools_h + ui_dp(ui, 20), c.w, tools_h - ui_dp(ui, 20)};
        /* the photo, rotated in 90° steps */
        int tw = 0, th = 0;
        SDL_Texture *t = ui_texcache_get(ui->tex, idx, &tw, &th);
        bool swap = p.rotate == 90 || p.rotate == 270;
        float pw = swap ? th : tw, ph = swap ? tw : th;
        if (!t || pw <= 0 || ph <= 0) {
                ui_fill(ui, img, UI_PANEL);
                ui_text(ui, _("No preview"), img, 32, UI_DIM, UI_CENTRE, false, false);
        } else {
                float s = fminf(img.w / pw, img.h / ph);
                struct ui_rect d = {img.x + (img.w - pw * s) / 2, img.y + (img.h - ph * s) / 2, pw * s, ph * s};
                SDL_Rect dst = {(int)(d.x + d.w / 2 - (swap ? d.h : d.w) / 2), (int)(d.y + d.h / 2 - (swap ? d.w : d.h) / 2),
                                (int)(swap ? d.h : d.w), (int)(swap ? d.w : d.h)};
                SDL_RenderCopyEx(ui->ren, t, NULL, &dst, p.rotate, NULL, SDL_FLIP_NONE);
                /* crop frame: product aspect in the photo's orientation */
                int mw, mh;
                product_mm(ui, &mw, &mh);
                float fa = (pw >= ph) == (mw >= mh) ? (float)mw / mh : (float)mh / mw;
                float fw = d.w, fh = d.w / fa;
                if (fh > d.h) {
                        fh = d.h;
                        fw = d.h * fa;
                }
                fw /= (float)p.crop_zoom;
                fh /= (float)p.crop_zoom;
                /* input: drag moves the frame, wheel and pinch zoom it */
                double cx = p.crop_x, cy = p.crop_y, zoom = p.crop_zoom;
                bool changed = false;
                if (ui->pointer_down && ui->drag_moved && ui->down_x >= d.x && ui->down_x < d.x + d.w) {
                        cx = (ui->ptr_x - d.x) / d.w;
                        cy = (ui->ptr_y - d.y) / d.h;
                        changed = true;
                }
                if (ui->wheel_y != 0) {
                        zoom *= powf(1.15f, ui->wheel_y);
                        changed = true;
                }
                if (ui->pinch != 1.0f) {
                        zoom *= ui->pinch;
                        changed = true;
                }
                zoom = fmin(8, fmax(1, zoom));
                /* keep the frame inside the photo */
                double hx = fw / d.w / 2, hy = fh / d.h / 2;
                cx = fmin(1 - hx, fmax(hx, cx));
                cy = fmin(1 - hy, fmax(hy, cy));
                if (changed)
                        app_kiosk_set_crop(ui->kiosk, idx, cx, cy, zoom, p.rotate, p.borderless);
                struct ui_rect fr = {d.x + (float)cx * d.w - fw / 2, d.y + (float)cy * d.h - fh / 2, fw, fh};
                SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_BLEND);
                SDL_Color shade = {0, 0, 0, 150};
                ui_fill(ui, (struct ui_rect){d.x, d.y, d.w, fr.y - d.y}, shade);
                ui_fill(ui, (struct ui_rect){d.x, fr.y + fr.h, d.w, d.y + d.h - fr.y - fr.h}, shade);
                ui_fill(ui, (struct ui_rect){d.x, fr.y, fr.x - d.x, fr.h}, shade);
                ui_fill(ui, (struct ui_rect){fr.x + fr.w, fr.y, d.x + d.w - fr.x - fr.w, fr.h}, shade);
                SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_NONE);
                ui_frame(ui, fr, UI_ACCENT, 4);
                if (!p.borderless)
                        ui_frame(ui, (struct ui_rect){fr.x + fr.w * 0.03f, fr.y + fr.w * 0.03f, fr.w * 0.94f, fr.h - fr.w * 0.06f},
                                 UI_FG, 1);
        }
        /* tools */
        float bh = ui_dp(ui, 110), g = ui_dp(ui, 16);
        float bw = ui->landscape ? tools.w : (tools.w - 2 * g) / 3;
        struct ui_rect b1 = {tools.x, tools.y, bw, bh};
        struct ui_rect b2 = ui->landscape ? (struct ui_rect){tools.x, tools.y + bh + g, bw, bh}
                                          : (struct ui_rect){tools.x + bw + g, tools.y, bw, bh};
        struct ui_rect b3 = ui->landscape ? (struct ui_rect){tools.x, tools.y + 2 * (bh + g), bw, bh}
                                          : (struct ui_rect){tools.x + 2 * (bw + g), tools.y, bw, bh};
        if (ui_button(ui, "rotate", _("Rotate"), b1, false))
                app_kiosk_set_crop(ui->kiosk, idx, 0.5, 0.5, 1, (p.rotate + 90) % 360, p.borderless);
        if (ui_button(ui, "border", p.borderless ? _("Borderless") : _("White border"), b2, false))
                app_kiosk_set_crop(ui->kiosk, idx, p.crop_x, p.crop_y, p.crop_zoom, p.rotate, !p.borderless);
        if (ui_button(ui, "reset-crop", _("Reset"), b3, false))
                app_kiosk_set_crop(ui->kiosk, idx, 0.5, 0.5, 1, 0, p.borderless);
        float y = ui->landscape ? b3.y + bh + g : tools.y + bh + g;
        /* quantity */
        float qw = ui_dp(ui, 110);
        if (ui_button(ui, "qty-minus", "-", (struct ui_rect){tools.x, y, qw, bh}, false) && p.quantity > 0)
                app_kiosk_set_quantity(ui->kiosk, idx, p.quantity - 1);
        char q[32];
        snprintf(q, sizeof(q), _("%d prints"), p.quantity);
        ui_text(ui, q, (struct ui_rect){tools.x + qw, y, ui_dp(ui, 220), bh}, 36, UI_FG, UI_CENTRE, true, false);
        if (ui_button(ui, "qty-plus", "+", (struct ui_rect){tools.x + qw + ui_dp(ui, 220), y, qw, bh}, false) &&
            p.quantity < APP_KIOSK_MAX_QTY)
                app_kiosk_set_quantity(ui->kiosk, idx, p.quantity + 1);
        y += bh + g;
        int dpi = app_kiosk_effective_dpi(ui->kiosk, idx);
        char s[128];
        if (dpi > 0) {
                snprintf(s, sizeof(s), dpi < APP_KIOSK_LOW_RES_DPI ? _("%d dpi: this print may look soft") : _("%d dpi: sharp"), dpi);
                ui_text(ui, s, (struct ui_rect){tools.x, y, tools.w, ui_dp(ui, 60)}, 30,
                        dpi < APP_KIOSK_LOW_RES_DPI ? UI_WARN : UI_OK, UI_LEFT, true, true);
        }
}
