/* printkiosk: the full-screen SDL2 kiosk (see ui/README.md).
 *
 *   printkiosk [--demo] [--fullscreen] [--portrait] [--size WxH]
 *              [--photos DIR] [--prices FILE] [--data DIR] [--staff-pin-file FILE]
 *              [--session-timeout S] [--screenshot-dir DIR] [--script FILE]
 *              [--stats FILE] [--synthetic N] [--config FILE] [--printer QUEUE]
 *              [--tech-pin-file FILE] [--export-root DIR] [--staff-timeout S]
 *
 * --demo: a 1280x720 window, the demo photos in assets/demo/, the price list
 * and catalogue of assets/, a private data folder under $TMPDIR and staff PIN
 * 1234 and technician PIN 5678 (Argon2id hashes written there). --export-root:
 * the folder whose sub-folders are USB sticks for the log export (/media).
 * --staff-timeout: seconds without a touch after which staff or technician
 * mode ends by itself (default 120; the end is logged as an audit line). --printer: the CUPS queue for "print
 * now" (server from CUPS_SERVER). Exit: 0, 2 usage/start-up error, 3 a --script step failed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/staff_pin.h"
#include "ui/escape.h"
#include "ui/ui.h"

static void usage(void)
{
        fprintf(stderr,
                "usage: printkiosk [--demo] [--fullscreen] [--portrait] [--size WxH] [--photos DIR]\n"
                "                  [--prices FILE] [--data DIR] [--staff-pin-file FILE]\n"
                "                  [--session-timeout S] [--screenshot-dir DIR] [--script FILE]\n"
                "                  [--stats FILE] [--synthetic N] [--config FILE]\n"
                "                  [--printer QUEUE] [--tech-pin-file FILE] [--export-root DIR]\n"
                "                  [--staff-timeout S]\n"
                "                  [--version]\n");
}

static bool parse_int(const char *s, long lo, long hi, int *ret)
{
        if (!s)
                return false;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return false;
        *ret = (int)v;
        return true;
}

static bool parse_size(const char *s, int *w, int *h)
{
        char buf[32];
        if (!s || strlen(s) >= sizeof(buf))
                return false;
        snprintf(buf, sizeof(buf), "%s", s);
        char *x = strchr(buf, 'x');
        if (!x)
                return false;
        *x = '\0';
        return parse_int(buf, 200, 8192, w) && parse_int(x + 1, 200, 8192, h);
}

static const char *asset_dir(void)
{
        static char path[PATH_MAX];
        const char *env = getenv("PK_ASSETS");
        if (env)
                return env;
        snprintf(path, sizeof(path), "%s/assets", PK_SOURCE_DIR);
        struct stat st;
        if (stat(path, &st) == 0)
                return path;
        return "/usr/share/printkiosk/assets";
}

int main(int argc, char **argv)
{
        struct ui_options opt = {.width = 0, .height = 0};
        static char photos[PATH_MAX], prices[PATH_MAX], pin_path[PATH_MAX], data[PATH_MAX];
        static char tech_path[PATH_MAX];
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                bool used = true;
                if (!strcmp(a, "--version")) {
                        printf("printkiosk %s\n", PK_VERSION);
                        return 0;
                } else if (!strcmp(a, "--demo")) {
                        opt.demo = true;
                        used = false;
                } else if (!strcmp(a, "--fullscreen")) {
                        opt.fullscreen = true;
                        used = false;
                } else if (!strcmp(a, "--portrait")) {
                        opt.portrait = true;
                        used = false;
                } else if (!strcmp(a, "--size")) {
                        if (!parse_size(v, &opt.width, &opt.height))
                                return usage(), 2;
                } else if (!strcmp(a, "--photos") && v) {
                        opt.photos_dir = v;
                } else if (!strcmp(a, "--prices") && v) {
                        opt.prices_path = v;
                } else if (!strcmp(a, "--config") && v) {
                        opt.config_path = v;
                } else if (!strcmp(a, "--printer") && v) {
                        opt.printer_queue = v;
                } else if (!strcmp(a, "--data") && v) {
                        opt.data_dir = v;
                } else if (!strcmp(a, "--staff-pin-file") && v) {
                        opt.staff_pin_path = v;
                } else if (!strcmp(a, "--tech-pin-file") && v) {
                        opt.tech_pin_path = v;
                } else if (!strcmp(a, "--export-root") && v) {
                        opt.export_root = v;
                } else if (!strcmp(a, "--session-timeout")) {
                        if (!parse_int(v, 5, 86400, &opt.session_timeout_s))
                                return usage(), 2;
                } else if (!strcmp(a, "--staff-timeout")) {
                        if (!parse_int(v, 5, 86400, &opt.staff_timeout_s))
                                return usage(), 2;
                } else if (!strcmp(a, "--screenshot-dir") && v) {
                        opt.screenshot_dir = v;
                } else if (!strcmp(a, "--script") && v) {
                        opt.script_path = v;
                } else if (!strcmp(a, "--stats") && v) {
                        opt.stats_path = v;
                } else if (!strcmp(a, "--synthetic")) {
                        if (!parse_int(v, 1, APP_KIOSK_MAX_PHOTOS, &opt.synthetic))
                                return usage(), 2;
                } else {
                        usage();
                        return 2;
                }
                if (used)
                        i++;
        }
        char tmpdir[PATH_MAX] = "";
        if (opt.demo) {
                if (!opt.photos_dir && !opt.synthetic) {
                        snprintf(photos, sizeof(photos), "%s/demo/photos", asset_dir());
                        opt.photos_dir = photos;
                }
                if (!opt.prices_path) {
                        snprintf(prices, sizeof(prices), "%s/prices.ini", asset_dir());
                        opt.prices_path = prices;
                }
                if (!opt.data_dir) {
                        const char *t = getenv("TMPDIR");
                        snprintf(tmpdir, sizeof(tmpdir), "%s/printkiosk-demo-XXXXXX", t ? t : "/tmp");
                        if (!mkdtemp(tmpdir)) {
                                fprintf(stderr, "printkiosk: cannot create a demo data folder\n");
                                return 2;
                        }
                        snprintf(data, sizeof(data), "%s", tmpdir);
                        opt.data_dir = data;
                }
                if (!opt.staff_pin_path) {
                        (void)mkdir(opt.data_dir, 0700); /* --data may not exist yet */
                        snprintf(pin_path, sizeof(pin_path), "%s/staff-pin", opt.data_dir);
                        if (access(pin_path, F_OK) != 0 && app_staff_pin_write_hash(pin_path, "1234") != 0)
                                fprintf(stderr, "printkiosk: cannot write the demo staff PIN\n");
                        opt.staff_pin_path = pin_path;
                }
                if (!opt.tech_pin_path) {
                        (void)mkdir(opt.data_dir, 0700);
                        snprintf(tech_path, sizeof(tech_path), "%s/tech-pin", opt.data_dir);
                        if (access(tech_path, F_OK) != 0 && app_staff_pin_write_hash(tech_path, "5678") != 0)
                                fprintf(stderr, "printkiosk: cannot write the demo technician PIN\n");
                        opt.tech_pin_path = tech_path;
                }
        }
        char err[512] = "";
        /* Kiosk mode (full screen, not the demo): hints before the window, quit
         * requests and escape chords filtered out (ui/escape.h). */
        ui_escape_install(opt.fullscreen && !opt.demo);
        struct ui *ui = ui_new(&opt, err, sizeof(err));
        if (!ui) {
                fprintf(stderr, "printkiosk: %s\n", err);
                return 2;
        }
        int r = ui_run(ui);
        ui_free(ui);
        if (tmpdir[0]) {
                /* The demo's store and spool stay for inspection (printkioskctl
                 * --data DIR order show CODE); only an unused folder goes. */
                unlink(pin_path);
                unlink(tech_path);
                rmdir(tmpdir);
        }
        return r;
}
