/* Fuzz target: printer-state-reasons mapping over arbitrary bytes.
 *
 * The input is split at '\n' or ',' into reason strings (as a printer could
 * send them), the first line also serving as the media name; each goes through
 * drv_reason_map and the list through drv_reasons_worst. Checks: every result
 * is NUL-terminated inside its buffer, severities are in range, staff text
 * holds no byte outside printable ASCII, and the worst severity is the maximum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/printer_reasons.h"

#define MAX_REASONS 64
/* Not CHECK(): release builds define NDEBUG and must still check. */
#define CHECK(x) ((x) ? (void)0 : abort())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct drv_reason_info *r)
{
        CHECK(r->severity >= DRV_SEVERITY_NONE && r->severity < _DRV_SEVERITY_MAX);
        CHECK(r->keyword && r->customer_key);
        size_t n = strnlen(r->staff, sizeof(r->staff));
        CHECK(n < sizeof(r->staff));
        for (size_t i = 0; i < n; i++)
                CHECK((unsigned char)r->staff[i] >= 0x20 && (unsigned char)r->staff[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        char *buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';

        const char *list[MAX_REASONS];
        size_t n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",\n", &save); tok && n < MAX_REASONS;
             tok = strtok_r(NULL, ",\n", &save))
                list[n++] = tok;
        const char *media = n ? list[0] : NULL;

        enum drv_reason_severity max = DRV_SEVERITY_NONE;
        for (size_t i = 0; i < n; i++) {
                struct drv_reason_info r;
                int rc = drv_reason_map(list[i], media, &r);
                CHECK(rc == 0);
                check(&r);
                if (r.severity > max)
                        max = r.severity;
                char out[16];
                drv_reason_strip(list[i], out, sizeof(out));
                CHECK(strnlen(out, sizeof(out)) < sizeof(out));
        }
        struct drv_reason_info worst;
        CHECK(drv_reasons_worst(list, n, media, &worst) == 0);
        check(&worst);
        CHECK(worst.severity == max);
        free(buf);
        return 0;
}
