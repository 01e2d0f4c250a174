/*
 * The job kinds (private to src/jobs). A kind's handler runs in the worker; anything that parses
 * a document's bytes does so through job_sandbox, never in the worker itself. To add a kind
 * (PDF text, OCR, thumbnails): write its handler and child function in a file of its own and add
 * a row to the table in kinds.c.
 */
#ifndef SIDANG_JOBS_KINDS_H
#define SIDANG_JOBS_KINDS_H

#include <stdint.h>

#include "jobs/queue.h"
#include "jobs/sandbox.h"
#include "jobs/worker.h"
#include "util/buf.h"

/* A job being run. */
struct job_ctx {
	const struct worker_config *cfg;
	struct db_conn *c;
	const struct job *job;
	int64_t last_beat_ms;
	int last_progress;
	bool lost; /* the lease was taken over: the outcome is not ours to record */
};

enum job_outcome {
	JOB_DONE,      /* RESULT holds the JSON result */
	JOB_RETRY,     /* ERROR says why; tried again after a backoff while attempts remain */
	JOB_PERMANENT, /* ERROR says why; retrying cannot help */
	JOB_ABORTED,   /* the worker is stopping or lost the lease */
};

struct job_kind {
	const char *name;
	bool test_only; /* runs only when SIDANG_TEST_JOBS=1 */
	enum job_outcome (*run)(struct job_ctx *x, struct buf *result, struct buf *error);
};

/* Opens the blob of the job's document version read-only as it is stored (not verified: that is
 * verify_blob's work). *fd_out gets the descriptor, *size_out (may be NULL) its recorded size,
 * SHA_OUT (may be NULL; SHA256_HEX bytes) its SHA-256 in hex. JOB_DONE on success, else the
 * outcome with ERROR set. */
enum job_outcome job_open_blob(struct job_ctx *x, int *fd_out, uint64_t *size_out, char *sha_out,
			       struct buf *error);

/* job_open_blob, and MIME_OUT (may be NULL; FILETYPE_MIME_MAX bytes) gets the version's type. */
enum job_outcome job_open_blob_mime(struct job_ctx *x, int *fd_out, uint64_t *size_out,
				    char *sha_out, char *mime_out, struct buf *error);

/* Opens blob SHA (SHA256_HEX bytes) of the worker's store read-only as it is stored; JOB_DONE
 * with *fd_out, else the outcome with ERROR set (a missing file is permanent). */
enum job_outcome job_open_sha(struct job_ctx *x, const char *sha, int *fd_out, struct buf *error);

/* extract_text (kind_text.c). */
enum job_outcome job_run_extract_text(struct job_ctx *x, struct buf *result, struct buf *error);
/* extract_text's child, for other kinds with a PDF to read (office_preview's preview): page
 * records (jobs/docread.h) of the PDF on io->in_fd. */
int job_child_pdf_text(const struct sandbox_io *io);
/* thumbnail (kind_thumb.c). */
enum job_outcome job_run_thumbnail(struct job_ctx *x, struct buf *result, struct buf *error);
/* extract_office and office_preview (kind_office.c). */
enum job_outcome job_run_extract_office(struct job_ctx *x, struct buf *result, struct buf *error);
enum job_outcome job_run_office_preview(struct job_ctx *x, struct buf *result, struct buf *error);
/* ocr (kind_ocr.c). */
enum job_outcome job_run_ocr(struct job_ctx *x, struct buf *result, struct buf *error);

/* The kind called NAME, or NULL. */
const struct job_kind *job_kind_find(const char *name);

/* Runs FN(ARG) in the sandbox with input IN_FD, renewing the lease and recording progress while it
 * runs. OUT gets the child's output. */
enum sandbox_result job_sandbox(struct job_ctx *x, int in_fd, sandbox_fn fn, const void *arg,
				struct buf *out, int *detail_out);

/* job_sandbox with LIMITS (NULL: the worker's) and HOOKS (may be NULL). */
enum sandbox_result job_sandbox_hooked(struct job_ctx *x, const struct sandbox_limits *limits,
				       const struct sandbox_hooks *hooks, int in_fd, sandbox_fn fn,
				       const void *arg, struct buf *out, int *detail_out);

/* For a kind that waits on something other than the sandbox (office_preview's LibreOffice):
 * renews the lease and records PROGRESS as the sandbox's tick does. False: stop now (the worker
 * is stopping or lost the lease). */
bool job_keepalive(struct job_ctx *x, int progress);

/* Runs the N TASKS at once (sandbox_run_many), renewing the lease with their mean progress. */
enum sandbox_result job_sandbox_many(struct job_ctx *x, const struct sandbox_limits *limits,
				     struct sandbox_task *tasks, size_t n, size_t *failed_out);

/* The outcome for a sandbox result other than SANDBOX_OK: a readable error in ERROR, including
 * the parser's own message for SANDBOX_FAILED. */
enum job_outcome job_sandbox_failure(enum sandbox_result r, int detail, const struct buf *out,
				     struct buf *error);

#endif
