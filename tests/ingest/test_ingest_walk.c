/* The safe walk on a nasty volume: counts per skip reason match the
 * generator's manifest, nothing outside the root is reached, limits (depth,
 * files) hold, app_walk_open never follows links or opens special files, a
 * root deleted mid-walk reports DRV_E_GONE. Display names are sanitised. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/ingest_walk.h"
#include "app/name_sanitise.h"
#include "ingest_test_util.h"
#include "tests/testutil.h"

static char *tmp, *vol;

struct tally {
        size_t files, seen, skip[_APP_SKIP_MAX];
        size_t outside, bad_names, deep_found;
        const char *root;
        int delete_after; /* delete the root after this many files (0: never) */
};

static int cb_file(void *u, const struct app_walk_file *f)
{
        struct tally *t = u;
        t->files++;
        char *p = pk_test_strdupf("%s/%s", t->root, f->rel);
        if (!ingest_test_inside(t->root, p))
                t->outside++;
        free(p);
        char name[128];
        size_t n = app_name_sanitise(f->name, f->name_len, name, sizeof(name));
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                        t->bad_names++;
        if (name[0] == '-')
                t->bad_names++;
        if (strstr(f->rel, "deep.jpg"))
                t->deep_found++;
        if (t->delete_after && t->files == (size_t)t->delete_after)
                pk_test_rmtree(t->root);
        return 0;
}
static void cb_skip(void *u, enum app_ingest_skip r)
{
        ((struct tally *)u)->skip[r]++;
}
static void cb_seen(void *u)
{
        ((struct tally *)u)->seen++;
}

static int walk(const char *root, unsigned depth, unsigned files, struct tally *t)
{
        t->root = root;
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct app_walk_opts o = {.max_depth = depth, .max_files = files, .max_file_bytes = 100000000};
        struct app_walk_cb cb = {.on_file = cb_file, .on_skip = cb_skip, .on_seen = cb_seen, .user = t};
        struct drv_errbuf err = {{0}};
        int r = app_walk(fd, &o, &cb, &err);
        close(fd);
        return r;
}

static void walk_counts_every_skip_reason_and_stays_inside(void **state)
{
        struct tally t = {0};
        assert_int_equal(walk(vol, 32, 20000, &t), 0);
        assert_int_equal(t.files, ingest_test_manifest(vol, "photos_extension"));
        assert_int_equal(t.skip[APP_SKIP_SYMLINK], ingest_test_manifest(vol, "symlink"));
        assert_int_equal(t.skip[APP_SKIP_SPECIAL], ingest_test_manifest(vol, "special"));
        assert_int_equal(t.skip[APP_SKIP_HIDDEN], ingest_test_manifest(vol, "hidden"));
        assert_int_equal(t.skip[APP_SKIP_NOT_IMAGE], ingest_test_manifest(vol, "not_image"));
        assert_int_equal(t.skip[APP_SKIP_TOO_DEEP], 0);
        assert_int_equal(t.skip[APP_SKIP_LIMIT], 0);
        assert_int_equal(t.outside, 0);
        assert_int_equal(t.bad_names, 0);
        assert_int_equal(t.deep_found, 1);
}

static void walk_honours_depth_limit(void **state)
{
        struct tally t = {0};
        long deep = ingest_test_manifest(vol, "deep_depth");
        assert_int_equal(walk(vol, (unsigned)deep - 1, 20000, &t), 0);
        assert_int_equal(t.deep_found, 0);
        assert_true(t.skip[APP_SKIP_TOO_DEEP] >= 1);
}

static void walk_honours_file_limit(void **state)
{
        struct tally t = {0};
        assert_int_equal(walk(vol, 32, 100, &t), 0);
        assert_true(t.seen <= 100);
        assert_true(t.files <= 100);
        assert_true(t.skip[APP_SKIP_LIMIT] >= 1);
        /* Every regular file is either seen or counted as over the limit. */
        long all = ingest_test_manifest(vol, "photos_extension") + ingest_test_manifest(vol, "not_image");
        assert_int_equal(t.seen + t.skip[APP_SKIP_LIMIT], all);
}

static void open_never_follows_links_or_opens_fifos(void **state)
{
        int root = open(vol, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(root >= 0);
        assert_int_equal(app_walk_open(root, "passwd.jpg"), -ELOOP);
        assert_int_equal(app_walk_open(root, "DCIM/odd/escape.jpg"), -ELOOP);
        assert_int_equal(app_walk_open(root, "DCIM/loop/odd/-rf.jpg"), -ENOTDIR);
        assert_int_equal(app_walk_open(root, "etc-link/passwd"), -ENOTDIR);
        assert_int_equal(app_walk_open(root, "../vol/notes.txt"), -EINVAL);
        assert_int_equal(app_walk_open(root, "DCIM//odd/-rf.jpg"), -EINVAL);
        assert_int_equal(app_walk_open(root, "/etc/passwd"), -EINVAL);
        assert_int_equal(app_walk_open(root, "DCIM/odd/pipe.jpg"), -EINVAL);
        int fd = app_walk_open(root, "DCIM/odd/-rf.jpg");
        assert_true(fd >= 0);
        close(fd);
        close(root);
}

static void root_deleted_mid_walk_reports_gone(void **state)
{
        char *copy = pk_test_strdupf("%s/gone", tmp);
        char *cmd = pk_test_strdupf("cp -a '%s' '%s'", vol, copy);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct tally t = {.delete_after = 50};
        assert_int_equal(walk(copy, 32, 20000, &t), DRV_E_GONE);
        assert_true(t.files < (size_t)ingest_test_manifest(vol, "photos_extension"));
        free(copy);
}

static void sanitise_keeps_names_safe(void **state)
{
        char out[64];
        assert_true(app_name_sanitise("-rf.jpg", 7, out, sizeof(out)) > 0);
        assert_int_equal(out[0], '_');
        app_name_sanitise("a\x1b[31mb", 7, out, sizeof(out));
        assert_null(strchr(out, 0x1b));
        app_name_sanitise("bad\xff.jpg", 8, out, sizeof(out));
        assert_non_null(strstr(out, "\xef\xbf\xbd"));
        char longname[300];
        memset(longname, 0xc3, sizeof(longname));
        for (size_t i = 1; i < sizeof(longname); i += 2)
                longname[i] = (char)0xa9; /* "é" repeated */
        size_t n = app_name_sanitise(longname, sizeof(longname), out, sizeof(out));
        assert_true(n < sizeof(out));
        assert_int_equal(n % 2, 0); /* never cut inside a character */
        assert_int_equal(app_name_sanitise("", 0, out, sizeof(out)), 1);
}

int main(void)
{
        tmp = pk_test_mkdtemp("ingest-walk");
        vol = ingest_test_make_volume(tmp, 2000);
        if (!vol) {
                fprintf(stderr, "make-nasty-volume.sh failed\n");
                return 1;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(walk_counts_every_skip_reason_and_stays_inside),
                cmocka_unit_test(walk_honours_depth_limit),
                cmocka_unit_test(walk_honours_file_limit),
                cmocka_unit_test(open_never_follows_links_or_opens_fifos),
                cmocka_unit_test(root_deleted_mid_walk_reports_gone),
                cmocka_unit_test(sanitise_keeps_names_safe),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        pk_test_rmtree(tmp);
        free(vol);
        free(tmp);
        return r;
}
