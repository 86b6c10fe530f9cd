/* ui/screen_source: where the photos come from, with instructions for phones
 * and progress while the core reads them. The core watches the mount table
 * (drivers/volume): a card or stick that arrives while this screen shows is
 * opened at once (app_kiosk_open_waiting_volume), and one that was there
 * before the customer started is opened when the screen appears. When the
 * open card was pulled out, the screen asks for it back (the core resumes
 * when the same card returns). --demo and --photos DIR offer a folder too.
 * Phones and cameras (libgphoto2, found by the core's USB watcher) are opened
 * the same way (app_kiosk_open_waiting_camera); the core downloads them off
 * this thread, and this screen shows what the customer must do (unlock,
 * trust, File transfer), "Reading photos from your phone: 34 of 120" until
 * a first screenful is there, and "reconnect to continue" after an unplug. */
#include <math.h>
#include <stdio.h>

#include "ui/ui.h"

void ui_screen_source(struct ui *ui)
{
        struct ui_rect c = ui_top_bar(ui, _("Choose your photos"), true);
        int act;
        c = ui_bottom_bar(ui, c, _("Back"), NULL, false, &act);
        if (act < 0) {
                ui_start_over(ui);
                return;
        }
        float gap = ui_dp(ui, 30);
        float cw = ui->landscape ? (c.w - gap) / 2 : c.w;
        float ch = ui->landscape ? c.h * 0.7f : (c.h - gap) * 0.36f;
        struct ui_rect card = {c.x, c.y, cw, ch};
        struct ui_rect phone = ui->landscape ? (struct ui_rect){c.x + cw + gap, c.y, cw, ch}
                                             : (struct ui_rect){c.x, c.y + ch + gap, cw, ch};
        ui_fill(ui, card, UI_PANEL);
        ui_fill(ui, phone, UI_PANEL);
        float p = ui_dp(ui, 30);
        ui_text(ui, _("Memory card or USB stick"), (struct ui_rect){card.x + p, card.y + p, card.w - 2 * p, ui_dp(ui, 60)},
                40, UI_ACCENT, UI_LEFT, true, false);
        ui_label(ui, _("Insert it into the slot below the screen."),
                 (struct ui_rect){card.x + p, card.y + p + ui_dp(ui, 80), card.w - 2 * p, ui_dp(ui, 120)}, 32, UI_LEFT);
        /* Animated prompt: an arrow pointing down at the slot (frozen in scripted runs). */
        float phase = ui->anim_frozen ? 0.0f : (float)(SDL_GetTicks64() % 1200) / 1200.0f;
        float bob = ui_dp(ui, 30) * sinf(phase * 6.2832f);
        float ax = card.x + card.w / 2, ay = card.y + card.h - ui_dp(ui, 180) + bob;
        for (int i = 0; i < 60; i++) {
                float wdt = ui_dp(ui, 120) * (1.0f - i / 60.0f);
                ui_fill(ui, (struct ui_rect){ax - wdt / 2, ay + ui_dp(ui, 1.5f) * i, wdt, ui_dp(ui, 1.5f) + 1}, UI_ACCENT);
        }
        if (!ui->anim_frozen)
                ui->animating = true;
        ui_text(ui, _("Phone"), (struct ui_rect){phone.x + p, phone.y + p, phone.w - 2 * p, ui_dp(ui, 60)}, 40,
                UI_ACCENT, UI_LEFT, true, false);
        ui_label(ui, _("1. Connect your phone with the cable.\n2. Unlock it.\n3. iPhone: tap \"Trust this computer\".\n"
                       "4. Android: choose \"File transfer\" or \"PTP\"."),
                 (struct ui_rect){phone.x + p, phone.y + p + ui_dp(ui, 80), phone.w - 2 * p, ui_dp(ui, 230)},
                 30, UI_LEFT);
        float y = ui->landscape ? c.y + ch + gap : phone.y + ch + gap;
        struct ui_rect status = {c.x, y, c.w, c.y + c.h - y};
        /* A card arrived (or was already in): open it, like the folder button.
         * The core's APP_MSG_SOURCE_* messages wake the loop and redraw this. */
        if (app_kiosk_session_active(ui->kiosk) && app_kiosk_volume_waiting(ui->kiosk, NULL)) {
                ui->walk_found = 0;
                ui->walk_done = false;
                if (app_kiosk_open_waiting_volume(ui->kiosk) != 0)
                        snprintf(ui->message, sizeof(ui->message), "%s", _("The photos could not be read."));
                ui->dirty = true;
        }
        if (app_kiosk_session_active(ui->kiosk) && app_kiosk_camera_waiting(ui->kiosk, NULL)) {
                ui->walk_found = 0;
                ui->walk_done = false;
                if (app_kiosk_open_waiting_camera(ui->kiosk) != 0)
                        snprintf(ui->message, sizeof(ui->message), "%s", _("The photos could not be read."));
                ui->dirty = true;
        }
        struct app_kiosk_camera_status cam;
        app_kiosk_camera_status(ui->kiosk, &cam);
        struct ui_rect line1 = {status.x, status.y, status.w, ui_dp(ui, 80)};
        struct ui_rect line2 = {status.x, status.y + ui_dp(ui, 90), status.w, ui_dp(ui, 130)};
        if (cam.state == APP_KIOSK_CAMERA_LOCKED) {
                ui_text(ui, _("Your phone is connected but locked."), line1, 40, UI_WARN, UI_CENTRE, true, false);
                ui_label(ui, _("Unlock it. iPhone: tap \"Trust this computer\". Android: choose \"File transfer\"."),
                         line2, 32, UI_CENTRE);
                ui->animating = true; /* the core retries; poll it */
        } else if (cam.state == APP_KIOSK_CAMERA_FAILED) {
                ui_text(ui, _("The photos on this phone could not be read."), line1, 40, UI_WARN, UI_CENTRE, true, false);
                ui_label(ui, _("Unplug it and connect it again, or ask staff."), line2, 32, UI_CENTRE);
        } else if (cam.state == APP_KIOSK_CAMERA_GONE) {
                char s[160];
                snprintf(s, sizeof(s), _("%d of %d photos read."), cam.done, cam.total);
                ui_text(ui, _("Connect your phone again to continue."), line1, 40, UI_WARN, UI_CENTRE, true, false);
                ui_label(ui, s, line2, 32, UI_CENTRE);
                if (ui->walk_found > 0 &&
                    ui_button(ui, "camera-show", _("Show the photos read so far"),
                              (struct ui_rect){status.x + status.w / 2 - ui_dp(ui, 330), line2.y + line2.h,
                                               ui_dp(ui, 660), ui_dp(ui, 120)}, true)) {
                        ui_go(ui, UI_SCREEN_GRID);
                        return;
                }
        } else if (cam.state == APP_KIOSK_CAMERA_CONNECTING ||
                   (cam.state == APP_KIOSK_CAMERA_READING && ui->walk_found < APP_KIOSK_CAMERA_FIRST_SCREEN)) {
                char s[160];
                if (cam.total > 0)
                        snprintf(s, sizeof(s), _("Reading photos from your phone: %d of %d"), cam.done, cam.total);
                else
                        snprintf(s, sizeof(s), "%s", _("Opening your phone..."));
                ui_text(ui, s, line1, 40, UI_FG, UI_CENTRE, true, false);
                ui->animating = true; /* the grid follows once a screenful is there */
        } else if (app_kiosk_source_state(ui->kiosk) == APP_KIOSK_SOURCE_GONE) {
                ui_text(ui, _("Put your card back in to continue."),
                        (struct ui_rect){status.x, status.y, status.w, ui_dp(ui, 80)}, 40, UI_WARN, UI_CENTRE, true, false);
        } else if (app_kiosk_walk_running(ui->kiosk) || ui->walk_done) {
                char s[128];
                snprintf(s, sizeof(s), _("Reading photos... %d found"), ui->walk_found);
                ui_text(ui, s, (struct ui_rect){status.x, status.y, status.w, ui_dp(ui, 80)}, 40, UI_FG, UI_CENTRE, true, false);
                if (ui->walk_done && ui->walk_found == 0)
                        ui_text(ui, _("No photos found there."), (struct ui_rect){status.x, status.y + ui_dp(ui, 90), status.w, ui_dp(ui, 60)},
                                32, UI_WARN, UI_CENTRE, true, false);
                else if (ui->walk_found > 0) {
                        ui_go(ui, UI_SCREEN_GRID); /* the grid fills in as the walk goes on */
                        return;
                }
                ui->animating = true; /* spinner-free, but poll the walk */
        } else if (ui->opt.photos_dir || ui->opt.synthetic > 0) {
                if (ui_button(ui, "demo-photos", ui->opt.demo ? _("Use the demo photos") : _("Open the photo folder"),
                              (struct ui_rect){status.x + status.w / 2 - ui_dp(ui, 330), status.y, ui_dp(ui, 660), ui_dp(ui, 130)}, true)) {
                        ui->walk_found = 0;
                        ui->walk_done = false;
                        int r = ui->opt.synthetic > 0 ? app_kiosk_open_synthetic(ui->kiosk, ui->opt.synthetic)
                                                      : app_kiosk_open_folder(ui->kiosk, ui->opt.photos_dir);
                        if (r != 0)
                                snprintf(ui->message, sizeof(ui->message), "%s", _("The photos could not be read."));
                }
        } else {
                ui_text(ui, _("Waiting for a card or phone..."), (struct ui_rect){status.x, status.y, status.w, ui_dp(ui, 80)},
                        36, UI_DIM, UI_CENTRE, false, false);
        }
}
