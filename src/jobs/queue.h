/*
 * The persistent job queue (DESIGN.md §5): work on untrusted files is recorded as rows of the
 * jobs table and done by `sidang worker` processes, so it survives restarts and never runs in the
 * server. See docs/internals/jobs.md for the states, leases and backoff.
 *
 *   queued ──claim──▶ running ──complete──▶ done
 *     ▲                 │ │
 *     └──fail (retry)───┘ └──fail (last attempt, or permanent)──▶ failed
 *
 * A claim takes a lease (owner, until); the owner renews it with heartbeats. A running job whose
 * lease expired is claimed again by the next worker (its worker died). attempts counts claims, so
 * a job whose worker keeps dying ends failed too.
 */
#ifndef SIDANG_JOBS_QUEUE_H
#define SIDANG_JOBS_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "sidang_limits.h"
#include "store/db.h"
#include "util/status.h"

#define JOB_KIND_MAX 32
#define JOB_OWNER_MAX 128
/* Params and results handed back by jobs_get: a job's result is small JSON ({"ok": true}, page
 * counts); parsed text is stored elsewhere by the kinds that make it. */
#define JOB_JSON_MAX 4096

/* The kind queued for every new document version (jobs/kinds.c). */
#define JOB_KIND_VERIFY_BLOB "verify_blob"
/* Queued for every new PDF version: its text, per page, into the search index (kind_text.c). */
#define JOB_KIND_EXTRACT_TEXT "extract_text"
/* Queued by extract_text when pages are scans, and for every new image version (JPEG, PNG,
 * TIFF): OCR, a searchable PDF beside the original and the pages' text (kind_ocr.c). */
#define JOB_KIND_OCR "ocr"
/* Queued for every new PDF, JPEG, PNG and TIFF version, and by office_preview for an office file
 * once its PDF preview exists: the first page as a small PNG for lists (kind_thumb.c). */
#define JOB_KIND_THUMBNAIL "thumbnail"
/* Queued for every new office version (OOXML, ODF; the legacy binary formats end at once): the
 * text of its XML parts into the search index (kind_office.c). */
#define JOB_KIND_EXTRACT_OFFICE "extract_office"
/* Queued for every new office version: a PDF preview made by LibreOffice when it is installed
 * (kind_office.c). */
#define JOB_KIND_OFFICE_PREVIEW "office_preview"

struct job {
	int64_t id;
	char kind[JOB_KIND_MAX + 1];
	int64_t document_id; /* 0 when none */
	int64_t version;     /* 0 when none */
	char params[JOB_JSON_MAX + 1]; /* "" when none */
	char state[16];      /* queued, running, done, failed */
	int attempts;        /* claims so far */
	int max_attempts;
	int64_t run_after;
	char lease_owner[JOB_OWNER_MAX + 1];
	int64_t lease_until;
	int progress;        /* 0..100 */
	char error[LIMIT_WORKER_ERROR_BYTES + 1];
	int64_t created_at, started_at, finished_at; /* 0 when not yet */
	char result[JOB_JSON_MAX + 1];
};

/* Seconds before retry number ATTEMPT (1 after the first failure): 10 s, 60 s, 5 min, 30 min, then
 * 1 h. */
int64_t jobs_backoff_seconds(int attempt);

/* Queues a job of KIND for VERSION of DOCUMENT_ID with PARAMS (JSON text or NULL) and MAX_ATTEMPTS
 * (0: LIMIT_WORKER_MAX_ATTEMPTS). Idempotent: when the job exists already it is left as it is.
 * Runs inside the caller's transaction if one is open (documents.c enqueues in the transaction
 * that writes the version). *id_out (may be NULL) is the job's id. */
enum status jobs_enqueue(struct db_conn *c, const char *kind, int64_t document_id, int64_t version,
			 const char *params, int max_attempts, int64_t *id_out);

/* Claims the next job for OWNER with a lease of LEASE_SECONDS, in its own transaction: the
 * longest-due queued job, or a running job whose lease expired. Jobs whose worker died after
 * their last attempt are marked failed on the way. ST_NOT_FOUND when nothing is due. *out is the
 * claimed job (state running, attempts counted). */
enum status jobs_claim(struct db_conn *c, const char *owner, int lease_seconds, struct job *out);

/* Renews OWNER's lease on job ID for LEASE_SECONDS and records PROGRESS (-1: unchanged).
 * ST_CONFLICT when the lease was lost (it expired and another worker took the job). */
enum status jobs_heartbeat(struct db_conn *c, int64_t id, const char *owner, int progress,
			   int lease_seconds);
/* Marks job ID done with RESULT (JSON text). ST_CONFLICT when OWNER no longer holds it. */
enum status jobs_complete(struct db_conn *c, int64_t id, const char *owner, const char *result);
/* Records a failed attempt of job ID with ERROR (cut to LIMIT_WORKER_ERROR_BYTES): queued again
 * after jobs_backoff_seconds(attempts) while attempts remain and the failure is not PERMANENT,
 * failed otherwise. *final_out (may be NULL) is true when the job is now failed. ST_CONFLICT
 * when OWNER no longer holds it. */
enum status jobs_fail(struct db_conn *c, int64_t id, const char *owner, const char *error,
		      bool permanent, bool *final_out);
/* Gives job ID back to the queue without counting the attempt (a worker stopping). */
enum status jobs_release(struct db_conn *c, int64_t id, const char *owner);

/* Job ID. ST_NOT_FOUND when there is none. */
enum status jobs_get(struct db_conn *c, int64_t id, struct job *out);
/* Calls FN for each job of DOCUMENT_ID (at most LIMIT_LIST_PAGE, oldest first); stops at the
 * first non-OK status FN returns and returns it. */
enum status jobs_list_document(struct db_conn *c, int64_t document_id,
			       enum status (*fn)(void *ctx, const struct job *j), void *ctx);

#endif
