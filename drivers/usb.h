/* drivers/usb: USB arrival and departure (libusb hotplug), classified for the
 * kiosk: USB sticks and card readers, cameras and phones, printers.
 *
 * One watcher thread blocks in libusb_handle_events_completed() (no polling
 * interval); stop interrupts it with libusb_interrupt_event_handler(). Devices
 * that arrive are queued by the hotplug callback and examined on the thread
 * after it (libusb_open for the strings is not done inside the callback).
 * Departures reuse what was learnt at arrival (a gone device cannot be read).
 * Messages go to the app's callback on the watcher thread.
 *
 * Where libusb has no hotplug support (containers without udev or netlink),
 * drv_usb_watch_start() fails with DRV_E_UNAVAILABLE and says so.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/error.h"

struct libusb_device_descriptor;
struct libusb_config_descriptor;

enum drv_usb_class {
        DRV_USB_OTHER = 0,
        DRV_USB_MASS_STORAGE, /* interface class 0x08 */
        DRV_USB_STILL_IMAGE,  /* 0x06: PTP cameras, phones in PTP mode */
        DRV_USB_MTP,          /* 0xFF (or 0x06) interface named "MTP" */
        DRV_USB_PRINTER,      /* 0x07 */
        _DRV_USB_CLASS_MAX,
};
/* "other", "mass-storage", "still-image", "mtp", "printer". */
const char *drv_usb_class_name(enum drv_usb_class c);

enum drv_usb_event_kind {
        DRV_USB_ARRIVED = 0,
        DRV_USB_LEFT,
};

struct drv_usb_event {
        enum drv_usb_event_kind kind;
        enum drv_usb_class cls;
        uint16_t vid, pid;
        uint8_t bus;
        uint8_t address;  /* device address on the bus: libgphoto2's "usb:BBB,AAA" */
        char path[32];    /* "1-2.3": bus, then port numbers */
        char serial[128]; /* printable ASCII, "" when unreadable */
};

/* Classify a device from its descriptors. iface_names[i] is the string of
 * interface i of cfg's interface list (altsetting 0), or NULL; the array may
 * be NULL. A device with several functions gets the most specific class the
 * kiosk acts on: printer, then MTP, then still image, then mass storage. */
enum drv_usb_class drv_usb_classify(const struct libusb_device_descriptor *dd,
                                    const struct libusb_config_descriptor *cfg,
                                    const char *const *iface_names);

struct drv_usb_watch_opts {
        void (*on_event)(void *user, const struct drv_usb_event *ev);
        void *user;
};

struct drv_usb_watch;

/* Start the watcher. Devices already present are announced as ARRIVED. */
int drv_usb_watch_start(const struct drv_usb_watch_opts *o, struct drv_usb_watch **ret,
                        struct drv_errbuf *err);
/* Stop (interrupts the blocking wait), join, free. NULL-safe; returns NULL. */
struct drv_usb_watch *drv_usb_watch_free(struct drv_usb_watch *w);
