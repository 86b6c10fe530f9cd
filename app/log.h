/* app/ logging: the one place the kiosk logs (modules below never log above
 * debug). Never pass photo data, customer file names or personal data. Lines go
 * to stderr, which systemd forwards to the journal with the unit's identity. */
#pragma once

enum app_log_level { APP_LOG_DEBUG, APP_LOG_INFO, APP_LOG_WARNING, APP_LOG_ERROR };

/* Minimum level printed (default INFO; PK_LOG_LEVEL=debug lowers it). */
void app_log_set_level(enum app_log_level level);
void app_log(enum app_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
