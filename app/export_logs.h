/* app/export_logs: `printkioskctl export-logs DIR`, the bundle a technician
 * sends to support.
 *
 * DIR (created 0700, or an existing EMPTY folder) receives:
 *   journal.export  journalctl --output=export of the kiosk's units, limited
 *                   to an allow-list of fields (no _CMDLINE, _EXE arguments or
 *                   custom fields, which could carry customers' file names);
 *   store.json      counts only: orders per state, outbox statistics, the
 *                   privacy holdings (app/retention.h), schema version;
 *   config.ini      the configuration file with every value whose key names a
 *                   secret (secret, key, pin, password, token, hash) replaced by
 *                   "<redacted>"; the secrets file itself is never read;
 *   doctor.jsonl    the doctor checks (app/doctor.h), one per line;
 *   manifest.json   what the bundle holds: file names, sizes, SHA-256, and the
 *                   journal's status.
 * Invariants: no photo, master, pickup code, customer file name or secret is
 * written; every file is written durably (temp + fsync + rename + fsync dir).
 * Errors: 0 or a negative enum store_error with detail in err.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"

#define APP_EXPORT_JOURNAL_LINES 50000          /* newest entries, bounds the bundle */
#define APP_EXPORT_JOURNAL_MAX_BYTES (256L << 20)
#define APP_EXPORT_CONFIG_MAX_BYTES (256 * 1024)

struct app_export_opts {
        const char *config_path; /* NULL = no configuration file */
        const char *data_dir;
        const char *cups_server; /* for doctor */
        bool skip_printers;      /* for doctor */
        const char *journalctl;  /* NULL = "journalctl" from PATH */
};

struct app_export_result {
        int files;
        int64_t bytes;
        bool journal_ok;         /* journalctl ran and exited 0 */
        int doctor_status;       /* enum app_doctor_status */
};

int app_export_logs(const struct app_export_opts *o, const char *out_dir,
                    struct app_export_result *ret, struct store_errbuf *err);

/* Redact one configuration text (exposed for tests). (transfer full: free()) */
char *app_export_redact_config(const char *text, size_t len);
