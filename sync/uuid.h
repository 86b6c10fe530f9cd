/* sync/uuid: random (version 4) UUIDs from getrandom(2), for order, item, print
 * job and event ids. Canonical lowercase text form, 36 characters. */
#pragma once
#include <stdbool.h>

#define SYNC_UUID_SIZE 37 /* 36 characters + NUL */

/* Fill ret with a fresh UUIDv4. Returns 0, or STORE_E_IO when the kernel's
 * random source fails (never falls back to a weaker source). */
int sync_uuid_v4(char ret[SYNC_UUID_SIZE]);
/* True for the canonical lowercase 8-4-4-4-12 form (any version). */
bool sync_uuid_valid(const char *s);
