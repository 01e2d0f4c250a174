/* The SQLite backend of db.h. */
#include "store/db.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sidang_limits.h"
#include "store/search_fts.h"
#include "util/log.h"

struct db_stmt {
	struct db_conn *conn;
	sqlite3_stmt *st;
	enum status bind_error;
	bool in_use;
};

struct db_conn {
	sqlite3 *h;
	struct db_stmt stmts[SQL__COUNT];
	bool busy; /* taken from the pool */
	bool in_tx;
};

struct db {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n;
	struct db_conn *conns;
};

static enum status status_from_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return ST_OK;
	case SQLITE_CONSTRAINT:
		return ST_CONFLICT;
	case SQLITE_FULL:
		return ST_NOSPACE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ST_BUSY;
	case SQLITE_NOMEM:
		return ST_NOMEM;
	case SQLITE_TOOBIG:
		return ST_TOO_LARGE;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ST_CORRUPT;
	default:
		return ST_IO;
	}
}

static enum status exec_sql_log(sqlite3 *h, const char *sql, bool log_busy)
{
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK && (log_busy || status_from_rc(rc) != ST_BUSY))
		log_error("database: %s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return status_from_rc(rc);
}

static enum status exec_sql(sqlite3 *h, const char *sql) { return exec_sql_log(h, sql, true); }

/* The connection's settings. Switching a new file to WAL upgrades a read lock to a write lock,
 * and SQLite does not call the busy handler for an upgrade (waiting could deadlock), so two
 * processes creating one database at once can get SQLITE_BUSY at once. Retried here for as long
 * as the busy timeout would have waited. */
static enum status conn_setup(sqlite3 *h)
{
	static const char setup[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				    " PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;";
	const int step_ms = 10;
	for (int waited = 0;; waited += step_ms) {
		bool last = waited >= LIMIT_DB_BUSY_MS;
		enum status st = exec_sql_log(h, setup, last);
		if (st != ST_BUSY || last)
			return st;
		struct timespec ts = {0, step_ms * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static enum status conn_open(struct db_conn *c, const char *path, bool create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &c->h, flags, NULL);
	if (rc != SQLITE_OK) {
		log_error("database '%s': %s", path, c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
		sqlite3_close(c->h);
		c->h = NULL;
		return rc == SQLITE_CANTOPEN ? ST_NOT_FOUND : status_from_rc(rc);
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, LIMIT_DB_BUSY_MS);
	/* WAL: readers never block the writer. synchronous=FULL: a commit is on disk when it
	 * returns, so an acknowledged write survives power loss. */
	enum status st = conn_setup(c->h);
	if (st != ST_OK)
		return st;
	/* The full-text tokenizer, before any statement can touch the search index. */
	if (search_register(c->h) != SQLITE_OK) {
		log_error("database: cannot register the full-text tokenizer (FTS5 missing?)");
		return ST_IO;
	}
	for (int i = 0; i < SQL__COUNT; i++)
		c->stmts[i].conn = c;
	return ST_OK;
}

static void conn_close(struct db_conn *c)
{
	for (int i = 0; i < SQL__COUNT; i++) {
		sqlite3_finalize(c->stmts[i].st);
		c->stmts[i].st = NULL;
	}
	sqlite3_close(c->h);
	c->h = NULL;
}

enum status db_open(const char *path, bool create, unsigned pool, struct db **out)
{
	*out = NULL;
	if (pool == 0)
		pool = 1;
	struct db *db = calloc(1, sizeof *db);
	if (!db)
		return ST_NOMEM;
	db->conns = calloc(pool, sizeof *db->conns);
	if (!db->conns) {
		free(db);
		return ST_NOMEM;
	}
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	enum status st = ST_OK;
	for (unsigned i = 0; i < pool; i++) {
		/* Only the first connection may create the file; the others open what it made. */
		st = conn_open(&db->conns[i], path, create && i == 0);
		if (st != ST_OK)
			break;
		db->n = i + 1;
	}
	if (st != ST_OK) {
		db_close(db);
		return st;
	}
	*out = db;
	return ST_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (unsigned i = 0; i < db->n; i++)
		conn_close(&db->conns[i]);
	pthread_cond_destroy(&db->freed);
	pthread_mutex_destroy(&db->lock);
	free(db->conns);
	free(db);
}

struct db_conn *db_acquire(struct db *db)
{
	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (unsigned i = 0; i < db->n; i++) {
			if (!db->conns[i].busy) {
				db->conns[i].busy = true;
				pthread_mutex_unlock(&db->lock);
				return &db->conns[i];
			}
		}
		pthread_cond_wait(&db->freed, &db->lock);
	}
}

void db_release(struct db *db, struct db_conn *c)
{
	if (!c)
		return;
	/* A handler that returned early must not leave a transaction or a statement open. */
	if (c->in_tx)
		db_rollback(c);
	for (int i = 0; i < SQL__COUNT; i++)
		if (c->stmts[i].in_use)
			db_done(&c->stmts[i]);
	pthread_mutex_lock(&db->lock);
	c->busy = false;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

static int conn_schema_version(struct db_conn *c)
{
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(c->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int db_schema_version(struct db *db)
{
	struct db_conn *c = db_acquire(db);
	int v = conn_schema_version(c);
	db_release(db, c);
	return v;
}

static enum status check_version(int have)
{
	if (have < 0)
		return ST_IO;
	if (have > sql_migration_count) {
		log_error("database schema version %d is newer than this sidang (%d)", have,
			  sql_migration_count);
		return ST_INVALID;
	}
	return ST_OK;
}

enum status db_migrate(struct db *db, int *applied_out)
{
	if (applied_out)
		*applied_out = 0;
	/* Without a lock first, so an up-to-date database costs no write lock. */
	enum status st = check_version(db_schema_version(db));
	if (st != ST_OK)
		return st;
	struct db_conn *c = db_acquire(db);
	for (;;) {
		if ((st = db_begin(c)) != ST_OK)
			break;
		/* Read again under the write lock: another process starting on the same database may
		 * have applied migrations since, and applying one twice would fail half-way. */
		int v = conn_schema_version(c);
		if ((st = check_version(v)) != ST_OK || v == sql_migration_count) {
			db_rollback(c);
			break;
		}
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((st = exec_sql(c->h, sql_migrations[v])) != ST_OK ||
		    (st = exec_sql(c->h, pragma)) != ST_OK) {
			db_rollback(c);
			break;
		}
		if ((st = db_commit(c)) != ST_OK)
			break;
		if (applied_out)
			(*applied_out)++;
	}
	db_release(db, c);
	return st;
}

enum status db_begin(struct db_conn *c)
{
	enum status st = exec_sql(c->h, "BEGIN IMMEDIATE");
	if (st == ST_OK)
		c->in_tx = true;
	return st;
}

enum status db_begin_read(struct db_conn *c)
{
	enum status st = exec_sql(c->h, "BEGIN");
	if (st == ST_OK)
		c->in_tx = true;
	return st;
}

enum status db_commit(struct db_conn *c)
{
	enum status st = exec_sql(c->h, "COMMIT");
	if (st != ST_OK) {
		db_rollback(c);
		return st;
	}
	c->in_tx = false;
	return ST_OK;
}

void db_rollback(struct db_conn *c)
{
	if (!sqlite3_get_autocommit(c->h))
		sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = false;
}

enum status db_prepare(struct db_conn *c, enum sql_id id, struct db_stmt **out)
{
	*out = NULL;
	if ((int)id < 0 || id >= SQL__COUNT || !sql_text(id))
		return ST_INVALID;
	struct db_stmt *s = &c->stmts[id];
	if (s->in_use) {
		log_error("database: statement %d prepared twice without db_done", (int)id);
		return ST_INVALID;
	}
	if (!s->st) {
		int rc = sqlite3_prepare_v3(c->h, sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, &s->st,
					    NULL);
		if (rc != SQLITE_OK) {
			log_error("database: preparing statement %d: %s", (int)id, sqlite3_errmsg(c->h));
			return status_from_rc(rc);
		}
	}
	s->bind_error = ST_OK;
	s->in_use = true;
	*out = s;
	return ST_OK;
}

static void bind_check(struct db_stmt *s, int rc)
{
	if (rc != SQLITE_OK && s->bind_error == ST_OK)
		s->bind_error = rc == SQLITE_RANGE ? ST_INVALID : status_from_rc(rc);
}

void db_bind_int(struct db_stmt *s, int idx, int64_t v) { bind_check(s, sqlite3_bind_int64(s->st, idx, v)); }

void db_bind_text(struct db_stmt *s, int idx, const char *v)
{
	if (!v)
		bind_check(s, sqlite3_bind_null(s->st, idx));
	else
		bind_check(s, sqlite3_bind_text(s->st, idx, v, -1, SQLITE_TRANSIENT));
}

void db_bind_textn(struct db_stmt *s, int idx, const char *v, size_t n)
{
	if (!v)
		bind_check(s, sqlite3_bind_null(s->st, idx));
	else
		bind_check(s, sqlite3_bind_text64(s->st, idx, v, n, SQLITE_TRANSIENT, SQLITE_UTF8));
}

void db_bind_blob(struct db_stmt *s, int idx, const void *v, size_t n)
{
	bind_check(s, sqlite3_bind_blob64(s->st, idx, v, n, SQLITE_TRANSIENT));
}

void db_bind_null(struct db_stmt *s, int idx) { bind_check(s, sqlite3_bind_null(s->st, idx)); }

enum status db_step(struct db_stmt *s, bool *row)
{
	*row = false;
	if (s->bind_error != ST_OK)
		return s->bind_error;
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW) {
		*row = true;
		return ST_OK;
	}
	if (rc == SQLITE_DONE)
		return ST_OK;
	enum status st = status_from_rc(rc);
	if (st != ST_CONFLICT)
		log_error("database: %s", sqlite3_errmsg(s->conn->h));
	return st;
}

enum status db_exec_stmt(struct db_stmt *s)
{
	bool row;
	enum status st;
	do {
		st = db_step(s, &row);
	} while (st == ST_OK && row);
	return st;
}

int64_t db_col_int(struct db_stmt *s, int col) { return sqlite3_column_int64(s->st, col); }

const char *db_col_text(struct db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s->st, col);
}

const void *db_col_blob(struct db_stmt *s, int col, size_t *len_out)
{
	const void *p = sqlite3_column_blob(s->st, col);
	*len_out = (size_t)sqlite3_column_bytes(s->st, col);
	return p;
}

bool db_col_is_null(struct db_stmt *s, int col) { return sqlite3_column_type(s->st, col) == SQLITE_NULL; }

void db_done(struct db_stmt *s)
{
	if (!s)
		return;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->in_use = false;
	s->bind_error = ST_OK;
}

enum status db_get_row(struct db_conn *c, enum sql_id id, int64_t key,
		       void (*read)(struct db_stmt *s, void *out), void *out)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, id, &s);
	if (st != ST_OK)
		return st;
	db_bind_int(s, 1, key);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && !row)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		read(s, out);
	db_done(s);
	return st;
}

int64_t db_last_insert_id(struct db_conn *c) { return sqlite3_last_insert_rowid(c->h); }

int64_t db_changes(struct db_conn *c) { return sqlite3_changes64(c->h); }

const char *db_errmsg(struct db_conn *c) { return sqlite3_errmsg(c->h); }

enum status db_backup_to(struct db *db, const char *dest)
{
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(out);
		return status_from_rc(rc);
	}
	struct db_conn *c = db_acquire(db);
	sqlite3_backup *b = sqlite3_backup_init(out, "main", c->h, "main");
	enum status st = ST_IO;
	if (b) {
		rc = sqlite3_backup_step(b, -1);
		sqlite3_backup_finish(b);
		st = rc == SQLITE_DONE ? ST_OK : status_from_rc(rc);
	}
	db_release(db, c);
	sqlite3_close(out);
	return st;
}
