/* sync/pickup_code: random pickup codes "XXX-XXX" over an alphabet without
 * look-alike characters. Invariant: each character is drawn uniformly (rejection
 * sampling on random bytes), so no code is likelier than another. */
#include "sync/pickup_code.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "sync/error.h"

#define ALPHABET_LEN (sizeof(SYNC_PICKUP_ALPHABET) - 1)

static bool in_alphabet(char c)
{
        return c != '\0' && strchr(SYNC_PICKUP_ALPHABET, c) != NULL;
}

int sync_pickup_code_new(char ret[SYNC_PICKUP_CODE_SIZE])
{
        /* Largest multiple of the alphabet size below 256: bytes above it are
         * discarded so the modulo is unbiased. */
        const unsigned limit = 256 - (256 % ALPHABET_LEN);
        char out[SYNC_PICKUP_CODE_SIZE];
        int n = 0;
        for (int round = 0; n < 6 && round < 64; round++) {
                uint8_t buf[32];
                ssize_t got = getrandom(buf, sizeof(buf), 0);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        return STORE_E_IO;
                }
                for (ssize_t i = 0; i < got && n < 6; i++) {
                        if (buf[i] >= limit)
                                continue;
                        out[n < 3 ? n : n + 1] = SYNC_PICKUP_ALPHABET[buf[i] % ALPHABET_LEN];
                        n++;
                }
        }
        if (n < 6)
                return STORE_E_IO;
        out[3] = '-';
        out[7] = '\0';
        memcpy(ret, out, sizeof(out));
        return 0;
}

bool sync_pickup_code_valid(const char *code)
{
        if (!code)
                return false;
        for (int i = 0; i < 7; i++) {
                if (i == 3) {
                        if (code[i] != '-')
                                return false;
                } else if (!in_alphabet(code[i])) {
                        return false;
                }
        }
        return code[7] == '\0';
}

int sync_pickup_code_normalize(const char *in, char ret[SYNC_PICKUP_CODE_SIZE])
{
        if (!in)
                return STORE_E_INVALID;
        char chars[6];
        int n = 0;
        /* Bounded: a code is 7 characters; allow surrounding spaces up to 64. */
        for (size_t i = 0; in[i] != '\0'; i++) {
                if (i >= 64)
                        return STORE_E_INVALID;
                char c = in[i];
                if (c == ' ' || c == '\t' || (c == '-' && n == 3))
                        continue;
                if (c >= 'a' && c <= 'z')
                        c = (char)(c - 'a' + 'A');
                if (!in_alphabet(c) || n >= 6)
                        return STORE_E_INVALID;
                chars[n++] = c;
        }
        if (n != 6)
                return STORE_E_INVALID;
        char out[SYNC_PICKUP_CODE_SIZE] = { chars[0], chars[1], chars[2], '-',
                                            chars[3], chars[4], chars[5], '\0' };
        memcpy(ret, out, sizeof(out));
        return 0;
}
