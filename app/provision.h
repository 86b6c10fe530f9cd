/* app/provision: first-boot provisioning from a file on a USB stick.
 *
 * A provisioning file is JSON (at most APP_PROVISION_MAX_BYTES):
 *   {"format":1, "kiosk_id":"kiosk-0001", "config":"<printkiosk.conf text>",
 *    "secret":"<64 hex: the central HMAC key>" (optional),
 *    "ssh_authorized_keys":"<text>" (optional: enables SSH on the image),
 *    "pin_hash":"<crypto_pwhash_str of a PIN>" (optional)}
 * It is accepted when EITHER its detached Ed25519 signature (libsodium
 * crypto_sign, FILE.sig, 64 raw bytes) verifies against a trusted public key,
 * OR it carries pin_hash and the technician types the matching PIN at the
 * kiosk. The embedded configuration must pass app_config_load() and name the
 * same kiosk_id. Only then are the files written, each durably (temp, fsync,
 * rename, fsync dir): printkiosk.conf (0644), secret.conf (0600, only if a
 * secret is given; the config's secret_file is pointed at it),
 * ssh_authorized_keys (0600). Nothing is written when any check fails.
 * Errors: 0 or a negative enum store_error (STORE_E_INVALID = rejected) with
 * the reason in err.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"

#define APP_PROVISION_MAX_BYTES (1024 * 1024)
#define APP_PROVISION_PIN_MAX 64

struct app_provision_opts {
        const char *file;          /* the provisioning JSON */
        const char *sig_file;      /* NULL = FILE.sig */
        const uint8_t *public_key; /* 32 bytes, or NULL: PIN only */
        const char *pin;           /* typed PIN, or NULL: signature only */
        const char *etc_dir;       /* where to write, /etc/printkiosk */
};

struct app_provision_result {
        char kiosk_id[64];
        char method[16];           /* "signature" or "pin" */
        int files_written;
};

int app_provision_apply(const struct app_provision_opts *o, struct app_provision_result *ret,
                        struct store_errbuf *err);

/* Technician side: a new key pair (secret 64 bytes, public 32) as hex files
 * DIR/provision.key (0600) and DIR/provision.pub; and a detached signature. */
int app_provision_keygen(const char *dir, struct store_errbuf *err);
int app_provision_sign(const char *file, const char *key_file, const char *sig_out,
                       struct store_errbuf *err);
/* Read a hex key file of exactly n bytes. */
int app_provision_read_key(const char *path, uint8_t *key, size_t n, struct store_errbuf *err);
