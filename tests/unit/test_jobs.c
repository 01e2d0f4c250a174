/* The job queue (jobs/queue.c) against a real SQLite database in a temporary directory, and the
 * sandbox (jobs/sandbox.c) with children that behave, crash, spin, open files and eat memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jobs/queue.h"
#include "jobs/sandbox.h"
#include "store/db.h"
#include "util/clock.h"

struct fx {
	char dir[64];
	char path[128];
	struct db *db;
	struct db_conn *c;
};

/* One user, meeting and document (id 1) with versions 1 and 2; inserted on a raw connection. */
static const char *const fixture_sql =
	"INSERT INTO users (id, username, display_name, clearance, password_hash, disabled, created_at)"
	" VALUES (1, 'u', 'U', 3, 'x', 0, 0);"
	"INSERT INTO meetings (id, title, date, classification, created_by, created_at, updated_at)"
	" VALUES (1, 'Rapat', '2026-12-01', 0, 1, 0, 0);"
	"INSERT INTO documents (id, meeting_id, stage, type, title, classification, source,"
	" created_by, created_at, current_version)"
	" VALUES (1, 1, 'perencanaan', 'undangan', 'Undangan', 0, 'born_digital', 1, 0, 2),"
	" (2, 1, 'perencanaan', 'undangan', 'Undangan 2', 0, 'born_digital', 1, 0, 1);";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/sidang-jobs-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	if (db_open(f->path, true, 2, &f->db) != ST_OK || db_migrate(f->db, NULL) != ST_OK)
		return -1;
	sqlite3 *h;
	if (sqlite3_open(f->path, &h) != SQLITE_OK ||
	    sqlite3_exec(h, fixture_sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_close(h);
	f->c = db_acquire(f->db);
	clock_set_offset(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	db_release(f->db, f->c);
	db_close(f->db);
	char p[160];
	const char *files[] = {"t.db", "t.db-wal", "t.db-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	clock_set_offset(0);
	return 0;
}

/* --- queue -------------------------------------------------------------------------------- */

static void test_backoff_schedule(void **state)
{
	(void)state;
	assert_int_equal(jobs_backoff_seconds(1), 10);
	assert_int_equal(jobs_backoff_seconds(2), 60);
	assert_int_equal(jobs_backoff_seconds(3), 300);
	assert_int_equal(jobs_backoff_seconds(4), 1800);
	assert_int_equal(jobs_backoff_seconds(5), 3600);
	assert_int_equal(jobs_backoff_seconds(50), 3600);
	assert_int_equal(jobs_backoff_seconds(0), 10);
}

static void test_enqueue_idempotent(void **state)
{
	struct fx *f = *state;
	int64_t a = 0, b = 0, c = 0, d = 0, e = 0;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 0, &a), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 0, &b), ST_OK);
	assert_true(a > 0);
	assert_int_equal(a, b);
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 2, NULL, 0, &c), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "pdf_text", 1, 1, NULL, 0, NULL), ST_OK);
	assert_int_not_equal(a, c);
	/* Jobs without a version are never merged. */
	assert_int_equal(jobs_enqueue(f->c, "sleep", 1, 0, "{\"seconds\": 1}", 5, &d), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "sleep", 1, 0, "{\"seconds\": 1}", 5, &e), ST_OK);
	assert_int_not_equal(d, e);
	struct job j;
	assert_int_equal(jobs_get(f->c, a, &j), ST_OK);
	assert_string_equal(j.state, "queued");
	assert_int_equal(j.attempts, 0);
	assert_int_equal(j.max_attempts, LIMIT_WORKER_MAX_ATTEMPTS);
	assert_int_equal(j.document_id, 1);
	assert_int_equal(j.version, 1);
	assert_int_equal(jobs_get(f->c, d, &j), ST_OK);
	assert_int_equal(j.max_attempts, 5);
	assert_string_equal(j.params, "{\"seconds\": 1}");
	/* A job for a document that does not exist is refused (foreign key). */
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 999, 1, NULL, 0, NULL), ST_CONFLICT);
	assert_int_equal(jobs_enqueue(f->c, "", 1, 1, NULL, 0, NULL), ST_INVALID);
}

static void test_claim_order(void **state)
{
	struct fx *f = *state;
	int64_t ids[3];
	for (int i = 0; i < 3; i++) {
		clock_set_offset(i);
		assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1 + (i == 2), 1 + (i == 1), NULL, 0,
					      &ids[i]), ST_OK);
	}
	clock_set_offset(3);
	struct job j;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(jobs_claim(f->c, "w1@test", 60, &j), ST_OK);
		assert_int_equal(j.id, ids[i]);
		assert_string_equal(j.state, "running");
		assert_string_equal(j.lease_owner, "w1@test");
		assert_int_equal(j.attempts, 1);
		assert_int_equal(j.lease_until, clock_now() + 60);
		assert_int_equal(j.started_at, clock_now());
	}
	assert_int_equal(jobs_claim(f->c, "w1@test", 60, &j), ST_NOT_FOUND);
	/* Progress and lease renewal. */
	assert_int_equal(jobs_heartbeat(f->c, ids[0], "w1@test", 40, 60), ST_OK);
	assert_int_equal(jobs_get(f->c, ids[0], &j), ST_OK);
	assert_int_equal(j.progress, 40);
	assert_int_equal(jobs_complete(f->c, ids[0], "w1@test", "{\"ok\": true}"), ST_OK);
	assert_int_equal(jobs_get(f->c, ids[0], &j), ST_OK);
	assert_string_equal(j.state, "done");
	assert_int_equal(j.progress, 100);
	assert_string_equal(j.result, "{\"ok\": true}");
	assert_string_equal(j.lease_owner, "");
	assert_int_equal(j.finished_at, clock_now());
	/* Done is final: no second completion. */
	assert_int_equal(jobs_complete(f->c, ids[0], "w1@test", "{}"), ST_CONFLICT);
}

static void test_lease_expiry_reclaim(void **state)
{
	struct fx *f = *state;
	int64_t id;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 0, &id), ST_OK);
	struct job j;
	assert_int_equal(jobs_claim(f->c, "a@test", 10, &j), ST_OK);
	assert_int_equal(jobs_claim(f->c, "b@test", 10, &j), ST_NOT_FOUND);
	clock_set_offset(10); /* lease_until == now: not expired yet */
	assert_int_equal(jobs_claim(f->c, "b@test", 10, &j), ST_NOT_FOUND);
	clock_set_offset(11); /* a died */
	assert_int_equal(jobs_claim(f->c, "b@test", 10, &j), ST_OK);
	assert_int_equal(j.id, id);
	assert_string_equal(j.lease_owner, "b@test");
	assert_int_equal(j.attempts, 2);
	/* a comes back: its lease is gone, whatever it tries. */
	assert_int_equal(jobs_heartbeat(f->c, id, "a@test", 50, 10), ST_CONFLICT);
	assert_int_equal(jobs_complete(f->c, id, "a@test", "{}"), ST_CONFLICT);
	assert_int_equal(jobs_fail(f->c, id, "a@test", "x", false, NULL), ST_CONFLICT);
	assert_int_equal(jobs_release(f->c, id, "a@test"), ST_CONFLICT);
	/* b's heartbeats keep it. */
	clock_set_offset(19);
	assert_int_equal(jobs_heartbeat(f->c, id, "b@test", -1, 10), ST_OK);
	clock_set_offset(25);
	assert_int_equal(jobs_claim(f->c, "c@test", 10, &j), ST_NOT_FOUND);
	assert_int_equal(jobs_complete(f->c, id, "b@test", "{\"ok\": true}"), ST_OK);
}

static void test_lease_expiry_after_last_attempt(void **state)
{
	struct fx *f = *state;
	int64_t id;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 2, &id), ST_OK);
	struct job j;
	assert_int_equal(jobs_claim(f->c, "a@test", 5, &j), ST_OK);
	clock_set_offset(6);
	assert_int_equal(jobs_claim(f->c, "b@test", 5, &j), ST_OK);
	assert_int_equal(j.attempts, 2);
	clock_set_offset(12); /* b died too, on the last attempt */
	assert_int_equal(jobs_claim(f->c, "c@test", 5, &j), ST_NOT_FOUND);
	assert_int_equal(jobs_get(f->c, id, &j), ST_OK);
	assert_string_equal(j.state, "failed");
	assert_non_null(strstr(j.error, "lease expired"));
	assert_int_equal(j.finished_at, clock_now());
}

/* Sets the clock so that clock_now() is T (give or take the second that may pass). */
static void clock_at(int64_t t)
{
	clock_set_offset(0);
	clock_set_offset(t - clock_now());
}

static void test_backoff_then_failed(void **state)
{
	struct fx *f = *state;
	int64_t id;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 3, &id), ST_OK);
	struct job j;
	bool final = true;
	const int64_t waits[] = {10, 60};
	for (int attempt = 1; attempt <= 2; attempt++) {
		assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_OK);
		assert_int_equal(j.attempts, attempt);
		int64_t before = clock_now();
		assert_int_equal(jobs_fail(f->c, id, "w@test", "parser said no", false, &final), ST_OK);
		int64_t after = clock_now();
		assert_false(final);
		assert_int_equal(jobs_get(f->c, id, &j), ST_OK);
		assert_string_equal(j.state, "queued");
		assert_string_equal(j.error, "parser said no");
		assert_in_range(j.run_after, before + waits[attempt - 1], after + waits[attempt - 1]);
		assert_int_equal(j.finished_at, 0);
		/* Not due early, due on time. */
		clock_at(j.run_after - 2);
		assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_NOT_FOUND);
		assert_int_equal(jobs_get(f->c, id, &j), ST_OK);
		clock_at(j.run_after);
	}
	assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_OK);
	assert_int_equal(j.attempts, 3);
	assert_int_equal(jobs_fail(f->c, id, "w@test", "parser said no again", false, &final), ST_OK);
	assert_true(final);
	assert_int_equal(jobs_get(f->c, id, &j), ST_OK);
	assert_string_equal(j.state, "failed");
	assert_string_equal(j.error, "parser said no again");
	assert_true(j.finished_at > 0);
	clock_at(j.finished_at + 100000);
	assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_NOT_FOUND);
}

static void test_permanent_release_and_errors(void **state)
{
	struct fx *f = *state;
	int64_t a, b;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 3, &a), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 2, NULL, 3, &b), ST_OK);
	struct job j;
	bool final = false;
	assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_OK);
	assert_int_equal(j.id, a);
	/* Permanent: failed at the first attempt. An over-long, invalid UTF-8 error is cleaned. */
	char big[3000];
	memset(big, 'e', sizeof big);
	big[0] = (char)0xff;
	big[sizeof big - 1] = '\0';
	assert_int_equal(jobs_fail(f->c, a, "w@test", big, true, &final), ST_OK);
	assert_true(final);
	assert_int_equal(jobs_get(f->c, a, &j), ST_OK);
	assert_string_equal(j.state, "failed");
	assert_int_equal(strlen(j.error), LIMIT_WORKER_ERROR_BYTES);
	assert_int_equal(j.error[0], '?');
	/* Release: queued again at once, the attempt not counted. */
	assert_int_equal(jobs_claim(f->c, "w@test", 60, &j), ST_OK);
	assert_int_equal(j.id, b);
	assert_int_equal(jobs_release(f->c, b, "w@test"), ST_OK);
	assert_int_equal(jobs_get(f->c, b, &j), ST_OK);
	assert_string_equal(j.state, "queued");
	assert_int_equal(j.attempts, 0);
	assert_int_equal(jobs_claim(f->c, "v@test", 60, &j), ST_OK);
	assert_int_equal(j.id, b);
	assert_int_equal(j.attempts, 1);
}

static enum status count_job(void *ctx, const struct job *j)
{
	(void)j;
	(*(int *)ctx)++;
	return ST_OK;
}

static void test_list_document(void **state)
{
	struct fx *f = *state;
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 1, NULL, 0, NULL), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 1, 2, NULL, 0, NULL), ST_OK);
	assert_int_equal(jobs_enqueue(f->c, "verify_blob", 2, 1, NULL, 0, NULL), ST_OK);
	int n = 0;
	assert_int_equal(jobs_list_document(f->c, 1, count_job, &n), ST_OK);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(jobs_list_document(f->c, 3, count_job, &n), ST_OK);
	assert_int_equal(n, 0);
}

/* --- sandbox ------------------------------------------------------------------------------ */

static void short_limits(struct sandbox_limits *l)
{
	sandbox_default_limits(l);
	l->wall_ms = 20000;
	l->cpu_seconds = 10;
}

static int child_ok(const struct sandbox_io *io)
{
	char b[16];
	ssize_t n = read(io->in_fd, b, sizeof b);
	sandbox_progress(io, 50);
	void *p = malloc(1 << 20); /* the allocator works under the filter */
	if (!p || n != 5)
		return 1;
	memset(p, 1, 1 << 20);
	free(p);
	return sandbox_write(io, "got:", 4) && sandbox_write(io, b, (size_t)n) ? 0 : 1;
}

static int child_ok_noinput(const struct sandbox_io *io)
{
	return sandbox_write(io, "ok", 2) ? 0 : 1;
}

static int child_fail(const struct sandbox_io *io)
{
	sandbox_write(io, "not a PDF", 9);
	return 3;
}

static int child_crash(const struct sandbox_io *io)
{
	(void)io;
	volatile uintptr_t addr = 16;
	*(volatile int *)addr = 1;
	return 0;
}

static int child_spin(const struct sandbox_io *io)
{
	(void)io;
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int child_block(const struct sandbox_io *io)
{
	char b;
	/* Reads a pipe nobody writes: no CPU used, only the wall clock catches it. */
	return (int)read(io->in_fd, &b, 1);
}

static int child_openat(const struct sandbox_io *io)
{
	(void)io;
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
	return fd >= 0 ? 0 : 1;
}

static int child_socket(const struct sandbox_io *io)
{
	(void)io;
	return syscall(SYS_socket, 2, 1, 0) >= 0 ? 0 : 1;
}

static int child_write_elsewhere(const struct sandbox_io *io)
{
	(void)io;
	/* stdout is not a descriptor it may write to */
	return write(1, "x", 1) == 1 ? 0 : 1;
}

static int child_bomb(const struct sandbox_io *io)
{
	(void)io;
	for (int i = 0; i < 4096; i++) { /* stops at 4 GiB if the limit failed */
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return SANDBOX_EXIT_NOMEM;
		memset(p, 7, 1 << 20);
	}
	return 0;
}

static int child_flood(const struct sandbox_io *io)
{
	static char b[4096];
	for (;;)
		if (!sandbox_write(io, b, sizeof b))
			return 1;
}

static int child_sleep(const struct sandbox_io *io)
{
	(void)io;
	sleep(30);
	return 0;
}

static int ticks;
static bool tick_progress(void *ctx, int progress)
{
	(void)ctx;
	(void)progress;
	return ++ticks < 2;
}

static void test_sandbox_ok(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	close(p[1]);
	struct sandbox_limits l;
	short_limits(&l);
	struct buf out;
	buf_init(&out, 1024);
	int detail = -1;
	assert_int_equal(sandbox_run(&l, p[0], child_ok, NULL, NULL, NULL, &out, &detail), SANDBOX_OK);
	close(p[0]);
	assert_int_equal(detail, 0);
	assert_string_equal(out.ptr, "got:hello");
	buf_reset(&out);
	assert_int_equal(sandbox_run(&l, -1, child_fail, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FAILED);
	assert_int_equal(detail, 3);
	assert_string_equal(out.ptr, "not a PDF");
	buf_release(&out);
}

/* The prepare hook runs before the filter: it may open a file, which the parser then reads
 * through the descriptor; the parser itself still cannot open one. */
static int prepared_fd = -1;
static int prepare_open(const struct sandbox_io *io)
{
	(void)io;
	prepared_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	return prepared_fd >= 0 ? 0 : 9;
}

static int child_use_prepared(const struct sandbox_io *io)
{
	char c = 1;
	if (read(prepared_fd, &c, 1) != 1 || c != 0)
		return 1;
	return sandbox_write(io, "read", 4) ? 0 : 1;
}

static int prepare_fails(const struct sandbox_io *io)
{
	sandbox_write(io, "no models", 9);
	return 7;
}

/* Writes 1 MiB to the data pipe and a word to the result pipe. */
static int child_data(const struct sandbox_io *io)
{
	static char block[64 * 1024];
	memset(block, 'd', sizeof block);
	for (int i = 0; i < 16; i++)
		if (!sandbox_write_data(io, block, sizeof block))
			return 1;
	return sandbox_write(io, "sent", 4) ? 0 : 1;
}

struct sink_count {
	size_t bytes, refuse_after;
};

static bool count_sink(void *ctx, const void *p, size_t n)
{
	struct sink_count *sc = ctx;
	for (size_t i = 0; i < n; i++)
		if (((const char *)p)[i] != 'd')
			return false;
	sc->bytes += n;
	return sc->refuse_after == 0 || sc->bytes < sc->refuse_after;
}

static int child_stdout(const struct sandbox_io *io)
{
	(void)io;
	return write(1, "x", 1) == 1 ? 0 : 1;
}

static int prepare_private_stdout(const struct sandbox_io *io)
{
	(void)io;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return fd >= 0 && dup2(fd, 1) == 1 ? 0 : 9;
}

static void test_sandbox_hooks(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	struct buf out;
	buf_init(&out, 1024);
	int detail = -1;
	struct sandbox_hooks prep = {prepare_open, false, NULL, NULL};
	assert_int_equal(sandbox_run_hooked(&l, &prep, -1, child_use_prepared, NULL, NULL, NULL,
					    &out, &detail),
			 SANDBOX_OK);
	assert_string_equal(out.ptr, "read");
	/* the filter is still there after the hook */
	buf_reset(&out);
	assert_int_equal(sandbox_run_hooked(&l, &prep, -1, child_openat, NULL, NULL, NULL, &out,
					    &detail),
			 SANDBOX_FORBIDDEN);
	/* a failing hook ends the child with its code and message */
	buf_reset(&out);
	struct sandbox_hooks bad = {prepare_fails, false, NULL, NULL};
	assert_int_equal(sandbox_run_hooked(&l, &bad, -1, child_ok, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FAILED);
	assert_int_equal(detail, 7);
	assert_string_equal(out.ptr, "no models");
	/* the data pipe streams to the sink, apart from the result */
	buf_reset(&out);
	struct sink_count sc = {0, 0};
	struct sandbox_hooks data = {NULL, false, count_sink, &sc};
	assert_int_equal(sandbox_run_hooked(&l, &data, -1, child_data, NULL, NULL, NULL, &out,
					    &detail),
			 SANDBOX_OK);
	assert_int_equal(sc.bytes, 16 * 64 * 1024);
	assert_string_equal(out.ptr, "sent");
	/* a sink that refuses kills the child */
	buf_reset(&out);
	struct sink_count refusing = {0, 100 * 1024};
	struct sandbox_hooks refuse = {NULL, false, count_sink, &refusing};
	assert_int_equal(sandbox_run_hooked(&l, &refuse, -1, child_data, NULL, NULL, NULL, &out,
					    &detail),
			 SANDBOX_BAD_OUTPUT);
	/* without a data pipe there is nothing to write to */
	buf_reset(&out);
	assert_int_equal(sandbox_run(&l, -1, child_data, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FAILED);
	/* stdout only when the hook made it private */
	struct sandbox_hooks priv = {prepare_private_stdout, true, NULL, NULL};
	assert_int_equal(sandbox_run_hooked(&l, &priv, -1, child_stdout, NULL, NULL, NULL, &out,
					    &detail),
			 SANDBOX_OK);
	struct sandbox_hooks not_priv = {prepare_private_stdout, false, NULL, NULL};
	assert_int_equal(sandbox_run_hooked(&l, &not_priv, -1, child_stdout, NULL, NULL, NULL, &out,
					    &detail),
			 SANDBOX_FORBIDDEN);
	buf_release(&out);
}

/* Several children at once: all succeed; one failing stops the others. */
static void test_sandbox_many(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	struct buf out[3];
	struct sandbox_task t[3];
	for (int i = 0; i < 3; i++) {
		buf_init(&out[i], 1024);
		t[i] = (struct sandbox_task){NULL, -1, child_ok_noinput, NULL, &out[i], SANDBOX_OK, 0};
	}
	size_t failed = 99;
	assert_int_equal(sandbox_run_many(&l, t, 3, NULL, NULL, &failed), SANDBOX_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t[i].result, SANDBOX_OK);
		assert_string_equal(out[i].ptr, "ok");
		buf_reset(&out[i]);
	}
	/* the second fails at once; the others sleep and are stopped, not waited for */
	t[0].fn = child_sleep;
	t[1].fn = child_fail;
	t[2].fn = child_sleep;
	time_t t0 = time(NULL);
	assert_int_equal(sandbox_run_many(&l, t, 3, NULL, NULL, &failed), SANDBOX_FAILED);
	assert_true(time(NULL) - t0 < 10);
	assert_int_equal(failed, 1);
	assert_int_equal(t[1].detail, 3);
	assert_string_equal(out[1].ptr, "not a PDF");
	assert_int_equal(t[0].result, SANDBOX_ABORTED);
	assert_int_equal(t[2].result, SANDBOX_ABORTED);
	/* more than the maximum is refused */
	assert_int_equal(sandbox_run_many(&l, t, 0, NULL, NULL, NULL), SANDBOX_ERROR);
	for (int i = 0; i < 3; i++)
		buf_release(&out[i]);
}

static void test_sandbox_crash(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	assert_int_equal(sandbox_run(&l, -1, child_crash, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_CRASHED);
	assert_int_equal(detail, SIGSEGV);
	char why[160];
	assert_non_null(strstr(sandbox_describe(SANDBOX_CRASHED, detail, why, sizeof why), "crashed"));
	buf_release(&out);
}

static void test_sandbox_timeout(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	l.wall_ms = 300;
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	assert_int_equal(sandbox_run(&l, -1, child_spin, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_TIMEOUT);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sandbox_run(&l, p[0], child_block, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_TIMEOUT);
	close(p[0]);
	close(p[1]);
	/* The CPU limit catches a spinning parser before the wall clock does. */
	l.wall_ms = 20000;
	l.cpu_seconds = 1;
	assert_int_equal(sandbox_run(&l, -1, child_spin, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_LIMIT);
	assert_true(detail == SIGXCPU || detail == SIGKILL);
	buf_release(&out);
}

static void test_sandbox_syscall_filter(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	assert_int_equal(sandbox_run(&l, -1, child_openat, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FORBIDDEN);
	assert_int_equal(detail, SIGSYS);
	assert_int_equal(sandbox_run(&l, -1, child_socket, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FORBIDDEN);
	assert_int_equal(sandbox_run(&l, -1, child_write_elsewhere, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_FORBIDDEN);
	buf_release(&out);
}

static void test_sandbox_memory_limit(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	l.memory_bytes = 64u << 20;
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	assert_int_equal(sandbox_run(&l, -1, child_bomb, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_LIMIT);
	buf_release(&out);
}

static void test_sandbox_output_and_abort(void **state)
{
	(void)state;
	struct sandbox_limits l;
	short_limits(&l);
	l.output_bytes = 64 * 1024;
	struct buf out;
	buf_init(&out, l.output_bytes);
	int detail = 0;
	assert_int_equal(sandbox_run(&l, -1, child_flood, NULL, NULL, NULL, &out, &detail),
			 SANDBOX_BAD_OUTPUT);
	buf_reset(&out);
	ticks = 0;
	assert_int_equal(sandbox_run(&l, -1, child_sleep, NULL, tick_progress, NULL, &out, &detail),
			 SANDBOX_ABORTED);
	assert_int_equal(ticks, 2);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test_setup_teardown(test_enqueue_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_expiry_reclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_expiry_after_last_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_then_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_release_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_document, setup, teardown),
		cmocka_unit_test(test_sandbox_ok),
		cmocka_unit_test(test_sandbox_crash),
		cmocka_unit_test(test_sandbox_hooks),
		cmocka_unit_test(test_sandbox_many),
		cmocka_unit_test(test_sandbox_timeout),
		cmocka_unit_test(test_sandbox_syscall_filter),
		cmocka_unit_test(test_sandbox_memory_limit),
		cmocka_unit_test(test_sandbox_output_and_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
