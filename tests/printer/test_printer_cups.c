/* Integration tests of the CUPS printer driver against the private cupsd +
 * ippeveprinter peer (CTest fixture "cups", tests/peers/README.md). Queues:
 * pk1 ordinary printing (shared with other tests), pk3 fault injection,
 * pk4 cancel and stop; pk2 belongs to the orders crash tests. Every wait is
 * a bounded poll. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drivers/printer.h"
#include "tests/testutil.h"

static char *tmpdir;
static char *png_path;
static char *tiff_path;

/* The peer's env file: "export K=V" lines; V has no quotes except PK_PRINTERS. */
static int load_peer_env(void)
{
        char *path = pk_test_strdupf("%s/cups-peer/env", pk_test_build_dir());
        char *text = path ? pk_test_read_file(path, NULL) : NULL;
        free(path);
        if (!text)
                return -1;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "export ", 7) != 0)
                        continue;
                char *kv = line + 7, *eq = strchr(kv, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                char *v = eq + 1;
                size_t n = strlen(v);
                if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                        v[n - 1] = '\0';
                        v++;
                }
                setenv(kv, v, 1);
        }
        free(text);
        return 0;
}

static const char *printer_dir(const char *queue)
{
        char name[64];
        snprintf(name, sizeof(name), "PK_PRINTER_%s_DIR", queue);
        return getenv(name);
}

static void set_fault(const char *queue, const char *fault)
{
        char *f = pk_test_strdupf("%s/fault", printer_dir(queue));
        if (fault)
                assert_int_equal(pk_test_write_file(f, fault, strlen(fault)), 0);
        else
                unlink(f);
        free(f);
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* A fresh lower-case UUID per job (the print job id). */
static void new_job_id(char out[DRV_JOB_ID_TEXT_MAX])
{
        static unsigned counter;
        unsigned long t = (unsigned long)time(NULL);
        snprintf(out, DRV_JOB_ID_TEXT_MAX, "%08lx-%04x-4%03x-8%03x-%012lx", t & 0xffffffffUL,
                 (unsigned)getpid() & 0xffff, (++counter) & 0xfff, (unsigned)rand() & 0xfff,
                 ((unsigned long)rand() << 16 ^ (unsigned long)rand()) & 0xffffffffffffUL);
}

static struct drv_printer *cups_printer(void)
{
        struct drv_printer *p = NULL;
        struct drv_errbuf err = {{0}};
        int r = drv_printer_cups_new(NULL, &p, &err);
        if (r < 0)
                print_error("cups_new: %s\n", err.msg);
        assert_int_equal(r, 0);
        return p;
}

static struct drv_print_spec photo_spec(const char *queue, const char *job_id)
{
        struct drv_print_spec s = {
                .queue = queue,
                .path = png_path,
                .mime = "image/png",
                .job_id = job_id,
                .copies = 1,
                .media = "na_index-4x6_4x6in",
                .borderless = true,
                .colour = DRV_COLOUR_AUTO,
        };
        return s;
}

static int submit(struct drv_printer *p, const struct drv_print_spec *s)
{
        struct drv_errbuf err = {{0}};
        int id = 0;
        int r = drv_printer_submit(p, s, &id, &err);
        if (r < 0)
                print_error("submit: %s\n", err.msg);
        assert_int_equal(r, 0);
        assert_true(id > 0);
        return id;
}

/* Poll the job until PRED or ~TIMEOUT_S seconds. */
static struct drv_job_status wait_job(struct drv_printer *p, int id, enum drv_job_state want,
                                      int timeout_s)
{
        struct drv_job_status j = {0};
        for (int i = 0; i < timeout_s * 10; i++) {
                struct drv_errbuf err = {{0}};
                assert_int_equal(drv_printer_job_status(p, id, &j, &err), 0);
                if (j.state == want || j.state >= DRV_JOB_CANCELED)
                        break;
                sleep_ms(100);
        }
        return j;
}

static int setup(void **state)
{
        (void)state;
        if (load_peer_env() < 0 || !getenv("CUPS_SERVER")) {
                print_error("no cups peer env: run with the ctest fixture 'cups'\n");
                return -1;
        }
        srand((unsigned)time(NULL) ^ (unsigned)getpid());
        tmpdir = pk_test_mkdtemp("printer");
        png_path = pk_test_strdupf("%s/photo.png", tmpdir);
        tiff_path = pk_test_strdupf("%s/photo.tif", tmpdir);
        char *cmd = pk_test_strdupf("vips black %s 600 400 --bands 3 && vips copy %s %s", png_path,
                                    png_path, tiff_path);
        int r = system(cmd);
        free(cmd);
        return r == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        set_fault("pk3", NULL);
        set_fault("pk4", NULL);
        if (tmpdir)
                pk_test_rmtree(tmpdir);
        free(tmpdir);
        free(png_path);
        free(tiff_path);
        return 0;
}

static bool has(const char (*list)[DRV_PRINTER_MEDIA_NAME_MAX], size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

static void lists_every_queue_with_media_and_state(void **state)
{
        (void)state;
        struct drv_printer *p = cups_printer();
        struct drv_printer_status *list = calloc(DRV_PRINTER_QUEUES_MAX, sizeof(*list));
        size_t n = 0;
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_printer_list(p, list, DRV_PRINTER_QUEUES_MAX, &n, &err), 0);
        char *queues = strdup(getenv("PK_PRINTERS"));
        size_t expected = 0;
        char *save = NULL;
        for (char *q = strtok_r(queues, " ", &save); q; q = strtok_r(NULL, " ", &save)) {
                expected++;
                bool found = false;
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(list[i].name, q) != 0)
                                continue;
                        found = true;
                        assert_true(list[i].accepting);
                        assert_int_not_equal(list[i].state, DRV_PRINTER_UNKNOWN);
                        assert_true(has(list[i].media_supported, list[i].n_media_supported,
                                        "na_index-4x6_4x6in"));
                        /* The peer printer has 4x6 photo paper loaded: only the
                         * printer itself knows, cupsd does not. */
                        assert_true(list[i].media_from_device);
                        assert_true(has(list[i].media_ready, list[i].n_media_ready,
                                        "na_index-4x6_4x6in"));
                        assert_non_null(strstr(list[i].device_uri, "ipp://localhost:"));
                }
                assert_true(found);
        }
        assert_int_equal(n, expected);
        free(queues);
        free(list);

        struct drv_printer_status st;
        assert_int_equal(drv_printer_status(p, "no-such-queue", &st, &err), DRV_E_NOT_FOUND);
        drv_printer_free(p);
}

static void submitted_photo_prints_with_our_uuid_media_and_colour(void **state)
{
        (void)state;
        struct drv_printer *p = cups_printer();
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        struct drv_print_spec s = photo_spec("pk1", job_id);
        s.copies = 2;
        int id = submit(p, &s);
        struct drv_job_status j = wait_job(p, id, DRV_JOB_COMPLETED, 30);
        assert_int_equal(j.state, DRV_JOB_COMPLETED);
        assert_int_equal(drv_job_verdict(&j, NULL, NULL), DRV_VERDICT_COMPLETED);
        char *uuid = pk_test_strdupf("urn:uuid:%s", job_id);
        char *name = pk_test_strdupf("pk-%s", job_id);
        assert_string_equal(j.uuid, uuid);
        assert_string_equal(j.name, name);
        assert_string_equal(j.queue, "pk1");
        assert_int_equal(j.copies, 2);

        /* The printer kept the document (-k) under the job name, and saw
         * borderless 4x6, colour, photo optimisation. */
        char *log = NULL;
        char *logpath = pk_test_strdupf("%s/jobs.log", printer_dir("pk1"));
        const char *line = NULL;
        for (int i = 0; i < 50 && !line; i++) {
                free(log);
                log = pk_test_read_file(logpath, NULL);
                line = log ? strstr(log, name) : NULL;
                if (!line)
                        sleep_ms(100);
        }
        assert_non_null(line);
        const char *bol = line;
        while (bol > log && bol[-1] != '\n')
                bol--;
        char entry[1024];
        size_t len = strcspn(bol, "\n");
        snprintf(entry, sizeof(entry), "%.*s", (int)(len < sizeof(entry) ? len : sizeof(entry) - 1), bol);
        assert_non_null(strstr(entry, "state=printed"));
        assert_non_null(strstr(entry, "x-dimension=10160 y-dimension=15240"));
        assert_non_null(strstr(entry, "media-bottom-margin=0"));
        assert_non_null(strstr(entry, "media-left-margin=0"));
        assert_non_null(strstr(entry, "color=color"));
        /* print-content-optimize=photo reaches cupsd and the filters, but the
         * 2.4 ipp backend does not forward it to a printer that supports only
         * "auto" (as this ippeveprinter does); see drivers/README.md. */
        assert_non_null(strstr(entry, "format=image/png"));
        /* The fixture's queues are set up by app/deploy/pk-add-printer, which
         * turns off cupsManualCopies (CUPS 2.4 would otherwise pass the PNG
         * through and drop the copies: drivers/README.md), so both copies
         * reach the printer itself. */
        assert_non_null(strstr(entry, "copies=2 "));
        /* ippeveprinter names kept files "<its job id>-<job name>.<ext>". */
        const char *file = strstr(entry, "file=");
        assert_non_null(file);
        char *kept_path = pk_test_strdupf("%s/spool/%s", printer_dir("pk1"), file + 5);
        struct stat sb;
        assert_int_equal(stat(kept_path, &sb), 0);
        struct stat src;
        assert_int_equal(stat(png_path, &src), 0);
        assert_int_equal(sb.st_size, src.st_size); /* passed through, not converted */
        free(kept_path);
        free(logpath);
        free(log);
        free(uuid);
        free(name);
        drv_printer_free(p);
}

static void tiff_is_accepted_and_completes(void **state)
{
        (void)state;
        struct drv_printer *p = cups_printer();
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        struct drv_print_spec s = photo_spec("pk1", job_id);
        s.path = tiff_path;
        s.mime = "image/tiff";
        s.borderless = false;
        int id = submit(p, &s);
        struct drv_job_status j = wait_job(p, id, DRV_JOB_COMPLETED, 60);
        assert_int_equal(j.state, DRV_JOB_COMPLETED);
        drv_printer_free(p);
}

static void job_is_found_again_by_uuid_across_pages(void **state)
{
        (void)state;
        struct drv_printer *p = cups_printer();
        char ids[3][DRV_JOB_ID_TEXT_MAX];
        int cups_ids[3];
        for (int i = 0; i < 3; i++) {
                new_job_id(ids[i]);
                struct drv_print_spec s = photo_spec("pk1", ids[i]);
                cups_ids[i] = submit(p, &s);
        }
        /* "Crash": forget the CUPS ids, find each by uuid, with pages of 1, 2
         * and the maximum, so paging with first-job-id is exercised. */
        static const size_t pages[] = {1, 2, 0};
        for (size_t k = 0; k < 3; k++) {
                for (int i = 0; i < 3; i++) {
                        char uuid[128];
                        snprintf(uuid, sizeof(uuid), "urn:uuid:%s", ids[i]);
                        struct drv_job_status j;
                        struct drv_errbuf err = {{0}};
                        int r = drv_printer_find_job(p, uuid, pages[k], &j, &err);
                        if (r < 0)
                                print_error("find_job: %s\n", err.msg);
                        assert_int_equal(r, 0);
                        assert_int_equal(j.id, cups_ids[i]);
                        assert_string_equal(j.uuid, uuid);
                }
        }
        char missing[128], mid[DRV_JOB_ID_TEXT_MAX];
        new_job_id(mid);
        snprintf(missing, sizeof(missing), "urn:uuid:%s", mid);
        struct drv_job_status j;
        assert_int_equal(drv_printer_find_job(p, missing, 2, &j, NULL), DRV_E_NOT_FOUND);
        for (int i = 0; i < 3; i++)
                wait_job(p, cups_ids[i], DRV_JOB_COMPLETED, 30);
        drv_printer_free(p);
}

/* Wait until the queue reports KEYWORD (any suffix) or ~timeout. */
static bool wait_reason(struct drv_printer *p, const char *queue, const char *keyword,
                        struct drv_printer_status *st, int timeout_s)
{
        for (int i = 0; i < timeout_s * 10; i++) {
                assert_int_equal(drv_printer_status(p, queue, st, NULL), 0);
                for (size_t k = 0; k < st->n_reasons; k++) {
                        char kw[DRV_REASON_KEYWORD_MAX];
                        drv_reason_strip(st->reasons[k], kw, sizeof(kw));
                        if (strcmp(kw, keyword) == 0)
                                return true;
                }
                sleep_ms(100);
        }
        return false;
}

static void paper_out_blocks_the_job_until_cleared(void **state)
{
        (void)state;
        static const char *const faults[] = {"media-empty", "media-jam"};
        struct drv_printer *p = cups_printer();
        for (size_t f = 0; f < 2; f++) {
                set_fault("pk3", faults[f]);
                char job_id[DRV_JOB_ID_TEXT_MAX];
                new_job_id(job_id);
                struct drv_print_spec s = photo_spec("pk3", job_id);
                int id = submit(p, &s);
                struct drv_printer_status *st = calloc(1, sizeof(*st));
                bool seen = wait_reason(p, "pk3", faults[f], st, 30);
                if (!seen)
                        print_error("pk3 never reported %s\n", faults[f]);
                assert_true(seen);

                const char *list[DRV_PRINTER_REASONS_MAX];
                for (size_t k = 0; k < st->n_reasons; k++)
                        list[k] = st->reasons[k];
                struct drv_reason_info info;
                assert_int_equal(drv_reasons_worst(list, st->n_reasons, s.media, &info), 0);
                assert_string_equal(info.keyword, faults[f]);
                assert_int_equal(info.severity, DRV_SEVERITY_ERROR);
                assert_string_equal(info.customer_key, DRV_CUSTOMER_ATTENTION);

                struct drv_job_status j;
                assert_int_equal(drv_printer_job_status(p, id, &j, NULL), 0);
                assert_true(j.state < DRV_JOB_CANCELED); /* not final while the fault holds */
                char why[DRV_REASON_KEYWORD_MAX];
                enum drv_job_verdict v = drv_job_verdict(&j, st, why);
                assert_int_equal(v, DRV_VERDICT_WAITING);
                assert_string_equal(why, faults[f]);

                set_fault("pk3", NULL); /* staff fixed it */
                j = wait_job(p, id, DRV_JOB_COMPLETED, 30);
                assert_int_equal(j.state, DRV_JOB_COMPLETED);
                free(st);
        }
        drv_printer_free(p);
}

static void printer_abort_is_canceled_in_cups_and_failed_for_us(void **state)
{
        (void)state;
        /* DESIGN.md: a job the printer aborted is not reported as aborted.
         * CUPS 2.4.2 reports it "canceled" ("Print job canceled at printer.")
         * with impressions counted; the queue keeps working. */
        struct drv_printer *p = cups_printer();
        set_fault("pk3", "abort");
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        struct drv_print_spec s = photo_spec("pk3", job_id);
        int id = submit(p, &s);
        struct drv_job_status j = wait_job(p, id, DRV_JOB_COMPLETED, 30);
        print_message("printer aborted job %d: CUPS job-state %s, impressions %d\n", id,
                      drv_job_state_name(j.state), j.impressions_completed);
        char why[DRV_REASON_KEYWORD_MAX];
        if (j.state == DRV_JOB_COMPLETED) {
                /* The other ending DESIGN.md warns of ("a job the printer aborted
                 * can still be reported completed"), seen here under load: CUPS
                 * cannot tell, so neither can we; staff confirm at handover.
                 * Check it really was the printer that aborted it. */
                char *logpath = pk_test_strdupf("%s/jobs.log", printer_dir("pk3"));
                char *log = pk_test_read_file(logpath, NULL);
                assert_non_null(log);
                assert_non_null(strstr(log, "state=aborted"));
                free(log);
                free(logpath);
        } else {
                assert_int_equal(j.state, DRV_JOB_CANCELED);
                assert_int_equal(drv_job_verdict(&j, NULL, why), DRV_VERDICT_FAILED);
                assert_string_equal(why, "canceled-at-printer");
        }
        struct drv_printer_status st;
        assert_int_equal(drv_printer_status(p, "pk3", &st, NULL), 0);
        if (st.state == DRV_PRINTER_STOPPED) {
                assert_int_equal(drv_job_verdict(&j, &st, NULL), DRV_VERDICT_FAILED);
                assert_int_equal(system("cupsenable pk3"), 0);
        }
        drv_printer_free(p);
}

static void cancel_ends_a_printing_job_and_is_refused_twice(void **state)
{
        (void)state;
        struct drv_printer *p = cups_printer();
        set_fault("pk4", "slow 8");
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        struct drv_print_spec s = photo_spec("pk4", job_id);
        int id = submit(p, &s);
        struct drv_job_status j = wait_job(p, id, DRV_JOB_PROCESSING, 20);
        assert_int_equal(j.state, DRV_JOB_PROCESSING);
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_printer_cancel(p, id, &err), 0);
        j = wait_job(p, id, DRV_JOB_CANCELED, 20);
        assert_int_equal(j.state, DRV_JOB_CANCELED);
        /* CUPS 2.4.2 race: cancelling a job the backend is sending ends with
         * job-canceled-by-user or, at times, only processing-to-stop-point
         * (as a printer abort does), so only the caller knows it cancelled. */
        enum drv_job_verdict v = drv_job_verdict(&j, NULL, NULL);
        print_message("cancelled job %d: reason %s, verdict %s\n", id,
                      j.n_reasons ? j.reasons[0] : "-", drv_job_verdict_name(v));
        assert_true(v == DRV_VERDICT_CANCELLED || v == DRV_VERDICT_FAILED);
        assert_int_equal(drv_printer_cancel(p, id, &err), DRV_E_REFUSED);
        assert_int_equal(drv_printer_cancel(p, 999999, &err), DRV_E_NOT_FOUND);
        set_fault("pk4", NULL);
        drv_printer_free(p);
}

static void stopped_queue_fails_the_job_and_rejecting_queue_refuses(void **state)
{
        (void)state;
        /* pk4 belongs to this file; restored on every path below. */
        struct drv_printer *p = cups_printer();
        assert_int_equal(system("cupsdisable -r kiosk-test pk4"), 0);
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        struct drv_print_spec s = photo_spec("pk4", job_id);
        struct drv_errbuf err = {{0}};
        int id = 0;
        int r = drv_printer_submit(p, &s, &id, &err);
        struct drv_printer_status st;
        int rs = drv_printer_status(p, "pk4", &st, NULL);
        struct drv_job_status j = {0};
        int rj = id > 0 ? drv_printer_job_status(p, id, &j, NULL) : -1;
        char why[DRV_REASON_KEYWORD_MAX] = "";
        enum drv_job_verdict v = drv_job_verdict(&j, &st, why);
        if (id > 0)
                drv_printer_cancel(p, id, NULL); /* else it prints on cupsenable */
        int ren = system("cupsenable pk4");

        assert_int_equal(system("cupsreject pk4"), 0);
        char job_id2[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id2);
        struct drv_print_spec s2 = photo_spec("pk4", job_id2);
        int id2 = 0;
        int r2 = drv_printer_submit(p, &s2, &id2, &err);
        struct drv_printer_status st2;
        int rs2 = drv_printer_status(p, "pk4", &st2, NULL);
        int racc = system("cupsaccept pk4");
        drv_printer_free(p);

        assert_int_equal(ren, 0);
        assert_int_equal(racc, 0);
        assert_int_equal(r, 0); /* a stopped queue still takes jobs */
        assert_int_equal(rs, 0);
        assert_int_equal(st.state, DRV_PRINTER_STOPPED);
        assert_string_equal(st.message, "kiosk-test");
        assert_int_equal(rj, 0);
        assert_int_equal(j.state, DRV_JOB_PENDING);
        assert_int_equal(v, DRV_VERDICT_FAILED);
        assert_string_equal(why, "paused");
        assert_int_equal(r2, DRV_E_REFUSED);
        assert_int_equal(id2, 0);
        assert_true(strlen(err.msg) > 0);
        assert_int_equal(rs2, 0);
        assert_false(st2.accepting);
}

static void bad_specs_are_refused_before_any_io(void **state)
{
        (void)state;
        /* Port 1 has no cupsd: any I/O would give DRV_E_UNAVAILABLE. */
        struct drv_printer *p = NULL;
        assert_int_equal(drv_printer_cups_new("127.0.0.1:1", &p, NULL), 0);
        char job_id[DRV_JOB_ID_TEXT_MAX];
        new_job_id(job_id);
        int id = 0;
        struct drv_print_spec s = photo_spec("pk1", job_id);
        s.copies = 0;
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_INVALID);
        s = photo_spec("pk1", "not-a-uuid");
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_INVALID);
        s = photo_spec("pk1", job_id);
        s.media = "nonsense";
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_INVALID);
        s = photo_spec("pk1", job_id);
        s.mime = "application/pdf";
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_INVALID);
        s = photo_spec("pk1/../x", job_id);
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_INVALID);
        s = photo_spec("pk1", job_id);
        s.path = "/nonexistent/photo.png";
        assert_int_equal(drv_printer_submit(p, &s, &id, NULL), DRV_E_NOT_FOUND);
        assert_int_equal(id, 0);
        struct drv_errbuf err = {{0}};
        struct drv_printer_status st;
        assert_int_equal(drv_printer_status(p, "pk1", &st, &err), DRV_E_UNAVAILABLE);
        assert_true(strlen(err.msg) > 0);
        drv_printer_free(p);
}

static void fault_double_fails_only_the_nth_call(void **state)
{
        (void)state;
        struct drv_printer *p = NULL;
        assert_int_equal(drv_printer_fault_new(cups_printer(), DRV_PRINTER_OP_SUBMIT, 2,
                                               DRV_E_UNAVAILABLE, false, &p, NULL),
                         0);
        int ids[3] = {0};
        int rs[3];
        for (int i = 0; i < 3; i++) {
                char job_id[DRV_JOB_ID_TEXT_MAX];
                new_job_id(job_id);
                struct drv_print_spec s = photo_spec("pk1", job_id);
                struct drv_errbuf err = {{0}};
                rs[i] = drv_printer_submit(p, &s, &ids[i], &err);
        }
        assert_int_equal(rs[0], 0);
        assert_int_equal(rs[1], DRV_E_UNAVAILABLE);
        assert_int_equal(ids[1], 0);
        assert_int_equal(rs[2], 0);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 3);
        /* Other operations pass through to the real driver. */
        struct drv_job_status j;
        assert_int_equal(drv_printer_job_status(p, ids[0], &j, NULL), 0);
        assert_int_equal(j.id, ids[0]);
        assert_string_equal(drv_printer_impl_name(p), "fault");
        wait_job(p, ids[0], DRV_JOB_COMPLETED, 30);
        wait_job(p, ids[2], DRV_JOB_COMPLETED, 30);
        drv_printer_free(p);

        /* Sticky: every status call from the 2nd on fails. */
        assert_int_equal(drv_printer_fault_new(cups_printer(), DRV_PRINTER_OP_STATUS, 2,
                                               DRV_E_TIMEOUT, true, &p, NULL),
                         0);
        struct drv_printer_status st;
        assert_int_equal(drv_printer_status(p, "pk1", &st, NULL), 0);
        assert_int_equal(drv_printer_status(p, "pk1", &st, NULL), DRV_E_TIMEOUT);
        assert_int_equal(drv_printer_status(p, "pk1", &st, NULL), DRV_E_TIMEOUT);
        drv_printer_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lists_every_queue_with_media_and_state),
                cmocka_unit_test(submitted_photo_prints_with_our_uuid_media_and_colour),
                cmocka_unit_test(tiff_is_accepted_and_completes),
                cmocka_unit_test(job_is_found_again_by_uuid_across_pages),
                cmocka_unit_test(paper_out_blocks_the_job_until_cleared),
                cmocka_unit_test(printer_abort_is_canceled_in_cups_and_failed_for_us),
                cmocka_unit_test(cancel_ends_a_printing_job_and_is_refused_twice),
                cmocka_unit_test(stopped_queue_fails_the_job_and_rejecting_queue_refuses),
                cmocka_unit_test(bad_specs_are_refused_before_any_io),
                cmocka_unit_test(fault_double_fails_only_the_nth_call),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
