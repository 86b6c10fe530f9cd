/* The Gutenprint colour path, on a private CUPS peer of its own (it adds a
 * Gutenprint queue, which the shared fixture's queue list must not see): the
 * driver recognises a Gutenprint PPD from make-and-model and submits with
 * StpColorCorrection=Raw, which rastertogutenprint applies (its debug log in
 * the peer's error_log says so). Needs printer-driver-gutenprint
 * (.ci/packages.txt); skipped with a message where it is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drivers/printer.h"
#include "tests/testutil.h"

static char *peer;
static bool have_gutenprint;

static int load_env(const char *path)
{
        char *text = pk_test_read_file(path, NULL);
        if (!text)
                return -1;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strncmp(line, "export ", 7) == 0 ? strchr(line, '=') : NULL;
                if (!eq)
                        continue;
                *eq = '\0';
                char *v = eq + 1;
                size_t n = strlen(v);
                if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                        v[n - 1] = '\0';
                        v++;
                }
                setenv(line + 7, v, 1);
        }
        free(text);
        return 0;
}

static int run(const char *cmd)
{
        int r = system(cmd);
        return r == 0 ? 0 : -1;
}

static int setup(void **state)
{
        (void)state;
        have_gutenprint = access("/usr/lib/cups/filter/rastertogutenprint.5.3", X_OK) == 0;
        if (!have_gutenprint)
                return 0;
        /* /tmp: cupsd runs filters as lp, which must traverse the folder. */
        peer = strdup("/tmp/pk-cups-gp.XXXXXX");
        if (!peer || !mkdtemp(peer))
                return -1;
        char *cmd = pk_test_strdupf("bash %s/tests/peers/cups-up.sh %s 1 >/dev/null",
                                    pk_test_source_dir(), peer);
        int r = run(cmd);
        free(cmd);
        char *env = pk_test_strdupf("%s/env", peer);
        if (r == 0)
                r = load_env(env);
        free(env);
        if (r == 0) {
                cmd = pk_test_strdupf("lpadmin -p gp -v %s -m gutenprint.5.3://canon-cp1300/expert "
                                      "-E 2>/dev/null && vips black %s/photo.png 600 400 --bands 3",
                                      getenv("PK_PRINTER_pk1_URI"), peer);
                r = run(cmd);
                free(cmd);
        }
        return r;
}

static int teardown(void **state)
{
        (void)state;
        if (!peer)
                return 0;
        char *cmd = pk_test_strdupf("bash %s/tests/peers/cups-down.sh %s", pk_test_source_dir(), peer);
        run(cmd);
        free(cmd);
        pk_test_rmtree(peer);
        free(peer);
        return 0;
}

static void gutenprint_queue_gets_raw_colour_correction(void **state)
{
        (void)state;
        if (!have_gutenprint)
                skip(); /* printer-driver-gutenprint not installed */
        struct drv_printer *p = NULL;
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_printer_cups_new(NULL, &p, &err), 0);
        struct drv_printer_status st;
        assert_int_equal(drv_printer_status(p, "gp", &st, &err), 0);
        assert_non_null(strstr(st.make_model, "Gutenprint"));

        char *png = pk_test_strdupf("%s/photo.png", peer);
        struct drv_print_spec s = {
                .queue = "gp",
                .path = png,
                .mime = "image/png",
                .job_id = "0badc0de-1234-4234-8234-123456789abc",
                .copies = 1,
                .media = "na_index-4x6_4x6in",
                .borderless = true,
                .colour = DRV_COLOUR_AUTO,
        };
        int id = 0;
        int r = drv_printer_submit(p, &s, &id, &err);
        if (r < 0)
                print_error("submit: %s\n", err.msg);
        assert_int_equal(r, 0);

        /* rastertogutenprint logs the parameters it sets (LogLevel debug). */
        char *log = pk_test_strdupf("%s/log/error_log", peer);
        char *needle = pk_test_strdupf("[Job %d] Gutenprint:   Set string ColorCorrection to Raw", id);
        bool seen = false;
        for (int i = 0; i < 300 && !seen; i++) {
                char *text = pk_test_read_file(log, NULL);
                seen = text && strstr(text, needle);
                free(text);
                if (!seen) {
                        struct timespec ts = {0, 100000000L};
                        nanosleep(&ts, NULL);
                }
        }
        if (!seen)
                print_error("no '%s' in %s\n", needle, log);
        assert_true(seen);
        drv_printer_cancel(p, id, NULL); /* the peer printer need not print it */
        free(needle);
        free(log);
        free(png);
        drv_printer_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(gutenprint_queue_gets_raw_colour_correction),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
