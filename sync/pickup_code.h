/* sync/pickup_code: the short code a customer reads out at the counter,
 * "K7Q-4RM": 6 characters from an alphabet without look-alikes (no 0 O 1 I L 5 S),
 * as 3-dash-3. 29^6 ≈ 5.9e8 codes; uniqueness is enforced by the store (UNIQUE
 * column, retry on collision), not here. */
#pragma once
#include <stdbool.h>

#define SYNC_PICKUP_CODE_SIZE 8 /* "XXX-XXX" + NUL */
#define SYNC_PICKUP_ALPHABET "2346789ABCDEFGHJKMNPQRTUVWXYZ"

/* A fresh random code (getrandom, unbiased). 0 or STORE_E_IO. */
int sync_pickup_code_new(char ret[SYNC_PICKUP_CODE_SIZE]);
/* True for exactly "XXX-XXX" in the alphabet, upper case. */
bool sync_pickup_code_valid(const char *code);
/* Normalise what staff typed: trims spaces, upper-cases, accepts the dash missing.
 * 0, or STORE_E_INVALID (wrong length or a character outside the alphabet). */
int sync_pickup_code_normalize(const char *in, char ret[SYNC_PICKUP_CODE_SIZE]);
