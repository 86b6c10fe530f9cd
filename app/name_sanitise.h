/* app/name_sanitise: display names for file names found on customer media.
 *
 * File names on a stick are arbitrary bytes (anything but '/' and NUL). The raw
 * name is only ever used with openat() relative to its parent directory; what
 * the screen, the CLI and logs see is the sanitised display name made here.
 *
 * Invariants of the output: valid UTF-8; no C0/C1 control characters, no DEL,
 * no bidirectional override/isolate characters (each replaced by '?' or U+FFFD
 * for invalid byte sequences); never longer than out_size-1 bytes and never cut
 * inside a character; never empty; never starts with '-' (an option to a
 * shell tool a technician might paste it into). Pure function, thread-safe.
 */
#pragma once
#include <stddef.h>

/* Longest display name in bytes (without NUL): a grid label shows ~30 glyphs. */
#define APP_NAME_DISPLAY_MAX 120

/* Sanitise raw[0..raw_len) into out (out_size >= 8, else returns 0 and writes
 * nothing). Returns the length written (without the NUL), always >= 1. */
size_t app_name_sanitise(const char *raw, size_t raw_len, char *out, size_t out_size);
