/*
 * The database layer: the only module that talks to SQLite (and, later, libpq). Callers name a
 * statement by its id (enum sql_id, store/sql.h); the statement texts of a backend live in one
 * file (store/sql_sqlite.c). Parameters are always bound, never spliced into SQL text.
 *
 * A struct db is a pool of connections to one database; a request takes one with db_acquire and
 * gives it back with db_release. Writers are serialised by BEGIN IMMEDIATE and the busy timeout.
 */
#ifndef SIDANG_STORE_DB_H
#define SIDANG_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sql.h"
#include "util/status.h"

struct db;
struct db_conn;
struct db_stmt;

/* Opens (creating if asked) the database at PATH with POOL connections; WAL, synchronous=FULL,
 * foreign keys on. Does not migrate. *out on success. */
enum status db_open(const char *path, bool create, unsigned pool, struct db **out);
void db_close(struct db *db);
/* Applies pending migrations in one transaction each. *applied_out (may be NULL) counts them. */
enum status db_migrate(struct db *db, int *applied_out);
/* Schema version (number of applied migrations). */
int db_schema_version(struct db *db);

/* Takes a free connection, waiting for one if all are in use. Never NULL. */
struct db_conn *db_acquire(struct db *db);
void db_release(struct db *db, struct db_conn *c);

/* BEGIN IMMEDIATE: takes the write lock now, so a transaction never fails half-way on a lock. */
enum status db_begin(struct db_conn *c);
/* BEGIN (deferred): a consistent read snapshot. */
enum status db_begin_read(struct db_conn *c);
enum status db_commit(struct db_conn *c);
/* Rolls back if a transaction is open; harmless otherwise. */
void db_rollback(struct db_conn *c);

/* The statement ID, ready for binding. The statement is cached per connection; db_done must be
 * called before the same ID is prepared again on that connection. */
enum status db_prepare(struct db_conn *c, enum sql_id id, struct db_stmt **out);
/* Binding never fails on its own: an error is remembered and returned by the next db_step.
 * Indexes start at 1. A NULL text binds SQL NULL. */
void db_bind_int(struct db_stmt *s, int idx, int64_t v);
void db_bind_text(struct db_stmt *s, int idx, const char *v);
void db_bind_textn(struct db_stmt *s, int idx, const char *v, size_t n);
void db_bind_blob(struct db_stmt *s, int idx, const void *v, size_t n);
void db_bind_null(struct db_stmt *s, int idx);
/* Steps once. *row is true when a row is available. Errors map to statuses: constraint →
 * ST_CONFLICT, full disk → ST_NOSPACE, lock timeout → ST_BUSY, else ST_IO. */
enum status db_step(struct db_stmt *s, bool *row);
/* Runs a statement that returns no rows (or ignores them). */
enum status db_exec_stmt(struct db_stmt *s);
/* Column accessors of the current row; indexes start at 0. Text is valid until the next step. */
int64_t db_col_int(struct db_stmt *s, int col);
const char *db_col_text(struct db_stmt *s, int col); /* NULL for SQL NULL */
const void *db_col_blob(struct db_stmt *s, int col, size_t *len_out);
bool db_col_is_null(struct db_stmt *s, int col);
/* Resets the statement and clears its bindings, returning it to the cache. */
void db_done(struct db_stmt *s);

/* The common "one row by key" read: prepares ID, binds KEY as parameter 1, steps once and hands
 * the row to READ(s, OUT). ST_NOT_FOUND when there is no row. */
enum status db_get_row(struct db_conn *c, enum sql_id id, int64_t key,
		       void (*read)(struct db_stmt *s, void *out), void *out);

int64_t db_last_insert_id(struct db_conn *c);
int64_t db_changes(struct db_conn *c);
/* The last error text of the connection, for logs. */
const char *db_errmsg(struct db_conn *c);

/* A consistent online copy of the database into DEST (SQLite backup API). */
enum status db_backup_to(struct db *db, const char *dest);

#endif
