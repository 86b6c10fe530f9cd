/* Fuzz target: image/probe and image/thumb on arbitrary bytes.
 *
 * Each input is written to a file in a private temp dir (the probe works on
 * paths, like the kiosk's spool), then probed with and without TIFF trust and
 * thumbnailed into memory. Properties: no crash, no leak, no hang; a probe
 * that succeeds reports sizes within the limits; a thumbnail that succeeds is
 * non-empty RGB within the requested size. Limits are lowered (4 MP) so one
 * input can never take long. Seeds: tests/fuzz/corpus/probe
 * (tests/fuzz/make-seeds-probe.sh). */
#include "image/probe.h"
#include "image/thumb.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char input_path[256];

static void cleanup(void)
{
        if (input_path[0]) {
                unlink(input_path);
                char dir[256];
                snprintf(dir, sizeof(dir), "%s", input_path);
                char *slash = strrchr(dir, '/');
                if (slash) {
                        *slash = '\0';
                        rmdir(dir);
                }
        }
        img_shutdown();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        struct img_limits lim = *img_get_limits();
        lim.max_pixels = 4u * 1000 * 1000;
        lim.max_side = 8192;
        lim.max_file_bytes = 4u * 1000 * 1000;
        if (img_init("fuzz_probe", &lim) != 0)
                abort();
        const char *tmp = getenv("TMPDIR");
        char dir[200];
        snprintf(dir, sizeof(dir), "%s/pk-fuzz-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        snprintf(input_path, sizeof(input_path), "%s/input", dir);
        atexit(cleanup);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = open(input_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        size_t off = 0;
        while (off < size) {
                ssize_t w = write(fd, data + off, size - off);
                if (w <= 0)
                        abort();
                off += (size_t)w;
        }
        close(fd);

        const struct img_limits *lim = img_get_limits();
        for (unsigned flags = 0; flags <= IMG_PROBE_ALLOW_TIFF; flags++) {
                struct img_probe p;
                struct img_errbuf eb;
                int rc = img_probe_file(input_path, flags, &p, &eb);
                if (rc == 0 && (p.width <= 0 || p.height <= 0 || (uint64_t)p.width > lim->max_side ||
                                (uint64_t)p.height > lim->max_side ||
                                (uint64_t)p.width * (uint64_t)p.height > lim->max_pixels ||
                                p.orientation < 1 || p.orientation > 8))
                        abort();
                if (rc != 0 && (rc >= 0 || rc <= _IMG_E_MIN))
                        abort();
        }
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 64;
        struct img_pixels px = {0};
        if (img_thumb_to_pixels(input_path, &spec, &px, NULL, NULL) == 0) {
                if (!px.data || px.width <= 0 || px.height <= 0 || px.width > 64 || px.height > 64)
                        abort();
                img_pixels_free(&px);
        }
        return 0;
}
