/*
 * The job queue on SQLite. A claim is one BEGIN IMMEDIATE transaction: SQLite has one writer at a
 * time, so two workers never pick the same row, and a worker waiting for the lock waits at most
 * the busy timeout (a claim holds the lock for a few statements only).
 *
 * PostgreSQL (DESIGN.md §7) has concurrent writers, so its backend claims with
 *
 *   UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, ...
 *    WHERE id = (SELECT id FROM jobs
 *                 WHERE (state = 'queued' AND run_after <= $1)
 *                    OR (state = 'running' AND lease_until < $1)
 *                 ORDER BY run_after, id LIMIT 1
 *                 FOR UPDATE SKIP LOCKED)
 *   RETURNING ...
 *
 * in a READ COMMITTED transaction: FOR UPDATE locks the row it picks, and SKIP LOCKED makes a
 * concurrent claim pass over rows another worker is taking instead of waiting for it, so workers
 * on many machines claim different jobs without queueing behind each other. SQL_JOB_TAKE repeats
 * the pick's condition in its WHERE for the same reason: the update takes nothing that changed.
 */
#include "jobs/queue.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/utf8.h"

static void copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int64_t jobs_backoff_seconds(int attempt)
{
	static const int64_t steps[] = {10, 60, 5 * 60, 30 * 60, 60 * 60};
	const int n = (int)(sizeof steps / sizeof steps[0]);
	if (attempt < 1)
		attempt = 1;
	return steps[attempt > n ? n - 1 : attempt - 1];
}

enum status jobs_enqueue(struct db_conn *c, const char *kind, int64_t document_id, int64_t version,
			 const char *params, int max_attempts, int64_t *id_out)
{
	if (id_out)
		*id_out = 0;
	if (!kind || !kind[0] || strlen(kind) > JOB_KIND_MAX)
		return ST_INVALID;
	if (max_attempts <= 0)
		max_attempts = LIMIT_WORKER_MAX_ATTEMPTS;
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_JOB_ENQUEUE, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, kind);
	if (document_id > 0)
		db_bind_int(s, 2, document_id);
	else
		db_bind_null(s, 2);
	if (version > 0)
		db_bind_int(s, 3, version);
	else
		db_bind_null(s, 3);
	db_bind_text(s, 4, params);
	db_bind_int(s, 5, max_attempts);
	db_bind_int(s, 6, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK || !id_out)
		return st;
	if (db_changes(c) == 1) {
		*id_out = db_last_insert_id(c);
		return ST_OK;
	}
	/* It existed already: find it (only possible with a document and a version; NULLs never
	 * conflict). */
	if ((st = db_prepare(c, SQL_JOB_FIND, &s)) != ST_OK)
		return st;
	db_bind_text(s, 1, kind);
	db_bind_int(s, 2, document_id);
	db_bind_int(s, 3, version);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		*id_out = db_col_int(s, 0);
	db_done(s);
	return st;
}

static void read_job(struct db_stmt *s, struct job *j)
{
	memset(j, 0, sizeof *j);
	j->id = db_col_int(s, 0);
	copy_text(j->kind, sizeof j->kind, db_col_text(s, 1));
	j->document_id = db_col_int(s, 2);
	j->version = db_col_int(s, 3);
	copy_text(j->params, sizeof j->params, db_col_text(s, 4));
	copy_text(j->state, sizeof j->state, db_col_text(s, 5));
	j->attempts = (int)db_col_int(s, 6);
	j->max_attempts = (int)db_col_int(s, 7);
	j->run_after = db_col_int(s, 8);
	copy_text(j->lease_owner, sizeof j->lease_owner, db_col_text(s, 9));
	j->lease_until = db_col_int(s, 10);
	j->progress = (int)db_col_int(s, 11);
	copy_text(j->error, sizeof j->error, db_col_text(s, 12));
	j->created_at = db_col_int(s, 13);
	j->started_at = db_col_int(s, 14);
	j->finished_at = db_col_int(s, 15);
	copy_text(j->result, sizeof j->result, db_col_text(s, 16));
}

static void read_job_any(struct db_stmt *s, void *out) { read_job(s, out); }

enum status jobs_get(struct db_conn *c, int64_t id, struct job *out)
{
	return db_get_row(c, SQL_JOB_GET, id, read_job_any, out);
}

enum status jobs_claim(struct db_conn *c, const char *owner, int lease_seconds, struct job *out)
{
	if (!owner || !owner[0] || strlen(owner) > JOB_OWNER_MAX || lease_seconds < 1)
		return ST_INVALID;
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	int64_t now = clock_now();
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_JOB_EXPIRE_EXHAUSTED, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, now);
	db_bind_text(s, 2, "the worker stopped during every attempt (its lease expired)");
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	int64_t id = 0;
	if ((st = db_prepare(c, SQL_JOB_PICK, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, now);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && row)
		id = db_col_int(s, 0);
	db_done(s);
	if (st != ST_OK)
		goto out;
	if (!row) { /* nothing due; keep what the expiry marked failed */
		if ((st = db_commit(c)) == ST_OK)
			st = ST_NOT_FOUND;
		return st;
	}
	if ((st = db_prepare(c, SQL_JOB_TAKE, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, owner);
	db_bind_int(s, 3, now + lease_seconds);
	db_bind_int(s, 4, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1)
		st = ST_CONFLICT; /* cannot happen under the write lock */
	if (st != ST_OK)
		goto out;
	if ((st = jobs_get(c, id, out)) != ST_OK)
		goto out;
	st = db_commit(c);
out:
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status jobs_heartbeat(struct db_conn *c, int64_t id, const char *owner, int progress,
			   int lease_seconds)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_JOB_HEARTBEAT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, owner);
	db_bind_int(s, 3, clock_now() + lease_seconds);
	if (progress >= 0)
		db_bind_int(s, 4, progress > 100 ? 100 : progress);
	else
		db_bind_null(s, 4);
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1)
		st = ST_CONFLICT;
	return st;
}

enum status jobs_complete(struct db_conn *c, int64_t id, const char *owner, const char *result)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_JOB_COMPLETE, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, owner);
	db_bind_text(s, 3, result);
	db_bind_int(s, 4, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1)
		st = ST_CONFLICT;
	return st;
}

/* ERROR as kept: valid UTF-8 (other bytes become '?'), cut at a character boundary. */
static void clean_error(const char *error, char *out, size_t n)
{
	copy_text(out, n, error && error[0] ? error : "failed");
	size_t len = strlen(out);
	if (!utf8_valid(out, len))
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)out[i] >= 0x80)
				out[i] = '?';
	/* snprintf may have cut a sequence: drop its leading bytes. */
	while (len > 0 && ((unsigned char)out[len - 1] & 0x80)) {
		size_t start = len - 1;
		while (start > 0 && ((unsigned char)out[start] & 0xC0) == 0x80)
			start--;
		if (utf8_valid(out + start, len - start))
			break;
		out[start] = '\0';
		len = start;
	}
}

enum status jobs_fail(struct db_conn *c, int64_t id, const char *owner, const char *error,
		      bool permanent, bool *final_out)
{
	if (final_out)
		*final_out = false;
	char msg[LIMIT_WORKER_ERROR_BYTES + 1];
	clean_error(error, msg, sizeof msg);
	enum status st = db_begin(c);
	if (st != ST_OK)
		return st;
	struct job j;
	if ((st = jobs_get(c, id, &j)) != ST_OK)
		goto out;
	if (strcmp(j.state, "running") != 0 || strcmp(j.lease_owner, owner) != 0) {
		st = ST_CONFLICT;
		goto out;
	}
	int64_t now = clock_now();
	bool retry = !permanent && j.attempts < j.max_attempts;
	struct db_stmt *s;
	if ((st = db_prepare(c, SQL_JOB_FAIL, &s)) != ST_OK)
		goto out;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, owner);
	db_bind_text(s, 3, msg);
	if (retry)
		db_bind_int(s, 4, now + jobs_backoff_seconds(j.attempts));
	else
		db_bind_null(s, 4);
	db_bind_int(s, 5, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		goto out;
	if ((st = db_commit(c)) == ST_OK && final_out)
		*final_out = !retry;
out:
	if (st != ST_OK)
		db_rollback(c);
	return st;
}

enum status jobs_release(struct db_conn *c, int64_t id, const char *owner)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_JOB_RELEASE, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, id);
	db_bind_text(s, 2, owner);
	db_bind_int(s, 3, clock_now());
	st = db_exec_stmt(s);
	db_done(s);
	if (st == ST_OK && db_changes(c) != 1)
		st = ST_CONFLICT;
	return st;
}

enum status jobs_list_document(struct db_conn *c, int64_t document_id,
			       enum status (*fn)(void *ctx, const struct job *j), void *ctx)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_JOB_LIST_DOCUMENT, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, document_id);
	db_bind_int(s, 2, LIMIT_LIST_PAGE);
	static _Thread_local struct job j; /* 8 KiB: not on a handler thread's stack */
	for (;;) {
		bool row;
		if ((st = db_step(s, &row)) != ST_OK || !row)
			break;
		read_job(s, &j);
		if ((st = fn(ctx, &j)) != ST_OK)
			break;
	}
	db_done(s);
	return st;
}
