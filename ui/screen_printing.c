/* ui/screen_printing: the order's progress from the core's order thread:
 * preparing (photos copied, masters rendered), then per-item progress from the
 * print path (CUPS jobs polled on the core's thread), then the receipt (pickup
 * code + QR) when every print came out; or the one message a customer needs
 * when the printer stops (staff called, the order is safe in the store). */
#include <stdio.h>

#include "ui/ui.h"

void ui_screen_printing(struct ui *ui)
{
        bool done = ui->printed || ui->printer_problem;
        struct ui_rect c = ui_top_bar(ui, ui->printed ? _("Your receipt") : _("Printing"), false);
        if (done) {
                int act;
                c = ui_bottom_bar(ui, c, NULL, _("Finish"), true, &act);
                if (act > 0) {
                        ui_start_over(ui);
                        return;
                }
        }
        char line[128];
        if (ui->printer_problem) {
                ui_fill(ui, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 300)}, UI_WARN);
                ui_text(ui, _("The printer needs attention. Staff have been called. Your order is safe."),
                        (struct ui_rect){c.x + ui_dp(ui, 30), c.y, c.w - ui_dp(ui, 60), ui_dp(ui, 300)}, 44, UI_ACCENT_FG,
                        UI_CENTRE, true, true);
                if (ui->order_code[0]) {
                        snprintf(line, sizeof(line), _("Your pickup code: %s"), ui->order_code);
                        ui_text(ui, line, (struct ui_rect){c.x, c.y + ui_dp(ui, 330), c.w, ui_dp(ui, 80)}, 40, UI_FG,
                                UI_LEFT, true, false);
                }
                return;
        }
        if (ui->printed) {
                struct app_kiosk_summary sum;
                app_kiosk_summary(ui->kiosk, &sum);
                char total[32];
                ui_format_money(total, sizeof(total), sum.total_minor, sum.currency);
                ui_text(ui, _("Your prints are ready. Please take them from the tray."),
                        (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 90)}, 40, UI_OK, UI_LEFT, true, false);
                snprintf(line, sizeof(line), _("%d prints, total %s"), sum.prints, total);
                ui_text(ui, line, (struct ui_rect){c.x, c.y + ui_dp(ui, 100), c.w, ui_dp(ui, 70)}, 36, UI_FG,
                        UI_LEFT, false, false);
                snprintf(line, sizeof(line), _("Your pickup code: %s"), ui->order_code);
                ui_text(ui, line, (struct ui_rect){c.x, c.y + ui_dp(ui, 180), c.w, ui_dp(ui, 80)}, 44, UI_FG,
                        UI_LEFT, true, false);
                float q = ui_dp(ui, 360);
                if (q > c.h - ui_dp(ui, 280))
                        q = c.h - ui_dp(ui, 280);
                if (q > 0)
                        ui_draw_qr(ui, ui->order_code, (struct ui_rect){c.x, c.y + ui_dp(ui, 270), q, q});
                return;
        }
        int d = ui->print_done, t = ui->print_total;
        if (!ui->order_code[0] || t == 0) {
                /* still preparing: photos copied and masters rendered */
                snprintf(line, sizeof(line), "%s", _("Preparing your prints..."));
                d = ui->prep_done;
                t = ui->prep_total;
        } else {
                snprintf(line, sizeof(line), _("Print %d of %d"), d < t ? d + 1 : t, t);
        }
        ui_text(ui, line, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 100)}, 48, UI_FG, UI_LEFT, true, false);
        struct ui_rect bar = {c.x, c.y + ui_dp(ui, 140), c.w, ui_dp(ui, 60)};
        ui_fill(ui, bar, UI_PANEL);
        if (t > 0)
                ui_fill(ui, (struct ui_rect){bar.x, bar.y, bar.w * d / t, bar.h}, UI_OK);
        if (ui->order_code[0]) {
                snprintf(line, sizeof(line), _("Your pickup code: %s"), ui->order_code);
                ui_text(ui, line, (struct ui_rect){c.x, bar.y + ui_dp(ui, 100), c.w, ui_dp(ui, 80)}, 40, UI_FG, UI_LEFT, true, false);
        }
}
