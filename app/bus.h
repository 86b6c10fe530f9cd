/* app/bus: the one thread-safe queue between workers and the UI thread.
 *
 * Workers (thumbnail pool, folder walk, printer monitor, signal watcher) post
 * typed messages; the main thread drains them. A bounded MPSC ring: `capacity`
 * slots allocated at app_bus_new, never grown.
 *
 * Ownership: app_bus_post copies every string in the message and takes the
 * pixel buffer (msg->u.thumb.pixels) whether it succeeds or not. The consumer
 * owns what app_bus_pop returns and releases it with app_msg_done.
 *
 * Wakeup: the bus calls the one wakeup callback when a message arrives and no
 * wakeup is pending; the pending flag is cleared when a pop finds the queue
 * empty. So the SDL loop gets at most one user event per drain (STYLE.md "A thin
 * SDL loop"; mpv's wakeup callback). The callback runs on the posting thread,
 * outside the lock, and must not block.
 *
 * Lock: `queue_lock` (mutex) protects the ring, `wakeup_pending` and `closed`;
 * `queue_cond` signals waiters in app_bus_wait.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_bus;

enum app_msg_type {
        APP_MSG_NONE = 0,
        APP_MSG_QUIT,            /* SIGTERM/SIGINT arrived (u.quit.signo) */
        APP_MSG_THUMB_READY,     /* u.thumb: RGB pixels for photo `index` */
        APP_MSG_THUMB_FAILED,    /* u.thumb (no pixels): reason in u.thumb.error */
        APP_MSG_WALK_PROGRESS,   /* u.walk: photos found so far */
        APP_MSG_WALK_DONE,       /* u.walk: final count */
        APP_MSG_PREVIEW_READY,   /* u.thumb: soft-proofed preview pixels */
        APP_MSG_ORDER_PLACED,    /* u.text: pickup code */
        APP_MSG_PRINT_PROGRESS,  /* u.print */
        APP_MSG_PRINTER_PROBLEM, /* u.text: reason keyword */
        APP_MSG_SESSION_WARNING, /* u.session.seconds_left */
        APP_MSG_SESSION_TIMEOUT, /* session ended for inactivity */
        APP_MSG_ERROR,           /* u.error: code + keyword for the UI to translate */
        APP_MSG_STAFF_PIN,       /* u.pin: result of a staff PIN check */
        APP_MSG_STAFFDESK,       /* u.desk: an app/staffdesk command finished
                                    (generation = its request id) */
        APP_MSG_SOURCE_ARRIVED,  /* app/kiosk: a stick or card arrived or came back
                                    (generation = the kiosk's source serial) */
        APP_MSG_SOURCE_REMOVED,  /* app/kiosk: the session's stick or card was pulled out */
        APP_MSG_PHOTO_STATE,     /* app/kiosk: u.thumb.index's state changed (copied,
                                    reinsert to continue, can't be read) */
        _APP_MSG_MAX,
};

struct app_msg {
        enum app_msg_type type;
        uint64_t generation; /* of the request that caused it; 0 when none */
        union {
                struct { int signo; } quit;
                struct {
                        int index;             /* photo index in the session list */
                        int width, height, stride;
                        uint8_t *pixels;       /* RGB24; (transfer full) */
                        int src_width, src_height; /* oriented photo size, 0 unknown */
                        int error;             /* negative code for THUMB_FAILED */
                } thumb;
                struct { int found; int skipped; } walk;
                struct { int done, total; } print;
                struct { int seconds_left; } session;
                struct { int code; char *keyword; } error; /* keyword: owned */
                struct { int result; int64_t wait_ms; } pin;
                struct { int op; int result; int64_t wait_ms; } desk; /* app/staffdesk.h */
                char *text;                                  /* owned */
        } u;
};

/* Free what the message owns (pixels, strings) and zero it. NULL-safe. */
void app_msg_done(struct app_msg *msg);

typedef void (*app_bus_wakeup_fn)(void *userdata);

/* A bus with room for `capacity` messages (16..65536). NULL on allocation failure. */
struct app_bus *app_bus_new(size_t capacity);
/* Drops queued messages (freeing what they own). NULL-safe; returns NULL. */
struct app_bus *app_bus_free(struct app_bus *bus);
/* Set the wakeup callback (may be NULL). Call before workers start. */
void app_bus_set_wakeup(struct app_bus *bus, app_bus_wakeup_fn fn, void *userdata);

/* Post a copy of *msg. Droppable messages (thumbnails, progress) are refused
 * with -ENOSPC when the ring is more than 3/4 full, so they never crowd out
 * orders, errors and quit; every message is refused with -ENOSPC when full,
 * -EPIPE after app_bus_close, -ENOMEM when a string copy fails. On refusal the
 * pixel buffer is freed. */
int app_bus_post(struct app_bus *bus, const struct app_msg *msg);
/* Convenience: post a message of `type` with only an error code/keyword. */
int app_bus_post_error(struct app_bus *bus, int code, const char *keyword);

/* Pop the oldest message into *ret (caller owns it). Returns true if one was
 * popped; false when empty (and clears the pending wakeup). Never blocks. */
bool app_bus_pop(struct app_bus *bus, struct app_msg *ret);
/* Block up to timeout_ms (-1 = forever) until a message is queued or the bus
 * is closed. Returns true if a message is queued. For threads without SDL. */
bool app_bus_wait(struct app_bus *bus, int timeout_ms);
/* Refuse further posts and wake waiters. */
void app_bus_close(struct app_bus *bus);
/* Messages queued now (for tests and metrics). */
size_t app_bus_length(struct app_bus *bus);

/* SIGTERM/SIGINT as messages: blocks them in the calling thread (call from main
 * before any other thread starts, so all threads inherit the mask) and starts a
 * thread that sigwait()s and posts APP_MSG_QUIT. Returns 0 or -errno. */
int app_bus_watch_signals(struct app_bus *bus);
/* Stop the signal thread (idempotent). */
void app_bus_unwatch_signals(struct app_bus *bus);
