/* drivers/usb: libusb hotplug watcher and device classification (see usb.h).
 *
 * Lock: `queue_lock` protects the pending queue and `stopping` (the hotplug
 * callback runs inside libusb_handle_events on the watcher thread, but libusb
 * may also call it from libusb_hotplug_register_callback on the caller's
 * thread for ENUMERATE). `known` (devices seen, for LEFT events) belongs to
 * the watcher thread. Bounds: at most USB_MAX_PENDING queued, USB_MAX_KNOWN
 * remembered (a USB bus has at most 127 devices).
 */
#include "drivers/usb.h"

#include <libusb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USB_MAX_PENDING 256
#define USB_MAX_KNOWN 256
#define USB_MAX_IFACES 32

struct pending {
        libusb_device *dev; /* referenced */
        enum drv_usb_event_kind kind;
};

struct drv_usb_watch {
        struct drv_usb_watch_opts o;
        libusb_context *ctx;
        libusb_hotplug_callback_handle handle;
        bool registered;
        pthread_t thread;
        bool started;
        int stop; /* completion flag for libusb_handle_events_completed */

        pthread_mutex_t queue_lock;
        struct pending queue[USB_MAX_PENDING];
        size_t n_queue;

        struct {
                libusb_device *dev; /* referenced while known */
                struct drv_usb_event ev;
        } known[USB_MAX_KNOWN];
        size_t n_known;
};

static const char *const class_names[_DRV_USB_CLASS_MAX] = {
        [DRV_USB_OTHER] = "other",         [DRV_USB_MASS_STORAGE] = "mass-storage",
        [DRV_USB_STILL_IMAGE] = "still-image", [DRV_USB_MTP] = "mtp",
        [DRV_USB_PRINTER] = "printer",
};

const char *drv_usb_class_name(enum drv_usb_class c)
{
        return (unsigned)c < _DRV_USB_CLASS_MAX ? class_names[c] : "other";
}

static enum drv_usb_class iface_class(uint8_t cls, const char *name)
{
        bool mtp = name && strcasestr(name, "MTP") != NULL;
        switch (cls) {
        case LIBUSB_CLASS_PRINTER: return DRV_USB_PRINTER;
        case LIBUSB_CLASS_MASS_STORAGE: return DRV_USB_MASS_STORAGE;
        case LIBUSB_CLASS_IMAGE: return mtp ? DRV_USB_MTP : DRV_USB_STILL_IMAGE;
        case LIBUSB_CLASS_VENDOR_SPEC: return mtp ? DRV_USB_MTP : DRV_USB_OTHER;
        default: return DRV_USB_OTHER;
        }
}

/* Higher wins when a device has several functions. */
static int rank(enum drv_usb_class c)
{
        static const int r[_DRV_USB_CLASS_MAX] = {
                [DRV_USB_OTHER] = 0, [DRV_USB_MASS_STORAGE] = 1, [DRV_USB_STILL_IMAGE] = 2,
                [DRV_USB_MTP] = 3, [DRV_USB_PRINTER] = 4,
        };
        return r[c];
}

enum drv_usb_class drv_usb_classify(const struct libusb_device_descriptor *dd,
                                    const struct libusb_config_descriptor *cfg,
                                    const char *const *iface_names)
{
        enum drv_usb_class best = DRV_USB_OTHER;
        if (dd && dd->bDeviceClass != LIBUSB_CLASS_PER_INTERFACE)
                best = iface_class(dd->bDeviceClass, NULL);
        if (!cfg)
                return best;
        int n = cfg->bNumInterfaces < USB_MAX_IFACES ? cfg->bNumInterfaces : USB_MAX_IFACES;
        for (int i = 0; i < n && cfg->interface; i++) {
                const struct libusb_interface *itf = &cfg->interface[i];
                if (itf->num_altsetting < 1 || !itf->altsetting)
                        continue;
                const char *name = iface_names ? iface_names[i] : NULL;
                enum drv_usb_class c = iface_class(itf->altsetting[0].bInterfaceClass, name);
                if (rank(c) > rank(best))
                        best = c;
        }
        return best;
}

static void printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
                        *s = '?';
}

/* Read descriptors (and strings when the device can be opened) and build the
 * ARRIVED event. Runs on the watcher thread, outside the hotplug callback. */
static void examine(libusb_device *dev, struct drv_usb_event *ev)
{
        memset(ev, 0, sizeof(*ev));
        ev->kind = DRV_USB_ARRIVED;
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(dev, &dd) == 0) {
                ev->vid = dd.idVendor;
                ev->pid = dd.idProduct;
        } else {
                memset(&dd, 0, sizeof(dd));
        }
        ev->bus = libusb_get_bus_number(dev);
        ev->address = libusb_get_device_address(dev);
        uint8_t ports[8];
        int np = libusb_get_port_numbers(dev, ports, sizeof(ports));
        int o = snprintf(ev->path, sizeof(ev->path), "%u", ev->bus);
        for (int i = 0; i < np && o > 0 && (size_t)o < sizeof(ev->path); i++)
                o += snprintf(ev->path + o, sizeof(ev->path) - (size_t)o, "%c%u", i ? '.' : '-', ports[i]);

        struct libusb_config_descriptor *cfg = NULL;
        if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
            libusb_get_config_descriptor(dev, 0, &cfg) != 0)
                cfg = NULL;
        libusb_device_handle *h = NULL;
        /* Strings need the device opened; without permission, classes only. */
        if (libusb_open(dev, &h) != 0)
                h = NULL;
        char names[USB_MAX_IFACES][64];
        const char *np_[USB_MAX_IFACES] = {0};
        int ni = cfg ? (cfg->bNumInterfaces < USB_MAX_IFACES ? cfg->bNumInterfaces : USB_MAX_IFACES) : 0;
        for (int i = 0; h && i < ni; i++) {
                const struct libusb_interface *itf = &cfg->interface[i];
                if (itf->num_altsetting < 1 || !itf->altsetting[0].iInterface)
                        continue;
                if (libusb_get_string_descriptor_ascii(h, itf->altsetting[0].iInterface,
                                                       (unsigned char *)names[i], sizeof(names[i])) > 0) {
                        names[i][sizeof(names[i]) - 1] = '\0';
                        np_[i] = names[i];
                }
        }
        if (h && dd.iSerialNumber &&
            libusb_get_string_descriptor_ascii(h, dd.iSerialNumber, (unsigned char *)ev->serial,
                                               sizeof(ev->serial)) > 0) {
                ev->serial[sizeof(ev->serial) - 1] = '\0';
                printable(ev->serial);
        } else {
                ev->serial[0] = '\0';
        }
        if (h)
                libusb_close(h);
        ev->cls = drv_usb_classify(&dd, cfg, np_);
        if (cfg)
                libusb_free_config_descriptor(cfg);
}

static int LIBUSB_CALL hotplug_cb(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user)
{
        struct drv_usb_watch *w = user;
        pthread_mutex_lock(&w->queue_lock);
        if (w->n_queue < USB_MAX_PENDING) {
                w->queue[w->n_queue].dev = libusb_ref_device(dev);
                w->queue[w->n_queue].kind =
                        event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED ? DRV_USB_ARRIVED : DRV_USB_LEFT;
                w->n_queue++;
        }
        pthread_mutex_unlock(&w->queue_lock);
        return 0; /* stay registered */
}

static void drain(struct drv_usb_watch *w)
{
        struct pending q[USB_MAX_PENDING];
        pthread_mutex_lock(&w->queue_lock);
        size_t n = w->n_queue;
        memcpy(q, w->queue, n * sizeof(q[0]));
        w->n_queue = 0;
        pthread_mutex_unlock(&w->queue_lock);
        for (size_t i = 0; i < n; i++) {
                struct drv_usb_event ev;
                if (q[i].kind == DRV_USB_ARRIVED) {
                        examine(q[i].dev, &ev);
                        if (w->n_known < USB_MAX_KNOWN) {
                                w->known[w->n_known].dev = libusb_ref_device(q[i].dev);
                                w->known[w->n_known].ev = ev;
                                w->n_known++;
                        }
                } else {
                        size_t k = 0;
                        while (k < w->n_known && w->known[k].dev != q[i].dev)
                                k++;
                        if (k < w->n_known) {
                                ev = w->known[k].ev;
                                libusb_unref_device(w->known[k].dev);
                                w->known[k] = w->known[--w->n_known];
                        } else {
                                examine(q[i].dev, &ev);
                        }
                        ev.kind = DRV_USB_LEFT;
                }
                libusb_unref_device(q[i].dev);
                if (w->o.on_event)
                        w->o.on_event(w->o.user, &ev);
        }
}

static void *watch_main(void *arg)
{
        struct drv_usb_watch *w = arg;
        drain(w); /* devices enumerated at registration */
        while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
                /* Blocks until an event or libusb_interrupt_event_handler(). */
                libusb_handle_events_completed(w->ctx, &w->stop);
                drain(w);
        }
        return NULL;
}

int drv_usb_watch_start(const struct drv_usb_watch_opts *o, struct drv_usb_watch **ret,
                        struct drv_errbuf *err)
{
        if (!o || !ret)
                return drv_fail(err, DRV_E_INVALID, "bad arguments");
        struct drv_usb_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return drv_fail(err, DRV_E_IO, "out of memory");
        w->o = *o;
        pthread_mutex_init(&w->queue_lock, NULL);
        int r = libusb_init(&w->ctx);
        if (r != 0) {
                w->ctx = NULL;
                drv_usb_watch_free(w);
                return drv_fail(err, DRV_E_UNAVAILABLE, "libusb cannot start: %s", libusb_strerror(r));
        }
        if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
                drv_usb_watch_free(w);
                return drv_fail(err, DRV_E_UNAVAILABLE,
                                "libusb has no hotplug support here (no udev/netlink): "
                                "rely on the volume watcher and camera autodetect");
        }
        r = libusb_hotplug_register_callback(
                w->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                LIBUSB_HOTPLUG_ENUMERATE, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
                LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, w, &w->handle);
        if (r != LIBUSB_SUCCESS) {
                drv_usb_watch_free(w);
                return drv_fail(err, DRV_E_UNAVAILABLE, "USB hotplug registration failed: %s",
                                libusb_strerror(r));
        }
        w->registered = true;
        if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
                drv_usb_watch_free(w);
                return drv_fail(err, DRV_E_IO, "cannot start the USB watcher");
        }
        w->started = true;
        *ret = w;
        return 0;
}

struct drv_usb_watch *drv_usb_watch_free(struct drv_usb_watch *w)
{
        if (!w)
                return NULL;
        if (w->started) {
                __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
                libusb_interrupt_event_handler(w->ctx);
                pthread_join(w->thread, NULL);
        }
        if (w->registered)
                libusb_hotplug_deregister_callback(w->ctx, w->handle);
        for (size_t i = 0; i < w->n_queue; i++)
                libusb_unref_device(w->queue[i].dev);
        for (size_t i = 0; i < w->n_known; i++)
                libusb_unref_device(w->known[i].dev);
        if (w->ctx)
                libusb_exit(w->ctx);
        pthread_mutex_destroy(&w->queue_lock);
        free(w);
        return NULL;
}
