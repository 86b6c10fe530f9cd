/* ui/screen_desk: staff mode (after the hidden gesture, the PIN and the staff
 * number): the printer's status and supplies, today's orders and the pickups,
 * search by pickup code on an on-screen keypad, and per order: reprint an item
 * with a reason from a short list, hand it over (collected), cancel it.
 *
 * Everything is a command to app/staffdesk, which runs it on its own worker
 * and answers on the bus (ui_desk_on_msg); this screen draws the desk's
 * snapshot, copied each frame, so the UI thread never waits on SQLite or CUPS.
 * The last answer is shown as a banner and registered as an invisible hit
 * "done-<op>-<result>" so test scripts can wait for it (wait-id).
 * Overlays (keypad, reasons) replace the content while open, so a tap never
 * reaches the list underneath. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ui/ui.h"

/* Reasons are stored in English in the audit (what HQ reads); shown translated. */
static const char *const reprint_reasons[] = {
        N_("Colours wrong"), N_("Smudged or scratched"), N_("Paper jam"), N_("Wrong crop"),
};
static const char *const cancel_reasons[] = {
        N_("Customer asked"), N_("Duplicate order"), N_("Not paid"),
};
#define N_REPRINT_REASONS (int)(sizeof(reprint_reasons) / sizeof(reprint_reasons[0]))
#define N_CANCEL_REASONS (int)(sizeof(cancel_reasons) / sizeof(cancel_reasons[0]))

/* Pickup code alphabet (no look-alikes), as sync/pickup_code makes them. */
static const char code_keys[] = "2346789ABCDEFGHJKMNPQRTUVWXYZ";

static const char *op_id(int op)
{
        switch (op) {
        case APP_DESK_OP_REFRESH: return "refresh";
        case APP_DESK_OP_SEARCH: return "search";
        case APP_DESK_OP_OPEN: return "open";
        case APP_DESK_OP_REPRINT: return "reprint";
        case APP_DESK_OP_COLLECT: return "collect";
        case APP_DESK_OP_CANCEL: return "cancel";
        case APP_DESK_OP_FOLLOWED: return "followed";
        case APP_DESK_OP_TECH_PIN: return "techpin";
        case APP_DESK_OP_TECH_REFRESH: return "techrefresh";
        case APP_DESK_OP_TEST_PRINT: return "testprint";
        case APP_DESK_OP_EXPORT: return "export";
        default: return "op";
        }
}

void ui_desk_sent(struct ui *ui, int64_t id)
{
        if (id > 0) {
                ui->dv.pending++;
                ui->dv.have_last = false; /* scripts wait for this command's answer */
        } else {
                ui->dv.have_last = true;
                ui->dv.last_op = 0;
                ui->dv.last_result = (int)id;
        }
        ui->dirty = true;
}

void ui_desk_on_msg(struct ui *ui, const struct app_msg *m)
{
        int op = m->u.desk.op, r = m->u.desk.result;
        if (op != APP_DESK_OP_FOLLOWED && ui->dv.pending > 0)
                ui->dv.pending--;
        ui->dv.last_op = op;
        ui->dv.last_result = r;
        ui->dv.have_last = true;
        if (op == APP_DESK_OP_SEARCH && r == 0)
                ui->dv.detail_open = true;
        if (op == APP_DESK_OP_TECH_PIN) {
                ui->dv.tech_checking = false;
                ui->dv.tech_result = r;
                ui->dv.tech_wait_ms = m->u.desk.wait_ms;
                if (r == 0)
                        ui_desk_sent(ui, app_staffdesk_tech_refresh(ui->desk));
        }
}

/* The banner text for the last answer (translated; detail in English). */
static void banner_text(struct ui *ui, char *buf, size_t n, bool *ret_warn)
{
        int r = ui->dv.last_result, op = ui->dv.last_op;
        *ret_warn = r < 0;
        if (r == 0) {
                const char *s = NULL;
                switch (op) {
                case APP_DESK_OP_REPRINT: s = _("Reprint sent to the printer."); break;
                case APP_DESK_OP_FOLLOWED: s = _("The reprint has printed."); break;
                case APP_DESK_OP_COLLECT: s = _("Handed over: the order is collected."); break;
                case APP_DESK_OP_CANCEL: s = _("The order is cancelled."); break;
                case APP_DESK_OP_TEST_PRINT: s = _("Test print sent."); break;
                case APP_DESK_OP_EXPORT: s = _("Logs and diagnostics exported."); break;
                default: break;
                }
                snprintf(buf, n, "%s", s ? s : "");
                return;
        }
        char detail[256];
        app_staffdesk_message(ui->desk, detail, sizeof(detail));
        const char *s;
        switch (r) {
        case APP_DESK_E_NOT_FOUND: s = _("No order with that code."); break;
        case APP_DESK_E_STATE: s = _("Not possible in this order's state."); break;
        case APP_DESK_E_DENIED: s = _("Please sign in again."); break;
        case APP_DESK_E_UNAVAILABLE: s = _("Not available on this kiosk."); break;
        case APP_DESK_E_BUSY: s = _("Busy. Try again in a moment."); break;
        case APP_DESK_E_INVALID: s = _("Please check the code."); break;
        case APP_DESK_E_WRONG_PIN: s = _("Wrong PIN."); break;
        default:
                s = op == APP_DESK_OP_FOLLOWED ? _("The reprint did not print: check the printer.")
                                               : _("That did not work:");
                break;
        }
        if (r == APP_DESK_E_FAILED && detail[0])
                snprintf(buf, n, "%s %s", s, detail);
        else
                snprintf(buf, n, "%s", s);
}

/* Banner + the invisible "done-<op>-<result>" hit for scripts. */
void ui_desk_banner(struct ui *ui, struct ui_rect r)
{
        char text[384] = "";
        bool warn = false;
        if (ui->dv.pending > 0)
                snprintf(text, sizeof(text), "%s", _("Working..."));
        else if (ui->dv.have_last)
                banner_text(ui, text, sizeof(text), &warn);
        if (text[0]) {
                ui_fill(ui, r, warn ? UI_WARN : UI_PANEL);
                ui_text(ui, text, (struct ui_rect){r.x + ui_dp(ui, 16), r.y, r.w - ui_dp(ui, 32), r.h},
                        28, warn ? UI_ACCENT_FG : UI_FG, UI_LEFT, true, true);
        }
        ui_desk_done_hit(ui);
}

void ui_desk_done_hit(struct ui *ui)
{
        if (ui->dv.have_last && ui->dv.pending == 0) {
                char id[40];
                snprintf(id, sizeof(id), "done-%s-%s", op_id(ui->dv.last_op),
                         app_staffdesk_strerror(ui->dv.last_result));
                ui_register_hit(ui, id, (struct ui_rect){0, 0, 1, 1});
        }
}

static bool printer_bad(const struct app_staffdesk_printer *p)
{
        return strcmp(p->state, "stopped") == 0 || strcmp(p->state, "unreachable") == 0 ||
               p->reasons[0] || !p->accepting;
}

/* One printer in full: state, reasons, media, a bar per supply. */
static void draw_one_printer(struct ui *ui, const struct app_staffdesk_printer *p, struct ui_rect r)
{
        ui_fill(ui, r, UI_PANEL);
        float pad = ui_dp(ui, 16), lh = ui_dp(ui, 44);
        float y = r.y + pad / 2;
        char line[320];
        bool bad = printer_bad(p);
        snprintf(line, sizeof(line), _("Printer %s: %s"), p->queue,
                 bad ? _("needs attention") : _("ready"));
        ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 32, bad ? UI_WARN : UI_OK,
                UI_LEFT, true, false);
        y += lh;
        snprintf(line, sizeof(line), "%s%s%s", p->state, p->reasons[0] ? " - " : "", p->reasons);
        ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 26, UI_FG, UI_LEFT, false, false);
        y += lh;
        if (p->media[0]) {
                snprintf(line, sizeof(line), _("Paper loaded: %s"), p->media);
                ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 26, UI_DIM, UI_LEFT,
                        false, false);
                y += lh;
        }
        /* supplies: one bar per marker (IPP levels; negative = not reported) */
        if (p->n_markers == 0) {
                ui_text(ui, _("Supplies: not reported by the printer"),
                        (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 26, UI_DIM, UI_LEFT, false, false);
                return;
        }
        float bw = (r.w - 2 * pad) / (float)p->n_markers;
        for (int i = 0; i < p->n_markers && y + lh < r.y + r.h; i++) {
                struct ui_rect b = {r.x + pad + i * bw, y, bw - ui_dp(ui, 8), lh * 0.9f};
                ui_frame(ui, b, UI_DIM, 2);
                int lv = p->markers[i].level;
                if (lv >= 0)
                        ui_fill(ui, (struct ui_rect){b.x, b.y, b.w * (float)lv / 100.0f, b.h},
                                lv < 15 ? UI_WARN : UI_OK);
                snprintf(line, sizeof(line), lv >= 0 ? "%s %d%%" : "%s ?", p->markers[i].name, lv);
                ui_text(ui, line, b, 22, UI_FG, UI_CENTRE, true, false);
        }
}

/* One printer of several, in three lines: state, media, lowest supply. */
static void draw_printer_row(struct ui *ui, const struct app_staffdesk_printer *p, struct ui_rect r)
{
        ui_fill(ui, r, UI_PANEL);
        float pad = ui_dp(ui, 12), lh = (r.h - pad) / 3;
        float y = r.y + pad / 2;
        char line[320];
        bool bad = printer_bad(p);
        snprintf(line, sizeof(line), _("Printer %s: %s"), p->queue,
                 bad ? _("needs attention") : _("ready"));
        ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 28, bad ? UI_WARN : UI_OK,
                UI_LEFT, true, false);
        y += lh;
        snprintf(line, sizeof(line), "%s%s%s", p->state, p->reasons[0] ? " - " : "", p->reasons);
        if (p->media[0]) {
                size_t l = strlen(line);
                snprintf(line + l, sizeof(line) - l, " | %s", p->media);
        }
        ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 24, UI_FG, UI_LEFT, false, false);
        y += lh;
        int low = -1;
        for (int i = 0; i < p->n_markers; i++)
                if (p->markers[i].level >= 0 && (low < 0 || p->markers[i].level < p->markers[low].level))
                        low = i;
        if (low >= 0)
                snprintf(line, sizeof(line), _("Lowest supply: %s %d%%"), p->markers[low].name,
                         p->markers[low].level);
        else
                snprintf(line, sizeof(line), "%s", _("Supplies: not reported by the printer"));
        ui_text(ui, line, (struct ui_rect){r.x + pad, y, r.w - 2 * pad, lh}, 24,
                low >= 0 && p->markers[low].level < 15 ? UI_WARN : UI_DIM, UI_LEFT, false, false);
}

/* Every configured printer (app/staffdesk lists the desk's queue first): one
 * in full, several as rows of at least 120 dp, as many as fit in r. */
static void draw_printers(struct ui *ui, struct ui_rect r)
{
        struct app_staffdesk_printer p[APP_DESK_MAX_PRINTERS];
        int n = app_staffdesk_printers(ui->desk, p, APP_DESK_MAX_PRINTERS);
        if (n > APP_DESK_MAX_PRINTERS)
                n = APP_DESK_MAX_PRINTERS;
        if (n <= 0) {
                ui_fill(ui, r, UI_PANEL);
                ui_text(ui, ui->dv.pending ? _("Working...") : _("No printer is configured."),
                        (struct ui_rect){r.x + ui_dp(ui, 16), r.y + ui_dp(ui, 8), r.w - ui_dp(ui, 32), ui_dp(ui, 44)},
                        30, UI_DIM, UI_LEFT, true, false);
                return;
        }
        if (n == 1) {
                draw_one_printer(ui, &p[0], r);
                return;
        }
        float g = ui_dp(ui, 8), rh = (r.h - g * (n - 1)) / n;
        if (rh < ui_dp(ui, 120))
                rh = ui_dp(ui, 120);
        for (int i = 0; i < n && r.y + i * (rh + g) + rh <= r.y + r.h + 1; i++)
                draw_printer_row(ui, &p[i], (struct ui_rect){r.x, r.y + i * (rh + g), r.w, rh});
}

static void draw_keypad(struct ui *ui, struct ui_rect c)
{
        float g = ui_dp(ui, 14), disp = ui_dp(ui, 100), bh = ui_dp(ui, 110);
        char shown[32];
        snprintf(shown, sizeof(shown), "%s", ui->dv.code[0] ? ui->dv.code : "_");
        ui_text(ui, shown, (struct ui_rect){c.x, c.y, c.w, disp}, 60, UI_ACCENT, UI_CENTRE, true, false);
        int cols = ui->landscape ? 10 : 6;
        int nkeys = (int)sizeof(code_keys) - 1 + 1; /* + delete */
        int rows = (nkeys + cols - 1) / cols;
        float kh = fminf(ui_dp(ui, 120), (c.h - disp - bh - (rows + 1) * g) / rows);
        float kw = (c.w - (cols - 1) * g) / cols;
        size_t n = strlen(ui->dv.code);
        for (int k = 0; k < nkeys; k++) {
                struct ui_rect r = {c.x + (k % cols) * (kw + g), c.y + disp + (k / cols) * (kh + g), kw, kh};
                char id[16], label[8];
                if (k == nkeys - 1) {
                        if (ui_button(ui, "key-DEL", "<-", r, false) && n > 0)
                                ui->dv.code[n - 1] = '\0';
                        continue;
                }
                snprintf(label, sizeof(label), "%c", code_keys[k]);
                snprintf(id, sizeof(id), "key-%c", code_keys[k]);
                if (ui_button(ui, id, label, r, false) && n < 6) {
                        ui->dv.code[n] = code_keys[k];
                        ui->dv.code[n + 1] = '\0';
                }
        }
        float y = c.y + c.h - bh, bw = fminf(ui_dp(ui, 460), (c.w - g) / 2);
        if (ui_button(ui, "key-cancel", _("Cancel"), (struct ui_rect){c.x, y, bw, bh}, false))
                ui->dv.overlay = UI_DESK_NONE;
        if (ui_button_enabled(ui, "key-OK", _("Find order"), (struct ui_rect){c.x + c.w - bw, y, bw, bh},
                              true, strlen(ui->dv.code) == 6)) {
                ui->dv.overlay = UI_DESK_NONE;
                ui->dv.detail_open = false;
                ui_desk_sent(ui, app_staffdesk_search(ui->desk, ui->dv.code));
        }
}

static void draw_reasons(struct ui *ui, struct ui_rect c, const struct app_staffdesk_detail *det)
{
        bool reprint = ui->dv.overlay == UI_DESK_REASON;
        char title[160];
        if (reprint)
                snprintf(title, sizeof(title), _("Why reprint print %d?"), ui->dv.reprint_item + 1);
        else
                snprintf(title, sizeof(title), _("Cancel order %s? Why?"), det->order.code);
        float bh = ui_dp(ui, 120), g = ui_dp(ui, 20), w = fminf(c.w, ui_dp(ui, 900));
        float x = c.x + (c.w - w) / 2;
        ui_text(ui, title, (struct ui_rect){c.x, c.y, c.w, ui_dp(ui, 90)}, 40, UI_FG, UI_CENTRE, true, true);
        float y = c.y + ui_dp(ui, 100);
        int n = reprint ? N_REPRINT_REASONS : N_CANCEL_REASONS;
        for (int i = 0; i < n; i++, y += bh + g) {
                const char *reason = reprint ? reprint_reasons[i] : cancel_reasons[i];
                char id[24];
                snprintf(id, sizeof(id), "%s-%d", reprint ? "reason" : "cancel-reason", i);
                if (!ui_button(ui, id, _(reason), (struct ui_rect){x, y, w, bh}, false))
                        continue;
                ui->dv.overlay = UI_DESK_NONE;
                ui_desk_sent(ui, reprint ? app_staffdesk_reprint(ui->desk, det->order.id, ui->dv.reprint_item, reason)
                                 : app_staffdesk_cancel(ui->desk, det->order.id, reason));
                return;
        }
        if (ui_button(ui, reprint ? "reason-back" : "cancel-keep",
                      reprint ? _("Back") : _("Keep the order"), (struct ui_rect){x, y, w, bh}, true))
                ui->dv.overlay = UI_DESK_NONE;
}

static void format_time(char *buf, size_t n, int64_t ms)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, n, "%d.%m. %H:%M", &tm);
}

static void draw_list(struct ui *ui, struct ui_rect r)
{
        struct app_staffdesk_order rows[APP_DESK_MAX_ORDERS];
        int n = app_staffdesk_orders(ui->desk, rows, APP_DESK_MAX_ORDERS);
        if (n > APP_DESK_MAX_ORDERS)
                n = APP_DESK_MAX_ORDERS;
        float rh = ui_dp(ui, 104), g = ui_dp(ui, 10);
        if (n == 0) {
                ui_text(ui, ui->dv.pending ? _("Working...") : _("No orders today."), r, 32, UI_DIM,
                        UI_CENTRE, true, false);
                return;
        }
        ui->dv.scroll.max = n * (rh + g) - g - r.h;
        ui_scroll_update(ui, &ui->dv.scroll, r, ui->frame_dt);
        ui_clip_begin(ui, r);
        float y = r.y - ui->dv.scroll.offset;
        for (int i = 0; i < n; i++, y += rh + g) {
                if (y + rh < r.y || y > r.y + r.h)
                        continue;
                struct ui_rect row = {r.x, y, r.w - ui_dp(ui, 16), rh};
                char id[24], when[32], money[32], line[200];
                snprintf(id, sizeof(id), "order-%d", i);
                bool pickup = !strcmp(rows[i].state, "printed") || !strcmp(rows[i].state, "ready");
                ui_fill(ui, row, UI_PANEL);
                if (pickup)
                        ui_fill(ui, (struct ui_rect){row.x, row.y, ui_dp(ui, 10), row.h}, UI_OK);
                format_time(when, sizeof(when), rows[i].created_at);
                ui_format_money(money, sizeof(money), rows[i].total_minor, rows[i].currency);
                ui_text(ui, rows[i].code, (struct ui_rect){row.x + ui_dp(ui, 24), y, ui_dp(ui, 220), rh},
                        36, UI_ACCENT, UI_LEFT, true, false);
                snprintf(line, sizeof(line), _("%s, %d photos, %s, %s%s"),
                         _(rows[i].state), rows[i].n_items, money, when,
                         rows[i].remote ? _("  (app)") : "");
                ui_text(ui, line, (struct ui_rect){row.x + ui_dp(ui, 250), y, row.w - ui_dp(ui, 260), rh},
                        28, UI_FG, UI_LEFT, false, false);
                if (ui_hit_area(ui, id, row)) {
                        ui->dv.detail_open = true;
                        ui->dv.scroll = (struct ui_scroll){0};
                        ui_desk_sent(ui, app_staffdesk_open(ui->desk, rows[i].id));
                }
        }
        ui_clip_end(ui);
        ui_scroll_bar(ui, &ui->dv.scroll, r);
}

static void draw_detail(struct ui *ui, struct ui_rect r, const struct app_staffdesk_detail *det)
{
        float g = ui_dp(ui, 16), bh = ui_dp(ui, 110), lh = ui_dp(ui, 56);
        if (!det->valid) {
                ui_text(ui, _("Working..."), r, 32, UI_DIM, UI_CENTRE, true, false);
                if (ui_button(ui, "desk-close-order", _("Close"),
                              (struct ui_rect){r.x, r.y + r.h - bh, ui_dp(ui, 300), bh}, false))
                        ui->dv.detail_open = false;
                return;
        }
        char line[320];
        snprintf(line, sizeof(line), _("Order %s: %s"), det->order.code, _(det->order.state));
        ui_text(ui, line, (struct ui_rect){r.x, r.y, r.w, lh}, 40, UI_ACCENT, UI_LEFT, true, false);
        float y = r.y + lh;
        if (det->reason[0]) {
                ui_text(ui, det->reason, (struct ui_rect){r.x, y, r.w, lh}, 26, UI_WARN, UI_LEFT, false, false);
                y += lh;
        }
        /* actions at the bottom */
        float ay = r.y + r.h - bh;
        float aw = (r.w - 2 * g) / 3;
        if (ui_button_enabled(ui, "desk-collect", _("Handed over"), (struct ui_rect){r.x, ay, aw, bh},
                              true, det->can_collect && ui->dv.pending == 0))
                ui_desk_sent(ui, app_staffdesk_collect(ui->desk, det->order.id));
        if (ui_button_enabled(ui, "desk-cancel", _("Cancel order"),
                              (struct ui_rect){r.x + aw + g, ay, aw, bh}, false,
                              det->can_cancel && ui->dv.pending == 0))
                ui->dv.overlay = UI_DESK_CANCEL;
        if (ui_button(ui, "desk-close-order", _("Close"), (struct ui_rect){r.x + 2 * (aw + g), ay, aw, bh},
                      false)) {
                ui->dv.detail_open = false;
                ui->dv.scroll = (struct ui_scroll){0};
        }
        /* items, scrolling between the header and the actions */
        struct ui_rect list = {r.x, y, r.w, ay - g - y};
        float ih = ui_dp(ui, 104);
        ui->dv.scroll.max = det->n_items * (ih + g) - g - list.h;
        ui_scroll_update(ui, &ui->dv.scroll, list, ui->frame_dt);
        ui_clip_begin(ui, list);
        float iy = list.y - ui->dv.scroll.offset;
        float rw = fminf(ui_dp(ui, 300), r.w * 0.35f);
        for (int i = 0; i < det->n_items; i++, iy += ih + g) {
                if (iy + ih < list.y || iy > list.y + list.h)
                        continue;
                const struct app_staffdesk_item *it = &det->items[i];
                ui_fill(ui, (struct ui_rect){r.x, iy, r.w - ui_dp(ui, 16), ih}, UI_PANEL);
                snprintf(line, sizeof(line), _("%d. %s %s x%d, print jobs: %d %s"), i + 1, it->sku,
                         _(it->paper), it->quantity, it->jobs, it->last_job[0] ? _(it->last_job) : "");
                ui_text(ui, line, (struct ui_rect){r.x + g, iy, r.w - rw - 3 * g, ih}, 28, UI_FG, UI_LEFT,
                        false, true);
                char id[24];
                snprintf(id, sizeof(id), "item-reprint-%d", i);
                if (ui_button_enabled(ui, id, _("Reprint"),
                                      (struct ui_rect){r.x + r.w - rw - ui_dp(ui, 24), iy + ui_dp(ui, 4), rw,
                                                       ih - ui_dp(ui, 8)},
                                      false, det->can_reprint && ui->dv.pending == 0)) {
                        ui->dv.reprint_item = i;
                        ui->dv.overlay = UI_DESK_REASON;
                }
        }
        ui_clip_end(ui);
        ui_scroll_bar(ui, &ui->dv.scroll, list);
}

void ui_screen_desk(struct ui *ui)
{
        char title[64];
        snprintf(title, sizeof(title), _("Staff %s"), ui->dv.staff_id);
        struct ui_rect c = ui_top_bar(ui, title, false);
        struct app_staffdesk_detail det;
        app_staffdesk_detail(ui->desk, &det);
        if (ui->dv.overlay == UI_DESK_KEYPAD) {
                draw_keypad(ui, c);
                return;
        }
        if (ui->dv.overlay != UI_DESK_NONE) {
                draw_reasons(ui, c, &det);
                return;
        }
        float g = ui_dp(ui, 20), bh = ui_dp(ui, 110);
        /* bottom: technician, close the kiosk, back to customers; in portrait
         * on two rows so the labels fit */
        float by = c.y + c.h - bh;
        struct ui_rect r_tech, r_exit, r_back;
        if (ui->landscape) {
                float bw = (c.w - 2 * g) / 3;
                r_tech = (struct ui_rect){c.x, by, bw, bh};
                r_exit = (struct ui_rect){c.x + bw + g, by, bw, bh};
                r_back = (struct ui_rect){c.x + 2 * (bw + g), by, bw, bh};
        } else {
                float bw = (c.w - g) / 2;
                r_back = (struct ui_rect){c.x, by, c.w, bh};
                by -= bh + g;
                r_tech = (struct ui_rect){c.x, by, bw, bh};
                r_exit = (struct ui_rect){c.x + bw + g, by, bw, bh};
        }
        if (ui_button(ui, "desk-tech", _("Technician"), r_tech, false)) {
                ui->dv.tech_pin[0] = '\0';
                ui->dv.tech_result = 1;
                ui->dv.scroll = (struct ui_scroll){0};
                if (app_staffdesk_technician(ui->desk))
                        ui_desk_sent(ui, app_staffdesk_tech_refresh(ui->desk));
                ui_go(ui, UI_SCREEN_TECH);
                return;
        }
        if (ui_button(ui, "desk-exit", _("Close the kiosk"), r_exit, false))
                ui->quit = true;
        if (ui_button(ui, "desk-back", _("Back to customers"), r_back, true)) {
                ui_staff_leave(ui);
                return;
        }
        struct ui_rect body = {c.x, c.y, c.w, by - g - c.y};
        struct ui_rect side, main;
        if (ui->landscape) {
                side = (struct ui_rect){body.x, body.y, body.w * 0.38f, body.h};
                main = (struct ui_rect){body.x + side.w + g, body.y, body.w - side.w - g, body.h};
        } else {
                side = (struct ui_rect){body.x, body.y, body.w, ui_dp(ui, 520)};
                main = (struct ui_rect){body.x, body.y + side.h + g, body.w, body.h - side.h - g};
        }
        /* side: printers, search, banner */
        float ph = ui_dp(ui, 250);
        int np = app_staffdesk_printers(ui->desk, NULL, 0);
        if (np > 1) /* a row of >= 120 dp each, leaving search and a banner */
                ph = fminf(np * ui_dp(ui, 128), fmaxf(ph, side.h - bh - 2 * g - ui_dp(ui, 90)));
        draw_printers(ui, (struct ui_rect){side.x, side.y, side.w, ph});
        float sy = side.y + ph + g, sw = (side.w - g) / 2;
        char label[64];
        snprintf(label, sizeof(label), "%s", ui->dv.code[0] ? ui->dv.code : _("Pickup code"));
        if (ui_button(ui, "desk-code", label, (struct ui_rect){side.x, sy, sw, bh}, true)) {
                ui->dv.code[0] = '\0';
                ui->dv.overlay = UI_DESK_KEYPAD;
        }
        if (ui_button(ui, "desk-today", _("Today"), (struct ui_rect){side.x + sw + g, sy, sw, bh}, false)) {
                ui->dv.detail_open = false;
                ui->dv.code[0] = '\0';
                ui->dv.scroll = (struct ui_scroll){0};
                ui_desk_sent(ui, app_staffdesk_refresh(ui->desk));
        }
        float ny = sy + bh + g;
        ui_desk_banner(ui, (struct ui_rect){side.x, ny, side.w,
                                            fminf(ui_dp(ui, 160), fmaxf(ui_dp(ui, 90), side.y + side.h - ny))});
        if (ui->dv.detail_open)
                draw_detail(ui, main, &det);
        else
                draw_list(ui, main);
}
