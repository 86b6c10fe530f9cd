/* Helpers for the ingest tests (see ingest_test_util.h). */
#include "ingest_test_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

char *ingest_test_make_volume(const char *dir, int n)
{
        char *vol = pk_test_strdupf("%s/vol", dir);
        char *cmd = pk_test_strdupf("bash '%s/tests/ingest/make-nasty-volume.sh' '%s' %d >/dev/null",
                                    pk_test_source_dir(), vol, n);
        int r = system(cmd);
        free(cmd);
        if (r != 0) {
                free(vol);
                return NULL;
        }
        return vol;
}

long ingest_test_manifest(const char *vol, const char *key)
{
        char *p = pk_test_strdupf("%s.manifest", vol);
        char *text = pk_test_read_file(p, NULL);
        free(p);
        if (!text)
                return -1;
        long v = -1;
        size_t klen = strlen(key);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                if (strncmp(line, key, klen) == 0 && line[klen] == '=')
                        v = strtol(line + klen + 1, NULL, 10);
        free(text);
        return v;
}

int ingest_test_inside(const char *root, const char *path)
{
        char a[PATH_MAX], b[PATH_MAX];
        if (!realpath(root, a) || !realpath(path, b))
                return 0;
        size_t n = strlen(a);
        return strncmp(a, b, n) == 0 && (b[n] == '/' || b[n] == '\0');
}

int ingest_test_count_entries(const char *dir, const char *prefix)
{
        DIR *d = opendir(dir);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                        n++;
        closedir(d);
        return n;
}

char *ingest_test_session_folder(const char *sessions)
{
        DIR *d = opendir(sessions);
        if (!d)
                return NULL;
        char *r = NULL;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "s-", 2) == 0 && !r)
                        r = pk_test_strdupf("%s/%s", sessions, de->d_name);
        closedir(d);
        return r;
}
