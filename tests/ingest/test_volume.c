/* drivers/volume: mountinfo parsing (escapes, malformed lines, bounds), root
 * filtering, the live watcher announcing a tmpfs mounted and unmounted under a
 * test root, and the read-only mount helper on an ext4 loop image. The live
 * parts need CAP_SYS_ADMIN and loop devices: skipped (with a message) where
 * mounting is not possible. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/volume.h"
#include "tests/testutil.h"

static void parses_line_with_octal_escapes(void **state)
{
        const char *l = "36 35 8:17 / /media/kiosk/MY\\040STICK rw,nosuid,nodev master:1 - vfat "
                        "/dev/sdb1 rw,uid=1000";
        struct drv_volume_info v;
        assert_int_equal(drv_volume_parse_line(l, strlen(l), &v), 0);
        assert_string_equal(v.mount_point, "/media/kiosk/MY STICK");
        assert_string_equal(v.fstype, "vfat");
        assert_string_equal(v.device, "/dev/sdb1");
        assert_int_equal(v.major, 8);
        assert_int_equal(v.minor, 17);
        assert_false(v.read_only);
        const char *ro = "40 35 0:50 / /media/x ro,relatime - tmpfs none ro";
        assert_int_equal(drv_volume_parse_line(ro, strlen(ro), &v), 0);
        assert_true(v.read_only);
}

static void rejects_malformed_lines(void **state)
{
        struct drv_volume_info v;
        const char *bad[] = {
                "",
                "36 35 8:17 / /media/x rw",                       /* no separator */
                "36 35 817 / /media/x rw - vfat /dev/sdb1 rw",    /* no major:minor */
                "36 35 a:1 / /media/x rw - vfat /dev/sdb1 rw",    /* junk number */
                "36 35 8:1 / /media/x rw -",                      /* nothing after '-' */
                "36 35 8:1 / /media/\\000x rw - vfat /dev/sdb1 rw", /* NUL escape */
        };
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
                assert_int_equal(drv_volume_parse_line(bad[k], strlen(bad[k]), &v), DRV_E_INVALID);
        size_t n = DRV_VOLUME_LINE_MAX + 10;
        char *huge = malloc(n);
        memset(huge, 'a', n);
        assert_int_equal(drv_volume_parse_line(huge, n, &v), DRV_E_INVALID);
        free(huge);
}

static void filters_by_root(void **state)
{
        const char *roots[] = {"/media", "/run/media/"};
        assert_true(drv_volume_under_roots("/media/STICK", roots, 2));
        assert_true(drv_volume_under_roots("/run/media/kiosk/SD", roots, 2));
        assert_false(drv_volume_under_roots("/media", roots, 2));
        assert_false(drv_volume_under_roots("/mediax/a", roots, 2));
        assert_false(drv_volume_under_roots("/", roots, 2));
}

static void lists_volumes_from_a_table_file(void **state)
{
        char *dir = pk_test_mkdtemp("volume-list");
        char *p = pk_test_strdupf("%s/mountinfo", dir);
        const char *t = "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                        "36 1 8:17 / /media/A rw - vfat /dev/sdb1 rw\n"
                        "garbage line\n"
                        "37 1 8:33 / /media/B\\040C ro - exfat /dev/sdc1 ro\n"
                        "38 1 0:5 / /proc rw - proc proc rw";
        assert_int_equal(pk_test_write_file(p, t, strlen(t)), 0);
        const char *roots[] = {"/media"};
        struct drv_volume_info *v = NULL;
        size_t n = 0;
        assert_int_equal(drv_volume_list(p, roots, 1, &v, &n, NULL), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0].label, "A");
        assert_string_equal(v[1].label, "B C");
        assert_true(v[1].read_only);
        /* Without udev's by-uuid links the id is made from the device numbers. */
        assert_non_null(strstr(v[0].id, "8:17"));
        free(v);
        pk_test_rmtree(dir);
        free(p), free(dir);
}

struct events {
        pthread_mutex_t lock;
        int added, removed;
        char label[128];
};

static void on_event(void *user, enum drv_volume_event ev, const struct drv_volume_info *v)
{
        struct events *e = user;
        pthread_mutex_lock(&e->lock);
        if (ev == DRV_VOLUME_ADDED) {
                e->added++;
                snprintf(e->label, sizeof(e->label), "%s", v->label);
        } else {
                e->removed++;
        }
        pthread_mutex_unlock(&e->lock);
}

static bool wait_for(struct events *e, int *field, int want)
{
        for (int i = 0; i < 500; i++) { /* 5 s */
                pthread_mutex_lock(&e->lock);
                int v = *field;
                pthread_mutex_unlock(&e->lock);
                if (v >= want)
                        return true;
                usleep(10000);
        }
        return false;
}

static void watcher_announces_mount_and_unmount(void **state)
{
        char *root = pk_test_mkdtemp("volume-watch");
        char *mp = pk_test_strdupf("%s/MY STICK", root);
        assert_int_equal(mkdir(mp, 0755), 0);
        struct events e = {.lock = PTHREAD_MUTEX_INITIALIZER};
        const char *roots[] = {root};
        struct drv_volume_watch_opts o = {.roots = roots, .n_roots = 1, .on_event = on_event, .user = &e};
        struct drv_volume_watch *w = NULL;
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_volume_watch_start(&o, &w, &err), 0);
        if (mount("pktest", mp, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
                fprintf(stderr, "# skip live watch: cannot mount tmpfs here: %s\n", strerror(errno));
        } else {
                assert_true(wait_for(&e, &e.added, 1));
                assert_string_equal(e.label, "MY STICK");
                assert_int_equal(umount2(mp, MNT_DETACH), 0);
                assert_true(wait_for(&e, &e.removed, 1));
        }
        w = drv_volume_watch_free(w);
        assert_null(w);
        pk_test_rmtree(root);
        free(mp), free(root);
}

static void mount_ro_mounts_read_only_or_refuses(void **state)
{
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_volume_mount_ro("/tmp/x", "vfat", "/tmp", 0, 0, &err), DRV_E_INVALID);
        assert_int_equal(drv_volume_mount_ro("/dev/null", "tmpfs", "/tmp", 0, 0, &err), DRV_E_INVALID);
        char *dir = pk_test_mkdtemp("volume-mount");
        char *cmd = pk_test_strdupf("truncate -s 8M '%s/img' && mkfs.ext4 -q -L PKVOL '%s/img' && "
                                    "losetup -f --show '%s/img' > '%s/dev' 2>/dev/null",
                                    dir, dir, dir, dir);
        int r = system(cmd);
        free(cmd);
        char *devf = pk_test_strdupf("%s/dev", dir);
        char *dev = r == 0 ? pk_test_read_file(devf, NULL) : NULL;
        if (!dev || strncmp(dev, "/dev/loop", 9) != 0) {
                fprintf(stderr, "# skip mount_ro: no loop device here\n");
        } else {
                dev[strcspn(dev, "\n")] = '\0';
                char *mp = pk_test_strdupf("%s/mnt", dir);
                assert_int_equal(mkdir(mp, 0755), 0);
                int mr = drv_volume_mount_ro(dev, "ext4", mp, 0, 0, &err);
                assert_int_equal(mr, 0);
                char *f = pk_test_strdupf("%s/new", mp);
                int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                int e = errno;
                assert_true(fd < 0);
                assert_int_equal(e, EROFS);
                assert_int_equal(drv_volume_unmount(mp, &err), 0);
                free(f), free(mp);
                cmd = pk_test_strdupf("losetup -d '%s'", dev);
                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
        free(dev), free(devf);
        pk_test_rmtree(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parses_line_with_octal_escapes),
                cmocka_unit_test(rejects_malformed_lines),
                cmocka_unit_test(filters_by_root),
                cmocka_unit_test(lists_volumes_from_a_table_file),
                cmocka_unit_test(watcher_announces_mount_and_unmount),
                cmocka_unit_test(mount_ro_mounts_read_only_or_refuses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
