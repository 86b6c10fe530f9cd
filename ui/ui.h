/* ui/: internal interface shared by the ui/ files (not used outside ui/).
 *
 * Immediate-mode widgets: every frame each screen draws its widgets and asks
 * "was I tapped?"; a tap is recorded from the input events before the frame
 * and consumed by the first widget that contains it. Widgets register their id
 * and rectangle every frame so the script player can tap them by id, which
 * keeps test scripts independent of window size and orientation.
 *
 * Units: layout is in dp; 1 dp = (short side of the window) / 1080 px, so a
 * 100 dp button is 100 px tall on a 1080p display in either orientation
 * (>= 9 mm on a 21.5" panel). Only the main thread touches any of this.
 */
#pragma once
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/bus.h"
#include "app/kiosk.h"
#include "app/staff_pin.h"
#include "app/staffdesk.h"

struct ui_texcache;
struct ui_script;

enum ui_screen {
        UI_SCREEN_ATTRACT = 0,
        UI_SCREEN_SOURCE,
        UI_SCREEN_GRID,
        UI_SCREEN_EDIT,
        UI_SCREEN_PRODUCTS,
        UI_SCREEN_REVIEW,
        UI_SCREEN_CHECKOUT,
        UI_SCREEN_PRINTING,
        UI_SCREEN_STAFF,
        UI_SCREEN_DESK,           /* staff mode: printer, orders, pickups (app/staffdesk) */
        UI_SCREEN_TECH,           /* technician PIN, printers, sync, test print, export */
        _UI_SCREEN_MAX,
};
const char *ui_screen_name(enum ui_screen s);

struct ui_rect { float x, y, w, h; }; /* in px */

#define UI_MAX_HITS 256
struct ui_hit { char id[40]; SDL_Rect r; };

struct ui_scroll {
        float offset;       /* px scrolled, >= 0 */
        float velocity;     /* px/s, from the last drag; decays (fling) */
        float max;          /* content height - viewport height */
        bool dragging;
};

/* Font pixel sizes kept open: the screens use ~14 (22..80 dp); a full table
 * is never evicted in practice (eviction reopens from memory, no file read). */
enum { UI_FONT_SIZES = 24 };

struct ui_options {
        int width, height;
        bool fullscreen, demo, portrait;
        const char *screenshot_dir;
        const char *script_path;
        const char *stats_path;
        const char *photos_dir;   /* photo folder for "use the demo photos" / --photos */
        int synthetic;            /* > 0: synthetic photo source of this size (tests, bench) */
        const char *data_dir;
        const char *prices_path;
        const char *config_path;
        const char *printer_queue;
        const char *staff_pin_path;
        const char *tech_pin_path;  /* technician PIN hash (second app/staff_pin file) */
        const char *export_root;    /* folder whose sub-folders are USB sticks (/media) */
        int session_timeout_s;
        int staff_timeout_s;        /* staff/technician inactivity; 0 = APP_DESK_IDLE_TIMEOUT_MS */
};

/* Staff desk view state (ui/screen_desk.c, ui/screen_tech.c); the data itself
 * is app/staffdesk's snapshot, copied each frame. */
enum ui_desk_overlay { UI_DESK_NONE = 0, UI_DESK_KEYPAD, UI_DESK_REASON, UI_DESK_CANCEL };
struct ui_desk {
        char staff_id[APP_DESK_STAFF_ID_MAX + 1]; /* typed after the PIN */
        bool entering_id;         /* PIN accepted, staff number not yet */
        char code[8];             /* pickup code being typed */
        enum ui_desk_overlay overlay;
        bool detail_open;         /* one order shown instead of the list */
        int reprint_item;         /* item chosen for a reprint */
        int pending;              /* commands sent, not yet answered */
        int last_op, last_result; /* the last answer, for the banner and scripts */
        bool have_last;
        struct ui_scroll scroll;  /* orders list / technician page */
        char tech_pin[16];
        bool tech_checking;
        int tech_result;          /* last technician PIN answer, 1 = none */
        int64_t tech_wait_ms;
        int export_target;
        int tp_printer, tp_paper; /* test print: row of the printers list, its paper */
};

struct ui {
        struct ui_options opt;
        /* Cold start: the core (store, price list, libvips, decode helpers,
         * workers) and the staff desk are made on a boot thread started after
         * the first attract frame is presented; until `booted`, kiosk and desk
         * are NULL, the attract screen draws without its price list and a
         * tap on Start is kept (start_pending) and honoured when the core is up. */
        SDL_Thread *boot_thread;
        SDL_atomic_t boot_state;  /* 0 not started, 1 running, 2 done */
        struct app_kiosk *boot_kiosk;
        struct app_staffdesk *boot_desk;
        char boot_err[256];
        bool booted;
        Uint64 booted_ticks;      /* SDL ticks when the core came up */
        int script_settle_ms;
        bool start_pending;
        /* Start over: app_kiosk_session_end joins the ingest walker and
         * thumbnailers (which may be inside a decode) and wipes the session
         * folder: measured 100-330 ms of blocked UI thread. It runs on a
         * short-lived thread instead, started after the frame that asked for
         * it; meanwhile (core_busy) the UI thread makes no app_kiosk_* call
         * (the core's one-caller rule holds: calls never overlap), the attract
         * screen draws from prod_cache and Start waits (start_pending). */
        bool end_requested;
        bool core_busy;
        SDL_Thread *end_thread;
        SDL_atomic_t end_done;
        struct app_kiosk_product *prod_cache; /* APP_KIOSK_MAX_PRODUCTS */
        int n_prod_cache;
        char cur_cache[4];
        SDL_Window *win;
        SDL_Renderer *ren;
        Uint32 wake_event;        /* SDL_RegisterEvents type for the bus wakeup */
        SDL_atomic_t wake_pending;
        struct app_bus *bus;
        struct app_kiosk *kiosk;
        struct ui_texcache *tex;
        struct ui_texcache *ptex; /* soft proofs of the current preview_tag, by photo */
        struct ui_script *script;

        int w, h;                 /* output size in px */
        float dp;                 /* px per dp */
        bool landscape;
        struct { int px; TTF_Font *font; TTF_Font *bold; } fonts[UI_FONT_SIZES];
        int n_fonts;

        enum ui_screen screen, prev_screen;
        bool dirty;               /* redraw needed */
        bool animating;           /* a screen wants frames (fling, pulse) */
        bool anim_frozen;         /* scripted runs: decorative animation fixed */
        bool quit;
        uint64_t frame_no;
        float frame_dt;           /* seconds since the previous frame (<= 0.1) */
        Uint64 t0;                /* start, for stats */

        /* input this frame */
        bool tap_valid;
        float tap_x, tap_y;
        bool pointer_down;
        float down_x, down_y, ptr_x, ptr_y, last_y;
        Uint64 down_ticks, last_move_ticks;
        bool drag_moved;
        float drag_dy;            /* pointer y movement since the last frame (drags) */
        float fling_v;            /* smoothed pointer y velocity, px/s */
        float wheel_y;            /* wheel steps this frame */
        float pinch;              /* pinch scale factor this frame (1 = none) */
        int fingers;

        struct ui_hit hits[UI_MAX_HITS];
        int n_hits;
        struct ui_rect hit_clip;  /* w > 0: taps and hits only inside (scrolled lists) */

        /* screen state (the core owns customer data; this is only view state) */
        int lang;                 /* 0 English, 1 German */
        int seconds_left;         /* > 0 while the timeout warning shows */
        int walk_found;
        bool walk_done;
        char message[160];        /* a notice to show on the current screen */
        int edit_index;
        struct ui_scroll grid_scroll, review_scroll;
        int grid_cols;
        int64_t thumb_generation;
        int thumbs_outstanding;   /* requested, not yet answered */
        char order_code[32];
        bool order_pending;       /* placed, code not yet back */
        bool order_mine;          /* this customer placed an order: its code and
                                     progress may show (cleared by start over, so a
                                     late answer never reaches the next customer) */
        bool order_print_now;
        bool printed;             /* every print of the order came out */
        int prep_done, prep_total;
        int print_done, print_total;
        uint64_t preview_tag;     /* key of the current paper + gamut choice */
        int previews_outstanding;
        uint8_t preview_asked[APP_KIOSK_MAX_PHOTOS]; /* for preview_tag */
        bool printer_problem;
        char pin[16];
        int pin_result;           /* last APP_MSG_STAFF_PIN result, 1 = none yet */
        int64_t pin_wait_ms;
        bool pin_checking;
        bool staff_ok;
        bool gamut_warning;
        int sel_product, sel_paper;

        struct app_staffdesk *desk;
        struct ui_desk dv;
        struct ui_scroll products_scroll;

        int64_t staff_input_ms;   /* last touch on a staff screen (app_kiosk_now_ms) */
        /* long-press detector for the staff corner */
        Uint64 corner_down_ticks;

        char screenshot_name[64]; /* taken after the next frame is drawn */
        int exit_code;
        /* stats */
        double sdl_ready_ms;      /* start -> window and renderer exist */
        double first_frame_boot_ms; /* CLOCK_BOOTTIME at the first present */
        char mark_names[16][24];
        double mark_ms[16];
        int n_marks;
        bool warming;             /* ui_grid_prewarm made a texture last idle turn */
        double *frame_ms;
        int n_frames, cap_frames;
        /* per frame, beside frame_ms: time on a CPU, and wall minus waiting
         * for a CPU (--stats percentiles that other processes' load moves less) */
        double *frame_cpu_ms, *frame_own_ms;
        int n_frame_cpu, cap_frame_cpu, n_frame_own, cap_frame_own;
        /* the grid screen's frames alone (wall, own): the fling without the
         * first frames of the screens before it */
        double *grid_ms, *grid_own_ms;
        int n_grid, cap_grid, n_grid_own, cap_grid_own;
        double first_frame_ms;
        /* READY=1 (app/watchdog): sent at the first presented frame whose
         * attract screen showed the price list, or when the core is up with
         * none, or ready_fallback_ms after the first frame. The attract screen
         * sets frame_prices / frame_no_prices while drawing a frame. */
        bool frame_prices, frame_no_prices;
        Uint64 first_frame_ticks;   /* SDL ticks at the first present */
        uint64_t ready_fallback_ms; /* APP_WATCHDOG_READY_FALLBACK_MS, or PK_UI_READY_FALLBACK_MS */
        int ready_reason;           /* enum app_ready_reason; 0 = not yet */
        double ready_ms;            /* start -> READY=1 (stats) */
        int64_t ready_frame;        /* the frame presented just before READY=1 */
        int64_t prices_frame;       /* the first frame that showed the price list; -1 none */
        /* The costliest frame and the longest busy stretch of the loop (input,
         * bus, session tick and frame, between two waits), by part, so a slow
         * frame names its cause. PK_UI_SLOW_MS=N logs every one >= N ms. */
        struct ui_frame_cost {
                double ms, upload_ms, draw_ms, present_ms;
                double cpu_ms;    /* on a CPU */
                double queued_ms; /* runnable but not running: other processes' load */
                double own_ms;    /* ms - queued_ms: our work and our waits */
                enum ui_screen screen;
                uint64_t frame;
        } worst, worst_own;
        int schedstat_fd;         /* /proc/thread-self/schedstat of the UI thread, -1 */
        struct ui_stall {
                double ms, own_ms, events_ms, bus_ms, tick_ms, frame_ms;
                enum ui_screen screen;
        } stall;
        double slow_log_ms;
        double tap_pending_t;     /* ticks of the last tap waiting for its frame */
        double *tap_ms;
        int n_taps, cap_taps;
};

/* ui.c */
struct ui *ui_new(const struct ui_options *opt, char *err, size_t errlen);
struct ui *ui_free(struct ui *ui);
int ui_run(struct ui *ui);
void ui_go(struct ui *ui, enum ui_screen s);
float ui_dp(const struct ui *ui, float dp);
void ui_start_over(struct ui *ui);
/* True when app_kiosk_* may be called now (booted, no session end running). */
bool ui_core(const struct ui *ui);
/* End the customer session off the UI thread (after this frame). */
void ui_core_end_session(struct ui *ui);
/* The products for the attract screen (cached: valid while the core is busy). */
int ui_products(struct ui *ui, const struct app_kiosk_product **ret, char ret_currency[4]);

/* i18n.c: gettext catalogues (.mo) loaded at start, switched at run time */
int ui_i18n_load(void);
void ui_i18n_set_lang(int lang); /* 0 English (source strings), 1 German */
const char *ui_tr(const char *msgid) __attribute__((format_arg(1)));
void ui_i18n_free(void);
#define _(s) ui_tr(s)
#define N_(s) (s)

/* text.c */
int ui_text_init(struct ui *ui, char *err, size_t errlen);
void ui_text_done(struct ui *ui);
/* Draw UTF-8 text; align 0 left, 1 centre, 2 right inside r (vertically
 * centred); wraps within r->w when wrap. Returns the height drawn in px. */
enum { UI_LEFT = 0, UI_CENTRE = 1, UI_RIGHT = 2 };
float ui_text(struct ui *ui, const char *s, struct ui_rect r, float size_dp, SDL_Color c,
              int align, bool bold, bool wrap);
void ui_text_flush_cache(void);

/* widgets.c */
extern const SDL_Color UI_BG, UI_FG, UI_ACCENT, UI_ACCENT_FG, UI_PANEL, UI_DIM, UI_WARN, UI_OK;
void ui_fill(struct ui *ui, struct ui_rect r, SDL_Color c);
void ui_frame(struct ui *ui, struct ui_rect r, SDL_Color c, float thick_dp);
void ui_label(struct ui *ui, const char *s, struct ui_rect r, float size_dp, int align);
/* Draws a button; true when tapped this frame. id is for scripts ("next"). */
bool ui_button(struct ui *ui, const char *id, const char *label, struct ui_rect r, bool primary);
bool ui_button_enabled(struct ui *ui, const char *id, const char *label, struct ui_rect r,
                       bool primary, bool enabled);
/* An invisible tap area (grid cells). */
bool ui_hit_area(struct ui *ui, const char *id, struct ui_rect r);
void ui_register_hit(struct ui *ui, const char *id, struct ui_rect r);
bool ui_tap_in(struct ui *ui, struct ui_rect r); /* consumes the tap */
/* Top bar with title and "Start over"; returns the content rect below it. */
struct ui_rect ui_top_bar(struct ui *ui, const char *title, bool start_over);
/* Bottom bar with Back / Next; returns the content rect above it and writes
 * what was tapped: -1 back, +1 next, 0 nothing. */
struct ui_rect ui_bottom_bar(struct ui *ui, struct ui_rect content, const char *back_label,
                             const char *next_label, bool next_enabled, int *ret_action);
void ui_format_money(char *buf, size_t n, int64_t minor, const char *currency);
/* Inertial scrolling: feed drags and wheel for rect r; advance per frame. */
void ui_scroll_update(struct ui *ui, struct ui_scroll *s, struct ui_rect r, float dt);
void ui_draw_qr(struct ui *ui, const char *text, struct ui_rect r);

/* texcache.c: photo textures, LRU with a byte bound and a per-frame upload budget */
#define UI_TEX_BUDGET_BYTES (36u << 20) /* thumbnails: ~50 cells of 1920x1080, 2.5 screens */
#define UI_PTEX_BUDGET_BYTES (64u << 20) /* soft-proof previews (review screen) */
/* Thumbnail uploads per frame: at most this many and, after the first, only
 * while the frame has spent less than UI_TEX_UPLOAD_BUDGET_MS on them (an
 * upload is 0.1-0.7 ms: convert, scale to the cell, no new memory). */
#define UI_TEX_UPLOADS_PER_FRAME 24
#define UI_TEX_UPLOAD_BUDGET_MS 3.0
/* Nice value of the core's threads and helpers relative to the UI thread
 * (ui.c boot thread; PK_UI_BACKGROUND_NICE overrides). Off by default: at +5
 * the UI's frames waited less for a CPU, but on 2 cores shared with other
 * nice-0 work the decode helpers were starved so the folder walk missed its
 * publish hold (the grid filled in batches); the kiosk's throughput wins. */
#define UI_BACKGROUND_NICE 0
/* A --script starts this long after the core is up (PK_UI_SCRIPT_SETTLE_MS):
 * where a customer starts, at a kiosk whose decode helpers have finished
 * starting. A walk begun at once shares the 2 cores with the helpers' libvips
 * start and misses the core's publish hold, so the grid fills in batches and
 * the screenshots differ (seen in ui_screens_golden). */
#define UI_SCRIPT_SETTLE_MS 1500
#define UI_BUS_BUDGET_MS 8.0 /* bus messages handled per loop turn, in ms (ui.c drain_bus) */
struct ui_texcache *ui_texcache_new(size_t max_bytes);
struct ui_texcache *ui_texcache_free(struct ui_texcache *c);
/* Take a THUMB_READY message's pixels (ownership moves into the cache queue). */
void ui_texcache_offer(struct ui_texcache *c, int index, uint8_t *pixels, int w, int h, int stride);
/* Upload queued thumbnails: at most max_count, and after the first only
 * while less than budget_ms has passed; returns how many were taken. */
int ui_texcache_upload(struct ui_texcache *c, SDL_Renderer *ren, int max_count, double budget_ms);
/* Scale thumbnails whose short side is below px up to exactly px at upload
 * (the grid's cell, so cells are 1:1 copies); 0 = never scale. A change
 * clears the cache (textures stay pooled): true when it changed, and the
 * caller asks for its thumbnails again. */
bool ui_texcache_set_fit(struct ui_texcache *c, int px);
/* The texture size a w x h thumbnail gets with fit_px (pure; for tests). */
void ui_texcache_fit_size(int w, int h, int fit_px, int *ret_w, int *ret_h);
/* Idle time: make one pooled texture of the size the next thumbnails will
 * get (the latest one's, else 4:3 at the fit size) unless `count` of that
 * size exist or the byte bound is reached; true when one was made (~4 ms:
 * fresh memory). Creating a texture while a frame waits is what it saves. */
bool ui_texcache_prewarm(struct ui_texcache *c, SDL_Renderer *ren, int count);
struct ui_texcache_stats {
        uint64_t uploaded, scaled; /* thumbnails made into textures, of them scaled */
        uint64_t created, reused;  /* SDL_CreateTexture calls, pooled textures reused */
        uint64_t prewarmed;        /* of the created, made ahead in idle turns */
        int pooled;                /* textures waiting in the pool now */
};
void ui_texcache_stats(struct ui_texcache *c, struct ui_texcache_stats *ret);
/* Texture for photo index or NULL; marks it used this frame. */
SDL_Texture *ui_texcache_get(struct ui_texcache *c, int index, int *ret_w, int *ret_h);
bool ui_texcache_known(struct ui_texcache *c, int index); /* uploaded or queued */
/* Forget queued thumbnails of photos outside [first, last] (scrolled away
 * before their upload); returns how many were dropped. */
int ui_texcache_drop_queued_outside(struct ui_texcache *c, int first, int last);
void ui_texcache_clear(struct ui_texcache *c);
size_t ui_texcache_bytes(struct ui_texcache *c);
int ui_texcache_count(struct ui_texcache *c);
int ui_texcache_queued(struct ui_texcache *c);
void ui_texcache_mark_failed(struct ui_texcache *c, int index);
bool ui_texcache_failed(struct ui_texcache *c, int index);
/* A phone's photo shown by its own preview while its file downloads: when
 * the file is in (APP_MSG_PHOTO_STATE, not downloading) its texture is
 * forgotten and the photo's real thumbnail asked for. */
void ui_texcache_set_preview(struct ui_texcache *c, int index, bool on);
bool ui_texcache_is_preview(struct ui_texcache *c, int index);
/* Drop photo index's texture or queued thumbnail (and its marks). */
void ui_texcache_forget(struct ui_texcache *c, int index);

/* script.c: --script FILE (synthetic input for tests and benchmarks) */
struct ui_script *ui_script_load(const char *path, char *err, size_t errlen);
struct ui_script *ui_script_free(struct ui_script *s);
/* Run due steps; returns the ms until the next step (or -1 when waiting on a
 * condition checked every frame). Sets ui->quit at the end. */
int ui_script_step(struct ui *ui, struct ui_script *s);
bool ui_script_busy(struct ui *ui); /* walk, thumbnails or fling still running */
void ui_screenshot(struct ui *ui, const char *name);

/* screens */
void ui_screen_attract(struct ui *ui);
void ui_screen_source(struct ui *ui);
void ui_screen_grid(struct ui *ui);
void ui_screen_edit(struct ui *ui);
void ui_screen_products(struct ui *ui);
void ui_screen_review(struct ui *ui);
void ui_screen_checkout(struct ui *ui);
void ui_screen_printing(struct ui *ui);
void ui_screen_staff(struct ui *ui);
void ui_screen_desk(struct ui *ui);
void ui_screen_tech(struct ui *ui);
/* A digit pad (ids PREFIX-0..9, PREFIX-C, PREFIX-OK) in area under a masked or
 * plain display of buf; returns true when OK was tapped. */
bool ui_pin_pad(struct ui *ui, const char *prefix, char *buf, size_t cap, size_t max_len,
                struct ui_rect area, bool masked, bool enabled);
/* Leave staff mode: sign out of the desk, back to the attract screen. */
void ui_staff_leave(struct ui *ui);
/* The answer of a staffdesk command (ui/screen_desk.c). */
void ui_desk_on_msg(struct ui *ui, const struct app_msg *m);
/* A command was queued (id > 0) or refused (id < 0, shown as the answer). */
void ui_desk_sent(struct ui *ui, int64_t id);
/* The last answer's banner, and the invisible "done-<op>-<result>" hit. */
void ui_desk_banner(struct ui *ui, struct ui_rect r);
void ui_desk_done_hit(struct ui *ui); /* only the hit (screens that say it otherwise) */
/* Clip drawing and taps to r (scrolled content); ui_clip_end restores. */
void ui_clip_begin(struct ui *ui, struct ui_rect r);
void ui_clip_end(struct ui *ui);
/* A vertical scroll indicator at the right edge of r when content overflows. */
void ui_scroll_bar(struct ui *ui, const struct ui_scroll *s, struct ui_rect r);
/* Draw photo `index`'s thumbnail in r: cover (fill, crop) or fit; a placeholder
 * while it loads. Returns the drawn image rect (fit) or r. */
struct ui_rect ui_draw_photo(struct ui *ui, int index, struct ui_rect r, bool cover);
/* Pixels a print needs at APP_KIOSK_LOW_RES_DPI on the smallest product's long side. */
bool ui_photo_low_res(struct ui *ui, const struct app_kiosk_photo *p);
/* grid model (screen_grid.c), exposed for the virtualisation test */
void ui_grid_reset(void);
/* Idle loop turn on the screens before the grid: sets the thumbnail fit to
 * the grid's cell and makes one pooled texture towards three screens of
 * cells. Returns true when it did something (the loop comes back soon). */
bool ui_grid_prewarm(struct ui *ui);
/* APP_MSG_PHOTO_STATE for a photo shown by its phone's preview that is now
 * downloaded: forget the preview's texture and ask for the real thumbnail. */
void ui_grid_photo_state(struct ui *ui, int index);
int ui_grid_visible_cells(void); /* most cells drawn in one frame so far */
