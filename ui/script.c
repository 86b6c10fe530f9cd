/* ui/script: --script FILE, synthetic input so tests and benchmarks can drive
 * the whole flow headlessly through the real input path (SDL_PushEvent of
 * finger events, the same as a touch screen produces).
 *
 * One command per line ('#' starts a comment):
 *   wait MS                   sleep
 *   wait-idle                 until the walk is done, thumbnails are answered and
 *                             uploaded and no fling runs (gives up after 30 s)
 *   wait-screen NAME          until that screen shows (10 s)
 *   tap ID                    tap the centre of the widget drawn with id ID (5 s to appear)
 *   wait-id ID                until a widget with id ID is drawn (120 s: printing)
 *   tap-at FX FY              tap at fractions of the window
 *   drag FX1 FY1 FX2 FY2 MS   finger drag over MS ms (motion every 16 ms), then release
 *   hold FX FY MS             press, hold, release
 *   wheel N                   N wheel steps at the window centre
 *   screenshot NAME           save <screenshot-dir>/NAME.bmp after the next frame
 *   lang N                    0 English, 1 German
 *   mark NAME                 record the time since start in --stats (benchmarks)
 *   quit
 * A command that cannot complete (unknown id, timeout) ends the run with exit 3.
 * Invariants: at most SCRIPT_MAX_LINES lines of SCRIPT_MAX_LINE bytes; injected
 * events wait in a bounded queue ordered by due time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

#define SCRIPT_MAX_LINES 2000
#define SCRIPT_MAX_LINE 256
#define INJECT_MAX 1024

struct inject {
        Uint64 due;
        SDL_Event ev;
};

struct ui_script {
        char **lines;
        int n_lines, pc;
        Uint64 wait_until;  /* for wait */
        Uint64 step_start;  /* when the current waiting command began */
        bool waiting;
        struct inject q[INJECT_MAX];
        int q_len;
        uint64_t settle_frame; /* after injected input: wait for a frame past this */
        bool settling;
};

struct ui_script *ui_script_load(const char *path, char *err, size_t errlen)
{
        FILE *f = fopen(path, "re");
        if (!f) {
                snprintf(err, errlen, "script %s: cannot open", path);
                return NULL;
        }
        struct ui_script *s = calloc(1, sizeof(*s));
        s->lines = calloc(SCRIPT_MAX_LINES, sizeof(char *));
        char buf[SCRIPT_MAX_LINE];
        while (s->lines && fgets(buf, sizeof(buf), f) && s->n_lines < SCRIPT_MAX_LINES) {
                char *h = strchr(buf, '#');
                if (h)
                        *h = '\0';
                buf[strcspn(buf, "\r\n")] = '\0';
                char *p = buf;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p)
                        s->lines[s->n_lines++] = strdup(p);
        }
        fclose(f);
        return s;
}

struct ui_script *ui_script_free(struct ui_script *s)
{
        if (!s)
                return NULL;
        for (int i = 0; i < s->n_lines; i++)
                free(s->lines[i]);
        free(s->lines);
        free(s);
        return NULL;
}

static void inject(struct ui_script *s, Uint64 due, Uint32 type, float x, float y, float dx, float dy)
{
        if (s->q_len >= INJECT_MAX)
                return;
        SDL_Event ev = {0};
        ev.type = type;
        ev.tfinger.touchId = 1;
        ev.tfinger.fingerId = 0;
        ev.tfinger.x = x;
        ev.tfinger.y = y;
        ev.tfinger.dx = dx;
        ev.tfinger.dy = dy;
        ev.tfinger.pressure = 1;
        s->q[s->q_len++] = (struct inject){.due = due, .ev = ev};
}

bool ui_script_busy(struct ui *ui)
{
        return (app_kiosk_walk_running(ui->kiosk)) || ui->thumbs_outstanding > 0 ||
               ui_texcache_queued(ui->tex) > 0 || ui_texcache_queued(ui->ptex) > 0 || ui->animating || ui->dirty ||
               ui->pin_checking || ui->previews_outstanding > 0 || ui->order_pending;
}

static void fail(struct ui *ui, struct ui_script *s, const char *why)
{
        fprintf(stderr, "printkiosk: script line %d (%s): %s\n", s->pc + 1, s->lines[s->pc], why);
        ui->exit_code = 3;
        ui->quit = true;
}

static const struct ui_hit *find_hit(struct ui *ui, const char *id)
{
        for (int i = 0; i < ui->n_hits; i++)
                if (strcmp(ui->hits[i].id, id) == 0)
                        return &ui->hits[i];
        return NULL;
}

static bool parse_f(const char *s, float *ret)
{
        char *end;
        float v = strtof(s ? s : "", &end);
        if (!s || end == s || !isfinite(v))
                return false;
        *ret = v;
        return true;
}

/* Returns ms until the script wants to run again, or -1 to be polled per frame. */
int ui_script_step(struct ui *ui, struct ui_script *s)
{
        Uint64 now = SDL_GetTicks64();
        /* deliver due injected events (in order) */
        int delivered = 0;
        while (delivered < s->q_len && s->q[delivered].due <= now) {
                SDL_PushEvent(&s->q[delivered].ev);
                delivered++;
        }
        if (delivered) {
                memmove(s->q, s->q + delivered, (size_t)(s->q_len - delivered) * sizeof(s->q[0]));
                s->q_len -= delivered;
        }
        if (s->q_len > 0)
                return (int)(s->q[0].due - now);
        /* Injected input must reach a frame before the next command looks at
         * the screen, else two taps can land in one frame's input. */
        if (delivered) {
                s->settling = true;
                s->settle_frame = ui->frame_no;
                ui->dirty = true; /* input that changed nothing still gets its frame */
        }
        if (s->settling) {
                if (ui->frame_no <= s->settle_frame || ui->dirty)
                        return -1;
                s->settling = false;
        }
        for (int guard = 0; guard < 64 && s->pc < s->n_lines && !ui->quit; guard++) {
                char line[SCRIPT_MAX_LINE];
                snprintf(line, sizeof(line), "%s", s->lines[s->pc]);
                char *save = NULL;
                char *cmd = strtok_r(line, " \t", &save);
                char *a[6] = {0};
                for (int i = 0; i < 6; i++)
                        a[i] = strtok_r(NULL, " \t", &save);
                if (!s->waiting) {
                        s->step_start = now;
                        s->waiting = true;
                }
                Uint64 elapsed = now - s->step_start;
                if (strcmp(cmd, "wait") == 0) {
                        float ms;
                        if (!parse_f(a[0], &ms) || ms < 0 || ms > 600000)
                                return fail(ui, s, "bad wait"), 0;
                        if (elapsed < (Uint64)ms)
                                return (int)((Uint64)ms - elapsed);
                } else if (strcmp(cmd, "wait-idle") == 0) {
                        if (ui_script_busy(ui)) {
                                if (elapsed > 30000)
                                        return fail(ui, s, "still busy after 30 s"), 0;
                                return -1;
                        }
                } else if (strcmp(cmd, "wait-screen") == 0) {
                        if (!a[0] || strcmp(ui_screen_name(ui->screen), a[0]) != 0 || ui->dirty) {
                                if (elapsed > 10000)
                                        return fail(ui, s, "screen did not appear"), 0;
                                return -1;
                        }
                } else if (strcmp(cmd, "wait-id") == 0) {
                        if (!a[0] || ui->dirty || !find_hit(ui, a[0])) {
                                if (elapsed > 120000)
                                        return fail(ui, s, "widget did not appear"), 0;
                                return -1;
                        }
                } else if (strcmp(cmd, "tap") == 0) {
                        const struct ui_hit *h = a[0] && !ui->dirty ? find_hit(ui, a[0]) : NULL;
                        if (!h) {
                                if (elapsed > 5000)
                                        return fail(ui, s, "no such widget on screen"), 0;
                                return -1;
                        }
                        float x = (h->r.x + h->r.w / 2.0f) / ui->w, y = (h->r.y + h->r.h / 2.0f) / ui->h;
                        inject(s, now, SDL_FINGERDOWN, x, y, 0, 0);
                        inject(s, now + 50, SDL_FINGERUP, x, y, 0, 0);
                } else if (strcmp(cmd, "tap-at") == 0 || strcmp(cmd, "hold") == 0) {
                        float x, y, ms = 50;
                        if (!parse_f(a[0], &x) || !parse_f(a[1], &y) ||
                            (cmd[0] == 'h' && (!parse_f(a[2], &ms) || ms < 0 || ms > 60000)))
                                return fail(ui, s, "bad coordinates"), 0;
                        inject(s, now, SDL_FINGERDOWN, x, y, 0, 0);
                        inject(s, now + (Uint64)ms, SDL_FINGERUP, x, y, 0, 0);
                } else if (strcmp(cmd, "drag") == 0) {
                        float x1, y1, x2, y2, ms;
                        if (!parse_f(a[0], &x1) || !parse_f(a[1], &y1) || !parse_f(a[2], &x2) ||
                            !parse_f(a[3], &y2) || !parse_f(a[4], &ms) || ms < 16 || ms > 10000)
                                return fail(ui, s, "bad drag"), 0;
                        int steps = (int)(ms / 16);
                        if (steps > INJECT_MAX - 4)
                                steps = INJECT_MAX - 4;
                        inject(s, now, SDL_FINGERDOWN, x1, y1, 0, 0);
                        for (int i = 1; i <= steps; i++) {
                                float t = (float)i / steps;
                                inject(s, now + (Uint64)(i * 16), SDL_FINGERMOTION,
                                       x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, (x2 - x1) / steps,
                                       (y2 - y1) / steps);
                        }
                        inject(s, now + (Uint64)(steps * 16 + 1), SDL_FINGERUP, x2, y2, 0, 0);
                } else if (strcmp(cmd, "wheel") == 0) {
                        float n;
                        if (!parse_f(a[0], &n))
                                return fail(ui, s, "bad wheel"), 0;
                        SDL_Event ev = {0};
                        ev.type = SDL_MOUSEMOTION;
                        ev.motion.x = ui->w / 2;
                        ev.motion.y = ui->h / 2;
                        SDL_PushEvent(&ev);
                        memset(&ev, 0, sizeof(ev));
                        ev.type = SDL_MOUSEWHEEL;
                        ev.wheel.y = (Sint32)n;
                        ev.wheel.preciseY = n;
                        SDL_PushEvent(&ev);
                } else if (strcmp(cmd, "screenshot") == 0) {
                        if (!a[0])
                                return fail(ui, s, "screenshot needs a name"), 0;
                        snprintf(ui->screenshot_name, sizeof(ui->screenshot_name), "%s", a[0]);
                        ui->dirty = true;
                } else if (strcmp(cmd, "lang") == 0) {
                        ui->lang = a[0] && a[0][0] == '1';
                        ui_i18n_set_lang(ui->lang);
                        ui->dirty = true;
                } else if (strcmp(cmd, "mark") == 0) {
                        /* time since start, for benchmarks (names: [a-z0-9-]) */
                        if (a[0] && ui->n_marks < 16) {
                                snprintf(ui->mark_names[ui->n_marks], sizeof(ui->mark_names[0]), "%s", a[0]);
                                for (char *c = ui->mark_names[ui->n_marks]; *c; c++)
                                        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
                                                *c = '-';
                                ui->mark_ms[ui->n_marks++] = (double)(SDL_GetPerformanceCounter() - ui->t0) * 1000.0 /
                                                             (double)SDL_GetPerformanceFrequency();
                        }
                } else if (strcmp(cmd, "quit") == 0) {
                        ui->quit = true;
                } else {
                        return fail(ui, s, "unknown command"), 0;
                }
                if (getenv("PK_SCRIPT_TRACE"))
                        fprintf(stderr, "script %6llu ms: %s\n", (unsigned long long)now, s->lines[s->pc]);
                s->pc++;
                s->waiting = false;
                if (s->q_len > 0)
                        return 0;
        }
        if (s->pc >= s->n_lines && s->q_len == 0 && !ui->screenshot_name[0])
                ui->quit = true;
        return 0;
}

void ui_screenshot(struct ui *ui, const char *name)
{
        if (!ui->opt.screenshot_dir)
                return;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return; /* names come from our scripts: keep them plain */
        SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, ui->w, ui->h, 24, SDL_PIXELFORMAT_BGR24);
        if (!surf)
                return;
        if (SDL_RenderReadPixels(ui->ren, NULL, SDL_PIXELFORMAT_BGR24, surf->pixels, surf->pitch) == 0) {
                char path[1024];
                snprintf(path, sizeof(path), "%s/%s.bmp", ui->opt.screenshot_dir, name);
                if (SDL_SaveBMP(surf, path) != 0)
                        fprintf(stderr, "printkiosk: screenshot %s: %s\n", name, SDL_GetError());
        }
        SDL_FreeSurface(surf);
}
