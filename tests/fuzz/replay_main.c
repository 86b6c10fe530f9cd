/* Plain main for fuzz targets: replays every file given on the command line (or
 * every file in a directory) through LLVMFuzzerTestOneInput, so CTest checks the
 * corpus and every past finding without libFuzzer (libvips
 * fuzz/StandaloneFuzzTargetMain.c does the same). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rbe");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                return 1;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
        fclose(f);
        if (!buf)
                return 1;
        LLVMFuzzerTestOneInput(buf, got);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        int files = 0, bad = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) != 0) {
                        fprintf(stderr, "missing %s\n", argv[i]);
                        bad++;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        bad += run_file(argv[i]);
                        files++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                struct dirent *e;
                while (d && (e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        char p[4096];
                        snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
                        bad += run_file(p);
                        files++;
                }
                if (d)
                        closedir(d);
        }
        printf("replayed %d inputs, %d unreadable\n", files, bad);
        return bad ? 1 : 0;
}
