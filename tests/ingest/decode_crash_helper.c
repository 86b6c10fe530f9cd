/* A stand-in for printkiosk-decode that dies on every request, as the real
 * helper would on a photo that crashes its decoder: the kiosk must show such
 * photos as "can't be read" and carry on (test_kiosk_ingest). */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
        char buf[256];
        /* Wait for the first request on the pool's socket (fd 3), then die. */
        (void)read(3, buf, sizeof(buf));
        abort();
}
