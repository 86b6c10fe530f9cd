/* app/provision: verify and apply a provisioning file (see provision.h).
 * Order of checks: size, signature or PIN, JSON shape, configuration; only
 * then writes, so a rejected file never changes the kiosk. */
#include "app/provision.h"

#include "app/config.h"
#include "sync/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int app_provision_read_key(const char *path, uint8_t *key, size_t n, struct store_errbuf *err)
{
        char *text = NULL;
        size_t len = 0;
        int r = sync_fs_read_small(path, 4096, &text, &len, err);
        if (r < 0)
                return r;
        size_t bin = 0;
        r = sodium_hex2bin(key, n, text, len, " \n\r\t", &bin, NULL);
        sodium_memzero(text, len);
        free(text);
        if (r != 0 || bin != n)
                return store_fail(err, STORE_E_INVALID, "%s: want %zu bytes as hex", path, n);
        return 0;
}

static bool valid_id(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 63)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
                        return false;
        return true;
}

/* The embedded config, checked by the real loader from a private temp file. */
static int check_config(const char *etc_dir, const char *text, const char *kiosk_id,
                        struct store_errbuf *err)
{
        char tmpl[] = "/tmp/pk-provision-XXXXXX";
        int fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "temp file: %s", strerror(errno));
        size_t len = strlen(text);
        bool ok = write(fd, text, len) == (ssize_t)len;
        close(fd);
        struct app_config cfg;
        struct app_config_report rep;
        app_config_defaults(&cfg);
        int r = ok ? app_config_load(tmpl, &cfg, &rep) : -1;
        unlink(tmpl);
        (void)etc_dir;
        if (!ok)
                return store_fail(err, STORE_E_IO, "temp file: short write");
        if (r < 0)
                return store_fail(err, STORE_E_INVALID, "config line %d %s: %s",
                                  rep.n_issues ? rep.issues[0].line : 0,
                                  rep.n_issues ? rep.issues[0].key : "",
                                  rep.n_issues ? rep.issues[0].message : "unreadable");
        if (strcmp(cfg.kiosk_id, kiosk_id) != 0)
                return store_fail(err, STORE_E_INVALID, "config names kiosk %s, file says %s",
                                  cfg.kiosk_id, kiosk_id);
        return 0;
}

int app_provision_apply(const struct app_provision_opts *o, struct app_provision_result *ret,
                        struct store_errbuf *err)
{
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init");
        struct app_provision_result res = {0};
        char *data = NULL, *sig = NULL;
        size_t len = 0, sig_len = 0;
        json_t *root = NULL, *fmt = NULL;
        const char *pin_hash = NULL, *kiosk_id = NULL, *config = NULL, *secret = NULL, *ssh = NULL;
        bool signed_ok = false;
        json_error_t je;
        uint8_t key[32];
        size_t kl = 0;
        int r = sync_fs_read_small(o->file, APP_PROVISION_MAX_BYTES, &data, &len, err);
        if (r < 0)
                return r;
        /* 1. Signature first: nothing of an unsigned file is trusted. */
        if (o->public_key) {
                char sig_path[4200];
                snprintf(sig_path, sizeof sig_path, "%s", o->sig_file ? o->sig_file : "");
                if (!o->sig_file)
                        snprintf(sig_path, sizeof sig_path, "%s.sig", o->file);
                if (sync_fs_read_small(sig_path, 4096, &sig, &sig_len, NULL) == 0 &&
                    sig_len == crypto_sign_BYTES &&
                    crypto_sign_verify_detached((const unsigned char *)sig, (const unsigned char *)data,
                                                len, o->public_key) == 0)
                        signed_ok = true;
        }
        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!root || !json_is_object(root)) {
                r = store_fail(err, STORE_E_INVALID, "not a JSON object (line %d: %s)", je.line,
                               je.text);
                goto out;
        }
        pin_hash = json_string_value(json_object_get(root, "pin_hash"));
        if (signed_ok) {
                snprintf(res.method, sizeof res.method, "signature");
        } else if (pin_hash && o->pin && strlen(o->pin) <= APP_PROVISION_PIN_MAX &&
                   strlen(pin_hash) < crypto_pwhash_STRBYTES &&
                   crypto_pwhash_str_verify(pin_hash, o->pin, strlen(o->pin)) == 0) {
                snprintf(res.method, sizeof res.method, "pin");
        } else {
                r = store_fail(err, STORE_E_INVALID, "%s",
                               o->public_key && !pin_hash ? "signature does not verify"
                               : pin_hash && !o->pin      ? "file wants a PIN (--pin-stdin)"
                                                          : "neither signature nor PIN accepted");
                goto out;
        }
        /* 2. Shape. */
        fmt = json_object_get(root, "format");
        kiosk_id = json_string_value(json_object_get(root, "kiosk_id"));
        config = json_string_value(json_object_get(root, "config"));
        secret = json_string_value(json_object_get(root, "secret"));
        ssh = json_string_value(json_object_get(root, "ssh_authorized_keys"));
        if (!json_is_integer(fmt) || json_integer_value(fmt) != 1 || !kiosk_id || !valid_id(kiosk_id) ||
            !config) {
                r = store_fail(err, STORE_E_INVALID, "want format 1, a kiosk_id and a config");
                goto out;
        }
        if (secret && (strlen(secret) != 64 ||
                       sodium_hex2bin(key, sizeof key, secret, 64, NULL, &kl, NULL) != 0 || kl != 32)) {
                r = store_fail(err, STORE_E_INVALID, "secret: want 64 hex digits");
                goto out;
        }
        sodium_memzero(key, sizeof key);
        if ((r = check_config(o->etc_dir, config, kiosk_id, err)) < 0)
                goto out;
        /* 3. Write: secret and keys first, the config (which makes the kiosk
         * start, see ConditionPathExists) last. */
        if ((r = sync_fs_mkdir_p(o->etc_dir, 0755, err)) < 0)
                goto out;
        if (secret) {
                char text[128];
                int n = snprintf(text, sizeof text, "[central]\nsecret = %s\n", secret);
                r = sync_fs_write_atomic(o->etc_dir, "secret.conf", text, (size_t)n, 0600, err);
                sodium_memzero(text, sizeof text);
                if (r < 0)
                        goto out;
                res.files_written++;
        }
        if (ssh) {
                if ((r = sync_fs_write_atomic(o->etc_dir, "ssh_authorized_keys", ssh, strlen(ssh), 0600,
                                              err)) < 0)
                        goto out;
                res.files_written++;
        }
        if ((r = sync_fs_write_atomic(o->etc_dir, "printkiosk.conf", config, strlen(config), 0644,
                                      err)) < 0)
                goto out;
        res.files_written++;
        snprintf(res.kiosk_id, sizeof res.kiosk_id, "%s", kiosk_id);
        *ret = res;
        r = 0;
out:
        json_decref(root);
        if (data) {
                sodium_memzero(data, len);
                free(data);
        }
        free(sig);
        return r;
}

int app_provision_keygen(const char *dir, struct store_errbuf *err)
{
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init");
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        char hex_sk[sizeof sk * 2 + 2], hex_pk[sizeof pk * 2 + 2];
        sodium_bin2hex(hex_sk, sizeof hex_sk - 1, sk, sizeof sk);
        sodium_bin2hex(hex_pk, sizeof hex_pk - 1, pk, sizeof pk);
        strcat(hex_sk, "\n");
        strcat(hex_pk, "\n");
        int r = sync_fs_mkdir_p(dir, 0700, err);
        if (r == 0)
                r = sync_fs_write_atomic(dir, "provision.key", hex_sk, strlen(hex_sk), 0600, err);
        if (r == 0)
                r = sync_fs_write_atomic(dir, "provision.pub", hex_pk, strlen(hex_pk), 0644, err);
        sodium_memzero(sk, sizeof sk);
        sodium_memzero(hex_sk, sizeof hex_sk);
        return r;
}

int app_provision_sign(const char *file, const char *key_file, const char *sig_out,
                       struct store_errbuf *err)
{
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init");
        uint8_t sk[crypto_sign_SECRETKEYBYTES];
        int r = app_provision_read_key(key_file, sk, sizeof sk, err);
        if (r < 0)
                return r;
        char *data = NULL;
        size_t len = 0;
        r = sync_fs_read_small(file, APP_PROVISION_MAX_BYTES, &data, &len, err);
        if (r == 0) {
                unsigned char sig[crypto_sign_BYTES];
                crypto_sign_detached(sig, NULL, (const unsigned char *)data, len, sk);
                char dir[4200], name[4200];
                snprintf(dir, sizeof dir, "%s", sig_out);
                char *slash = strrchr(dir, '/');
                if (slash) {
                        *slash = '\0';
                        snprintf(name, sizeof name, "%s", slash + 1);
                } else {
                        snprintf(name, sizeof name, "%s", sig_out);
                        snprintf(dir, sizeof dir, ".");
                }
                r = sync_fs_write_atomic(dir[0] ? dir : "/", name, sig, sizeof sig, 0644, err);
                free(data);
        }
        sodium_memzero(sk, sizeof sk);
        return r;
}
