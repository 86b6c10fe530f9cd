/* ui/screen_products: size and paper with prices, and the order summary with
 * totals in integer minor units (computed by the core, formatted here).
 * Invariant: every product the core offers is reachable: the list scrolls
 * (drag, fling, wheel) inside its own rect, above the fixed summary, and taps
 * count only on the visible part of a row. */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

void ui_screen_products(struct ui *ui)
{
        struct app_kiosk_summary sum;
        app_kiosk_summary(ui->kiosk, &sum);
        struct ui_rect c = ui_top_bar(ui, _("Size and paper"), true);
        int act;
        c = ui_bottom_bar(ui, c, _("Back"), _("Next"), sum.sku[0] && sum.prints > 0, &act);
        if (act < 0) {
                ui_go(ui, UI_SCREEN_GRID);
                return;
        }
        if (act > 0) {
                ui_go(ui, UI_SCREEN_REVIEW);
                return;
        }
        struct app_kiosk_product prods[APP_KIOSK_MAX_PRODUCTS];
        int n = app_kiosk_products(ui->kiosk, prods, APP_KIOSK_MAX_PRODUCTS);
        if (n == 0) {
                ui_label(ui, _("No price list is loaded, so nothing can be ordered. Please ask staff."), c, 36, UI_CENTRE);
                return;
        }
        float bh = ui_dp(ui, 120), g = ui_dp(ui, 16);
        float sum_h = ui_dp(ui, 200);
        /* The list scrolls (inertial, ui/widgets.c) above the fixed summary, so
         * every product is reachable whatever the window's size or orientation;
         * a partly shown last row and the scroll bar say there is more. */
        struct ui_rect list = {c.x, c.y, c.w, c.h - sum_h - g};
        int rows = n < APP_KIOSK_MAX_PRODUCTS ? n : APP_KIOSK_MAX_PRODUCTS;
        /* Narrow (portrait): the name on its own line above full-width papers,
         * so prices never overflow their buttons. */
        bool narrow = c.w < ui_dp(ui, 1200);
        float name_h = narrow ? ui_dp(ui, 56) : 0, row_h = name_h + bh;
        ui->products_scroll.max = rows * (row_h + g) - g - list.h;
        ui_scroll_update(ui, &ui->products_scroll, list, ui->frame_dt);
        ui_clip_begin(ui, list);
        float y = list.y - ui->products_scroll.offset;
        for (int i = 0; i < rows; i++, y += row_h + g) {
                if (y + row_h < list.y || y > list.y + list.h)
                        continue; /* not visible */
                float name_w = narrow ? 0 : c.w * 0.3f;
                if (narrow)
                        ui_text(ui, prods[i].name, (struct ui_rect){c.x, y, c.w, name_h}, 36, UI_FG,
                                UI_LEFT, true, false);
                else
                        ui_text(ui, prods[i].name, (struct ui_rect){c.x, y, name_w - g, bh}, 40, UI_FG,
                                UI_LEFT, true, true);
                int np = prods[i].n_papers;
                float bw = (c.w - name_w - g * (np - 1)) / (np > 0 ? np : 1);
                for (int j = 0; j < np; j++) {
                        char label[96], money[32], id[40];
                        ui_format_money(money, sizeof(money), prods[i].papers[j].price_minor, sum.currency);
                        snprintf(label, sizeof(label), "%s  %s", _(prods[i].papers[j].name), money);
                        snprintf(id, sizeof(id), "product-%d-%d", i, j);
                        bool chosen = !strcmp(sum.sku, prods[i].sku) && !strcmp(sum.paper, prods[i].papers[j].id);
                        if (ui_button(ui, id, label, (struct ui_rect){c.x + name_w + j * (bw + g), y + name_h, bw, bh}, chosen))
                                app_kiosk_choose_product(ui->kiosk, prods[i].sku, prods[i].papers[j].id);
                }
        }
        ui_clip_end(ui);
        ui_scroll_bar(ui, &ui->products_scroll, (struct ui_rect){list.x, list.y, list.w + g, list.h});
        /* summary */
        struct ui_rect sr = {c.x, c.y + c.h - sum_h, c.w, sum_h};
        ui_fill(ui, sr, UI_PANEL);
        char line[160], unit[32], total[32];
        ui_format_money(unit, sizeof(unit), sum.unit_minor, sum.currency);
        ui_format_money(total, sizeof(total), sum.total_minor, sum.currency);
        if (sum.sku[0])
                snprintf(line, sizeof(line), _("%d photos, %d prints x %s"), sum.photos, sum.prints, unit);
        else
                snprintf(line, sizeof(line), _("%d photos, %d prints: choose a size"), sum.photos, sum.prints);
        float p = ui_dp(ui, 24);
        ui_text(ui, line, (struct ui_rect){sr.x + p, sr.y, sr.w * 0.6f, sr.h}, 36, UI_FG, UI_LEFT, false, true);
        snprintf(line, sizeof(line), _("Total %s"), total);
        ui_text(ui, line, (struct ui_rect){sr.x + sr.w * 0.5f, sr.y, sr.w * 0.5f - p, sr.h}, 48, UI_ACCENT, UI_RIGHT, true, false);
}
