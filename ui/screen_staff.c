/* ui/screen_staff: the hidden staff entrance (hold the top-left corner 3 s),
 * its PIN pad, then the staff member's number. The PIN is checked by the core
 * on a worker (Argon2id, lockout with growing delays, app/staff_pin.h); the
 * digits live only in this screen's buffer and are wiped after submit. The
 * staff number becomes the audit actor "staff:<number>" of every action on the
 * desk (app/staffdesk), which opens next (ui/screen_desk.c). */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

bool ui_pin_pad(struct ui *ui, const char *prefix, char *buf, size_t cap, size_t max_len,
                struct ui_rect area, bool masked, bool enabled)
{
        float g = ui_dp(ui, 20);
        float disp_h = ui_dp(ui, 90);
        /* keys: 4 rows under the display, at most 200 x 130 dp each */
        float bh = fminf(ui_dp(ui, 130), (area.h - disp_h - 4 * g) / 4);
        float bw = fminf(ui_dp(ui, 200), (area.w - 2 * g) / 3);
        char shown[32] = "";
        size_t n = strnlen(buf, cap);
        for (size_t i = 0; i < n && i < 16; i++)
                shown[i] = masked ? '*' : buf[i];
        ui_text(ui, shown, (struct ui_rect){area.x, area.y, area.w, disp_h}, 60, UI_FG, UI_CENTRE,
                true, false);
        float px = area.x + (area.w - 3 * bw - 2 * g) / 2, py = area.y + disp_h + g;
        static const char *const keys[12] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "OK"};
        bool ok = false;
        for (int k = 0; k < 12; k++) {
                struct ui_rect r = {px + (k % 3) * (bw + g), py + (k / 3) * (bh + g), bw, bh};
                char id[24];
                snprintf(id, sizeof(id), "%s-%s", prefix, keys[k]);
                if (!ui_button_enabled(ui, id, keys[k], r, k == 11, enabled))
                        continue;
                if (k == 9)
                        memset(buf, 0, cap);
                else if (k == 11)
                        ok = true;
                else if (n < max_len && n + 1 < cap) {
                        buf[n] = keys[k][0];
                        buf[n + 1] = '\0';
                }
        }
        return ok;
}

void ui_staff_leave(struct ui *ui)
{
        app_staffdesk_end(ui->desk);
        ui->staff_ok = false;
        memset(&ui->dv, 0, sizeof(ui->dv));
        ui->dv.tech_result = 1;
        ui_start_over(ui);
}

/* After the PIN: who is this? (1..8 digits, the audit's staff id) */
static void staff_number(struct ui *ui)
{
        struct ui_rect c = ui_top_bar(ui, _("Staff"), false);
        float bh = ui_dp(ui, 110);
        ui_text(ui, _("Enter your staff number"), (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 60)}, 36,
                UI_DIM, UI_CENTRE, true, false);
        struct ui_rect pad = {c.x, c.y + ui_dp(ui, 60), c.w, c.h - ui_dp(ui, 60) - bh - ui_dp(ui, 20)};
        if (ui_pin_pad(ui, "sid", ui->dv.staff_id, sizeof(ui->dv.staff_id), APP_DESK_STAFF_ID_MAX,
                       pad, false, true) &&
            app_staffdesk_begin(ui->desk, ui->dv.staff_id) == 0) {
                ui->dv.entering_id = false;
                ui->dv.pending++;
                if (app_staffdesk_refresh(ui->desk) < 0)
                        ui->dv.pending--;
                ui_go(ui, UI_SCREEN_DESK);
                return;
        }
        if (ui_button(ui, "staff-back", _("Back to customers"),
                      (struct ui_rect){c.x, c.y + c.h - bh, ui_dp(ui, 460), bh}, false))
                ui_staff_leave(ui);
}

void ui_screen_staff(struct ui *ui)
{
        if (ui->staff_ok) {
                staff_number(ui);
                return;
        }
        struct ui_rect c = ui_top_bar(ui, _("Staff PIN"), false);
        float bh = ui_dp(ui, 110);
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
        float sh = ui_dp(ui, 60);
        if (status)
                ui_text(ui, status, (struct ui_rect){c.x, c.y, c.w, sh}, 30, UI_WARN, UI_CENTRE, true, false);
        struct ui_rect pad = {c.x, c.y + sh, c.w, c.h - sh - bh - ui_dp(ui, 20)};
        if (ui_pin_pad(ui, "pin", ui->pin, sizeof(ui->pin), APP_PIN_MAX_LEN, pad, true,
                       !ui->pin_checking)) {
                if (app_kiosk_staff_pin_submit(ui->kiosk, ui->pin) == 0)
                        ui->pin_checking = true;
                memset(ui->pin, 0, sizeof(ui->pin));
        }
        if (ui_button(ui, "staff-cancel", _("Cancel"), (struct ui_rect){c.x, c.y + c.h - bh, ui_dp(ui, 300), bh}, false)) {
                memset(ui->pin, 0, sizeof(ui->pin));
                ui_go(ui, ui->prev_screen);
        }
}
