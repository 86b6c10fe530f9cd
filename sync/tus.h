/* sync/tus: the kiosk's tus 1.0 resumable upload client (core, creation,
 * checksum) for one asset, per the contract's "Assets" section.
 *
 * POST with Upload-Length + Upload-Metadata (sha256, kind, content-type; never a
 * file name) -> 201 Location (persisted through the hooks before the first
 * byte goes, so a killed process resumes with HEAD) or 200 "already held" (no
 * byte sent). PATCH chunks carry Upload-Checksum sha256 of the chunk. Recovery:
 * 409 -> HEAD and resume from the server's offset; 460 checksum-mismatch ->
 * resend the chunk; 404/410 -> new upload; 460 file-checksum-mismatch -> re-hash
 * the file and start a new upload (a file whose hash changed is permanent).
 * Invariants: every loop is bounded; the file is read with pread, never fully in
 * memory; errors carry no file names. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/http.h"

#define SYNC_TUS_DEFAULT_CHUNK (1024 * 1024)
#define SYNC_TUS_MAX_CHUNK (8 * 1024 * 1024)  /* pk-central's default --max-chunk */

struct sync_tus_asset {
        const char *path;          /* durable spool file */
        const char *sha256;        /* lowercase hex, what the server checks */
        int64_t size;
        const char *kind;          /* "photo" | "master" */
        const char *content_type;  /* "image/jpeg" */
};

/* Where the upload URL of an unfinished upload lives (the kv table), so a new
 * process resumes it. load: 0 and the URL, or non-zero for none. save(NULL)
 * forgets it. */
struct sync_tus_hooks {
        int (*load_url)(void *ud, const char *sha256, char *out, size_t outsz);
        int (*save_url)(void *ud, const char *sha256, const char *url);
        void *ud;
};

struct sync_tus_stats {
        int64_t bytes_sent;        /* PATCH bodies put on the wire */
        int64_t requests;
};

/* Upload (or learn the id of) one asset. Returns 0 with ret_asset_id (128
 * bytes) filled; otherwise out says what to do (SYNC_RETRY / SYNC_DEAD).
 * chunk 0 = SYNC_TUS_DEFAULT_CHUNK. stats may be NULL (added to, not reset). */
int sync_tus_upload(struct sync_http *h, const struct sync_tus_asset *a, size_t chunk,
                    const struct sync_tus_hooks *hooks, char ret_asset_id[128],
                    struct sync_tus_stats *stats, struct sync_outcome *out);
