/* write_staff_pin PATH PIN: writes the Argon2id hash of PIN to PATH through
 * app_staff_pin_write_hash, so a kiosk-mode test (no --demo) has a staff PIN
 * that random taps cannot guess. A test helper, not a test. */
#include <stdio.h>

#include "app/staff_pin.h"

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: write_staff_pin PATH PIN\n");
                return 2;
        }
        return app_staff_pin_write_hash(argv[1], argv[2]) == 0 ? 0 : 1;
}
