/* drivers/usb: classification from synthetic libusb descriptors (sticks,
 * cameras, Android MTP, printers, multi-function devices, device-level
 * class), and a start/stop smoke test of the hotplug thread: it either runs
 * and stops promptly, or reports clearly that hotplug is unavailable here. */
#include <libusb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "drivers/usb.h"

static struct libusb_interface_descriptor alt[4];
static struct libusb_interface itf[4];
static struct libusb_config_descriptor cfg;
static struct libusb_device_descriptor dd;

/* A device whose interfaces have the classes cls[0..n). */
static void make(const uint8_t *cls, int n)
{
        memset(alt, 0, sizeof(alt));
        memset(itf, 0, sizeof(itf));
        memset(&cfg, 0, sizeof(cfg));
        memset(&dd, 0, sizeof(dd));
        dd.bDeviceClass = LIBUSB_CLASS_PER_INTERFACE;
        for (int i = 0; i < n; i++) {
                alt[i].bInterfaceClass = cls[i];
                itf[i].altsetting = &alt[i];
                itf[i].num_altsetting = 1;
        }
        cfg.bNumInterfaces = (uint8_t)n;
        cfg.interface = itf;
}

static void classifies_single_function_devices(void **state)
{
        make((const uint8_t[]){LIBUSB_CLASS_MASS_STORAGE}, 1);
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_MASS_STORAGE);
        make((const uint8_t[]){LIBUSB_CLASS_IMAGE}, 1);
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_STILL_IMAGE);
        make((const uint8_t[]){LIBUSB_CLASS_PRINTER}, 1);
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_PRINTER);
        make((const uint8_t[]){LIBUSB_CLASS_HID}, 1);
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_OTHER);
        assert_string_equal(drv_usb_class_name(DRV_USB_MTP), "mtp");
}

static void recognises_mtp_by_interface_name(void **state)
{
        /* Android: vendor-specific MTP interface next to ADB. */
        make((const uint8_t[]){LIBUSB_CLASS_VENDOR_SPEC, LIBUSB_CLASS_VENDOR_SPEC}, 2);
        const char *names[] = {"MTP", "ADB Interface"};
        assert_int_equal(drv_usb_classify(&dd, &cfg, names), DRV_USB_MTP);
        const char *adb_only[] = {NULL, "ADB Interface"};
        assert_int_equal(drv_usb_classify(&dd, &cfg, adb_only), DRV_USB_OTHER);
        /* MTP presented with the still-image class. */
        make((const uint8_t[]){LIBUSB_CLASS_IMAGE}, 1);
        const char *mtp[] = {"MTP"};
        assert_int_equal(drv_usb_classify(&dd, &cfg, mtp), DRV_USB_MTP);
}

static void multi_function_and_device_level_class(void **state)
{
        /* A photo printer with a card reader is a printer to the kiosk. */
        make((const uint8_t[]){LIBUSB_CLASS_MASS_STORAGE, LIBUSB_CLASS_PRINTER}, 2);
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_PRINTER);
        make((const uint8_t[]){LIBUSB_CLASS_HID}, 1);
        dd.bDeviceClass = LIBUSB_CLASS_MASS_STORAGE;
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_MASS_STORAGE);
        assert_int_equal(drv_usb_classify(&dd, NULL, NULL), DRV_USB_MASS_STORAGE);
        /* An interface with no altsetting is ignored, not dereferenced. */
        make((const uint8_t[]){LIBUSB_CLASS_IMAGE}, 1);
        itf[0].num_altsetting = 0;
        assert_int_equal(drv_usb_classify(&dd, &cfg, NULL), DRV_USB_OTHER);
}

static void on_event(void *user, const struct drv_usb_event *ev)
{
        (*(int *)user)++;
}

static void watcher_starts_and_stops_or_says_unavailable(void **state)
{
        int events = 0;
        struct drv_usb_watch_opts o = {.on_event = on_event, .user = &events};
        struct drv_usb_watch *w = NULL;
        struct drv_errbuf err = {{0}};
        int r = drv_usb_watch_start(&o, &w, &err);
        if (r == DRV_E_UNAVAILABLE) {
                fprintf(stderr, "# USB hotplug unavailable here: %s\n", err.msg);
                assert_true(strlen(err.msg) > 0);
                assert_null(w);
                return;
        }
        assert_int_equal(r, 0);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        w = drv_usb_watch_free(w);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_null(w);
        /* Stopping interrupts the blocking wait: no timeout to sit out. */
        assert_true(b.tv_sec - a.tv_sec < 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(classifies_single_function_devices),
                cmocka_unit_test(recognises_mtp_by_interface_name),
                cmocka_unit_test(multi_function_and_device_level_class),
                cmocka_unit_test(watcher_starts_and_stops_or_says_unavailable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
