/* ui/screen_staff: the hidden staff entrance (hold the top-left corner 3 s)
 * and its PIN pad. The PIN is checked by the core on a worker (Argon2id,
 * lockout with growing delays, app/staff_pin.h); the digits live only in this
 * screen's buffer and are wiped after submit. Staff mode so far offers only
 * leaving the kiosk and going back (technician tools: printkioskctl). */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

void ui_screen_staff(struct ui *ui)
{
        struct ui_rect c = ui_top_bar(ui, ui->staff_ok ? _("Staff") : _("Staff PIN"), false);
        float bw = ui_dp(ui, 200), bh = ui_dp(ui, 130), g = ui_dp(ui, 20);
        if (ui->staff_ok) {
                if (ui_button(ui, "staff-exit", _("Close the kiosk"), (struct ui_rect){c.x, c.y, ui_dp(ui, 600), bh}, false))
                        ui->quit = true;
                if (ui_button(ui, "staff-back", _("Back to customers"), (struct ui_rect){c.x, c.y + bh + g, ui_dp(ui, 600), bh}, true)) {
                        ui->staff_ok = false;
                        ui_start_over(ui);
                }
                return;
        }
        char dots[32] = "";
        size_t n = strnlen(ui->pin, sizeof(ui->pin));
        for (size_t i = 0; i < n && i < 12; i++)
                strcat(dots, "*");
        ui_text(ui, dots, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 90)}, 60, UI_FG, UI_CENTRE, true, false);
        const char *status = NULL;
        char buf[128];
        if (ui->pin_checking)
                status = _("Checking...");
        else if (ui->pin_result == APP_PIN_E_WRONG || ui->pin_result == APP_PIN_E_LOCKED) {
                if (ui->pin_wait_ms > 0) {
                        snprintf(buf, sizeof(buf), _("Wrong PIN. Try again in %lld s."), (long long)((ui->pin_wait_ms + 999) / 1000));
                        status = buf;
                } else {
                        status = _("Wrong PIN.");
                }
        } else if (ui->pin_result == APP_PIN_E_NOT_SET)
                status = _("No staff PIN is set on this kiosk.");
        if (status)
                ui_text(ui, status, (struct ui_rect){c.x, c.y + ui_dp(ui, 90), c.w, ui_dp(ui, 60)}, 30, UI_WARN, UI_CENTRE, true, false);
        float px = c.x + (c.w - 3 * bw - 2 * g) / 2, py = c.y + ui_dp(ui, 170);
        static const char *const keys[12] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "OK"};
        for (int k = 0; k < 12; k++) {
                struct ui_rect r = {px + (k % 3) * (bw + g), py + (k / 3) * (bh + g), bw, bh};
                char id[16];
                snprintf(id, sizeof(id), "pin-%s", keys[k]);
                if (!ui_button_enabled(ui, id, keys[k], r, k == 11, !ui->pin_checking))
                        continue;
                if (k == 9) {
                        memset(ui->pin, 0, sizeof(ui->pin));
                } else if (k == 11) {
                        if (app_kiosk_staff_pin_submit(ui->kiosk, ui->pin) == 0)
                                ui->pin_checking = true;
                        memset(ui->pin, 0, sizeof(ui->pin));
                } else if (n < APP_PIN_MAX_LEN) {
                        ui->pin[n] = keys[k][0];
                        ui->pin[n + 1] = '\0';
                }
        }
        if (ui_button(ui, "staff-cancel", _("Cancel"), (struct ui_rect){c.x, c.y + c.h - bh, ui_dp(ui, 300), bh}, false)) {
                memset(ui->pin, 0, sizeof(ui->pin));
                ui_go(ui, ui->prev_screen);
        }
}
