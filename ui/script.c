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
 *   storm N SEED [PER_FRAME]  N random input events from a seeded PRNG (taps, drags,
 *                             long-presses, 3-finger gestures, mouse, wheel, text,
 *                             keys and escape chords, SDL_QUIT and window close), at
 *                             most PER_FRAME (default 32) queued per drawn frame so
 *                             the loop keeps drawing; then one JSON line on stdout
 *                             ({"storm":true,...}: events, escapes, worst frame)
 *   home                      tap the way back to the attract screen (continue,
 *                             staff-cancel/back, start-over, next, back; 30 s)
 *   wait-orders               until the core's order thread is idle (60 s)
 *   say TEXT                  print "script: TEXT" on stdout (test markers)
 *   camera ID PORT MODEL...   a camera or phone arrives, as the core's USB watcher
 *                             reports one (app_kiosk_camera_arrived; MODEL is the
 *                             rest of the line, e.g. "Directory Browse" at disk:DIR)
 *   camera-left ID            that device is unplugged (app_kiosk_camera_left)
 *   wait-photos N             until the core lists at least N photos (60 s)
 *   quit
 * A command that cannot complete (unknown id, timeout) ends the run with exit 3.
 * Invariants: at most SCRIPT_MAX_LINES lines of SCRIPT_MAX_LINE bytes; injected
 * events wait in a bounded queue ordered by due time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/escape.h"
#include "ui/ui.h"

#define SCRIPT_MAX_LINES 2000
#define SCRIPT_MAX_LINE 256
#define INJECT_MAX 1024
#define STORM_MAX_EVENTS 100000000L /* one storm command; a run can hold many */
#define STORM_ACTION_MAX 24         /* most events one storm action queues */

struct inject {
        Uint64 due;
        SDL_Event ev;
};

/* One `storm` command in progress. Every event it makes waits in the script's
 * bounded queue (INJECT_MAX) ordered by due time; it generates only when an
 * action fits and at most per_frame events per drawn frame. */
struct storm {
        bool active;
        uint64_t rng;
        uint64_t seed;
        long left, total;
        int per_frame;
        uint64_t gen_frame;       /* frame_no of the last batch */
        Uint64 t_start, last_frame_ticks;
        uint64_t frame_seen;
        int frames_start;         /* ui->n_frames when the storm began */
        double gap_max_ms;        /* longest time between two drawn frames */
        Uint64 hold_free_at;      /* no new long-press/gesture before this: a held
                                   * finger blocks every tap, so holds take turns */
        long pushed, filtered, push_errors;
        long taps, drags, long_presses, gestures, mouse, wheels, texts, keys, chords, quits, winevents;
        uint32_t screen_frames[_UI_SCREEN_MAX];
        enum ui_screen start_screen;
        struct ui_escape_stats esc0;
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
        struct storm storm;
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

/* Queue ev at due, after every queued event due at or before it (the queue
 * stays ordered by due time; same-time events keep their order). */
static bool inject_event(struct ui_script *s, Uint64 due, const SDL_Event *ev)
{
        if (s->q_len >= INJECT_MAX)
                return false;
        int i = s->q_len;
        while (i > 0 && s->q[i - 1].due > due)
                i--;
        memmove(s->q + i + 1, s->q + i, (size_t)(s->q_len - i) * sizeof(s->q[0]));
        s->q[i] = (struct inject){.due = due, .ev = *ev};
        s->q_len++;
        return true;
}

static void inject_finger(struct ui_script *s, Uint64 due, Uint32 type, SDL_FingerID finger, float x, float y,
                          float dx, float dy)
{
        SDL_Event ev = {0};
        ev.type = type;
        ev.tfinger.touchId = 1;
        ev.tfinger.fingerId = finger;
        ev.tfinger.x = x;
        ev.tfinger.y = y;
        ev.tfinger.dx = dx;
        ev.tfinger.dy = dy;
        ev.tfinger.pressure = 1;
        inject_event(s, due, &ev);
}

static void inject(struct ui_script *s, Uint64 due, Uint32 type, float x, float y, float dx, float dy)
{
        inject_finger(s, due, type, 0, x, y, dx, dy);
}

/* ---- storm: seeded random input (splitmix64: small, fast, reproducible) ---- */

static uint64_t rnd(struct storm *st)
{
        uint64_t z = (st->rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
}

static int rnd_below(struct storm *st, int n)
{
        return n > 0 ? (int)(rnd(st) % (uint64_t)n) : 0;
}

static float rnd_unit(struct storm *st)
{
        return (float)(rnd(st) >> 40) / (float)(1ull << 24); /* [0, 1) */
}

static void storm_key(struct ui_script *s, struct ui *ui, Uint64 due, SDL_Keycode sym, Uint16 mod, bool down)
{
        SDL_Event ev = {0};
        ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
        ev.key.windowID = SDL_GetWindowID(ui->win);
        ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
        ev.key.keysym.sym = sym;
        ev.key.keysym.scancode = SDL_GetScancodeFromKey(sym);
        ev.key.keysym.mod = mod;
        inject_event(s, due, &ev);
}

/* A chord as a keyboard sends it: modifiers down, key down, key up, modifiers up. */
static int storm_chord(struct ui_script *s, struct ui *ui, Uint64 due, SDL_Keycode sym, Uint16 mod)
{
        static const struct { Uint16 mod; SDL_Keycode key; } mods[] = {
                {KMOD_LCTRL, SDLK_LCTRL}, {KMOD_LALT, SDLK_LALT}, {KMOD_LGUI, SDLK_LGUI}, {KMOD_LSHIFT, SDLK_LSHIFT}};
        int n = 0;
        Uint16 held = 0;
        for (size_t i = 0; i < SDL_arraysize(mods); i++)
                if (mod & mods[i].mod) {
                        held |= mods[i].mod;
                        storm_key(s, ui, due, mods[i].key, held, true);
                        n++;
                }
        storm_key(s, ui, due, sym, mod, true);
        storm_key(s, ui, due + 40, sym, mod, false);
        n += 2;
        for (size_t i = SDL_arraysize(mods); i-- > 0;)
                if (mod & mods[i].mod) {
                        held &= (Uint16)~mods[i].mod;
                        storm_key(s, ui, due + 60, mods[i].key, held, false);
                        n++;
                }
        return n;
}

/* Queue one random action; returns how many events it queued (<= STORM_ACTION_MAX). */
static int storm_action(struct ui_script *s, struct ui *ui, Uint64 now)
{
        struct storm *st = &s->storm;
        float x = rnd_unit(st), y = rnd_unit(st);
        Uint32 wid = SDL_GetWindowID(ui->win);
        int k = rnd_below(st, 1000), n = 0;
        SDL_Event ev = {0};
        if (k >= 450 && k < 505 && now < st->hold_free_at)
                k = 0; /* a tap instead */
        if (k < 330) { /* tap: most at once, some held briefly */
                Uint64 up = now + (rnd_below(st, 2) ? 0 : (Uint64)(30 + rnd_below(st, 120)));
                inject_finger(s, now, SDL_FINGERDOWN, 0, x, y, 0, 0);
                inject_finger(s, up, SDL_FINGERUP, 0, x, y, 0, 0);
                st->taps++;
                n = 2;
        } else if (k < 450) { /* drag / fling */
                float x2 = rnd_unit(st), y2 = rnd_unit(st);
                int steps = 2 + rnd_below(st, 6);
                inject_finger(s, now, SDL_FINGERDOWN, 0, x, y, 0, 0);
                for (int i = 1; i <= steps; i++) {
                        float t = (float)i / (float)steps;
                        inject_finger(s, now + (Uint64)(i * 8), SDL_FINGERMOTION, 0, x + (x2 - x) * t,
                                      y + (y2 - y) * t, (x2 - x) / (float)steps, (y2 - y) / (float)steps);
                }
                inject_finger(s, now + (Uint64)(steps * 8 + 1), SDL_FINGERUP, 0, x2, y2, 0, 0);
                st->drags++;
                n = steps + 2;
        } else if (k < 465) { /* long-press; a third of them on the staff corner */
                Uint64 ms = (Uint64)(600 + rnd_below(st, 2900));
                if (rnd_below(st, 3) == 0) {
                        x = rnd_unit(st) * 0.03f;
                        y = rnd_unit(st) * 0.03f;
                        ms = (Uint64)(3050 + rnd_below(st, 500));
                }
                inject_finger(s, now, SDL_FINGERDOWN, 0, x, y, 0, 0);
                inject_finger(s, now + ms, SDL_FINGERUP, 0, x, y, 0, 0);
                st->hold_free_at = now + ms + 1500;
                st->long_presses++;
                n = 2;
        } else if (k < 505) { /* three-finger gesture (swipe or pinch) */
                Uint64 hold = (Uint64)(100 + rnd_below(st, 700));
                float dx = (rnd_unit(st) - 0.5f) * 0.5f, dy = (rnd_unit(st) - 0.5f) * 0.5f;
                for (int f = 1; f <= 3; f++)
                        inject_finger(s, now, SDL_FINGERDOWN, f, x + 0.05f * (float)f, y, 0, 0);
                for (int i = 1; i <= 3; i++)
                        for (int f = 1; f <= 3; f++)
                                inject_finger(s, now + (Uint64)(i * 16), SDL_FINGERMOTION, f,
                                              x + 0.05f * (float)f + dx * (float)i / 3, y + dy * (float)i / 3,
                                              dx / 3, dy / 3);
                ev.type = SDL_MULTIGESTURE;
                ev.mgesture.touchId = 1;
                ev.mgesture.dDist = (rnd_unit(st) - 0.5f) * 0.2f;
                ev.mgesture.dTheta = (rnd_unit(st) - 0.5f);
                ev.mgesture.x = x;
                ev.mgesture.y = y;
                ev.mgesture.numFingers = 3;
                inject_event(s, now + 50, &ev);
                for (int f = 1; f <= 3; f++)
                        inject_finger(s, now + hold, SDL_FINGERUP, f, x + 0.05f * (float)f + dx, y + dy, 0, 0);
                st->hold_free_at = now + hold + 1500;
                st->gestures++;
                n = 3 + 9 + 1 + 3;
        } else if (k < 585) { /* mouse click: left, middle or right */
                static const Uint8 buttons[] = {SDL_BUTTON_LEFT, SDL_BUTTON_LEFT, SDL_BUTTON_MIDDLE, SDL_BUTTON_RIGHT};
                Uint8 b = buttons[rnd_below(st, 4)];
                int px = (int)(x * (float)ui->w), py = (int)(y * (float)ui->h);
                ev.type = SDL_MOUSEMOTION;
                ev.motion.windowID = wid;
                ev.motion.x = px;
                ev.motion.y = py;
                inject_event(s, now, &ev);
                memset(&ev, 0, sizeof(ev));
                ev.type = SDL_MOUSEBUTTONDOWN;
                ev.button.windowID = wid;
                ev.button.button = b;
                ev.button.state = SDL_PRESSED;
                ev.button.clicks = (Uint8)(1 + rnd_below(st, 3));
                ev.button.x = px;
                ev.button.y = py;
                inject_event(s, now, &ev);
                ev.type = SDL_MOUSEBUTTONUP;
                ev.button.state = SDL_RELEASED;
                inject_event(s, now + (Uint64)rnd_below(st, 200), &ev);
                st->mouse++;
                n = 3;
        } else if (k < 625) { /* mouse wandering */
                ev.type = SDL_MOUSEMOTION;
                ev.motion.windowID = wid;
                ev.motion.x = (int)(x * (float)ui->w);
                ev.motion.y = (int)(y * (float)ui->h);
                ev.motion.xrel = rnd_below(st, 200) - 100;
                ev.motion.yrel = rnd_below(st, 200) - 100;
                inject_event(s, now, &ev);
                st->mouse++;
                n = 1;
        } else if (k < 685) { /* wheel, either way, sometimes huge */
                ev.type = SDL_MOUSEWHEEL;
                ev.wheel.windowID = wid;
                ev.wheel.y = rnd_below(st, 10) - 5;
                ev.wheel.preciseY = (float)ev.wheel.y * (rnd_below(st, 20) == 0 ? 1000.0f : 1.0f);
                ev.wheel.x = rnd_below(st, 3) - 1;
                ev.wheel.preciseX = (float)ev.wheel.x;
                inject_event(s, now, &ev);
                st->wheels++;
                n = 1;
        } else if (k < 725) { /* text typed on a USB keyboard (printable ASCII) */
                ev.type = SDL_TEXTINPUT;
                ev.text.windowID = wid;
                int len = 1 + rnd_below(st, (int)sizeof(ev.text.text) - 2);
                for (int i = 0; i < len; i++)
                        ev.text.text[i] = (char)(32 + rnd_below(st, 95));
                inject_event(s, now, &ev);
                st->texts++;
                n = 1;
        } else if (k < 825) { /* any key with any modifiers */
                static const SDL_Keycode keys[] = {SDLK_a, SDLK_z, SDLK_1, SDLK_0, SDLK_RETURN, SDLK_TAB,
                                                   SDLK_BACKSPACE, SDLK_DELETE, SDLK_SPACE, SDLK_LEFT,
                                                   SDLK_RIGHT, SDLK_UP, SDLK_DOWN, SDLK_PAGEUP, SDLK_HOME,
                                                   SDLK_F1, SDLK_F5, SDLK_F10, SDLK_F12, SDLK_PRINTSCREEN,
                                                   SDLK_POWER, SDLK_SLEEP, SDLK_AC_HOME, SDLK_MENU};
                static const Uint16 mods[] = {KMOD_NONE, KMOD_NONE, KMOD_LSHIFT, KMOD_LCTRL, KMOD_LALT,
                                              KMOD_LCTRL | KMOD_LSHIFT, KMOD_RALT, KMOD_LGUI};
                SDL_Keycode sym = keys[rnd_below(st, (int)SDL_arraysize(keys))];
                Uint16 mod = mods[rnd_below(st, (int)SDL_arraysize(mods))];
                if (ui_escape_is_chord(sym, mod))
                        st->chords++;
                n = storm_chord(s, ui, now, sym, mod);
                st->keys++;
        } else if (k < 955) { /* the escape chords a customer would try */
                static const struct { SDL_Keycode sym; Uint16 mod; } chords[] = {
                        {SDLK_TAB, KMOD_LALT}, {SDLK_F4, KMOD_LALT}, {SDLK_ESCAPE, KMOD_NONE},
                        {SDLK_ESCAPE, KMOD_LALT}, {SDLK_LGUI, KMOD_NONE}, {SDLK_RGUI, KMOD_NONE},
                        {SDLK_d, KMOD_LGUI}, {SDLK_TAB, KMOD_LGUI}, {SDLK_w, KMOD_LCTRL}, {SDLK_q, KMOD_LCTRL},
                        {SDLK_DELETE, KMOD_LCTRL | KMOD_LALT}, {SDLK_BACKSPACE, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F11, KMOD_NONE}, {SDLK_TAB, KMOD_LALT | KMOD_LSHIFT}, {SDLK_SPACE, KMOD_LALT},
                        {SDLK_F1, KMOD_LCTRL | KMOD_LALT}, {SDLK_F2, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F3, KMOD_LCTRL | KMOD_LALT}, {SDLK_F4, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F5, KMOD_LCTRL | KMOD_LALT}, {SDLK_F6, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F7, KMOD_LCTRL | KMOD_LALT}, {SDLK_F8, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F9, KMOD_LCTRL | KMOD_LALT}, {SDLK_F10, KMOD_LCTRL | KMOD_LALT},
                        {SDLK_F11, KMOD_LCTRL | KMOD_LALT}, {SDLK_F12, KMOD_LCTRL | KMOD_LALT}};
                int c = rnd_below(st, (int)SDL_arraysize(chords));
                n = storm_chord(s, ui, now, chords[c].sym, chords[c].mod);
                st->chords++;
        } else if (k < 985) { /* the window manager asks the app to go */
                if (rnd_below(st, 2)) {
                        ev.type = SDL_QUIT;
                } else {
                        ev.type = SDL_WINDOWEVENT;
                        ev.window.windowID = wid;
                        ev.window.event = SDL_WINDOWEVENT_CLOSE;
                }
                inject_event(s, now, &ev);
                st->quits++;
                n = 1;
        } else { /* focus and visibility churn a WM or a second screen causes */
                static const Uint8 wev[] = {SDL_WINDOWEVENT_FOCUS_LOST, SDL_WINDOWEVENT_FOCUS_GAINED,
                                            SDL_WINDOWEVENT_MINIMIZED, SDL_WINDOWEVENT_RESTORED,
                                            SDL_WINDOWEVENT_HIDDEN, SDL_WINDOWEVENT_SHOWN,
                                            SDL_WINDOWEVENT_EXPOSED, SDL_WINDOWEVENT_LEAVE,
                                            SDL_WINDOWEVENT_ENTER, SDL_WINDOWEVENT_TAKE_FOCUS};
                ev.type = SDL_WINDOWEVENT;
                ev.window.windowID = wid;
                ev.window.event = wev[rnd_below(st, (int)SDL_arraysize(wev))];
                inject_event(s, now, &ev);
                st->winevents++;
                n = 1;
        }
        return n;
}

static void storm_begin(struct ui *ui, struct ui_script *s, long n, uint64_t seed, int per_frame)
{
        struct storm *st = &s->storm;
        memset(st, 0, sizeof(*st));
        st->active = true;
        st->seed = seed;
        st->rng = seed;
        st->left = st->total = n;
        st->per_frame = per_frame;
        st->t_start = st->last_frame_ticks = SDL_GetTicks64();
        st->frame_seen = ui->frame_no;
        st->gen_frame = UINT64_MAX;
        st->frames_start = ui->n_frames;
        st->start_screen = ui->screen;
        ui_escape_get_stats(&st->esc0);
}

static void storm_report(struct ui *ui, struct storm *st)
{
        double draw_max = 0;
        for (int i = st->frames_start; i < ui->n_frames; i++)
                if (ui->frame_ms[i] > draw_max)
                        draw_max = ui->frame_ms[i];
        struct ui_escape_stats e;
        ui_escape_get_stats(&e);
        Uint32 wf = SDL_GetWindowFlags(ui->win);
        /* An escape: a quit request or escape chord that got past the filter
         * in kiosk mode, or the window no longer the full-screen surface.
         * (A quit that the loop obeyed ends the run before this line.) */
        bool lost_window = (wf & (SDL_WINDOW_HIDDEN | SDL_WINDOW_MINIMIZED)) != 0 ||
                           (ui->opt.fullscreen && !(wf & SDL_WINDOW_FULLSCREEN_DESKTOP));
        uint64_t passed = (e.quit_passed - st->esc0.quit_passed) + (e.keys_passed - st->esc0.keys_passed);
        long escapes = (ui_escape_kiosk_mode() ? (long)passed : 0) + (lost_window ? 1 : 0);
        double secs = (double)(SDL_GetTicks64() - st->t_start) / 1000.0;
        printf("{\"storm\":true,\"seed\":%llu,\"events\":%ld,\"pushed\":%ld,\"filtered\":%ld,"
               "\"push_errors\":%ld,\"kiosk_mode\":%s,\"escapes\":%ld,\"quit_requests\":%ld,"
               "\"escape_chords\":%ld,\"quit_dropped\":%llu,\"keys_dropped\":%llu,\"taps\":%ld,"
               "\"drags\":%ld,\"long_presses\":%ld,\"gestures\":%ld,\"mouse\":%ld,\"wheels\":%ld,"
               "\"texts\":%ld,\"keys\":%ld,\"window_events\":%ld,\"seconds\":%.2f,\"frames\":%d,"
               "\"frame_ms_max\":%.2f,\"frame_gap_ms_max\":%.2f,\"start_screen\":\"%s\","
               "\"end_screen\":\"%s\",\"screens\":{",
               (unsigned long long)st->seed, st->total - st->left, st->pushed, st->filtered, st->push_errors,
               ui_escape_kiosk_mode() ? "true" : "false", escapes, st->quits, st->chords,
               (unsigned long long)(e.quit_dropped - st->esc0.quit_dropped),
               (unsigned long long)(e.keys_dropped - st->esc0.keys_dropped), st->taps, st->drags,
               st->long_presses, st->gestures, st->mouse, st->wheels, st->texts, st->keys, st->winevents, secs,
               ui->n_frames - st->frames_start, draw_max, st->gap_max_ms, ui_screen_name(st->start_screen),
               ui_screen_name(ui->screen));
        int first = 1;
        for (int i = 0; i < _UI_SCREEN_MAX; i++)
                if (st->screen_frames[i]) {
                        printf("%s\"%s\":%u", first ? "" : ",", ui_screen_name((enum ui_screen)i),
                               st->screen_frames[i]);
                        first = 0;
                }
        printf("}}\n");
        fflush(stdout);
}

/* One step of a running storm; returns like ui_script_step. */
static int storm_step(struct ui *ui, struct ui_script *s, Uint64 now)
{
        struct storm *st = &s->storm;
        if (ui->frame_no != st->frame_seen) { /* a frame was drawn since the last step */
                double gap = (double)(now - st->last_frame_ticks);
                if (gap > st->gap_max_ms)
                        st->gap_max_ms = gap;
                st->last_frame_ticks = now;
                st->frame_seen = ui->frame_no;
                st->screen_frames[ui->screen]++;
        }
        if (st->left > 0 && st->gen_frame != ui->frame_no) {
                st->gen_frame = ui->frame_no;
                int made = 0;
                for (int guard = 0; guard < st->per_frame && made < st->per_frame && st->left > 0 &&
                                    s->q_len + STORM_ACTION_MAX <= INJECT_MAX;
                     guard++) {
                        int n = storm_action(s, ui, now);
                        made += n;
                        st->left -= n;
                }
                if (st->left < 0)
                        st->left = 0; /* the last action may overshoot N by a few events */
                ui->dirty = true;     /* every batch gets a frame */
        }
        if (st->left == 0 && s->q_len == 0) {
                storm_report(ui, st);
                st->active = false;
                s->pc++;
                s->waiting = false;
                return 0;
        }
        if (s->q_len > 0 && s->q[0].due > now)
                return (int)SDL_min(s->q[0].due - now, 16);
        return s->q_len > 0 ? 0 : -1;
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
                int r = SDL_PushEvent(&s->q[delivered].ev);
                if (s->storm.active) /* 1 queued, 0 dropped by the event filter, < 0 queue full */
                        r > 0 ? s->storm.pushed++ : r == 0 ? s->storm.filtered++ : s->storm.push_errors++;
                delivered++;
        }
        if (delivered) {
                memmove(s->q, s->q + delivered, (size_t)(s->q_len - delivered) * sizeof(s->q[0]));
                s->q_len -= delivered;
        }
        if (s->storm.active)
                return storm_step(ui, s, now);
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
                                if (elapsed > 30000) {
                                        /* Say what is still busy: a stuck wait is a bug to find. */
                                        char why[200];
                                        snprintf(why, sizeof(why),
                                                 "still busy after 30 s (walk %d, thumbs %d, uploads %d/%d, "
                                                 "animating %d, dirty %d, pin %d, previews %d, order %d)",
                                                 app_kiosk_walk_running(ui->kiosk), ui->thumbs_outstanding,
                                                 (int)ui_texcache_queued(ui->tex), (int)ui_texcache_queued(ui->ptex),
                                                 ui->animating, ui->dirty, ui->pin_checking,
                                                 ui->previews_outstanding, ui->order_pending);
                                        return fail(ui, s, why), 0;
                                }
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
                } else if (strcmp(cmd, "storm") == 0) {
                        char *end = NULL;
                        long n = a[0] ? strtol(a[0], &end, 10) : -1;
                        if (!a[0] || *end || n < 1 || n > STORM_MAX_EVENTS || !a[1])
                                return fail(ui, s, "usage: storm N SEED [PER_FRAME]"), 0;
                        unsigned long long seed = strtoull(a[1], &end, 10);
                        if (*end)
                                return fail(ui, s, "bad storm seed"), 0;
                        long per = 32;
                        if (a[2] && ((per = strtol(a[2], &end, 10)) < 1 || per > 512 || *end))
                                return fail(ui, s, "bad storm rate"), 0;
                        storm_begin(ui, s, n, seed, (int)per);
                        return 0; /* storm_step advances pc when it ends */
                } else if (strcmp(cmd, "home") == 0) {
                        if (ui->screen != UI_SCREEN_ATTRACT || ui->dirty) {
                                if (elapsed > 30000)
                                        return fail(ui, s, "attract screen not reached in 30 s"), 0;
                                static const char *const ways[] = {"continue", "staff-cancel", "staff-back",
                                                                   "start-over", "next", "back"};
                                const struct ui_hit *h = NULL;
                                for (size_t i = 0; !ui->dirty && !h && i < SDL_arraysize(ways); i++)
                                        h = find_hit(ui, ways[i]);
                                if (!h)
                                        return -1;
                                float x = (h->r.x + h->r.w / 2.0f) / ui->w, y = (h->r.y + h->r.h / 2.0f) / ui->h;
                                inject(s, now, SDL_FINGERDOWN, x, y, 0, 0);
                                inject(s, now + 50, SDL_FINGERUP, x, y, 0, 0);
                                return 0; /* same command again once the tap has its frame */
                        }
                } else if (strcmp(cmd, "wait-orders") == 0) {
                        if (app_kiosk_order_busy(ui->kiosk)) {
                                if (elapsed > 60000)
                                        return fail(ui, s, "order thread still busy after 60 s"), 0;
                                return -1;
                        }
                } else if (strcmp(cmd, "say") == 0) {
                        printf("script: %s\n", s->lines[s->pc] + 3 + strspn(s->lines[s->pc] + 3, " \t"));
                        fflush(stdout);
                } else if (strcmp(cmd, "camera") == 0) {
                        /* MODEL is the rest of the line after ID and PORT. */
                        const char *raw = s->lines[s->pc];
                        const char *model = NULL;
                        if (a[0] && a[1] && a[2]) {
                                const char *p = strstr(raw, a[1]);
                                p = p ? p + strlen(a[1]) : NULL;
                                model = p ? p + strspn(p, " \t") : NULL;
                        }
                        if (!model || !*model ||
                            app_kiosk_camera_arrived(ui->kiosk, model, a[1], a[0]) != 0)
                                return fail(ui, s, "bad camera"), 0;
                } else if (strcmp(cmd, "wait-photos") == 0) {
                        float want;
                        if (!parse_f(a[0], &want) || want < 0 || want > 1e6)
                                return fail(ui, s, "bad wait-photos"), 0;
                        if (app_kiosk_photo_count(ui->kiosk) < (int)want) {
                                if (elapsed > 60000)
                                        return fail(ui, s, "photos did not arrive in 60 s"), 0;
                                return 50;
                        }
                } else if (strcmp(cmd, "camera-left") == 0) {
                        if (!a[0])
                                return fail(ui, s, "bad camera-left"), 0;
                        app_kiosk_camera_left(ui->kiosk, a[0]);
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
