/* app/config: the kiosk's one configuration file, /etc/printkiosk/printkiosk.conf
 * (GKeyFile / INI), and the separate root-only secrets file.
 *
 * Every key has a documented default (see app/deploy/printkiosk.conf.example);
 * app_config_load() checks every value and reports each problem with its line
 * number, so `printkioskctl config check` can list them all at once. Secrets
 * (the kiosk's 32-byte HMAC key, staff/technician PIN hashes) never live in the
 * main file: [central] secret_file names a file only root (or the printkiosk
 * user) can read.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APP_CONFIG_MAX_BYTES (256 * 1024) /* a real config is < 4 KiB */
#define APP_CONFIG_MAX_PRINTERS 8
#define APP_CONFIG_MAX_LANGUAGES 8

struct app_config_printer {
        char name[64];    /* section [printer NAME] */
        char queue[128];  /* CUPS queue name */
        char model[128];  /* make-and-model for the paper manifest ("" = ask CUPS) */
        char papers[128]; /* "glossy;lustre": what is loaded */
        bool receipt;     /* a receipt printer (pickup code slips) */
};

struct app_config {
        char kiosk_id[64];
        char store_id[64];
        char data_dir[512];       /* store + spool, default /var/lib/printkiosk */
        char share_dir[512];      /* profiles/ + assets/, default /usr/share/printkiosk */
        char central_url[512];    /* "" = offline kiosk (no sync) */
        char ca_bundle[512];      /* "" = system default */
        char secret_file[512];    /* default /etc/printkiosk/secret.conf */
        char currency[4];         /* ISO 4217, default GBP */
        char price_list[512];     /* default <share_dir>/assets/prices.ini */
        char catalogue[512];      /* default <share_dir>/assets/catalogue.ini */
        char languages[APP_CONFIG_MAX_LANGUAGES][8];
        int n_languages;
        int session_timeout_s;    /* idle customer session, default 180 */
        int session_warning_s;    /* countdown before it ends, default 20 */
        int retention_days;       /* photos/masters of finished orders, default 30 */
        int sync_poll_s;          /* pickup polling interval, default 60 */
        struct app_config_printer printers[APP_CONFIG_MAX_PRINTERS];
        int n_printers;
};

/* One problem found in a file: line 0 = the file as a whole. */
struct app_config_issue {
        int line;
        char key[96];     /* "[central] url" */
        char message[160];
};

struct app_config_report {
        struct app_config_issue issues[32];
        int n_issues;      /* may exceed 32: only the first 32 are kept */
};

/* Defaults for every field. */
void app_config_defaults(struct app_config *cfg);

/* Load `path` over the defaults. Returns 0 when the file is valid; -1 when it
 * cannot be read or has problems (all of them in *report, which may be NULL).
 * *cfg is filled with every valid value even when others are bad. */
int app_config_load(const char *path, struct app_config *cfg, struct app_config_report *report);

/* Read the kiosk's 32-byte HMAC key from the secrets file ([central] secret =
 * 64 lowercase hex digits). Refuses a file readable by group or others.
 * Returns 0 or -1 with a message in report. */
int app_config_load_secret(const struct app_config *cfg, uint8_t ret_key[32],
                           struct app_config_report *report);
