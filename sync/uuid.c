/* sync/uuid: UUIDv4 from getrandom(2).
 * Invariant: the 122 random bits come only from the kernel CSPRNG; on failure we
 * return an error rather than an id that could collide. */
#include "sync/uuid.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "sync/error.h"

int sync_uuid_v4(char ret[SYNC_UUID_SIZE])
{
        uint8_t b[16];
        size_t got = 0;
        /* getrandom of <= 256 bytes never returns short once the pool is ready,
         * but EINTR is possible before that: bounded retry. */
        for (int tries = 0; got < sizeof(b) && tries < 100; tries++) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return STORE_E_IO;
                }
                got += (size_t)n;
        }
        if (got < sizeof(b))
                return STORE_E_IO;
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        static const char hex[] = "0123456789abcdef";
        char tmp[SYNC_UUID_SIZE];
        size_t o = 0;
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        tmp[o++] = '-';
                tmp[o++] = hex[b[i] >> 4];
                tmp[o++] = hex[b[i] & 0xf];
        }
        tmp[o] = '\0';
        for (size_t i = 0; i < SYNC_UUID_SIZE; i++)
                ret[i] = tmp[i];
        return 0;
}

bool sync_uuid_valid(const char *s)
{
        if (!s)
                return false;
        for (int i = 0; i < 36; i++) {
                char c = s[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (c != '-')
                                return false;
                } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                        return false;
                }
        }
        return s[36] == '\0';
}
