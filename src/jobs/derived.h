/*
 * Files the workers derive from a document version (a searchable PDF, a thumbnail, an office
 * file's PDF preview), stored as blobs of their own beside the untouched original and listed in
 * the table derived_files (private to src/jobs; read by the API through domain/documents.h).
 *
 * A derived file streams from the sandboxed child through the data pipe into a blob writer
 * (derived_sink); once the child has succeeded it is committed (fsync, rename, fsync) and then
 * recorded in the caller's transaction (derived_record) — the same order as an upload.
 */
#ifndef SIDANG_JOBS_DERIVED_H
#define SIDANG_JOBS_DERIVED_H

#include "jobs/kinds.h"
#include "store/blob.h"

/* Kinds of derived file (the CHECK of derived_files). */
#define DERIVED_SEARCHABLE_PDF "searchable_pdf"
#define DERIVED_THUMBNAIL "thumbnail"
#define DERIVED_PREVIEW_PDF "preview_pdf"

struct derived_sink {
	struct blob_store *bs;
	uint64_t max_bytes;
	struct blob_writer *w; /* begun with the first byte: no temp file while a child only reads */
	enum status st;        /* the first write error, ST_OK while all is well */
};

/* Starts a sink of at most MAX_BYTES into the worker's blob store (its temp file is made when
 * the first bytes arrive). */
enum status derived_sink_begin(struct job_ctx *x, struct derived_sink *s, uint64_t max_bytes);
/* The sandbox_hooks sink: appends to the blob; false (and S->st set) on error. */
bool derived_sink_write(void *s, const void *p, size_t n);
/* Bytes received so far. */
uint64_t derived_sink_size(const struct derived_sink *s);
/* Makes the blob durable; SHA_OUT gets its hash, *size_out its size. Frees the writer. */
enum status derived_sink_commit(struct derived_sink *s, char sha_out[65], uint64_t *size_out);
/* Abandons the blob (NULL writer is fine). */
void derived_sink_abort(struct derived_sink *s);

/* Records blob SHA (SIZE bytes, MIME) as the KIND of version VERSION of document DOCUMENT_ID,
 * replacing an earlier one, inside the caller's transaction. */
enum status derived_record(struct db_conn *c, int64_t document_id, int64_t version,
			   const char *kind, const char *sha, uint64_t size, const char *mime);

#endif
