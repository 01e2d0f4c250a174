/* The database layer (store/db_sqlite.c) against real SQLite files in a temporary directory:
 * statements by id, binding, status mapping, the busy timeout, the pool, db_release's clean-up,
 * and migrations run by several threads or processes on one new database at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sidang_limits.h"
#include "store/db.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/sidang-test-db-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/sidang.db", f->dir);
	*state = f;
	return 0;
}

static void remove_db(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char p[192];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;
	remove_db(f->path);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static struct db *open_migrated(struct fx *f, unsigned pool)
{
	struct db *db;
	assert_int_equal(db_open(f->path, true, pool, &db), ST_OK);
	assert_int_equal(db_migrate(db, NULL), ST_OK);
	return db;
}

static enum status set_setting(struct db_conn *c, const char *key, const char *value)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_SETTING_SET, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, key);
	db_bind_text(s, 2, value);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

/* The value of setting KEY into OUT ("" when there is none). */
static enum status get_setting(struct db_conn *c, const char *key, char *out, size_t n)
{
	struct db_stmt *s;
	out[0] = '\0';
	enum status st = db_prepare(c, SQL_SETTING_GET, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, key);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && row)
		snprintf(out, n, "%s", db_col_text(s, 0));
	db_done(s);
	return st;
}

/* --- statements -------------------------------------------------------------------------- */

static void test_open_missing(void **state)
{
	struct fx *f = *state;
	struct db *db = (struct db *)1;
	/* Without create, a missing file is not made. */
	assert_int_equal(db_open(f->path, false, 1, &db), ST_NOT_FOUND);
	assert_null(db);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_migrate_once(void **state)
{
	struct fx *f = *state;
	struct db *db;
	int applied = -1;
	assert_int_equal(db_open(f->path, true, 2, &db), ST_OK);
	assert_int_equal(db_schema_version(db), 0);
	assert_int_equal(db_migrate(db, &applied), ST_OK);
	assert_int_equal(applied, sql_migration_count);
	assert_int_equal(db_schema_version(db), sql_migration_count);
	/* Up to date: nothing more. */
	assert_int_equal(db_migrate(db, &applied), ST_OK);
	assert_int_equal(applied, 0);
	db_close(db);
}

static void test_prepare_bind_step(void **state)
{
	struct fx *f = *state;
	struct db *db = open_migrated(f, 1);
	struct db_conn *c = db_acquire(db);
	char v[64];
	assert_int_equal(set_setting(c, "instance", "uji-1"), ST_OK);
	assert_int_equal(get_setting(c, "instance", v, sizeof v), ST_OK);
	assert_string_equal(v, "uji-1");
	assert_int_equal(get_setting(c, "absent", v, sizeof v), ST_OK);
	assert_string_equal(v, "");

	/* A length-bounded text binds only its N bytes. */
	struct db_stmt *s;
	assert_int_equal(db_prepare(c, SQL_SETTING_GET, &s), ST_OK);
	db_bind_textn(s, 1, "instance-and-more", 8);
	bool row;
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	assert_string_equal(db_col_text(s, 0), "uji-1");
	assert_false(db_col_is_null(s, 0));
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_false(row);

	/* One statement per id: a second prepare before db_done is refused. */
	struct db_stmt *s2;
	assert_int_equal(db_prepare(c, SQL_SETTING_GET, &s2), ST_INVALID);
	assert_null(s2);
	db_done(s);
	assert_int_equal(db_prepare(c, SQL_SETTING_GET, &s2), ST_OK);
	/* A bind error is kept and reported by the step. */
	db_bind_text(s2, 1, "instance");
	db_bind_int(s2, 7, 1);
	assert_int_equal(db_step(s2, &row), ST_INVALID);
	assert_false(row);
	db_done(s2);
	/* The error does not outlive db_done. */
	assert_int_equal(get_setting(c, "instance", v, sizeof v), ST_OK);
	assert_string_equal(v, "uji-1");

	/* Ids that have no statement. */
	assert_int_equal(db_prepare(c, SQL__COUNT, &s), ST_INVALID);
	assert_int_equal(db_prepare(c, (enum sql_id)-1, &s), ST_INVALID);

	assert_int_equal(set_setting(c, "second", "2"), ST_OK);
	assert_int_equal(db_changes(c), 1);
	db_release(db, c);
	db_close(db);
}

static enum status add_user(struct db_conn *c, const char *name, int64_t clearance,
			    const char *hash)
{
	struct db_stmt *s;
	enum status st = db_prepare(c, SQL_USER_INSERT, &s);
	if (st != ST_OK)
		return st;
	db_bind_text(s, 1, name);
	db_bind_text(s, 2, name);
	db_bind_null(s, 3);
	db_bind_null(s, 4);
	db_bind_int(s, 5, clearance);
	db_bind_text(s, 6, hash);
	db_bind_int(s, 7, 1);
	st = db_exec_stmt(s);
	db_done(s);
	return st;
}

static int64_t user_count(struct db_conn *c)
{
	struct db_stmt *s;
	int64_t n = 0;
	bool row;
	assert_int_equal(db_prepare(c, SQL_USER_LIST, &s), ST_OK);
	while (db_step(s, &row) == ST_OK && row)
		n++;
	db_done(s);
	return n;
}

static void test_constraint_is_conflict(void **state)
{
	struct fx *f = *state;
	struct db *db = open_migrated(f, 1);
	struct db_conn *c = db_acquire(db);
	assert_int_equal(add_user(c, "ani", 0, "h"), ST_OK);
	int64_t id = db_last_insert_id(c);
	assert_true(id > 0);
	/* UNIQUE, CHECK and NOT NULL are all ST_CONFLICT, and none of them stores a row. */
	assert_int_equal(add_user(c, "ani", 0, "h"), ST_CONFLICT);
	assert_int_equal(add_user(c, "budi", 9, "h"), ST_CONFLICT);
	assert_int_equal(add_user(c, "citra", 0, NULL), ST_CONFLICT);
	assert_int_equal(user_count(c), 1);
	/* A foreign key: a role for a user that does not exist. */
	struct db_stmt *s;
	assert_int_equal(db_prepare(c, SQL_USER_ROLE_ADD, &s), ST_OK);
	db_bind_int(s, 1, id + 100);
	db_bind_text(s, 2, "karo_hph");
	assert_int_equal(db_exec_stmt(s), ST_CONFLICT);
	db_done(s);
	/* Inside a transaction a refused statement leaves the transaction usable. */
	assert_int_equal(db_begin(c), ST_OK);
	assert_int_equal(add_user(c, "ani", 0, "h"), ST_CONFLICT);
	assert_int_equal(add_user(c, "dewi", 0, "h"), ST_OK);
	assert_int_equal(db_commit(c), ST_OK);
	assert_int_equal(user_count(c), 2);
	db_release(db, c);
	db_close(db);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_busy(void **state)
{
	struct fx *f = *state;
	struct db *db = open_migrated(f, 2);
	struct db_conn *a = db_acquire(db);
	struct db_conn *b = db_acquire(db);
	assert_true(a != b);
	assert_int_equal(db_begin(a), ST_OK);
	assert_int_equal(set_setting(a, "held", "1"), ST_OK);
	/* The write lock is held: the second writer waits the busy timeout, then gets ST_BUSY. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(db_begin(b), ST_BUSY);
	double waited = seconds_since(&t0);
	if (waited < LIMIT_DB_BUSY_MS / 1000.0 * 0.8)
		fail_msg("gave up after %.2f s, the busy timeout is %d ms", waited, LIMIT_DB_BUSY_MS);
	/* WAL: a reader is not blocked by the writer, and sees the last commit only. */
	char v[64];
	assert_int_equal(db_begin_read(b), ST_OK);
	assert_int_equal(get_setting(b, "held", v, sizeof v), ST_OK);
	assert_string_equal(v, "");
	db_rollback(b);
	assert_int_equal(db_commit(a), ST_OK);
	assert_int_equal(db_begin(b), ST_OK);
	assert_int_equal(get_setting(b, "held", v, sizeof v), ST_OK);
	assert_string_equal(v, "1");
	assert_int_equal(db_commit(b), ST_OK);
	db_rollback(b); /* harmless outside a transaction */
	db_release(db, b);
	db_release(db, a);
	db_close(db);
}

/* --- the pool ---------------------------------------------------------------------------- */

struct waiter {
	struct db *db;
	struct db_conn *got;
	pthread_mutex_t lock;
	bool done;
};

static void *acquire_in_thread(void *arg)
{
	struct waiter *w = arg;
	struct db_conn *c = db_acquire(w->db);
	pthread_mutex_lock(&w->lock);
	w->got = c;
	w->done = true;
	pthread_mutex_unlock(&w->lock);
	db_release(w->db, c);
	return NULL;
}

static bool waiter_done(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	bool d = w->done;
	pthread_mutex_unlock(&w->lock);
	return d;
}

static void test_pool_waits(void **state)
{
	struct fx *f = *state;
	struct db *db = open_migrated(f, 1);
	struct db_conn *c = db_acquire(db);
	struct waiter w = {.db = db};
	pthread_mutex_init(&w.lock, NULL);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, acquire_in_thread, &w), 0);
	/* The only connection is taken: the other thread waits rather than getting NULL. */
	usleep(200 * 1000);
	assert_false(waiter_done(&w));
	db_release(db, c);
	pthread_join(t, NULL);
	assert_true(waiter_done(&w));
	assert_ptr_equal(w.got, c);
	pthread_mutex_destroy(&w.lock);
	db_close(db);
}

static void test_release_cleans_up(void **state)
{
	struct fx *f = *state;
	struct db *db = open_migrated(f, 1);
	struct db_conn *c = db_acquire(db);
	/* A handler that returns early with a transaction open and a statement in use. */
	assert_int_equal(db_begin(c), ST_OK);
	assert_int_equal(set_setting(c, "uncommitted", "x"), ST_OK);
	struct db_stmt *s;
	assert_int_equal(db_prepare(c, SQL_SETTING_GET, &s), ST_OK);
	db_bind_text(s, 1, "uncommitted");
	bool row;
	assert_int_equal(db_step(s, &row), ST_OK);
	assert_true(row);
	db_release(db, c);

	c = db_acquire(db);
	char v[64];
	/* Rolled back, the statement free again, and a new transaction can begin. */
	assert_int_equal(get_setting(c, "uncommitted", v, sizeof v), ST_OK);
	assert_string_equal(v, "");
	assert_int_equal(db_begin(c), ST_OK);
	assert_int_equal(set_setting(c, "committed", "y"), ST_OK);
	assert_int_equal(db_commit(c), ST_OK);
	db_release(db, c);
	db_close(db);

	/* What was committed is on disk for a new handle; what was rolled back is not. */
	assert_int_equal(db_open(f->path, false, 1, &db), ST_OK);
	c = db_acquire(db);
	assert_int_equal(get_setting(c, "committed", v, sizeof v), ST_OK);
	assert_string_equal(v, "y");
	assert_int_equal(get_setting(c, "uncommitted", v, sizeof v), ST_OK);
	assert_string_equal(v, "");
	db_release(db, c);
	db_close(db);
}

/* --- concurrent migrations --------------------------------------------------------------- */

#define MIGRATORS 6
#define ROUNDS 4

struct migrator {
	const char *path;
	pthread_barrier_t *start;
	enum status st;
	int applied;
};

static void *migrate_in_thread(void *arg)
{
	struct migrator *m = arg;
	struct db *db = NULL;
	pthread_barrier_wait(m->start);
	m->st = db_open(m->path, true, 1, &db);
	if (m->st == ST_OK)
		m->st = db_migrate(db, &m->applied);
	db_close(db);
	return NULL;
}

static void assert_fully_migrated(const char *path)
{
	struct db *db;
	assert_int_equal(db_open(path, false, 1, &db), ST_OK);
	assert_int_equal(db_schema_version(db), sql_migration_count);
	struct db_conn *c = db_acquire(db);
	assert_int_equal(set_setting(c, "works", "1"), ST_OK);
	db_release(db, c);
	db_close(db);
}

static void test_migrate_concurrently_threads(void **state)
{
	struct fx *f = *state;
	/* Each thread has its own handle, as separate processes would: every one of them must
	 * start, and each migration must be applied exactly once. */
	for (int round = 0; round < ROUNDS; round++) {
		remove_db(f->path);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, MIGRATORS);
		struct migrator m[MIGRATORS];
		pthread_t t[MIGRATORS];
		for (int i = 0; i < MIGRATORS; i++) {
			m[i] = (struct migrator){.path = f->path, .start = &start, .st = ST_IO};
			assert_int_equal(pthread_create(&t[i], NULL, migrate_in_thread, &m[i]), 0);
		}
		int applied = 0;
		for (int i = 0; i < MIGRATORS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < MIGRATORS; i++) {
			if (m[i].st != ST_OK)
				fail_msg("round %d, migrator %d: %s", round, i, status_name(m[i].st));
			applied += m[i].applied;
		}
		assert_int_equal(applied, sql_migration_count);
		assert_fully_migrated(f->path);
	}
}

static void test_migrate_concurrently_processes(void **state)
{
	struct fx *f = *state;
	for (int round = 0; round < ROUNDS; round++) {
		remove_db(f->path);
		int go[2];
		assert_int_equal(pipe(go), 0);
		pid_t pids[MIGRATORS];
		for (int i = 0; i < MIGRATORS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				/* Wait for the parent to close the pipe, so all start together. */
				close(go[1]);
				char ch;
				while (read(go[0], &ch, 1) > 0)
					;
				struct db *db = NULL;
				enum status st = db_open(f->path, true, 1, &db);
				if (st == ST_OK)
					st = db_migrate(db, NULL);
				db_close(db);
				_exit(st == ST_OK ? 0 : 10 + (int)st);
			}
		}
		close(go[0]);
		close(go[1]);
		int ws[MIGRATORS];
		for (int i = 0; i < MIGRATORS; i++)
			assert_int_equal(waitpid(pids[i], &ws[i], 0), pids[i]);
		for (int i = 0; i < MIGRATORS; i++)
			if (!WIFEXITED(ws[i]) || WEXITSTATUS(ws[i]) != 0)
				fail_msg("round %d, process %d: exit %d", round, i,
					 WIFEXITED(ws[i]) ? WEXITSTATUS(ws[i]) : -1);
		assert_fully_migrated(f->path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_bind_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_is_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_concurrently_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_concurrently_processes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
