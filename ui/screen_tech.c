/* ui/screen_tech: the technician screen, reached from the staff desk and
 * behind its own PIN (a second app/staff_pin hash file, --tech-pin-file,
 * checked by app/staffdesk on its worker with the same lockout). Shows every
 * printer with its state, supplies and paper profiles, network and sync
 * status (headquarters configured, outbox depth, dead letters, last success),
 * the doctor's checks, disk space and version; sends a colour-target test
 * print; exports logs and diagnostics (app/export_logs) to a USB stick (a
 * folder under --export-root).
 * Invariant: like the desk, nothing here reads a file or talks to CUPS: all of
 * it is app/staffdesk's snapshot, refreshed by commands. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ui/ui.h"

#define TECH_MAX_LINES 96

struct line {
        char text[200];
        SDL_Color colour;
        bool bold;
};

static int add(struct line *l, int n, SDL_Color c, bool bold, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int add(struct line *l, int n, SDL_Color c, bool bold, const char *fmt, ...)
{
        if (n >= TECH_MAX_LINES)
                return n;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l[n].text, sizeof(l[n].text), fmt, ap);
        va_end(ap);
        l[n].colour = c;
        l[n].bold = bold;
        return n + 1;
}

static void when(char *buf, size_t n, int64_t ms)
{
        if (ms <= 0) {
                snprintf(buf, n, "%s", _("never"));
                return;
        }
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

static void pin_page(struct ui *ui, struct ui_rect c)
{
        float bh = ui_dp(ui, 110), sh = ui_dp(ui, 60);
        const char *status = _("Technician PIN");
        char buf[128];
        SDL_Color col = UI_DIM;
        if (ui->dv.tech_checking) {
                status = _("Checking...");
        } else if (ui->dv.tech_result == APP_DESK_E_WRONG_PIN) {
                col = UI_WARN;
                if (ui->dv.tech_wait_ms > 0) {
                        snprintf(buf, sizeof(buf), _("Wrong PIN. Try again in %lld s."),
                                 (long long)((ui->dv.tech_wait_ms + 999) / 1000));
                        status = buf;
                } else {
                        status = _("Wrong PIN.");
                }
        } else if (ui->dv.tech_result == APP_DESK_E_UNAVAILABLE) {
                col = UI_WARN;
                status = _("No technician PIN is set on this kiosk.");
        }
        ui_text(ui, status, (struct ui_rect){c.x, c.y, c.w, sh}, 32, col, UI_CENTRE, true, false);
        ui_desk_done_hit(ui);
        struct ui_rect pad = {c.x, c.y + sh, c.w, c.h - sh - bh - ui_dp(ui, 20)};
        if (ui_pin_pad(ui, "tpin", ui->dv.tech_pin, sizeof(ui->dv.tech_pin), APP_PIN_MAX_LEN, pad, true,
                       !ui->dv.tech_checking)) {
                int64_t id = app_staffdesk_tech_pin_submit(ui->desk, ui->dv.tech_pin);
                if (id > 0) {
                        ui->dv.tech_checking = true;
                        ui->dv.pending++;
                        ui->dv.have_last = false;
                }
                memset(ui->dv.tech_pin, 0, sizeof(ui->dv.tech_pin));
        }
        if (ui_button(ui, "tech-back", _("Back"), (struct ui_rect){c.x, c.y + c.h - bh, ui_dp(ui, 300), bh},
                      false)) {
                memset(ui->dv.tech_pin, 0, sizeof(ui->dv.tech_pin));
                ui_go(ui, UI_SCREEN_DESK);
        }
}

static int build_lines(struct ui *ui, struct line *l)
{
        struct app_staffdesk_tech t;
        app_staffdesk_tech(ui->desk, &t);
        struct app_staffdesk_printer p[APP_DESK_MAX_PRINTERS];
        int np = app_staffdesk_printers(ui->desk, p, APP_DESK_MAX_PRINTERS);
        if (np > APP_DESK_MAX_PRINTERS)
                np = APP_DESK_MAX_PRINTERS;
        int n = 0;
        char a[96], b[96];
        if (!t.valid)
                return add(l, n, UI_DIM, true, "%s", _("Working..."));
        n = add(l, n, UI_ACCENT, true, "%s", _("Printers"));
        if (np == 0)
                n = add(l, n, UI_WARN, false, "%s", _("No printer found (is CUPS running?)"));
        for (int i = 0; i < np; i++) {
                bool bad = p[i].reasons[0] || strcmp(p[i].state, "stopped") == 0 || !p[i].accepting;
                n = add(l, n, bad ? UI_WARN : UI_OK, true, "%s: %s, %s", p[i].queue, p[i].state,
                        p[i].accepting ? _("accepting jobs") : _("not accepting jobs"));
                n = add(l, n, UI_FG, false, "   %s", p[i].model);
                if (p[i].reasons[0])
                        n = add(l, n, UI_WARN, false, _("   Problems: %s"), p[i].reasons);
                char sup[200] = "";
                for (int k = 0; k < p[i].n_markers; k++) {
                        size_t len = strlen(sup);
                        snprintf(sup + len, sizeof(sup) - len, k ? ", %s %d%%" : "%s %d%%",
                                 p[i].markers[k].name, p[i].markers[k].level);
                }
                n = add(l, n, UI_FG, false, _("   Supplies: %s"), sup[0] ? sup : _("not reported"));
                if (p[i].media[0])
                        n = add(l, n, UI_FG, false, _("   Paper loaded: %s"), p[i].media);
                for (int k = 0; k < p[i].n_papers; k++)
                        n = add(l, n, UI_FG, false, _("   Paper %s: profile %s, intent %s"),
                                _(p[i].papers[k].paper), p[i].papers[k].profile, p[i].papers[k].intent);
        }
        n = add(l, n, UI_ACCENT, true, "%s", _("Network and sync"));
        n = add(l, n, t.sync_configured ? UI_FG : UI_DIM, false, "%s",
                t.sync_configured ? _("Headquarters: configured")
                                  : _("Headquarters: not configured (offline kiosk)"));
        n = add(l, n, t.outbox_dead > 0 ? UI_WARN : UI_FG, false,
                _("Outbox: %lld waiting, %lld dead letters, %lld sent"), (long long)t.outbox_pending,
                (long long)t.outbox_dead, (long long)t.outbox_sent);
        when(a, sizeof(a), t.oldest_pending_at);
        when(b, sizeof(b), t.last_success_at);
        n = add(l, n, UI_FG, false, _("Oldest waiting: %s. Last success: %s."),
                t.oldest_pending_at ? a : "-", b);
        n = add(l, n, UI_ACCENT, true, "%s", _("Checks"));
        for (int i = 0; i < t.n_checks; i++) {
                bool ok = strcmp(t.checks[i].status, "ok") == 0;
                n = add(l, n, ok ? UI_FG : UI_WARN, false, "[%s] %s: %s", t.checks[i].status,
                        t.checks[i].check, t.checks[i].message);
        }
        n = add(l, n, UI_ACCENT, true, "%s", _("This kiosk"));
        n = add(l, n, UI_FG, false, _("Disk: %.1f GB free of %.1f GB"), (double)t.disk_free_bytes / 1e9,
                (double)t.disk_total_bytes / 1e9);
        n = add(l, n, UI_FG, false, _("Version: %s"), t.version);
        if (t.last_test_job[0])
                n = add(l, n, UI_FG, false, _("Last test print: %s"), t.last_test_job);
        if (t.last_export[0])
                n = add(l, n, UI_FG, false, _("Last export: %s"), t.last_export);
        return n;
}

void ui_screen_tech(struct ui *ui)
{
        struct ui_rect c = ui_top_bar(ui, _("Technician"), false);
        if (!app_staffdesk_technician(ui->desk)) {
                pin_page(ui, c);
                return;
        }
        struct app_staffdesk_tech t;
        app_staffdesk_tech(ui->desk, &t);
        float g = ui_dp(ui, 20), bh = ui_dp(ui, 110);
        bool idle = ui->dv.pending == 0;
        /* two fixed rows of actions at the bottom: the test print (printer and
         * paper chosen by cycling through the list app/staffdesk made: every
         * CUPS queue, the desk's first, each with its papers), then export */
        float y2 = c.y + c.h - bh, y1 = y2 - g - bh;
        float w3 = (c.w - 2 * g) / 3, w4 = (c.w - 3 * g) / 4, w2 = (c.w - g) / 2;
        /* landscape: test print | paper | printer, then export | stick |
         * refresh | back; portrait (narrow): four rows, one or two a row */
        struct ui_rect r_test = {c.x, y1, w3, bh}, r_paper = {c.x + w3 + g, y1, w3, bh},
                       r_printer = {c.x + 2 * (w3 + g), y1, w3, bh}, r_export = {c.x, y2, w4, bh},
                       r_target = {c.x + w4 + g, y2, w4, bh}, r_refresh = {c.x + 2 * (w4 + g), y2, w4, bh},
                       r_back = {c.x + 3 * (w4 + g), y2, w4, bh};
        if (!ui->landscape) {
                float ya = y2 - 3 * (bh + g);
                r_test = (struct ui_rect){c.x, ya, c.w, bh};
                r_paper = (struct ui_rect){c.x, ya + bh + g, w2, bh};
                r_printer = (struct ui_rect){c.x + w2 + g, ya + bh + g, w2, bh};
                r_export = (struct ui_rect){c.x, ya + 2 * (bh + g), w2, bh};
                r_target = (struct ui_rect){c.x + w2 + g, ya + 2 * (bh + g), w2, bh};
                r_refresh = (struct ui_rect){c.x, y2, w2, bh};
                r_back = (struct ui_rect){c.x + w2 + g, y2, w2, bh};
                y1 = ya; /* the banner and page sit above the first row */
        }
        struct app_staffdesk_printer pr[APP_DESK_MAX_PRINTERS];
        int np = app_staffdesk_printers(ui->desk, pr, APP_DESK_MAX_PRINTERS);
        if (np > APP_DESK_MAX_PRINTERS)
                np = APP_DESK_MAX_PRINTERS;
        if (ui->dv.tp_printer >= np)
                ui->dv.tp_printer = 0;
        const struct app_staffdesk_printer *tp = np > 0 ? &pr[ui->dv.tp_printer] : NULL;
        if (!tp || ui->dv.tp_paper >= tp->n_papers)
                ui->dv.tp_paper = 0;
        const char *paper = tp && tp->n_papers > 0 ? tp->papers[ui->dv.tp_paper].paper : NULL;
        char label[128];
        if (tp && paper)
                snprintf(label, sizeof(label), _("Test print: %s on %s"), _(paper), tp->queue);
        else
                snprintf(label, sizeof(label), "%s", _("Test print (colour target)"));
        if (ui_button_enabled(ui, "tech-test", label, r_test, true, idle))
                ui_desk_sent(ui, app_staffdesk_test_print(ui->desk, tp ? tp->queue : NULL, paper));
        if (ui_button_enabled(ui, "tech-paper", _("Other paper"), r_paper,
                              false, tp && tp->n_papers > 1))
                ui->dv.tp_paper = (ui->dv.tp_paper + 1) % tp->n_papers;
        if (ui_button_enabled(ui, "tech-printer", _("Other printer"), r_printer, false, np > 1)) {
                ui->dv.tp_printer = (ui->dv.tp_printer + 1) % np;
                ui->dv.tp_paper = 0;
        }
        if (ui->dv.export_target >= t.n_targets)
                ui->dv.export_target = 0;
        if (t.n_targets > 0)
                snprintf(label, sizeof(label), _("Export logs to %s"), t.targets[ui->dv.export_target]);
        else
                snprintf(label, sizeof(label), "%s", _("No USB stick found"));
        if (ui_button_enabled(ui, "tech-export", label, r_export, true,
                              idle && t.n_targets > 0))
                ui_desk_sent(ui, app_staffdesk_export_logs(ui->desk, ui->dv.export_target));
        if (ui_button_enabled(ui, "tech-target", _("Other USB stick"), r_target,
                              false, t.n_targets > 1))
                ui->dv.export_target = (ui->dv.export_target + 1) % (t.n_targets > 0 ? t.n_targets : 1);
        if (ui_button_enabled(ui, "tech-refresh", _("Refresh"), r_refresh,
                              false, idle))
                ui_desk_sent(ui, app_staffdesk_tech_refresh(ui->desk));
        if (ui_button(ui, "tech-back", _("Back"), r_back, false)) {
                ui->dv.scroll = (struct ui_scroll){0};
                ui_go(ui, UI_SCREEN_DESK);
                return;
        }
        float bn = ui_dp(ui, 90);
        ui_desk_banner(ui, (struct ui_rect){c.x, y1 - g - bn, c.w, bn});
        /* the status page scrolls above */
        static struct line lines[TECH_MAX_LINES]; /* UI thread only; too big for the stack */
        int n = build_lines(ui, lines);
        struct ui_rect page = {c.x, c.y, c.w, y1 - 2 * g - bn - c.y};
        float lh = ui_dp(ui, 48);
        ui->dv.scroll.max = n * lh - page.h;
        ui_scroll_update(ui, &ui->dv.scroll, page, ui->frame_dt);
        ui_clip_begin(ui, page);
        float y = page.y - ui->dv.scroll.offset;
        for (int i = 0; i < n; i++, y += lh) {
                if (y + lh < page.y || y > page.y + page.h)
                        continue;
                ui_text(ui, lines[i].text, (struct ui_rect){page.x, y, page.w - ui_dp(ui, 20), lh},
                        lines[i].bold ? 30 : 26, lines[i].colour, UI_LEFT, lines[i].bold, false);
        }
        ui_clip_end(ui);
        ui_scroll_bar(ui, &ui->dv.scroll, page);
}
