/* ui/ui: window, the thin event loop, input at the edge, bus drain, frame stats.
 *
 * The loop (STYLE.md "A thin SDL loop"): wait in SDL_WaitEventTimeout, turn
 * SDL input into view state and app commands, drain app/bus, tick the session,
 * then draw one frame only if something changed or an animation runs (capped
 * at ~60 fps). Workers wake the loop through the bus's single wakeup, which
 * pushes one SDL user event. This thread never reads files after start-up
 * (fonts and catalogues are loaded in ui_new) and never waits on workers.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/watchdog.h"
#include "app/log.h"
#include "ui/ui.h"

static const char *const screen_names[_UI_SCREEN_MAX] = {
        "attract", "source", "grid", "edit", "products", "review", "checkout", "printing", "staff",
        "desk", "tech",
};

const char *ui_screen_name(enum ui_screen s)
{
        return s < _UI_SCREEN_MAX ? screen_names[s] : "?";
}

float ui_dp(const struct ui *ui, float dp)
{
        return dp * ui->dp;
}

static void wakeup(void *userdata)
{
        /* Runs on a worker thread: the bus calls it at most once per drain. */
        struct ui *ui = userdata;
        SDL_Event ev = {0};
        ev.type = ui->wake_event;
        SDL_PushEvent(&ev);
}

void ui_go(struct ui *ui, enum ui_screen s)
{
        if (ui->screen != s) {
                ui->prev_screen = ui->screen;
                ui->screen = s;
                ui->message[0] = '\0';
        }
        ui->dirty = true;
}

bool ui_core(const struct ui *ui)
{
        return ui->booted && ui->kiosk && !ui->core_busy;
}

void ui_core_end_session(struct ui *ui)
{
        ui->end_requested = true;
        ui->start_pending = false;
}

int ui_products(struct ui *ui, const struct app_kiosk_product **ret, char ret_currency[4])
{
        if (ui_core(ui) && ui->prod_cache) {
                ui->n_prod_cache = app_kiosk_products(ui->kiosk, ui->prod_cache, APP_KIOSK_MAX_PRODUCTS);
                app_kiosk_currency(ui->kiosk, ui->cur_cache);
        }
        *ret = ui->prod_cache;
        memcpy(ret_currency, ui->cur_cache, 4);
        return ui->prod_cache ? ui->n_prod_cache : 0;
}

static int end_main(void *arg)
{
        struct ui *ui = arg;
        app_kiosk_session_end(ui->kiosk);
        SDL_AtomicSet(&ui->end_done, 1);
        wakeup(ui);
        return 0;
}

/* Loop, after the frame: start a requested end, or take a finished one. */
static void core_jobs(struct ui *ui, bool wait)
{
        if (ui->core_busy && (wait || SDL_AtomicGet(&ui->end_done))) {
                SDL_WaitThread(ui->end_thread, NULL);
                ui->end_thread = NULL;
                ui->core_busy = false;
                ui->dirty = true;
        }
        if (ui->end_requested && !ui->core_busy && ui->booted && ui->kiosk) {
                ui->end_requested = false;
                SDL_AtomicSet(&ui->end_done, 0);
                ui->core_busy = true;
                ui->end_thread = wait ? NULL : SDL_CreateThread(end_main, "pk-end", ui);
                if (!ui->end_thread) {
                        app_kiosk_session_end(ui->kiosk); /* no thread: here, once */
                        ui->core_busy = false;
                }
        }
        if (ui->start_pending && ui_core(ui)) {
                ui->start_pending = false;
                app_kiosk_session_start(ui->kiosk);
                ui_go(ui, UI_SCREEN_SOURCE);
        }
}

void ui_start_over(struct ui *ui)
{
        ui_core_end_session(ui);
        ui_texcache_clear(ui->tex);
        ui_texcache_clear(ui->ptex);
        ui->preview_tag++;
        ui_grid_reset();
        ui->walk_found = 0;
        ui->walk_done = false;
        ui->seconds_left = 0;
        ui->order_code[0] = '\0';
        ui->order_pending = ui->order_mine = ui->order_print_now = ui->printed = ui->printer_problem = false;
        ui->prep_done = ui->prep_total = ui->print_done = ui->print_total = 0;
        ui->previews_outstanding = 0;
        ui->thumbs_outstanding = 0;
        ui->sel_product = ui->sel_paper = -1;
        memset(&ui->grid_scroll, 0, sizeof(ui->grid_scroll));
        memset(&ui->review_scroll, 0, sizeof(ui->review_scroll));
        memset(&ui->products_scroll, 0, sizeof(ui->products_scroll));
        ui_go(ui, UI_SCREEN_ATTRACT);
}

static void update_size(struct ui *ui)
{
        SDL_GetRendererOutputSize(ui->ren, &ui->w, &ui->h);
        int s = ui->w < ui->h ? ui->w : ui->h;
        ui->dp = (float)s / 1080.0f;
        ui->landscape = ui->w > ui->h;
        ui->dirty = true;
}

static double ms_since(Uint64 t);

/* The UI thread's time on a CPU and waiting for one (runnable, not running),
 * in ms, from /proc/thread-self/schedstat. A frame's wall time minus the
 * waiting-for-a-CPU part is what the kiosk itself spent (work, locks, joins):
 * on a 2-core box shared with builds the rest is other processes' load. */
static void sched_now(const struct ui *ui, double *ret_cpu, double *ret_queued)
{
        *ret_cpu = *ret_queued = 0;
        if (ui->schedstat_fd < 0)
                return;
        char buf[96];
        ssize_t n = pread(ui->schedstat_fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return;
        buf[n] = '\0';
        char *end;
        unsigned long long cpu = strtoull(buf, &end, 10);
        unsigned long long q = strtoull(end, NULL, 10);
        *ret_cpu = (double)cpu / 1e6;
        *ret_queued = (double)q / 1e6;
}

/* A start-up stage's end, in --stats "marks" (boot-<stage>): where cold start goes. */
static void boot_mark(struct ui *ui, const char *name)
{
        if (ui->n_marks >= 16)
                return;
        snprintf(ui->mark_names[ui->n_marks], sizeof(ui->mark_names[0]), "boot-%s", name);
        ui->mark_ms[ui->n_marks++] = ms_since(ui->t0);
}

struct ui *ui_new(const struct ui_options *opt, char *err, size_t errlen)
{
        struct ui *ui = calloc(1, sizeof(*ui));
        if (!ui)
                return NULL;
        ui->opt = *opt;
        ui->t0 = SDL_GetPerformanceCounter();
        ui->prices_frame = -1;
        ui->ready_frame = -1;
        ui->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
        ui->pin_result = 1;
        ui->dv.tech_result = 1;
        ui->sel_product = ui->sel_paper = -1;
        ui->anim_frozen = opt->script_path != NULL;
        ui->bus = app_bus_new(4096);
        if (!ui->bus) {
                snprintf(err, errlen, "out of memory");
                return ui_free(ui);
        }
        /* Signals become bus messages; blocked before SDL or the core start threads. */
        if (app_bus_watch_signals(ui->bus) != 0)
                snprintf(err, errlen, "cannot watch signals");
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
        SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0"); /* we handle touch ourselves */
        SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
        if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
                snprintf(err, errlen, "SDL_Init: %s", SDL_GetError());
                return ui_free(ui);
        }
        int w = opt->width > 0 ? opt->width : 1280, h = opt->height > 0 ? opt->height : 720;
        if (opt->portrait && w > h) {
                int t = w;
                w = h;
                h = t;
        }
        Uint32 flags = SDL_WINDOW_ALLOW_HIGHDPI;
        if (opt->fullscreen)
                flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        ui->win = SDL_CreateWindow("PrintKiosk", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w,
                                   h, flags);
        if (!ui->win) {
                snprintf(err, errlen, "SDL_CreateWindow: %s", SDL_GetError());
                return ui_free(ui);
        }
        ui->ren = SDL_CreateRenderer(ui->win, -1, SDL_RENDERER_ACCELERATED);
        if (!ui->ren)
                ui->ren = SDL_CreateRenderer(ui->win, -1, SDL_RENDERER_SOFTWARE);
        if (!ui->ren) {
                snprintf(err, errlen, "SDL_CreateRenderer: %s", SDL_GetError());
                return ui_free(ui);
        }
        ui->sdl_ready_ms = ms_since(ui->t0);
        if (opt->fullscreen)
                SDL_ShowCursor(SDL_DISABLE);
        update_size(ui);
        boot_mark(ui, "sdl");
        if (ui_text_init(ui, err, errlen) != 0)
                return ui_free(ui);
        boot_mark(ui, "fonts");
        if (ui_i18n_load() != 0)
                app_log(APP_LOG_WARNING, "German catalogue not found; English only");
        boot_mark(ui, "i18n");
        ui->prod_cache = calloc(APP_KIOSK_MAX_PRODUCTS, sizeof(*ui->prod_cache));
        ui->tex = ui_texcache_new(UI_TEX_BUDGET_BYTES);
        ui->ptex = ui_texcache_new(UI_PTEX_BUDGET_BYTES);
        ui->wake_event = SDL_RegisterEvents(1);
        if (!ui->prod_cache || !ui->tex || !ui->ptex || ui->wake_event == (Uint32)-1) {
                snprintf(err, errlen, "out of memory or SDL events");
                return ui_free(ui);
        }
        app_bus_set_wakeup(ui->bus, wakeup, ui);
        if (opt->script_path) {
                ui->script = ui_script_load(opt->script_path, err, errlen);
                if (!ui->script)
                        return ui_free(ui);
        }
        ui->screen = UI_SCREEN_ATTRACT;
        ui->dirty = true;
        return ui;
}

/* The boot thread: everything the first attract frame does not need. It
 * touches only boot_* (read by the main thread after boot_state is 2, an
 * SDL atomic with full barriers) and wakes the loop with one user event. */
static int boot_main(void *arg)
{
        struct ui *ui = arg;
        const struct ui_options *opt = &ui->opt;
        /* The core's threads and decode helpers are made from here and inherit
         * this thread's nice value (Linux: per thread, kept by pthread_create
         * and fork), so a positive UI_BACKGROUND_NICE makes background work
         * yield the CPU to the UI thread (see ui.h for why it is off). */
        const char *nv = getenv("PK_UI_BACKGROUND_NICE"); /* 0 turns it off */
        int nice_by = nv ? (int)strtol(nv, NULL, 10) : UI_BACKGROUND_NICE;
        if (nice_by > 0 && nice_by < 20 && setpriority(PRIO_PROCESS, (id_t)gettid(), nice_by) != 0)
                app_log(APP_LOG_DEBUG, "background nice: %s", strerror(errno));
        struct app_kiosk_config kc = {
                .data_dir = opt->data_dir,
                .prices_path = opt->prices_path,
                .config_path = opt->config_path,
                .printer_queue = opt->printer_queue,
                .staff_pin_path = opt->staff_pin_path,
                .session_timeout_ms = (int64_t)opt->session_timeout_s * 1000,
        };
        /* PK_UI_TEST_BOOT_DELAY_MS (tests only): a core that is slow to come
         * up, so READY's bound after the first frame can be tested. */
        const char *bd = getenv("PK_UI_TEST_BOOT_DELAY_MS");
        long bd_ms = bd ? strtol(bd, NULL, 10) : 0;
        if (bd_ms > 0 && bd_ms <= 30000)
                SDL_Delay((Uint32)bd_ms);
        char kerr[200] = "";
        ui->boot_kiosk = app_kiosk_new(&kc, ui->bus, kerr, sizeof(kerr));
        if (!ui->boot_kiosk) {
                snprintf(ui->boot_err, sizeof(ui->boot_err), "core: %s", kerr);
        } else {
                /* Staff and technician commands: their own worker (app/staffdesk.h). */
                struct app_staffdesk_config dc = {
                        .data_dir = opt->data_dir,
                        .config_path = opt->config_path,
                        .printer_queue = opt->printer_queue,
                        .tech_pin_path = opt->tech_pin_path,
                        .export_root = opt->export_root,
                        .idle_timeout_ms = (int64_t)opt->staff_timeout_s * 1000,
                };
                ui->boot_desk = app_staffdesk_new(&dc, ui->bus, kerr, sizeof(kerr));
                if (!ui->boot_desk)
                        snprintf(ui->boot_err, sizeof(ui->boot_err), "staff desk: %s", kerr);
        }
        SDL_AtomicSet(&ui->boot_state, 2);
        wakeup(ui);
        return 0;
}

static void boot_start(struct ui *ui)
{
        SDL_AtomicSet(&ui->boot_state, 1);
        ui->boot_thread = SDL_CreateThread(boot_main, "pk-boot", ui);
        if (!ui->boot_thread)
                boot_main(ui); /* no thread: boot here, the loop stalls once */
}

/* Main thread: take the core once the boot thread is done. false = failed. */
static bool boot_finish(struct ui *ui)
{
        if (ui->booted || SDL_AtomicGet(&ui->boot_state) != 2)
                return true;
        SDL_WaitThread(ui->boot_thread, NULL);
        ui->boot_thread = NULL;
        ui->kiosk = ui->boot_kiosk;
        ui->desk = ui->boot_desk;
        ui->boot_kiosk = NULL;
        ui->boot_desk = NULL;
        if (!ui->kiosk || !ui->desk) {
                fprintf(stderr, "printkiosk: %s\n", ui->boot_err);
                ui->exit_code = 2;
                ui->quit = true;
                return false;
        }
        ui->booted = true;
        ui->booted_ticks = SDL_GetTicks64();
        boot_mark(ui, "core");
        ui->dirty = true;
        return true;
}

struct ui *ui_free(struct ui *ui)
{
        if (!ui)
                return NULL;
        /* Cores first: their threads post to the bus and wake us. The desk
         * goes before the kiosk: the kiosk's app/orders shuts libvips down,
         * which a running test print on the desk's worker still uses. */
        if (ui->boot_thread) {
                SDL_WaitThread(ui->boot_thread, NULL);
                ui->boot_thread = NULL;
        }
        if (ui->end_thread) {
                SDL_WaitThread(ui->end_thread, NULL);
                ui->end_thread = NULL;
        }
        if (!ui->kiosk) {
                ui->kiosk = ui->boot_kiosk;
                ui->desk = ui->boot_desk;
        }
        app_staffdesk_free(ui->desk);
        app_kiosk_free(ui->kiosk);
        if (ui->bus)
                app_bus_set_wakeup(ui->bus, NULL, NULL);
        ui_script_free(ui->script);
        ui_texcache_free(ui->tex);
        ui_texcache_free(ui->ptex);
        if (ui->ren) {
                ui_text_done(ui);
                SDL_DestroyRenderer(ui->ren);
        }
        if (ui->win)
                SDL_DestroyWindow(ui->win);
        SDL_Quit();
        ui_i18n_free();
        app_bus_free(ui->bus);
        if (ui->schedstat_fd >= 0)
                close(ui->schedstat_fd);
        free(ui->frame_ms);
        free(ui->frame_cpu_ms);
        free(ui->frame_own_ms);
        free(ui->grid_ms);
        free(ui->grid_own_ms);
        free(ui->tap_ms);
        free(ui->prod_cache);
        free(ui);
        return NULL;
}

static double ms_since(Uint64 t)
{
        return (double)(SDL_GetPerformanceCounter() - t) * 1000.0 /
               (double)SDL_GetPerformanceFrequency();
}

static void push_stat(double **arr, int *n, int *cap, double v)
{
        if (*n == *cap) {
                int nc = *cap ? *cap * 2 : 1024;
                if (nc > 1 << 22)
                        return; /* bound: ~4 M samples */
                double *na = realloc(*arr, (size_t)nc * sizeof(double));
                if (!na)
                        return;
                *arr = na;
                *cap = nc;
        }
        (*arr)[(*n)++] = v;
}

static bool staff_screen(const struct ui *ui)
{
        return ui->screen == UI_SCREEN_STAFF || ui->screen == UI_SCREEN_DESK ||
               ui->screen == UI_SCREEN_TECH;
}

/* A touch in staff mode keeps it open (app/staffdesk's idle timeout). */
static void staff_touch(struct ui *ui)
{
        if (!staff_screen(ui) || !ui->desk)
                return;
        ui->staff_input_ms = app_kiosk_now_ms();
        app_staffdesk_activity(ui->desk, ui->staff_input_ms);
}

/* Staff or technician mode nobody touched for the idle timeout ends by itself
 * (audited by the desk when someone was signed in) and the kiosk goes back to
 * the attract screen; so does a PIN pad left open. */
static void staff_idle(struct ui *ui)
{
        if (!staff_screen(ui) || !ui->desk)
                return;
        int64_t now = app_kiosk_now_ms();
        bool ended = app_staffdesk_idle_check(ui->desk, now);
        if (!ended && !app_staffdesk_signed_in(ui->desk) &&
            now - ui->staff_input_ms >= app_staffdesk_idle_timeout_ms(ui->desk))
                ended = true;
        if (ended)
                ui_staff_leave(ui);
}

static void pointer_down(struct ui *ui, float x, float y)
{
        ui->pointer_down = true;
        ui->down_x = ui->ptr_x = x;
        ui->down_y = ui->ptr_y = ui->last_y = y;
        ui->down_ticks = ui->last_move_ticks = SDL_GetTicks64();
        ui->drag_moved = false;
        ui->drag_dy = 0;
        ui->fling_v = 0;
        ui->dirty = true;
        if (ui_core(ui))
                app_kiosk_activity(ui->kiosk);
        staff_touch(ui);
        if (x < ui_dp(ui, 120) && y < ui_dp(ui, 120) && !ui->staff_ok && ui->booted)
                ui->corner_down_ticks = ui->down_ticks;
        else
                ui->corner_down_ticks = 0;
}

static void pointer_move(struct ui *ui, float x, float y)
{
        ui->ptr_x = x;
        ui->ptr_y = y;
        if (!ui->pointer_down)
                return;
        if (fabsf(x - ui->down_x) > ui_dp(ui, 24) || fabsf(y - ui->down_y) > ui_dp(ui, 24)) {
                ui->drag_moved = true;
                ui->corner_down_ticks = 0;
        }
        Uint64 now = SDL_GetTicks64();
        float dy = y - ui->last_y;
        float dt = (float)(now - ui->last_move_ticks) / 1000.0f;
        if (ui->drag_moved) {
                ui->drag_dy += dy;
                if (dt > 0.001f)
                        ui->fling_v = 0.6f * (dy / dt) + 0.4f * ui->fling_v;
        }
        ui->last_y = y;
        ui->last_move_ticks = now;
        ui->dirty = true;
}

static void pointer_up(struct ui *ui, float x, float y)
{
        pointer_move(ui, x, y);
        ui->pointer_down = false;
        ui->corner_down_ticks = 0;
        if (!ui->drag_moved) {
                ui->tap_valid = true;
                ui->tap_x = x;
                ui->tap_y = y;
                ui->tap_pending_t = (double)SDL_GetPerformanceCounter();
        }
        ui->dirty = true;
}

static void handle_event(struct ui *ui, const SDL_Event *ev)
{
        switch (ev->type) {
        case SDL_QUIT:
                /* A kiosk ignores window close unless a technician or the demo runs it. */
                if (ui->opt.demo || ui->staff_ok || !ui->opt.fullscreen)
                        ui->quit = true;
                break;
        case SDL_WINDOWEVENT:
                if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                        update_size(ui);
                ui->dirty = true;
                break;
        case SDL_FINGERDOWN:
                ui->fingers++;
                if (ui->fingers == 1)
                        pointer_down(ui, ev->tfinger.x * ui->w, ev->tfinger.y * ui->h);
                break;
        case SDL_FINGERMOTION:
                if (ui->fingers <= 1)
                        pointer_move(ui, ev->tfinger.x * ui->w, ev->tfinger.y * ui->h);
                break;
        case SDL_FINGERUP:
                if (ui->fingers > 0)
                        ui->fingers--;
                if (ui->fingers == 0 && ui->pointer_down)
                        pointer_up(ui, ev->tfinger.x * ui->w, ev->tfinger.y * ui->h);
                break;
        case SDL_MULTIGESTURE:
                ui->pinch *= 1.0f + ev->mgesture.dDist * 2.0f;
                ui->drag_moved = true; /* a pinch is never a tap */
                ui->dirty = true;
                break;
        case SDL_MOUSEBUTTONDOWN:
                if (ev->button.which != SDL_TOUCH_MOUSEID && ev->button.button == SDL_BUTTON_LEFT)
                        pointer_down(ui, (float)ev->button.x, (float)ev->button.y);
                break;
        case SDL_MOUSEMOTION:
                if (ev->motion.which != SDL_TOUCH_MOUSEID)
                        pointer_move(ui, (float)ev->motion.x, (float)ev->motion.y);
                break;
        case SDL_MOUSEBUTTONUP:
                if (ev->button.which != SDL_TOUCH_MOUSEID && ev->button.button == SDL_BUTTON_LEFT)
                        pointer_up(ui, (float)ev->button.x, (float)ev->button.y);
                break;
        case SDL_MOUSEWHEEL:
                ui->wheel_y += ev->wheel.preciseY;
                if (ui_core(ui))
                        app_kiosk_activity(ui->kiosk);
                staff_touch(ui);
                ui->dirty = true;
                break;
        case SDL_KEYDOWN:
                if (ev->key.keysym.sym == SDLK_ESCAPE && (ui->opt.demo || ui->staff_ok))
                        ui->quit = true;
                break;
        default:
                break;
        }
}

/* Drain the bus within UI_BUS_BUDGET_MS per loop turn: a burst (thumbnails
 * arriving after a start over: each offer may free a 200 kB buffer) once took
 * 63 ms under ASan. What is left stays queued; dirty keeps the loop from
 * sleeping, so the next turn (<= 16 ms later) goes on where this one stopped. */
/* A thumbnail answer (or failure) for a phone's photo still downloading is
 * the phone's preview: marked, so the photo's own thumbnail replaces it
 * (ui_grid_photo_state). */
static void mark_preview(struct ui *ui, int index)
{
        struct app_kiosk_photo p;
        if (!ui_texcache_known(ui->tex, index) && app_kiosk_photo_get(ui->kiosk, index, &p) == 0 &&
            p.downloading)
                ui_texcache_set_preview(ui->tex, index, true);
}

static void drain_bus(struct ui *ui)
{
        struct app_msg m;
        int n = 0;
        Uint64 t0 = SDL_GetPerformanceCounter();
        while (n < 4096 && app_bus_pop(ui->bus, &m)) { /* bound: one ring's worth */
                n++;
                if (n % 32 == 0 && ms_since(t0) > UI_BUS_BUDGET_MS) {
                        /* this one still, then stop: the rest next turn */
                        n = 4096;
                }
                switch (m.type) {
                case APP_MSG_QUIT:
                        ui->quit = true;
                        break;
                case APP_MSG_THUMB_READY:
                        mark_preview(ui, m.u.thumb.index);
                        ui_texcache_offer(ui->tex, m.u.thumb.index, m.u.thumb.pixels,
                                          m.u.thumb.width, m.u.thumb.height, m.u.thumb.stride);
                        m.u.thumb.pixels = NULL; /* moved */
                        if ((int64_t)m.generation == ui->thumb_generation && ui->thumbs_outstanding > 0)
                                ui->thumbs_outstanding--;
                        break;
                case APP_MSG_PHOTO_STATE:
                        ui_grid_photo_state(ui, m.u.thumb.index);
                        break;
                case APP_MSG_THUMB_FAILED:
                        mark_preview(ui, m.u.thumb.index); /* a refused preview: asked again with the file */
                        ui_texcache_mark_failed(ui->tex, m.u.thumb.index);
                        if ((int64_t)m.generation == ui->thumb_generation && ui->thumbs_outstanding > 0)
                                ui->thumbs_outstanding--;
                        break;
                case APP_MSG_WALK_PROGRESS:
                        ui->walk_found = m.u.walk.found;
                        break;
                case APP_MSG_WALK_DONE:
                        ui->walk_found = m.u.walk.found;
                        ui->walk_done = true;
                        break;
                case APP_MSG_SESSION_WARNING:
                        ui->seconds_left = m.u.session.seconds_left;
                        break;
                case APP_MSG_SESSION_TIMEOUT:
                        ui_start_over(ui);
                        break;
                case APP_MSG_PREVIEW_READY:
                        if (ui->previews_outstanding > 0)
                                ui->previews_outstanding--;
                        if (m.generation != ui->preview_tag)
                                break; /* for a paper or warning no longer chosen */
                        if (m.u.thumb.pixels) {
                                ui_texcache_offer(ui->ptex, m.u.thumb.index, m.u.thumb.pixels,
                                                  m.u.thumb.width, m.u.thumb.height,
                                                  m.u.thumb.stride);
                                m.u.thumb.pixels = NULL; /* moved */
                        } else {
                                ui_texcache_mark_failed(ui->ptex, m.u.thumb.index);
                        }
                        break;
                case APP_MSG_ORDER_PLACED:
                        if (!ui->order_mine)
                                break; /* an earlier customer's order: not for this screen */
                        snprintf(ui->order_code, sizeof(ui->order_code), "%s",
                                 m.u.text ? m.u.text : "");
                        ui->order_pending = false;
                        break;
                case APP_MSG_PRINT_PROGRESS:
                        if (!ui->order_mine)
                                break;
                        if (m.generation == APP_KIOSK_STAGE_PREPARE) {
                                ui->prep_done = m.u.print.done;
                                ui->prep_total = m.u.print.total;
                        } else {
                                ui->print_done = m.u.print.done;
                                ui->print_total = m.u.print.total;
                                if (m.generation == APP_KIOSK_STAGE_DONE)
                                        ui->printed = true;
                        }
                        break;
                case APP_MSG_PRINTER_PROBLEM:
                        if (ui->order_mine)
                                ui->printer_problem = true;
                        break;
                case APP_MSG_STAFF_PIN:
                        ui->pin_result = m.u.pin.result;
                        ui->pin_wait_ms = m.u.pin.wait_ms;
                        ui->pin_checking = false;
                        if (m.u.pin.result == 0) {
                                ui->staff_ok = true; /* next: the staff number */
                                memset(ui->dv.staff_id, 0, sizeof(ui->dv.staff_id));
                                /* Staff mode ends any customer session now (leaving
                                 * it starts over anyway), so no timeout warning or
                                 * wipe interrupts staff at work. */
                                ui_core_end_session(ui);
                                ui->seconds_left = 0;
                        }
                        break;
                case APP_MSG_STAFFDESK:
                        ui_desk_on_msg(ui, &m);
                        break;
                case APP_MSG_ERROR:
                        if (ui->order_pending) {
                                ui->order_pending = false;
                                if (ui->screen == UI_SCREEN_PRINTING)
                                        ui_go(ui, UI_SCREEN_CHECKOUT);
                                snprintf(ui->message, sizeof(ui->message), "%s",
                                         _("The order could not be placed. Please ask staff."));
                        } else {
                                snprintf(ui->message, sizeof(ui->message), "%s",
                                         _("Something went wrong. Please ask staff."));
                        }
                        break;
                default:
                        break;
                }
                app_msg_done(&m);
        }
        if (n > 0)
                ui->dirty = true;
}

static void draw_frame(struct ui *ui, float dt)
{
        double cpu0, q0;
        sched_now(ui, &cpu0, &q0);
        Uint64 t = SDL_GetPerformanceCounter();
        ui->animating = false;
        ui->n_hits = 0;
        ui->hit_clip = (struct ui_rect){0, 0, 0, 0};
        ui_texcache_upload(ui->tex, ui->ren, UI_TEX_UPLOADS_PER_FRAME, UI_TEX_UPLOAD_BUDGET_MS);
        ui_texcache_upload(ui->ptex, ui->ren, 2, UI_TEX_UPLOAD_BUDGET_MS);
        double t_upload = ms_since(t);
        enum ui_screen drawn = ui->screen;
        SDL_SetRenderDrawColor(ui->ren, UI_BG.r, UI_BG.g, UI_BG.b, 255);
        SDL_RenderClear(ui->ren);
        ui->frame_dt = dt;
        ui->frame_prices = ui->frame_no_prices = false;
        switch (ui->screen) {
        case UI_SCREEN_ATTRACT: ui_screen_attract(ui); break;
        case UI_SCREEN_SOURCE: ui_screen_source(ui); break;
        case UI_SCREEN_GRID: ui_screen_grid(ui); break;
        case UI_SCREEN_EDIT: ui_screen_edit(ui); break;
        case UI_SCREEN_PRODUCTS: ui_screen_products(ui); break;
        case UI_SCREEN_REVIEW: ui_screen_review(ui); break;
        case UI_SCREEN_CHECKOUT: ui_screen_checkout(ui); break;
        case UI_SCREEN_PRINTING: ui_screen_printing(ui); break;
        case UI_SCREEN_STAFF: ui_screen_staff(ui); break;
        case UI_SCREEN_DESK: ui_screen_desk(ui); break;
        case UI_SCREEN_TECH: ui_screen_tech(ui); break;
        default: break;
        }
        /* Timeout warning: an overlay above every screen; any touch dismisses it. */
        if (ui->seconds_left > 0 && ui->screen != UI_SCREEN_ATTRACT) {
                if (!ui_core(ui) || !app_kiosk_session_active(ui->kiosk) || ui->pointer_down) {
                        ui->seconds_left = 0;
                } else {
                        struct ui_rect all = {0, 0, (float)ui->w, (float)ui->h};
                        SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_BLEND);
                        ui_fill(ui, all, (SDL_Color){0, 0, 0, 200});
                        SDL_SetRenderDrawBlendMode(ui->ren, SDL_BLENDMODE_NONE);
                        char s[160];
                        snprintf(s, sizeof(s), _("Are you still there? Starting over in %d s."),
                                 ui->seconds_left);
                        struct ui_rect box = {ui->w / 2.0f - ui_dp(ui, 420), ui->h / 2.0f - ui_dp(ui, 200),
                                              ui_dp(ui, 840), ui_dp(ui, 400)};
                        ui_fill(ui, box, UI_PANEL);
                        ui_label(ui, s, (struct ui_rect){box.x + ui_dp(ui, 30), box.y + ui_dp(ui, 30),
                                                         box.w - ui_dp(ui, 60), ui_dp(ui, 200)}, 40, UI_CENTRE);
                        if (ui_button(ui, "continue", _("Continue"),
                                      (struct ui_rect){box.x + ui_dp(ui, 170), box.y + ui_dp(ui, 260),
                                                       ui_dp(ui, 500), ui_dp(ui, 110)}, true)) {
                                ui->seconds_left = 0;
                                if (ui_core(ui))
                                        app_kiosk_activity(ui->kiosk);
                        }
                }
        }
        ui->tap_valid = false; /* an unconsumed tap hit nothing */
        ui->wheel_y = 0;
        ui->pinch = 1.0f;
        ui->drag_dy = 0;
        double t_draw = ms_since(t);
        /* A screenshot is test instrumentation (a kiosk never takes one):
         * its read-back and file write are kept out of the frame time. */
        double t_shot = 0;
        if (ui->screenshot_name[0]) {
                Uint64 ts0 = SDL_GetPerformanceCounter();
                ui_screenshot(ui, ui->screenshot_name);
                ui->screenshot_name[0] = '\0';
                t_shot = ms_since(ts0);
        }
        SDL_RenderPresent(ui->ren);
        double ms = ms_since(t) - t_shot;
        double cpu1, q1;
        sched_now(ui, &cpu1, &q1);
        struct ui_frame_cost fc = {.ms = ms, .upload_ms = t_upload, .draw_ms = t_draw - t_upload,
                                   .present_ms = ms - t_draw, .cpu_ms = cpu1 - cpu0,
                                   .queued_ms = q1 - q0, .screen = drawn, .frame = ui->frame_no};
        fc.own_ms = ms - fc.queued_ms > 0 ? ms - fc.queued_ms : 0;
        if (fc.ms > ui->worst.ms)
                ui->worst = fc;
        if (fc.own_ms > ui->worst_own.own_ms)
                ui->worst_own = fc;
        if (ui->slow_log_ms > 0 && ms >= ui->slow_log_ms)
                fprintf(stderr, "printkiosk: slow frame %" PRIu64 " on %s: %.1f ms (upload %.1f, draw %.1f, "
                        "present %.1f; on CPU %.1f, waiting for a CPU %.1f)\n",
                        ui->frame_no, ui_screen_name(drawn), ms, t_upload, t_draw - t_upload, ms - t_draw,
                        fc.cpu_ms, fc.queued_ms);
        if (ui->frame_prices && ui->prices_frame < 0)
                ui->prices_frame = (int64_t)ui->frame_no;
        if (ui->frame_no == 0) {
                ui->first_frame_ticks = SDL_GetTicks64();
                ui->first_frame_ms = ms_since(ui->t0);
                struct timespec ts;
                clock_gettime(CLOCK_BOOTTIME, &ts);
                ui->first_frame_boot_ms = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
        }
        ui->frame_no++;
        push_stat(&ui->frame_ms, &ui->n_frames, &ui->cap_frames, ms);
        push_stat(&ui->frame_cpu_ms, &ui->n_frame_cpu, &ui->cap_frame_cpu, fc.cpu_ms);
        push_stat(&ui->frame_own_ms, &ui->n_frame_own, &ui->cap_frame_own, fc.own_ms);
        if (drawn == UI_SCREEN_GRID) {
                push_stat(&ui->grid_ms, &ui->n_grid, &ui->cap_grid, ms);
                push_stat(&ui->grid_own_ms, &ui->n_grid_own, &ui->cap_grid_own, fc.own_ms);
        }
        if (ui->tap_pending_t > 0) {
                push_stat(&ui->tap_ms, &ui->n_taps, &ui->cap_taps,
                          ms_since((Uint64)ui->tap_pending_t));
                ui->tap_pending_t = 0;
        }
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
        if (n == 0)
                return 0;
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        int i = (int)ceil(p / 100.0 * n) - 1;
        return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

/* Process start (exec) -> first frame, from /proc/self/stat's starttime
 * (clock ticks since boot, field 22): includes dynamic linking, which a timer
 * started in main() misses. -1 when unknown. */
static double exec_to_first_frame_ms(const struct ui *ui)
{
        char buf[1024];
        FILE *f = fopen("/proc/self/stat", "re");
        if (!f)
                return -1;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* the command name may contain spaces */
        if (!p)
                return -1;
        p++;
        for (int field = 2; field < 21 && p; field++) /* after ')' comes field 3 */
                p = strchr(p + 1, ' ');
        if (!p)
                return -1;
        unsigned long long start = strtoull(p + 1, NULL, 10);
        long hz = sysconf(_SC_CLK_TCK);
        if (hz <= 0 || ui->first_frame_boot_ms <= 0)
                return -1;
        return ui->first_frame_boot_ms - (double)start * 1000.0 / (double)hz;
}

static void write_stats(struct ui *ui)
{
        if (!ui->opt.stats_path)
                return;
        FILE *f = fopen(ui->opt.stats_path, "we");
        if (!f)
                return;
        long hwm_kb = 0;
        FILE *st = fopen("/proc/self/status", "re");
        char line[256];
        while (st && fgets(line, sizeof(line), st))
                if (strncmp(line, "VmHWM:", 6) == 0)
                        hwm_kb = strtol(line + 6, NULL, 10);
        if (st)
                fclose(st);
        SDL_RendererInfo ri = {0};
        SDL_GetRendererInfo(ui->ren, &ri);
        fprintf(f,
                "{\"renderer\":\"%s\",\"width\":%d,\"height\":%d,\"first_frame_ms\":%.2f,"
                "\"frames\":%d,\"frame_ms_p50\":%.3f,\"frame_ms_p99\":%.3f,\"frame_ms_max\":%.3f,"
                "\"taps\":%d,\"tap_ms_p50\":%.3f,\"tap_ms_max\":%.3f,\"textures\":%d,"
                "\"texture_bytes\":%zu,\"photos\":%d,\"max_visible_cells\":%d,\"rss_hwm_kb\":%ld,"
                "\"sdl_ready_ms\":%.2f,\"exec_to_first_frame_ms\":%.1f,"
                "\"worst_frame\":{\"ms\":%.2f,\"screen\":\"%s\",\"frame\":%" PRIu64 ",\"upload_ms\":%.2f,"
                "\"draw_ms\":%.2f,\"present_ms\":%.2f,\"cpu_ms\":%.2f,\"queued_ms\":%.2f},"
                "\"frame_own_ms_max\":%.2f,"
                "\"worst_own_frame\":{\"ms\":%.2f,\"own_ms\":%.2f,\"screen\":\"%s\",\"frame\":%" PRIu64 ","
                "\"cpu_ms\":%.2f,\"queued_ms\":%.2f},"
                "\"worst_stall\":{\"ms\":%.2f,\"own_ms\":%.2f,\"screen\":\"%s\",\"events_ms\":%.2f,\"bus_ms\":%.2f,"
                "\"tick_ms\":%.2f,\"frame_ms\":%.2f},\"marks\":{",
                ri.name ? ri.name : "?", ui->w, ui->h, ui->first_frame_ms, ui->n_frames,
                pct(ui->frame_ms, ui->n_frames, 50), pct(ui->frame_ms, ui->n_frames, 99),
                pct(ui->frame_ms, ui->n_frames, 100), ui->n_taps, pct(ui->tap_ms, ui->n_taps, 50),
                pct(ui->tap_ms, ui->n_taps, 100), ui_texcache_count(ui->tex),
                ui_texcache_bytes(ui->tex), ui->kiosk ? app_kiosk_photo_count(ui->kiosk) : 0,
                ui_grid_visible_cells(), hwm_kb, ui->sdl_ready_ms, exec_to_first_frame_ms(ui),
                ui->worst.ms, ui_screen_name(ui->worst.screen), ui->worst.frame, ui->worst.upload_ms,
                ui->worst.draw_ms, ui->worst.present_ms, ui->worst.cpu_ms, ui->worst.queued_ms,
                ui->worst_own.own_ms, ui->worst_own.ms, ui->worst_own.own_ms,
                ui_screen_name(ui->worst_own.screen), ui->worst_own.frame, ui->worst_own.cpu_ms,
                ui->worst_own.queued_ms, ui->stall.ms, ui->stall.own_ms, ui_screen_name(ui->stall.screen),
                ui->stall.events_ms, ui->stall.bus_ms, ui->stall.tick_ms, ui->stall.frame_ms);
        for (int i = 0; i < ui->n_marks; i++)
                fprintf(f, "%s\"%s\":%.2f", i ? "," : "", ui->mark_names[i], ui->mark_ms[i]);
        struct ui_texcache_stats ts;
        ui_texcache_stats(ui->tex, &ts);
        fprintf(f, "},\"frame_cpu_ms_p50\":%.3f,\"frame_cpu_ms_p99\":%.3f,\"frame_own_ms_p50\":%.3f,"
                "\"frame_own_ms_p99\":%.3f,\"grid_frames\":%d,\"grid_frame_ms_p50\":%.3f,"
                "\"grid_frame_ms_p99\":%.3f,\"grid_frame_own_ms_p99\":%.3f",
                pct(ui->frame_cpu_ms, ui->n_frame_cpu, 50), pct(ui->frame_cpu_ms, ui->n_frame_cpu, 99),
                pct(ui->frame_own_ms, ui->n_frame_own, 50), pct(ui->frame_own_ms, ui->n_frame_own, 99),
                ui->n_grid, pct(ui->grid_ms, ui->n_grid, 50), pct(ui->grid_ms, ui->n_grid, 99),
                pct(ui->grid_own_ms, ui->n_grid_own, 99));
        static const char *const ready_names[] = {"", "prices", "no-prices", "fallback"};
        double e2f = exec_to_first_frame_ms(ui);
        fprintf(f, ",\"ready\":{\"reason\":\"%s\",\"ms\":%.2f,\"exec_ms\":%.1f,\"frame\":%" PRId64
                ",\"status\":\"%s\"},\"prices_frame\":%" PRId64,
                ui->ready_reason > 0 && ui->ready_reason < 4 ? ready_names[ui->ready_reason] : "",
                ui->ready_ms, ui->ready_reason && e2f > 0 ? e2f - ui->first_frame_ms + ui->ready_ms : -1.0,
                ui->ready_frame, app_watchdog_ready_status((enum app_ready_reason)ui->ready_reason),
                ui->prices_frame);
        fprintf(f, ",\"thumbs\":{\"uploaded\":%" PRIu64 ",\"scaled\":%" PRIu64 ",\"created\":%" PRIu64
                ",\"reused\":%" PRIu64 ",\"prewarmed\":%" PRIu64 ",\"pooled\":%d}}\n",
                ts.uploaded, ts.scaled, ts.created, ts.reused, ts.prewarmed, ts.pooled);
        fclose(f);
}

/* READY=1 once the attract screen is usable with its price list (or the
 * bound passed): app_watchdog_ready_decide on this loop turn's facts. The
 * frame flags are those of the last presented frame. */
static void ready_check(struct ui *ui)
{
        if (ui->ready_reason)
                return;
        struct app_ready_facts f = {
                .first_frame = ui->frame_no > 0,
                .prices_drawn = ui->frame_prices,
                .core_no_prices = ui->frame_no_prices,
                .since_first_ms = ui->frame_no > 0 ? SDL_GetTicks64() - ui->first_frame_ticks : 0,
                .fallback_ms = ui->ready_fallback_ms,
        };
        enum app_ready_reason why = app_watchdog_ready_decide(&f);
        if (why == APP_READY_WAIT)
                return;
        app_watchdog_ready(why);
        ui->ready_reason = (int)why;
        ui->ready_ms = ms_since(ui->t0);
        ui->ready_frame = (int64_t)ui->frame_no - 1;
}

int ui_run(struct ui *ui)
{
        Uint64 last_frame = SDL_GetTicks64();
        ui->pinch = 1.0f;
        /* PK_UI_SYNC_BOOT=1: the core is made before the first frame, as
         * before the boot thread existed (tests/bench/ui.sh's same-run
         * comparison of the two orders). */
        if (getenv("PK_UI_SYNC_BOOT")) {
                SDL_AtomicSet(&ui->boot_state, 1);
                boot_main(ui);
                if (!boot_finish(ui))
                        return ui->exit_code;
        }
        const char *settle = getenv("PK_UI_SCRIPT_SETTLE_MS");
        ui->script_settle_ms = settle ? (int)strtol(settle, NULL, 10) : UI_SCRIPT_SETTLE_MS;
        if (ui->script_settle_ms < 0 || ui->script_settle_ms > 60000)
                ui->script_settle_ms = UI_SCRIPT_SETTLE_MS;
        /* PK_UI_READY_FALLBACK_MS (tests): the READY bound after the first frame. */
        const char *rfb = getenv("PK_UI_READY_FALLBACK_MS");
        long rfb_ms = rfb ? strtol(rfb, NULL, 10) : 0;
        ui->ready_fallback_ms = rfb_ms > 0 && rfb_ms <= 60000 ? (uint64_t)rfb_ms : APP_WATCHDOG_READY_FALLBACK_MS;
        const char *slow = getenv("PK_UI_SLOW_MS");
        ui->slow_log_ms = slow ? strtod(slow, NULL) : 0;
        while (!ui->quit) {
                int timeout = 250; /* session tick and the staff long-press */
                if (ui->warming)
                        timeout = 20; /* more textures to make ahead, between inputs */
                if (ui->dirty || ui->animating || ui_texcache_queued(ui->tex) > 0 ||
                    ui_texcache_queued(ui->ptex) > 0) {
                        Uint64 since = SDL_GetTicks64() - last_frame;
                        timeout = since >= 16 ? 0 : (int)(16 - since);
                }
                if (ui->script && ui_core(ui) &&
                    SDL_GetTicks64() - ui->booted_ticks >= (Uint64)ui->script_settle_ms) {
                        /* scripts drive a running, settled core (ui.h) */
                        int s = ui_script_step(ui, ui->script);
                        if (s >= 0 && s < timeout)
                                timeout = s;
                        if (s < 0 && timeout > 16)
                                timeout = 16;
                        if (ui->quit)
                                break;
                }
                SDL_Event ev;
                bool got = SDL_WaitEventTimeout(&ev, timeout);
                Uint64 busy0 = SDL_GetPerformanceCounter();
                double bcpu0, bq0;
                sched_now(ui, &bcpu0, &bq0);
                if (got) {
                        int n = 0;
                        do {
                                if (ev.type != ui->wake_event)
                                        handle_event(ui, &ev);
                        } while (++n < 1024 && SDL_PollEvent(&ev));
                }
                double t_events = ms_since(busy0);
                if (!boot_finish(ui))
                        break;
                drain_bus(ui);
                double t_bus = ms_since(busy0);
                if (ui_core(ui))
                        app_kiosk_tick(ui->kiosk);
                double t_tick = ms_since(busy0);
                if (ui->corner_down_ticks && ui->pointer_down &&
                    SDL_GetTicks64() - ui->corner_down_ticks >= 3000) {
                        ui->corner_down_ticks = 0;
                        ui->pointer_down = false;
                        ui->pin[0] = '\0';
                        ui->pin_result = 1;
                        ui_go(ui, UI_SCREEN_STAFF);
                        staff_touch(ui);
                }
                staff_idle(ui);
                Uint64 now = SDL_GetTicks64();
                bool want = ui->dirty || ui->animating || ui_texcache_queued(ui->tex) > 0 ||
                            ui_texcache_queued(ui->ptex) > 0 ||
                            ui->screenshot_name[0];
                enum ui_screen before = ui->screen;
                double t_frame = 0;
                if (want && (now - last_frame >= 16 || ui->screenshot_name[0])) {
                        float dt = (float)(now - last_frame) / 1000.0f;
                        if (dt > 0.1f)
                                dt = 0.1f;
                        ui->dirty = false;
                        size_t nf = (size_t)ui->n_frames;
                        Uint64 f0 = SDL_GetPerformanceCounter();
                        draw_frame(ui, dt);
                        t_frame = (size_t)ui->n_frames > nf ? ui->frame_ms[ui->n_frames - 1] : ms_since(f0);
                        last_frame = now;
                        if (SDL_AtomicGet(&ui->boot_state) == 0)
                                boot_start(ui);
                }
                ready_check(ui);
                core_jobs(ui, false);
                /* A turn that drew nothing: make a grid texture ahead, so no
                 * frame waits for one to be made (ui_grid_prewarm). */
                double t_warm = 0;
                ui->warming = false;
                if (t_frame == 0 && !want && ui_core(ui)) {
                        Uint64 w0 = SDL_GetPerformanceCounter();
                        ui->warming = ui_grid_prewarm(ui);
                        t_warm = ms_since(w0);
                }
                /* Busy time between two waits, screenshots excluded like in
                 * the frame time: what a customer sees as a frozen screen. */
                double busy = t_tick + t_frame + t_warm;
                double bcpu1, bq1;
                sched_now(ui, &bcpu1, &bq1);
                double busy_own = busy - (bq1 - bq0);
                if (busy_own > ui->stall.own_ms)
                        ui->stall = (struct ui_stall){.ms = busy, .own_ms = busy_own, .events_ms = t_events,
                                                      .bus_ms = t_bus - t_events,
                                                      .tick_ms = t_tick - t_bus,
                                                      .frame_ms = t_frame, .screen = before};
                if (ui->slow_log_ms > 0 && t_tick >= ui->slow_log_ms)
                        fprintf(stderr, "printkiosk: slow loop on %s: events %.1f, bus %.1f, tick %.1f ms\n",
                                ui_screen_name(before), t_events, t_bus - t_events, t_tick - t_bus);
                /* Only this loop pings: a stalled UI thread means no pings and
                 * systemd restarts the kiosk (app/watchdog.h). */
                app_watchdog_ping(now * 1000);
        }
        core_jobs(ui, true); /* a running end finishes before the stats and exit */
        write_stats(ui);
        return ui->exit_code;
}
