/* drivers/ error codes: 0 or a negative enum drv_error; numbers never change.
 * Detail goes into an optional caller-owned struct drv_errbuf. */
#pragma once

enum drv_error {
        DRV_OK = 0,
        DRV_E_IO = -1,          /* OS or library call failed */
        DRV_E_NOT_FOUND = -2,   /* no such printer, device, file */
        DRV_E_UNAVAILABLE = -3, /* service not running (cupsd, NetworkManager) */
        DRV_E_PERMISSION = -4,  /* no permission; for phones: locked or not trusted */
        DRV_E_GONE = -5,        /* device disconnected during the operation */
        DRV_E_INVALID = -6,     /* bad argument */
        DRV_E_REFUSED = -7,     /* the peer refused the request (printer stopped, IPP error) */
        DRV_E_TIMEOUT = -8,
        DRV_E_LIMIT = -9,       /* a configured bound was reached (files, depth) */
        _DRV_E_MIN = -10,
};

struct drv_errbuf {
        char msg[256];
};

const char *drv_strerror(int err);
int drv_fail(struct drv_errbuf *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
