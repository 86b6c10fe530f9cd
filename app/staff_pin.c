/* app/staff_pin: Argon2id verification (libsodium) and the lockout policy.
 * Invariant: locked_until_ms is only ever moved forward by a failure; a try
 * before it is refused without touching the hash (so a locked-out attacker
 * cannot even spend our CPU). */
#include "app/staff_pin.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct app_staff_pin {
        char hash[APP_PIN_HASH_MAX];
        bool have_hash;
        int failures;
        int64_t locked_until_ms;
};

static bool pin_valid(const char *pin)
{
        size_t n = pin ? strnlen(pin, APP_PIN_MAX_LEN + 1) : 0;
        if (n < APP_PIN_MIN_LEN || n > APP_PIN_MAX_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (pin[i] < '0' || pin[i] > '9')
                        return false;
        return true;
}

int64_t app_staff_pin_delay_ms(int failures)
{
        if (failures < APP_PIN_FREE_TRIES)
                return 0;
        int64_t d = APP_PIN_BASE_DELAY_MS;
        for (int i = APP_PIN_FREE_TRIES; i < failures && d < APP_PIN_MAX_DELAY_MS; i++)
                d *= 2;
        return d > APP_PIN_MAX_DELAY_MS ? APP_PIN_MAX_DELAY_MS : d;
}

struct app_staff_pin *app_staff_pin_new(const char *hash_path)
{
        if (sodium_init() < 0)
                return NULL;
        struct app_staff_pin *p = calloc(1, sizeof(*p));
        if (!p || !hash_path)
                return p;
        int fd = open(hash_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return p;
        ssize_t n = read(fd, p->hash, sizeof(p->hash) - 1);
        close(fd);
        if (n > 0) {
                p->hash[n] = '\0';
                p->hash[strcspn(p->hash, "\r\n")] = '\0';
                p->have_hash = strncmp(p->hash, "$argon2id$", 10) == 0;
        }
        return p;
}

struct app_staff_pin *app_staff_pin_free(struct app_staff_pin *p)
{
        if (p)
                sodium_memzero(p, sizeof(*p));
        free(p);
        return NULL;
}

int app_staff_pin_failures(const struct app_staff_pin *p)
{
        return p->failures;
}

int app_staff_pin_check(struct app_staff_pin *p, const char *pin, int64_t now_ms,
                        int64_t *ret_wait_ms)
{
        if (!p->have_hash)
                return APP_PIN_E_NOT_SET;
        if (now_ms < p->locked_until_ms) {
                if (ret_wait_ms)
                        *ret_wait_ms = p->locked_until_ms - now_ms;
                return APP_PIN_E_LOCKED;
        }
        if (!pin_valid(pin))
                return APP_PIN_E_INVALID;
        if (crypto_pwhash_str_verify(p->hash, pin, strlen(pin)) == 0) {
                p->failures = 0;
                p->locked_until_ms = 0;
                return APP_PIN_OK;
        }
        if (p->failures < 1000)
                p->failures++;
        int64_t d = app_staff_pin_delay_ms(p->failures);
        p->locked_until_ms = now_ms + d;
        if (ret_wait_ms)
                *ret_wait_ms = d;
        return APP_PIN_E_WRONG;
}

int app_staff_pin_write_hash(const char *hash_path, const char *pin)
{
        if (!pin_valid(pin) || !hash_path)
                return APP_PIN_E_INVALID;
        if (sodium_init() < 0)
                return APP_PIN_E_INTERNAL;
        char hash[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str_alg(hash, pin, strlen(pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                return APP_PIN_E_INTERNAL;
        char tmp[4096];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp", hash_path) >= (int)sizeof(tmp))
                return APP_PIN_E_INVALID;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return APP_PIN_E_INTERNAL;
        size_t len = strlen(hash);
        bool ok = write(fd, hash, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
                  fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, hash_path) != 0) {
                unlink(tmp);
                return APP_PIN_E_INTERNAL;
        }
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", hash_path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        return APP_PIN_OK;
}
