/*
 * The content-addressed blob store: every document version is an immutable file named by the
 * SHA-256 of its contents (DESIGN.md §4, §6). Layout under the store directory DIR:
 *
 *   DIR/tmp/<32 hex>    an upload in progress (mode 0600, flock'ed by its writer)
 *   DIR/ab/cdef...      a finished blob: the first two hex digits of its hash name the
 *                       subdirectory, the other 62 the file (mode 0444)
 *
 * A blob becomes visible under its address only after its bytes are fsynced, and by one atomic
 * link, so a reader never sees half a blob; see docs/internals/blob.md for the crash analysis.
 *
 * Thread-safety: the store holds no mutable state after blob_store_open, so any number of threads
 * may write, read and remove at once; one writer belongs to one thread at a time.
 */
#ifndef SIDANG_STORE_BLOB_H
#define SIDANG_STORE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/* How much of the start of a blob a writer keeps in memory, for file-type detection (libmagic
 * looks at far less than this). */
#define BLOB_HEAD_BYTES (64 * 1024)

struct blob_store;
struct blob_writer;

/* Opens the store at DIR, creating DIR and DIR/tmp (mode 0700) if needed, and removes every
 * leftover in DIR/tmp (writes interrupted by a crash). A temp file still being written by a live
 * writer (of this or another process sharing DIR) is left alone: its writer holds a lock on it.
 * *swept_out (may be NULL) counts the removed files. *out on success; free with blob_store_free. */
enum status blob_store_open(const char *dir, struct blob_store **out, int *swept_out);
void blob_store_free(struct blob_store *bs);

/* Starts a write of at most MAX_BYTES bytes into a new temp file. *out on success. */
enum status blob_writer_begin(struct blob_store *bs, uint64_t max_bytes, struct blob_writer **out);
/* Appends N bytes of P, hashing them. ST_TOO_LARGE once the total would pass MAX_BYTES (nothing
 * of this call is written); ST_NOSPACE on ENOSPC/EDQUOT/EFBIG; ST_IO otherwise. Any error is
 * final: the temp file is removed at once (freeing its space) and every later write or commit
 * returns the same status; the caller still calls blob_writer_abort or blob_writer_commit. */
enum status blob_writer_write(struct blob_writer *w, const void *p, size_t n);
/* The first bytes written (up to BLOB_HEAD_BYTES), for libmagic. *len_out is their count. */
const unsigned char *blob_writer_head(const struct blob_writer *w, size_t *len_out);
/* Bytes written so far. */
uint64_t blob_writer_size(const struct blob_writer *w);
/* Makes the blob durable: fsyncs the temp file, links it to its address (if a blob with that hash
 * exists already the temp file is just removed: the contents are equal by hash), fsyncs the
 * subdirectory and DIR. SHA_OUT gets 64 hex digits and a NUL, *size_out (may be NULL) the size.
 * The writer is freed whatever the result; on failure nothing is left in DIR/tmp. */
enum status blob_writer_commit(struct blob_writer *w, char sha_out[65], uint64_t *size_out);
/* Abandons the write: removes the temp file and frees the writer. NULL is fine. */
void blob_writer_abort(struct blob_writer *w);

/* Opens blob SHA for reading after re-checking its hash by reading it whole. ST_INVALID if SHA is
 * not 64 lowercase hex digits, ST_NOT_FOUND if absent, ST_CORRUPT if the contents no longer match
 * (logged). *fd_out is positioned at 0 and owned by the caller; *size_out (may be NULL). */
enum status blob_open_verified(struct blob_store *bs, const char *sha, int *fd_out, uint64_t *size_out);
/* True if blob SHA is stored (false for an invalid SHA). Does not read the contents. */
bool blob_exists(struct blob_store *bs, const char *sha);
/* Size and last modification time (Unix seconds) of blob SHA. The time is refreshed whenever a
 * commit finds the blob already stored, so a sweep of unreferenced blobs can spare recent ones
 * (see docs/internals/blob.md, "Removing blobs"). Either output may be NULL. */
enum status blob_stat(struct blob_store *bs, const char *sha, uint64_t *size_out, int64_t *mtime_out);
/* Removes blob SHA (used to sweep blobs that no database row references). ST_NOT_FOUND if absent. */
enum status blob_remove(struct blob_store *bs, const char *sha);
/* Calls FN for every stored blob's hash, in no particular order; stops at and returns the first
 * non-OK status. FN may remove the blob it is given. */
enum status blob_foreach(struct blob_store *bs, enum status (*fn)(void *ctx, const char *sha), void *ctx);
/* Number of files currently in DIR/tmp (tests use it to show nothing was left); -1 on error. */
int blob_tmp_count(struct blob_store *bs);

#endif
