/* printer-state-reasons -> severity, customer message key and staff message.
 *
 * Invariants: pure functions over bounded input (at most
 * DRV_REASON_KEYWORD_MAX*4 bytes of any keyword are read); every output string
 * is NUL-terminated and fits its buffer; staff messages contain only the
 * table's text, a sanitised keyword ([a-z0-9._-], others '?') and a sanitised
 * media size. The table is sorted by nothing: it is short and read linearly. */
#include "drivers/printer_reasons.h"
#include "drivers/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* How a staff message uses the media name: not at all, or "%s" is the size. */
enum staff_arg { ARG_NONE, ARG_MEDIA };

struct reason_entry {
        const char *keyword;
        enum drv_reason_severity severity;
        const char *customer;
        enum staff_arg arg;
        const char *staff;
};

/* What each keyword means for a photo kiosk. ERROR = no print comes out until
 * someone acts; WARNING = prints still come out; REPORT = information. */
static const struct reason_entry reasons[] = {
        {"none", DRV_SEVERITY_NONE, DRV_CUSTOMER_READY, ARG_NONE, "Printer ready"},
        {"media-empty", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_MEDIA,
         "Paper tray empty: load %s paper"},
        {"media-needed", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_MEDIA,
         "Printer waits for paper: load %s paper"},
        {"media-low", DRV_SEVERITY_WARNING, DRV_CUSTOMER_READY, ARG_MEDIA,
         "Paper low: add %s paper soon"},
        {"media-jam", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Paper jam: open the printer, remove the jammed sheet and close it"},
        {"media-path-jam", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Paper jam in the paper path: open the printer and remove the sheet"},
        {"marker-supply-empty", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Ink, ribbon or toner empty: replace it (see the marker levels)"},
        {"marker-supply-low", DRV_SEVERITY_WARNING, DRV_CUSTOMER_READY, ARG_NONE,
         "Ink, ribbon or toner low: have a replacement ready"},
        {"marker-supply-missing", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Ink cartridge or ribbon missing: insert it"},
        {"toner-empty", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Toner empty: replace the toner cartridge"},
        {"toner-low", DRV_SEVERITY_WARNING, DRV_CUSTOMER_READY, ARG_NONE,
         "Toner low: have a replacement cartridge ready"},
        {"marker-waste-full", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Waste ink or toner container full: replace or empty it"},
        {"marker-waste-almost-full", DRV_SEVERITY_WARNING, DRV_CUSTOMER_READY, ARG_NONE,
         "Waste ink or toner container almost full: have a replacement ready"},
        {"door-open", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "A printer door is open: close it"},
        {"cover-open", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Printer cover is open: close it"},
        {"interlock-open", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "A printer interlock is open: close every door and cover"},
        {"input-tray-missing", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Paper tray missing: insert the tray"},
        {"output-tray-missing", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Output tray missing: insert it"},
        {"output-area-full", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Output tray full: take the prints out"},
        {"output-area-almost-full", DRV_SEVERITY_WARNING, DRV_CUSTOMER_READY, ARG_NONE,
         "Output tray almost full: take the prints out"},
        {"spool-area-full", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Printer memory full: wait, or cancel jobs and restart the printer"},
        {"offline", DRV_SEVERITY_ERROR, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Printer offline: check its power and cable"},
        {"shutdown", DRV_SEVERITY_ERROR, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Printer is off or shutting down: switch it on"},
        {"connecting-to-device", DRV_SEVERITY_WARNING, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Connecting to the printer: if this lasts, check its power and cable"},
        {"timed-out", DRV_SEVERITY_WARNING, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Printer stopped answering: check its power and cable"},
        {"com.apple.print.recoverable", DRV_SEVERITY_WARNING, DRV_CUSTOMER_UNAVAILABLE,
         ARG_NONE, "Printer unreachable, CUPS keeps retrying: check its power and cable"},
        {"paused", DRV_SEVERITY_ERROR, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Print queue stopped: fix the printer, then resume the queue"},
        {"moving-to-paused", DRV_SEVERITY_WARNING, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Print queue is stopping"},
        {"hold-new-jobs", DRV_SEVERITY_ERROR, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Print queue holds new jobs: release it"},
        {"deactivated", DRV_SEVERITY_ERROR, DRV_CUSTOMER_UNAVAILABLE, ARG_NONE,
         "Printer deactivated: activate it in the printer's settings"},
        {"fuser-over-temp", DRV_SEVERITY_WARNING, DRV_CUSTOMER_BUSY, ARG_NONE,
         "Printer too hot: it waits to cool down"},
        {"fuser-under-temp", DRV_SEVERITY_REPORT, DRV_CUSTOMER_BUSY, ARG_NONE,
         "Printer warming up"},
        {"cups-missing-filter", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "CUPS has no filter for this file or driver: reinstall the printer driver"},
        {"cups-insecure-filter", DRV_SEVERITY_ERROR, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "CUPS refused a filter with unsafe permissions: reinstall the printer driver"},
        {"cups-waiting-for-job-completed", DRV_SEVERITY_REPORT, DRV_CUSTOMER_BUSY, ARG_NONE,
         "Printer is finishing a job"},
        {"cups-ipp-conformance-failure", DRV_SEVERITY_REPORT, DRV_CUSTOMER_READY, ARG_NONE,
         "Printer's IPP answers are not conformant: ignore unless prints fail"},
        {"identify-printer-requested", DRV_SEVERITY_REPORT, DRV_CUSTOMER_READY, ARG_NONE,
         "Printer was asked to identify itself"},
        {"other", DRV_SEVERITY_WARNING, DRV_CUSTOMER_ATTENTION, ARG_NONE,
         "Printer reports an unnamed problem: check its panel or display"},
};

static const struct {
        const char *suffix;
        enum drv_reason_severity severity;
} suffixes[] = {
        {"-error", DRV_SEVERITY_ERROR},
        {"-warning", DRV_SEVERITY_WARNING},
        {"-report", DRV_SEVERITY_REPORT},
};

enum drv_reason_severity drv_reason_strip(const char *reason, char *out, size_t outsz)
{
        if (!out || outsz == 0)
                return DRV_SEVERITY_NONE;
        out[0] = '\0';
        if (!reason)
                return DRV_SEVERITY_NONE;
        size_t len = strnlen(reason, DRV_REASON_KEYWORD_MAX * 4);
        enum drv_reason_severity sev = DRV_SEVERITY_NONE;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                size_t sl = strlen(suffixes[i].suffix);
                if (len > sl && memcmp(reason + len - sl, suffixes[i].suffix, sl) == 0) {
                        len -= sl;
                        sev = suffixes[i].severity;
                        break;
                }
        }
        if (len < outsz) {
                memcpy(out, reason, len);
                out[len] = '\0';
        } else if (outsz > 4) {
                /* Cut and mark, so a cut keyword never equals a real one. */
                memcpy(out, reason, outsz - 4);
                memcpy(out + outsz - 4, "...", 4);
        } else {
                out[0] = '\0';
        }
        return sev;
}

/* Copy S into OUT keeping [a-z0-9._-] and replacing anything else by '?'. */
static void sanitise(const char *s, char *out, size_t outsz)
{
        size_t i = 0;
        for (; s[i] && i + 1 < outsz; i++) {
                unsigned char c = (unsigned char)s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                          c == '_' || c == '-';
                out[i] = ok ? (char)c : '?';
        }
        out[i] = '\0';
}

/* "na_index-4x6_4x6in" -> "4x6in": the PWG self-describing name's size part. */
static void media_size_text(const char *media, char *out, size_t outsz)
{
        if (!media || !*media) {
                snprintf(out, outsz, "the right");
                return;
        }
        char clean[DRV_REASON_KEYWORD_MAX];
        sanitise(media, clean, sizeof(clean));
        const char *size = strrchr(clean, '_');
        snprintf(out, outsz, "%s", size && size[1] ? size + 1 : clean);
}

int drv_reason_map(const char *reason, const char *media, struct drv_reason_info *ret)
{
        if (!reason || !ret)
                return DRV_E_INVALID;
        char kw[DRV_REASON_KEYWORD_MAX];
        enum drv_reason_severity suffix_sev = drv_reason_strip(reason, kw, sizeof(kw));

        for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
                const struct reason_entry *e = &reasons[i];
                if (strcmp(kw, e->keyword) != 0)
                        continue;
                ret->severity = e->severity;
                ret->keyword = e->keyword;
                ret->customer_key = e->customer;
                if (e->arg == ARG_MEDIA) {
                        char size[DRV_REASON_KEYWORD_MAX];
                        media_size_text(media, size, sizeof(size));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                        snprintf(ret->staff, sizeof(ret->staff), e->staff, size);
#pragma GCC diagnostic pop
                } else {
                        snprintf(ret->staff, sizeof(ret->staff), "%s", e->staff);
                }
                return 0;
        }

        /* Unknown (vendor) keyword: trust its suffix, default to a warning. */
        char clean[DRV_REASON_KEYWORD_MAX];
        sanitise(kw, clean, sizeof(clean));
        ret->severity = suffix_sev == DRV_SEVERITY_NONE ? DRV_SEVERITY_WARNING : suffix_sev;
        ret->keyword = "unknown";
        ret->customer_key = ret->severity == DRV_SEVERITY_ERROR ? DRV_CUSTOMER_ATTENTION
                                                                : DRV_CUSTOMER_READY;
        snprintf(ret->staff, sizeof(ret->staff),
                 "Printer reports '%s': see the printer's manual or panel", clean);
        return 0;
}

int drv_reasons_worst(const char *const *list, size_t n, const char *media,
                      struct drv_reason_info *ret)
{
        if (!ret || (n > 0 && !list))
                return DRV_E_INVALID;
        struct drv_reason_info best;
        int r = drv_reason_map("none", media, &best);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                struct drv_reason_info cur;
                if (!list[i])
                        return DRV_E_INVALID;
                r = drv_reason_map(list[i], media, &cur);
                if (r < 0)
                        return r;
                if (cur.severity > best.severity)
                        best = cur;
        }
        *ret = best;
        return 0;
}
