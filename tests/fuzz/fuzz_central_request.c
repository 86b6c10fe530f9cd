/* Fuzz target: pk-central's request parsing (tests/central/parse.c), i.e. the
 * JSON order, event and fault-list bodies and the tus/HTTP header values
 * (Upload-Metadata, Upload-Checksum, Upload-Length/Offset, Range, pickup
 * cursor) that arrive from the network. The first byte picks which JSON
 * validator sees the rest; every header parser sees the rest as a string.
 * Invariants checked: parsed metadata formats and re-parses to the same value,
 * a satisfiable range lies inside the file, nothing crashes or leaks. The
 * parser is compiled into this file so the target needs no server library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/central/parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(const char *s, size_t n)
{
        struct pc_tus_meta m, m2;
        char msg[256], fmt[1024];
        enum pc_checksum_algo algo;
        uint8_t digest[32];
        uint64_t u, first, last;
        int64_t seq;

        if (pc_parse_upload_metadata(s, &m, msg, sizeof(msg)) == 0) {
                pc_format_upload_metadata(&m, fmt, sizeof(fmt));
                if (pc_parse_upload_metadata(fmt, &m2, msg, sizeof(msg)) != 0 || memcmp(&m, &m2, sizeof(m)) != 0)
                        abort();
        }
        if (pc_parse_upload_checksum(s, &algo, digest) == 0 && algo != PC_SUM_SHA256 && algo != PC_SUM_SHA1)
                abort();
        (void)pc_parse_u64(s, &u);
        (void)pc_parse_cursor(s, &seq);
        (void)pc_id_ok(s);
        (void)pc_event_type(s);
        for (uint64_t sz = 0; sz < 3; sz++) {
                uint64_t size = sz == 2 ? (uint64_t)n * 977 : sz;
                if (pc_parse_range(s, size, &first, &last) == PC_RANGE_OK && (first > last || last >= size))
                        abort();
        }
        /* Route patterns: the input as pattern against fixed paths, and back. */
        (void)pc_route_match(s, "PATCH", "/v1/uploads/abc");
        (void)pc_route_match("GET /v1/kiosks/*/pickups", "GET", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char msg[256];
        char *s;
        json_t *j;

        if (size < 1 || size > PC_MAX_JSON_BODY)
                return 0;
        s = malloc(size);
        if (!s)
                return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        check_strings(s, size - 1);
        j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
        if (j) {
                switch (data[0] % 3) {
                case 0:
                        (void)pc_validate_order(j, msg, sizeof(msg));
                        break;
                case 1:
                        (void)pc_validate_event(j, msg, sizeof(msg));
                        break;
                default:
                        (void)pc_validate_faults(j, msg, sizeof(msg));
                        break;
                }
                json_decref(j);
        }
        free(s);
        return 0;
}
