/* Derived files: see jobs/derived.h. */
#include "jobs/derived.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

/* The worker's blob store, opened on first use (a worker runs one job at a time; the mutex is
 * for the tests that run jobs from several threads). */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blob_store *store;
static char store_dir[4096];

static enum status open_store(const char *dir, struct blob_store **out)
{
	enum status st = ST_OK;
	pthread_mutex_lock(&store_lock);
	if (!store || strcmp(store_dir, dir) != 0) {
		struct blob_store *bs = NULL;
		int swept = 0;
		st = blob_store_open(dir, &bs, &swept);
		if (st == ST_OK) {
			/* The old one may be in use by a sink: it is kept (tests only). */
			store = bs;
			snprintf(store_dir, sizeof store_dir, "%s", dir);
		}
	}
	*out = store;
	pthread_mutex_unlock(&store_lock);
	return st;
}

enum status derived_sink_begin(struct job_ctx *x, struct derived_sink *s, uint64_t max_bytes)
{
	s->w = NULL;
	s->st = ST_OK;
	s->max_bytes = max_bytes;
	return open_store(x->cfg->blob_dir, &s->bs);
}

bool derived_sink_write(void *ctx, const void *p, size_t n)
{
	struct derived_sink *s = ctx;
	if (s->st == ST_OK && !s->w)
		s->st = blob_writer_begin(s->bs, s->max_bytes, &s->w);
	if (s->st == ST_OK)
		s->st = blob_writer_write(s->w, p, n);
	return s->st == ST_OK;
}

uint64_t derived_sink_size(const struct derived_sink *s)
{
	return s->w ? blob_writer_size(s->w) : 0;
}

enum status derived_sink_commit(struct derived_sink *s, char sha_out[65], uint64_t *size_out)
{
	enum status st = s->st;
	if (st == ST_OK && !s->w)
		st = ST_INVALID; /* nothing was written */
	if (st != ST_OK)
		blob_writer_abort(s->w);
	else
		st = blob_writer_commit(s->w, sha_out, size_out);
	s->w = NULL;
	return st;
}

void derived_sink_abort(struct derived_sink *s)
{
	blob_writer_abort(s->w);
	s->w = NULL;
}

enum status derived_record(struct db_conn *c, int64_t document_id, int64_t version,
			   const char *kind, const char *sha, uint64_t size, const char *mime)
{
	int64_t now = clock_now();
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_BLOB_UPSERT, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, sha);
	db_bind_int(s, 2, (int64_t)size);
	db_bind_text(s, 3, mime);
	db_bind_int(s, 4, now);
	st = db_exec_stmt(s);
	db_done(s);
	if (st != ST_OK)
		return st;
	if ((st = db_prepare(c, SQL_DERIVED_PUT, &s)) != ST_OK)
		return st;
	db_bind_int(s, 1, document_id);
	db_bind_int(s, 2, version);
	db_bind_text(s, 3, kind);
	db_bind_text(s, 4, sha);
	db_bind_int(s, 5, (int64_t)size);
	db_bind_text(s, 6, mime);
	db_bind_int(s, 7, now);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}
