/* Fuzz target: the kiosk configuration parser (app/config.c). The bytes are
 * served from a memfd (the parser takes a path). Any file must load with every
 * problem reported, never crash or leak. Corpus: tests/fuzz/corpus/config/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t)size) {
                close(fd);
                return 0;
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        struct app_config cfg;
        struct app_config_report rep;
        int rc = app_config_load(path, &cfg, &rep);
        if (rc != 0 && rep.n_issues == 0)
                abort(); /* a refusal always says why */
        close(fd);
        return 0;
}
