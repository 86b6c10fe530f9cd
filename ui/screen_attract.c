/* ui/screen_attract: what the kiosk does, the price list, language choice,
 * and the way in. Shown when no session runs; touching "Start" starts one. */
#include <stdio.h>

#include "ui/ui.h"

void ui_screen_attract(struct ui *ui)
{
        float pad = ui_dp(ui, 40);
        struct ui_rect all = {pad, pad, ui->w - 2 * pad, ui->h - 2 * pad};
        ui_text(ui, _("Print your photos"), (struct ui_rect){all.x, all.y, all.w, ui_dp(ui, 120)}, 80,
                UI_ACCENT, UI_LEFT, true, false);
        ui_label(ui, _("Prints in minutes from your phone, memory card or USB stick."),
                 (struct ui_rect){all.x, all.y + ui_dp(ui, 130), all.w, ui_dp(ui, 110)}, 36, UI_LEFT);
        float top = all.y + ui_dp(ui, 270);
        float colw = ui->landscape ? (all.w - pad) / 2 : all.w;
        /* How it works */
        static const char *const steps[] = {
                N_("1. Insert a memory card or USB stick, or connect your phone"),
                N_("2. Choose photos, sizes and paper"),
                N_("3. Print now, or collect your order later"),
        };
        float y = top;
        for (int i = 0; i < 3; i++) {
                ui_fill(ui, (struct ui_rect){all.x, y, colw, ui_dp(ui, 110)}, UI_PANEL);
                ui_text(ui, _(steps[i]), (struct ui_rect){all.x + ui_dp(ui, 24), y, colw - ui_dp(ui, 48),
                                                          ui_dp(ui, 110)}, 32, UI_FG, UI_LEFT, false, true);
                y += ui_dp(ui, 130);
        }
        /* Price list */
        float px = ui->landscape ? all.x + colw + pad : all.x;
        float py = ui->landscape ? top : y + ui_dp(ui, 20);
        /* Before the core is up (the first frames of a cold start) the list
         * is left empty; it appears when the boot thread is done. While a
         * start over ends the last session it comes from the UI's copy. */
        const struct app_kiosk_product *prods;
        char cur[4];
        int n = ui_products(ui, &prods, cur);
        ui_text(ui, _("Prices"), (struct ui_rect){px, py, colw, ui_dp(ui, 70)}, 44, UI_ACCENT, UI_LEFT,
                true, false);
        py += ui_dp(ui, 80);
        if (n == 0 && ui->booted) {
                ui->frame_no_prices = true; /* READY with the "ask staff" screen */
                ui_label(ui, _("Please ask staff for prices."), (struct ui_rect){px, py, colw, ui_dp(ui, 60)},
                         32, UI_LEFT);
        }
        for (int i = 0; i < n && i < APP_KIOSK_MAX_PRODUCTS && py < ui->h - ui_dp(ui, 420); i++) {
                char line[160], money[32];
                for (int j = 0; j < prods[i].n_papers; j++) {
                        ui_format_money(money, sizeof(money), prods[i].papers[j].price_minor, cur);
                        snprintf(line, sizeof(line), "%s  %s", prods[i].name, _(prods[i].papers[j].name));
                        ui_text(ui, line, (struct ui_rect){px, py, colw * 0.65f, ui_dp(ui, 56)}, 32, UI_FG,
                                UI_LEFT, false, false);
                        ui_text(ui, money, (struct ui_rect){px + colw * 0.65f, py, colw * 0.35f, ui_dp(ui, 56)},
                                32, UI_FG, UI_RIGHT, true, false);
                        ui->frame_prices = true; /* READY waits for this (app/watchdog.h) */
                        py += ui_dp(ui, 60);
                }
        }
        /* Language and the way in */
        float bh = ui_dp(ui, 140), by = ui->h - pad - bh;
        float lw = ui_dp(ui, 260);
        if (ui_button(ui, "lang-en", "English", (struct ui_rect){all.x, by - ui_dp(ui, 130), lw, ui_dp(ui, 110)},
                      ui->lang == 0)) {
                ui->lang = 0;
                ui_i18n_set_lang(0);
        }
        if (ui_button(ui, "lang-de", "Deutsch",
                      (struct ui_rect){all.x + lw + ui_dp(ui, 20), by - ui_dp(ui, 130), lw, ui_dp(ui, 110)},
                      ui->lang == 1)) {
                ui->lang = 1;
                ui_i18n_set_lang(1);
        }
        float half = (all.w - ui_dp(ui, 20)) / 2;
        if (ui_button(ui, "collect", _("Collect an order"), (struct ui_rect){all.x, by, half, bh}, false))
                snprintf(ui->message, sizeof(ui->message), "%s",
                         _("Collecting orders is not available on this kiosk yet. Please ask staff."));
        if (ui_button(ui, "start", _("Start"), (struct ui_rect){all.x + half + ui_dp(ui, 20), by, half, bh},
                      true)) {
                if (!ui_core(ui)) {
                        /* honoured when the core is up or done ending (ui.c) */
                        ui->start_pending = true;
                        return;
                }
                app_kiosk_session_start(ui->kiosk);
                ui_go(ui, UI_SCREEN_SOURCE);
                return;
        }
        if (ui->message[0])
                ui_text(ui, ui->message, (struct ui_rect){all.x, by - ui_dp(ui, 240), all.w, ui_dp(ui, 100)}, 30,
                        UI_WARN, UI_LEFT, true, true);
}
