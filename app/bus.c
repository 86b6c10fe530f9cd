/* app/bus: bounded MPSC message ring with a single pending wakeup.
 * Invariants: 0 <= count <= capacity; slots [head, head+count) hold owned
 * messages; wakeup_pending is true from the post that called the wakeup until
 * a pop finds the ring empty. All under queue_lock. */
#include "app/bus.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct app_bus {
        pthread_mutex_t queue_lock; /* protects everything below but the wakeup fn */
        pthread_cond_t queue_cond;
        struct app_msg *ring;
        size_t capacity, head, count;
        bool wakeup_pending;
        bool closed;
        app_bus_wakeup_fn wakeup;
        void *wakeup_userdata;
        /* signal watcher: owned by the thread that called app_bus_watch_signals */
        pthread_t sig_thread;
        bool sig_running;
        volatile sig_atomic_t sig_stopping;
};

void app_msg_done(struct app_msg *msg)
{
        if (!msg)
                return;
        switch (msg->type) {
        case APP_MSG_THUMB_READY:
        case APP_MSG_PREVIEW_READY:
                free(msg->u.thumb.pixels);
                break;
        case APP_MSG_ERROR:
                free(msg->u.error.keyword);
                break;
        case APP_MSG_ORDER_PLACED:
        case APP_MSG_PRINTER_PROBLEM:
                free(msg->u.text);
                break;
        default:
                break;
        }
        memset(msg, 0, sizeof(*msg));
}

struct app_bus *app_bus_new(size_t capacity)
{
        if (capacity < 16 || capacity > 65536)
                return NULL;
        struct app_bus *bus = calloc(1, sizeof(*bus));
        if (!bus)
                return NULL;
        bus->ring = calloc(capacity, sizeof(*bus->ring));
        if (!bus->ring) {
                free(bus);
                return NULL;
        }
        bus->capacity = capacity;
        pthread_mutex_init(&bus->queue_lock, NULL);
        pthread_cond_init(&bus->queue_cond, NULL);
        return bus;
}

struct app_bus *app_bus_free(struct app_bus *bus)
{
        if (!bus)
                return NULL;
        app_bus_unwatch_signals(bus);
        for (size_t i = 0; i < bus->count; i++)
                app_msg_done(&bus->ring[(bus->head + i) % bus->capacity]);
        free(bus->ring);
        pthread_cond_destroy(&bus->queue_cond);
        pthread_mutex_destroy(&bus->queue_lock);
        free(bus);
        return NULL;
}

void app_bus_set_wakeup(struct app_bus *bus, app_bus_wakeup_fn fn, void *userdata)
{
        pthread_mutex_lock(&bus->queue_lock);
        bus->wakeup = fn;
        bus->wakeup_userdata = userdata;
        pthread_mutex_unlock(&bus->queue_lock);
}

static bool msg_droppable(enum app_msg_type t)
{
        return t == APP_MSG_THUMB_READY || t == APP_MSG_THUMB_FAILED ||
               t == APP_MSG_WALK_PROGRESS || t == APP_MSG_PRINT_PROGRESS;
}

/* Deep copy of the strings in src into dst (pixels are moved, not copied). */
static int msg_copy(struct app_msg *dst, const struct app_msg *src)
{
        *dst = *src;
        char **s = NULL;
        if (src->type == APP_MSG_ERROR)
                s = &dst->u.error.keyword;
        else if (src->type == APP_MSG_ORDER_PLACED || src->type == APP_MSG_PRINTER_PROBLEM)
                s = &dst->u.text;
        if (s && *s) {
                *s = strndup(*s, 1024);
                if (!*s)
                        return -ENOMEM;
        }
        return 0;
}

int app_bus_post(struct app_bus *bus, const struct app_msg *msg)
{
        if (!bus || !msg || msg->type <= APP_MSG_NONE || msg->type >= _APP_MSG_MAX)
                return -EINVAL;
        bool has_pixels = msg->type == APP_MSG_THUMB_READY || msg->type == APP_MSG_PREVIEW_READY;
        struct app_msg copy;
        int r = msg_copy(&copy, msg);
        if (r < 0) {
                if (has_pixels)
                        free(msg->u.thumb.pixels);
                return r;
        }
        app_bus_wakeup_fn fn = NULL;
        void *ud = NULL;
        pthread_mutex_lock(&bus->queue_lock);
        if (bus->closed)
                r = -EPIPE;
        else if (bus->count >= bus->capacity ||
                 (msg_droppable(msg->type) && bus->count >= bus->capacity * 3 / 4))
                r = -ENOSPC;
        if (r == 0) {
                bus->ring[(bus->head + bus->count) % bus->capacity] = copy;
                bus->count++;
                if (!bus->wakeup_pending && bus->wakeup) {
                        bus->wakeup_pending = true;
                        fn = bus->wakeup;
                        ud = bus->wakeup_userdata;
                }
                pthread_cond_signal(&bus->queue_cond);
        }
        pthread_mutex_unlock(&bus->queue_lock);
        if (r < 0) {
                app_msg_done(&copy); /* frees the moved pixels and copied strings */
                return r;
        }
        if (fn)
                fn(ud);
        return 0;
}

int app_bus_post_error(struct app_bus *bus, int code, const char *keyword)
{
        struct app_msg m = {.type = APP_MSG_ERROR};
        m.u.error.code = code;
        m.u.error.keyword = (char *)keyword;
        return app_bus_post(bus, &m);
}

bool app_bus_pop(struct app_bus *bus, struct app_msg *ret)
{
        bool got = false;
        pthread_mutex_lock(&bus->queue_lock);
        if (bus->count > 0) {
                *ret = bus->ring[bus->head];
                memset(&bus->ring[bus->head], 0, sizeof(bus->ring[0]));
                bus->head = (bus->head + 1) % bus->capacity;
                bus->count--;
                got = true;
        } else {
                bus->wakeup_pending = false;
        }
        pthread_mutex_unlock(&bus->queue_lock);
        return got;
}

bool app_bus_wait(struct app_bus *bus, int timeout_ms)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        if (timeout_ms >= 0) {
                until.tv_sec += timeout_ms / 1000;
                until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
        }
        pthread_mutex_lock(&bus->queue_lock);
        while (bus->count == 0 && !bus->closed) {
                if (timeout_ms < 0) {
                        pthread_cond_wait(&bus->queue_cond, &bus->queue_lock);
                } else if (pthread_cond_timedwait(&bus->queue_cond, &bus->queue_lock, &until) ==
                           ETIMEDOUT) {
                        break;
                }
        }
        bool has = bus->count > 0;
        pthread_mutex_unlock(&bus->queue_lock);
        return has;
}

void app_bus_close(struct app_bus *bus)
{
        pthread_mutex_lock(&bus->queue_lock);
        bus->closed = true;
        pthread_cond_broadcast(&bus->queue_cond);
        pthread_mutex_unlock(&bus->queue_lock);
}

size_t app_bus_length(struct app_bus *bus)
{
        pthread_mutex_lock(&bus->queue_lock);
        size_t n = bus->count;
        pthread_mutex_unlock(&bus->queue_lock);
        return n;
}

/* SIGUSR2 is internal: it only stops the watcher thread. */
static void sig_set(sigset_t *set)
{
        sigemptyset(set);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGUSR2);
}

static void *sig_thread_main(void *arg)
{
        struct app_bus *bus = arg;
        sigset_t set;
        sig_set(&set);
        for (;;) { /* bounded by sig_stopping: unwatch sends SIGUSR2 */
                int signo = 0;
                if (sigwait(&set, &signo) != 0)
                        continue;
                if (bus->sig_stopping || signo == SIGUSR2)
                        break;
                struct app_msg m = {.type = APP_MSG_QUIT};
                m.u.quit.signo = signo;
                (void)app_bus_post(bus, &m);
        }
        return NULL;
}

int app_bus_watch_signals(struct app_bus *bus)
{
        if (bus->sig_running)
                return 0;
        sigset_t set;
        sig_set(&set);
        int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (r != 0)
                return -r;
        bus->sig_stopping = 0;
        r = pthread_create(&bus->sig_thread, NULL, sig_thread_main, bus);
        if (r != 0)
                return -r;
        bus->sig_running = true;
        return 0;
}

void app_bus_unwatch_signals(struct app_bus *bus)
{
        if (!bus || !bus->sig_running)
                return;
        bus->sig_stopping = 1;
        pthread_kill(bus->sig_thread, SIGUSR2);
        pthread_join(bus->sig_thread, NULL);
        bus->sig_running = false;
}
