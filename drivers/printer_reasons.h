/* Printer state reasons (RFC 8011 printer-state-reasons, plus CUPS's own) mapped
 * to what the kiosk does with them: a severity, a short customer message key
 * (translated in ui/) and a precise English message for staff.
 *
 * Keywords are matched without their -error / -warning / -report suffix: CUPS
 * re-reports a printer's "media-empty-error" on the queue as
 * "media-empty-warning", so the suffix says nothing reliable about severity.
 * The severity comes from the table in printer_reasons.c; only unknown keywords
 * fall back to their suffix. */
#pragma once
#include <stddef.h>

/* Longest reason keyword we keep (RFC 8011 keywords are at most 255 octets; the
 * registered ones are under 40). Longer input is cut and marked with "...". */
#define DRV_REASON_KEYWORD_MAX 64
/* Staff message buffer, including the sanitised keyword or media name. */
#define DRV_REASON_STAFF_MAX 192

enum drv_reason_severity {
        DRV_SEVERITY_NONE = 0,    /* "none": nothing to say */
        DRV_SEVERITY_REPORT = 1,  /* informational, printing goes on */
        DRV_SEVERITY_WARNING = 2, /* printing goes on, staff should act soon */
        DRV_SEVERITY_ERROR = 3,   /* printing cannot go on until staff act */
        _DRV_SEVERITY_MAX,
};

/* Customer message keys (stable strings, translated by ui/). */
#define DRV_CUSTOMER_READY "printer-ready"
#define DRV_CUSTOMER_BUSY "printer-busy"
#define DRV_CUSTOMER_ATTENTION "printer-needs-attention"
#define DRV_CUSTOMER_UNAVAILABLE "printer-unavailable"

struct drv_reason_info {
        enum drv_reason_severity severity;
        /* Canonical keyword without suffix, from the table (static storage), or
         * "unknown". */
        const char *keyword;
        const char *customer_key;          /* DRV_CUSTOMER_* (static storage) */
        char staff[DRV_REASON_STAFF_MAX];  /* English, for the staff screen and CLI */
};

/* Map one reason keyword (with or without suffix). MEDIA, optional, is the PWG
 * media name the kiosk wants loaded ("na_index-4x6_4x6in"); media reasons then
 * name it ("Paper tray empty: load 4x6in photo paper"). Unknown keywords give a
 * generic staff message quoting the keyword with anything outside
 * [a-z0-9._-] replaced by '?'. Returns 0, or DRV_E_INVALID if REASON or RET is
 * NULL. Never reads more than DRV_REASON_KEYWORD_MAX*4 bytes of REASON. */
int drv_reason_map(const char *reason, const char *media, struct drv_reason_info *ret);

/* The most severe of N reasons (ties: the first); "none" or N == 0 give
 * severity NONE and DRV_CUSTOMER_READY. Same errors as drv_reason_map. */
int drv_reasons_worst(const char *const *reasons, size_t n, const char *media,
                      struct drv_reason_info *ret);

/* Strip a trailing -error / -warning / -report into OUT (size OUTSZ), cutting
 * over-long keywords. Returns the suffix's severity (REPORT, WARNING, ERROR) or
 * NONE when there is no suffix. */
enum drv_reason_severity drv_reason_strip(const char *reason, char *out, size_t outsz);
