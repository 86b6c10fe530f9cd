/* ui/screen_printing: per-print progress from the core's print events, and
 * the one message a customer needs when the printer stops. */
#include <stdio.h>

#include "ui/ui.h"

void ui_screen_printing(struct ui *ui)
{
        struct ui_rect c = ui_top_bar(ui, _("Printing"), false);
        char line[128];
        if (ui->printer_problem) {
                ui_fill(ui, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 300)}, UI_WARN);
                ui_text(ui, _("The printer needs attention. Staff have been called. Your order is safe."),
                        (struct ui_rect){c.x + ui_dp(ui, 30), c.y, c.w - ui_dp(ui, 60), ui_dp(ui, 300)}, 44, UI_ACCENT_FG,
                        UI_CENTRE, true, true);
                return;
        }
        snprintf(line, sizeof(line), _("Print %d of %d"), ui->print_done, ui->print_total);
        ui_text(ui, line, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 100)}, 48, UI_FG, UI_LEFT, true, false);
        struct ui_rect bar = {c.x, c.y + ui_dp(ui, 140), c.w, ui_dp(ui, 60)};
        ui_fill(ui, bar, UI_PANEL);
        if (ui->print_total > 0)
                ui_fill(ui, (struct ui_rect){bar.x, bar.y, bar.w * ui->print_done / ui->print_total, bar.h}, UI_OK);
        if (ui->order_code[0]) {
                snprintf(line, sizeof(line), _("Your pickup code: %s"), ui->order_code);
                ui_text(ui, line, (struct ui_rect){c.x, bar.y + ui_dp(ui, 100), c.w, ui_dp(ui, 80)}, 40, UI_FG, UI_LEFT, true, false);
        }
}
