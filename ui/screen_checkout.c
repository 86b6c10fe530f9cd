/* ui/screen_checkout: print now or collect later. The core places the order
 * on its order thread (app/orders: store + spool + masters); "print now" goes
 * on to the printing screen, "collect later" waits here for the pickup code
 * and shows it with a QR code (libqrencode). A kiosk without a data folder or
 * printer says so plainly: no order, no code is pretended. */
#include <stdio.h>

#include "ui/ui.h"

void ui_screen_checkout(struct ui *ui)
{
        struct app_kiosk_summary sum;
        app_kiosk_summary(ui->kiosk, &sum);
        struct ui_rect c = ui_top_bar(ui, _("Pay and print"), true);
        int act;
        c = ui_bottom_bar(ui, c, ui->order_code[0] ? NULL : _("Back"), ui->order_code[0] ? _("Finish") : NULL, true, &act);
        if (act < 0) {
                ui_go(ui, UI_SCREEN_REVIEW);
                return;
        }
        if (act > 0) {
                ui_start_over(ui);
                return;
        }
        char total[32], line[160];
        ui_format_money(total, sizeof(total), sum.total_minor, sum.currency);
        snprintf(line, sizeof(line), _("%d prints, total %s"), sum.prints, total);
        ui_text(ui, line, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 90)}, 48, UI_ACCENT, UI_LEFT, true, false);
        float y = c.y + ui_dp(ui, 130);
        if (ui->order_code[0]) {
                snprintf(line, sizeof(line), _("Your pickup code: %s"), ui->order_code);
                ui_text(ui, line, (struct ui_rect){c.x, y, c.w, ui_dp(ui, 80)}, 44, UI_FG, UI_LEFT, true, false);
                float q = ui_dp(ui, 420);
                ui_draw_qr(ui, ui->order_code, (struct ui_rect){c.x, y + ui_dp(ui, 100), q, q});
                return;
        }
        float bw = ui->landscape ? (c.w - ui_dp(ui, 30)) / 2 : c.w, bh = ui_dp(ui, 200);
        struct ui_rect now = {c.x, y, bw, bh};
        struct ui_rect later = ui->landscape ? (struct ui_rect){c.x + bw + ui_dp(ui, 30), y, bw, bh}
                                             : (struct ui_rect){c.x, y + bh + ui_dp(ui, 30), bw, bh};
        if (ui->order_pending) {
                ui_text(ui, _("Preparing your order..."), (struct ui_rect){c.x, y, c.w, ui_dp(ui, 80)}, 40,
                        UI_FG, UI_LEFT, true, false);
                return;
        }
        int r = 1;
        bool now_tapped = false;
        if (ui_button(ui, "print-now", _("Print now"), now, true)) {
                r = app_kiosk_place_order(ui->kiosk, true);
                now_tapped = true;
        }
        if (ui_button(ui, "collect-later", _("Collect later"), later, false))
                r = app_kiosk_place_order(ui->kiosk, false);
        if (r == 0) {
                ui->order_pending = true;
                ui->order_mine = true;
                ui->order_print_now = now_tapped;
                ui->message[0] = '\0';
                if (now_tapped)
                        ui_go(ui, UI_SCREEN_PRINTING);
        } else if (r == APP_KIOSK_E_UNAVAILABLE && now_tapped &&
                   app_kiosk_has(ui->kiosk, APP_KIOSK_HAS_ORDERS)) {
                snprintf(ui->message, sizeof(ui->message), "%s",
                         _("Printing here is not available right now. Choose Collect later, or ask staff."));
        } else if (r == APP_KIOSK_E_UNAVAILABLE) {
                snprintf(ui->message, sizeof(ui->message), "%s",
                         _("Ordering is not available on this kiosk yet. Your photos were not sent anywhere. Please ask staff."));
        } else if (r < 0) {
                snprintf(ui->message, sizeof(ui->message), "%s", _("The order could not be placed. Please ask staff."));
        }
}
