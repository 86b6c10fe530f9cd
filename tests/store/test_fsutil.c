/* Durable file helpers: atomic replace, content-addressed spool files, no
 * symlink following, no temporary files left behind, mkdir -p. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sync/fsutil.h"
#include "tests/testutil.h"

static int count_temp_files(const char *dir)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
                if (strncmp(e->d_name, ".tmp-", 5) == 0)
                        n++;
        closedir(d);
        return n;
}

static void write_atomic_replaces_whole_file(void **state)
{
        char *dir = pk_test_mkdtemp("fs");
        struct store_errbuf err = { "" };
        assert_int_equal(sync_fs_write_atomic(dir, "state.json", "{\"a\":1}", 7, 0600, &err), 0);
        assert_int_equal(sync_fs_write_atomic(dir, "state.json", "{\"a\":22}", 8, 0600, &err), 0);
        char *p = pk_test_strdupf("%s/state.json", dir);
        size_t len = 0;
        char *got = pk_test_read_file(p, &len);
        assert_int_equal(len, 8);
        assert_memory_equal(got, "{\"a\":22}", 8);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(count_temp_files(dir), 0);
        assert_int_equal(sync_fs_write_atomic(dir, "../escape", "x", 1, 0600, &err), STORE_E_INVALID);
        assert_int_equal(sync_fs_write_atomic(dir, "", "x", 1, 0600, &err), STORE_E_INVALID);
        assert_int_equal(sync_fs_write_atomic("/nonexistent-pk", "a", "x", 1, 0600, &err), STORE_E_IO);
        free(got);
        free(p);
        pk_test_rmtree(dir);
        free(dir);
}

static void store_by_hash_names_file_by_content(void **state)
{
        char *dir = pk_test_mkdtemp("fs");
        struct store_errbuf err = { "" };
        char sha[65], sha2[65];
        char *path = NULL, *path2 = NULL;
        /* SHA-256("abc") */
        assert_int_equal(sync_fs_store_buffer(dir, "abc", 3, ".jpg", sha, &path, &err), 0);
        assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        char *want = pk_test_strdupf("%s/%s.jpg", dir, sha);
        assert_string_equal(path, want);
        /* the same bytes from a file: same name, kept once */
        char *src = pk_test_strdupf("%s/src.bin", dir);
        assert_int_equal(pk_test_write_file(src, "abc", 3), 0);
        int64_t size = 0;
        assert_int_equal(sync_fs_store_file(dir, src, ".jpg", sha2, &path2, &size, &err), 0);
        assert_string_equal(sha2, sha);
        assert_string_equal(path2, path);
        assert_int_equal(size, 3);
        char sha3[65];
        assert_int_equal(sync_fs_sha256_file(path, sha3, &size, &err), 0);
        assert_string_equal(sha3, sha);
        assert_int_equal(count_temp_files(dir), 0);
        assert_int_equal(sync_fs_store_buffer(dir, "abc", 3, "/../x", sha, NULL, &err), STORE_E_INVALID);
        free(want);
        free(src);
        free(path);
        free(path2);
        pk_test_rmtree(dir);
        free(dir);
}

static void symlinks_are_never_followed(void **state)
{
        char *dir = pk_test_mkdtemp("fs");
        char *victim = pk_test_strdupf("%s/victim", dir);
        assert_int_equal(pk_test_write_file(victim, "keep", 4), 0);
        struct store_errbuf err = { "" };
        /* a symlink planted at the final name is replaced, the target untouched */
        char sha[65];
        assert_int_equal(sync_fs_store_buffer(dir, "abc", 3, "", sha, NULL, &err), 0);
        char *final = pk_test_strdupf("%s/%s", dir, sha);
        unlink(final);
        assert_int_equal(symlink(victim, final), 0);
        assert_int_equal(sync_fs_store_buffer(dir, "abc", 3, "", sha, NULL, &err), 0);
        struct stat st;
        assert_int_equal(lstat(final, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        size_t len = 0;
        char *v = pk_test_read_file(victim, &len);
        assert_int_equal(len, 4);
        assert_memory_equal(v, "keep", 4);
        free(v);
        /* a symlinked source is refused */
        char *link = pk_test_strdupf("%s/link", dir);
        assert_int_equal(symlink(victim, link), 0);
        assert_int_equal(sync_fs_store_file(dir, link, "", sha, NULL, NULL, &err), STORE_E_IO);
        assert_int_equal(count_temp_files(dir), 0);
        free(link);
        free(final);
        free(victim);
        pk_test_rmtree(dir);
        free(dir);
}

static void mkdir_p_creates_every_level(void **state)
{
        char *dir = pk_test_mkdtemp("fs");
        char *deep = pk_test_strdupf("%s/spool/photos/2026", dir);
        assert_int_equal(sync_fs_mkdir_p(deep, 0700, NULL), 0);
        assert_int_equal(sync_fs_mkdir_p(deep, 0700, NULL), 0);
        struct stat st;
        assert_int_equal(stat(deep, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        char *file = pk_test_strdupf("%s/f", dir);
        assert_int_equal(pk_test_write_file(file, "x", 1), 0);
        char *under = pk_test_strdupf("%s/f/g", dir);
        assert_int_not_equal(sync_fs_mkdir_p(under, 0700, NULL), 0);
        free(under);
        free(file);
        free(deep);
        pk_test_rmtree(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(write_atomic_replaces_whole_file),
                cmocka_unit_test(store_by_hash_names_file_by_content),
                cmocka_unit_test(symlinks_are_never_followed),
                cmocka_unit_test(mkdir_p_creates_every_level),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
