/*
 * Unit tests of the blob store (src/store/blob.c).
 *
 * Fault injection in fsio is read from the environment once per process, so each fault scenario
 * runs in a fresh process: the test re-executes this binary (/proc/self/exe) with the fault
 * variable set and "--fault SCENARIO" as arguments, and checks that it exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/blob.h"
#include "util/hex.h"

/* --- helpers ------------------------------------------------------------------------------- */

struct fixture {
	char root[64];  /* the mkdtemp directory */
	char dir[128];  /* root/blobs: the store, created by blob_store_open */
	struct blob_store *bs;
};

/* True in a re-executed fault child (see main). */
static bool child_mode;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->root, sizeof f->root, "/tmp/sidang-blob-XXXXXX");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof f->dir, "%s/blobs", f->root);
	/* In a fault child the store directory exists already, so that opening it does no fsync
	 * and the Nth fsync is the one the scenario names. */
	if (child_mode)
		mkdir(f->dir, 0700);
	int swept = -1;
	if (blob_store_open(f->dir, &f->bs, &swept) != ST_OK || swept != 0) {
		blob_store_free(f->bs);
		rm_rf(f->root);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	blob_store_free(f->bs);
	rm_rf(f->root);
	free(f);
	return 0;
}

/* Deterministic bytes that differ by SEED. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* Writes N bytes of P in uneven chunks and commits. */
static enum status store_bytes(struct blob_store *bs, const unsigned char *p, size_t n,
			       char sha[65], uint64_t *size)
{
	struct blob_writer *w = NULL;
	enum status st = blob_writer_begin(bs, n, &w);
	if (st != ST_OK)
		return st;
	size_t off = 0, step = 1;
	while (off < n) {
		size_t take = n - off < step ? n - off : step;
		st = blob_writer_write(w, p + off, take);
		if (st != ST_OK) {
			blob_writer_abort(w);
			return st;
		}
		off += take;
		step = step * 3 + 7;
	}
	return blob_writer_commit(w, sha, size);
}

static void read_all(int fd, unsigned char *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, out + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	unsigned char extra;
	assert_int_equal(read(fd, &extra, 1), 0);
}

static void blob_file(const struct fixture *f, const char *sha, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%.2s/%s", f->dir, sha, sha + 2);
}

static enum status count_cb(void *ctx, const char *sha)
{
	if (!hex_is_sha256(sha))
		return ST_INVALID;
	(*(int *)ctx)++;
	return ST_OK;
}

static int blob_count(struct blob_store *bs)
{
	int n = 0;
	assert_int_equal(blob_foreach(bs, count_cb, &n), ST_OK);
	return n;
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_write_commit_read(void **state)
{
	struct fixture *f = *state;
	size_t n = 200 * 1024 + 17;
	unsigned char *data = malloc(n), *back = malloc(n);
	assert_non_null(data);
	assert_non_null(back);
	fill(data, n, 1);
	char want[65];
	sha256_hex(data, n, want);

	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, n, &w), ST_OK);
	assert_int_equal(blob_tmp_count(f->bs), 1);
	size_t off = 0, step = 1000;
	while (off < n) {
		size_t take = n - off < step ? n - off : step;
		assert_int_equal(blob_writer_write(w, data + off, take), ST_OK);
		off += take;
		step += 4093;
	}
	assert_int_equal(blob_writer_size(w), n);
	size_t head_len = 0;
	const unsigned char *head = blob_writer_head(w, &head_len);
	assert_int_equal(head_len, BLOB_HEAD_BYTES);
	assert_memory_equal(head, data, BLOB_HEAD_BYTES);

	char sha[65];
	uint64_t size = 0;
	assert_int_equal(blob_writer_commit(w, sha, &size), ST_OK);
	assert_string_equal(sha, want);
	assert_int_equal(size, n);
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_true(blob_exists(f->bs, sha));

	/* The layout and modes the docs promise. */
	char path[256];
	struct stat sb;
	blob_file(f, sha, path, sizeof path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0444);
	assert_int_equal((uint64_t)sb.st_size, n);
	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	int fd = -1;
	size = 0;
	assert_int_equal(blob_open_verified(f->bs, sha, &fd, &size), ST_OK);
	assert_true(fd >= 0);
	assert_int_equal(size, n);
	read_all(fd, back, n);
	close(fd);
	assert_memory_equal(back, data, n);

	uint64_t ssize = 0;
	int64_t mtime = 0;
	assert_int_equal(blob_stat(f->bs, sha, &ssize, &mtime), ST_OK);
	assert_int_equal(ssize, n);
	assert_true(mtime > 0);
	free(data);
	free(back);
}

static void test_small_head_and_empty_blob(void **state)
{
	struct fixture *f = *state;
	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, 100, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, "%PDF-1.7", 8), ST_OK);
	assert_int_equal(blob_writer_write(w, "", 0), ST_OK);
	size_t len = 0;
	const unsigned char *head = blob_writer_head(w, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(head, "%PDF-1.7", 8);
	blob_writer_abort(w);

	/* An empty file is a blob like any other. */
	char sha[65];
	uint64_t size = 99;
	assert_int_equal(blob_writer_begin(f->bs, 0, &w), ST_OK);
	assert_int_equal(blob_writer_commit(w, sha, &size), ST_OK);
	assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	int fd = -1;
	assert_int_equal(blob_open_verified(f->bs, sha, &fd, &size), ST_OK);
	assert_int_equal(size, 0);
	close(fd);
}

static void test_same_content_twice_one_file(void **state)
{
	struct fixture *f = *state;
	unsigned char data[5000];
	fill(data, sizeof data, 2);
	char a[65], b[65];
	assert_int_equal(store_bytes(f->bs, data, sizeof data, a, NULL), ST_OK);
	assert_int_equal(store_bytes(f->bs, data, sizeof data, b, NULL), ST_OK);
	assert_string_equal(a, b);
	assert_int_equal(blob_count(f->bs), 1);
	assert_int_equal(blob_tmp_count(f->bs), 0);

	/* A second copy freshens the stored one, so a sweep with a grace period spares it. */
	char path[256];
	blob_file(f, a, path, sizeof path);
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	int64_t mtime = 0;
	assert_int_equal(blob_stat(f->bs, a, NULL, &mtime), ST_OK);
	assert_int_equal(mtime, 1000);
	assert_int_equal(store_bytes(f->bs, data, sizeof data, b, NULL), ST_OK);
	assert_int_equal(blob_stat(f->bs, a, NULL, &mtime), ST_OK);
	assert_true(mtime > 1000);

	/* A different content is a second blob. */
	data[0] ^= 1;
	assert_int_equal(store_bytes(f->bs, data, sizeof data, b, NULL), ST_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(blob_count(f->bs), 2);
}

static void test_too_large(void **state)
{
	struct fixture *f = *state;
	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, 10, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, "123456", 6), ST_OK);
	assert_int_equal(blob_writer_write(w, "7890", 4), ST_OK); /* exactly the maximum */
	assert_int_equal(blob_writer_write(w, "x", 1), ST_TOO_LARGE);
	/* The partial write is gone at once, and the error sticks. */
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_writer_write(w, "", 0), ST_TOO_LARGE);
	assert_int_equal(blob_writer_write(w, "y", 1), ST_TOO_LARGE);
	assert_int_equal(blob_writer_size(w), 10);
	char sha[65] = "unchanged";
	assert_int_equal(blob_writer_commit(w, sha, NULL), ST_TOO_LARGE);
	assert_string_equal(sha, "");
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_count(f->bs), 0);

	/* One write bigger than the whole maximum writes nothing; abort after it is fine. */
	unsigned char big[100] = {0};
	assert_int_equal(blob_writer_begin(f->bs, 10, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, big, sizeof big), ST_TOO_LARGE);
	assert_int_equal(blob_writer_size(w), 0);
	blob_writer_abort(w);
	assert_int_equal(blob_tmp_count(f->bs), 0);

	/* The maximum near UINT64_MAX does not wrap. */
	assert_int_equal(blob_writer_begin(f->bs, UINT64_MAX, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, big, sizeof big), ST_OK);
	blob_writer_abort(w);
}

static void test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, 1000, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, "half a document", 15), ST_OK);
	assert_int_equal(blob_tmp_count(f->bs), 1);
	blob_writer_abort(w);
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_count(f->bs), 0);
	blob_writer_abort(NULL);
}

static void test_corrupt_blob_detected(void **state)
{
	struct fixture *f = *state;
	unsigned char data[3000];
	fill(data, sizeof data, 3);
	char sha[65], path[256];
	assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_OK);
	blob_file(f, sha, path, sizeof path);

	/* Flip one byte, as bit rot or a stray writer would. */
	assert_int_equal(chmod(path, 0644), 0);
	int wfd = open(path, O_WRONLY);
	assert_true(wfd >= 0);
	unsigned char c = data[1234] ^ 0x40;
	assert_int_equal(pwrite(wfd, &c, 1, 1234), 1);
	close(wfd);
	assert_int_equal(chmod(path, 0444), 0);

	int fd = 12345;
	assert_int_equal(blob_open_verified(f->bs, sha, &fd, NULL), ST_CORRUPT);
	assert_int_equal(fd, -1);

	/* A truncated blob too. */
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(blob_open_verified(f->bs, sha, &fd, NULL), ST_CORRUPT);

	/* A symlink planted at an address is not followed. */
	unsigned char other[10] = "0123456789";
	char sha2[65], path2[256];
	assert_int_equal(store_bytes(f->bs, other, sizeof other, sha2, NULL), ST_OK);
	blob_file(f, sha2, path2, sizeof path2);
	assert_int_equal(unlink(path2), 0);
	assert_int_equal(symlink("/etc/passwd", path2), 0);
	assert_int_equal(blob_open_verified(f->bs, sha2, &fd, NULL), ST_CORRUPT);
	assert_false(blob_exists(f->bs, sha2));
}

static void test_not_found_and_remove(void **state)
{
	struct fixture *f = *state;
	const char *absent = "0000000000000000000000000000000000000000000000000000000000000000";
	int fd = 7;
	assert_int_equal(blob_open_verified(f->bs, absent, &fd, NULL), ST_NOT_FOUND);
	assert_int_equal(fd, -1);
	assert_false(blob_exists(f->bs, absent));
	assert_int_equal(blob_stat(f->bs, absent, NULL, NULL), ST_NOT_FOUND);
	assert_int_equal(blob_remove(f->bs, absent), ST_NOT_FOUND);

	char sha[65];
	assert_int_equal(store_bytes(f->bs, (const unsigned char *)"abc", 3, sha, NULL), ST_OK);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(blob_remove(f->bs, sha), ST_OK);
	assert_false(blob_exists(f->bs, sha));
	assert_int_equal(blob_remove(f->bs, sha), ST_NOT_FOUND);
	assert_int_equal(blob_count(f->bs), 0);
	/* Storing it again after removal works (the empty subdirectory was kept). */
	assert_int_equal(store_bytes(f->bs, (const unsigned char *)"abc", 3, sha, NULL), ST_OK);
	assert_true(blob_exists(f->bs, sha));
}

static void test_bad_sha_refused(void **state)
{
	struct fixture *f = *state;
	char dots[65], upper[65], slash[65], nonhex[65], long65[66], short63[64];
	memset(dots, 'a', 64);
	memcpy(dots, "../", 3);
	dots[64] = '\0';
	memset(upper, 'A', 64);
	upper[64] = '\0';
	memset(slash, 'b', 64);
	slash[10] = '/';
	slash[64] = '\0';
	memset(nonhex, 'g', 64);
	nonhex[64] = '\0';
	memset(long65, 'c', 65);
	long65[65] = '\0';
	memset(short63, 'd', 63);
	short63[63] = '\0';
	const char *bad[] = {NULL, "", "abc", dots, upper, slash, nonhex, long65, short63};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = 3;
		assert_int_equal(blob_open_verified(f->bs, bad[i], &fd, NULL), ST_INVALID);
		assert_int_equal(fd, -1);
		assert_false(blob_exists(f->bs, bad[i]));
		assert_int_equal(blob_remove(f->bs, bad[i]), ST_INVALID);
		assert_int_equal(blob_stat(f->bs, bad[i], NULL, NULL), ST_INVALID);
	}
}

static void test_sweep_on_open(void **state)
{
	struct fixture *f = *state;
	char path[256];
	/* Two leftovers of a crashed process: nobody holds their lock. */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/tmp/crashed-%d", f->dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "partial", 7), 7);
		close(fd);
	}
	/* A live writer of the open store. */
	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, 100, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, "alive", 5), ST_OK);
	assert_int_equal(blob_tmp_count(f->bs), 3);

	/* A second process (here: a second store) opening the same directory. */
	struct blob_store *other = NULL;
	int swept = -1;
	assert_int_equal(blob_store_open(f->dir, &other, &swept), ST_OK);
	assert_int_equal(swept, 2);
	assert_int_equal(blob_tmp_count(other), 1);

	/* The live write was spared and still commits. */
	char sha[65];
	assert_int_equal(blob_writer_commit(w, sha, NULL), ST_OK);
	assert_true(blob_exists(other, sha));
	assert_int_equal(blob_tmp_count(other), 0);
	blob_store_free(other);

	/* Reopening a clean store sweeps nothing; a trailing slash names the same store. */
	char slashed[160];
	snprintf(slashed, sizeof slashed, "%s/", f->dir);
	assert_int_equal(blob_store_open(slashed, &other, &swept), ST_OK);
	assert_int_equal(swept, 0);
	assert_true(blob_exists(other, sha));
	blob_store_free(other);
}

/* A process killed in the middle of an upload leaves a temp file and no blob; the next open
 * removes it (the kernel dropped the dead writer's lock). */
static void test_killed_writer_swept(void **state)
{
	struct fixture *f = *state;
	unsigned char data[8192];
	fill(data, sizeof data, 5);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct blob_writer *w = NULL;
		if (blob_writer_begin(f->bs, sizeof data, &w) == ST_OK &&
		    blob_writer_write(w, data, sizeof data / 2) == ST_OK)
			raise(SIGKILL);
		_exit(1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(blob_tmp_count(f->bs), 1);
	assert_int_equal(blob_count(f->bs), 0);

	struct blob_store *bs = NULL;
	int swept = -1;
	assert_int_equal(blob_store_open(f->dir, &bs, &swept), ST_OK);
	assert_int_equal(swept, 1);
	assert_int_equal(blob_tmp_count(bs), 0);
	assert_int_equal(blob_count(bs), 0);
	blob_store_free(bs);
}

static void test_open_refuses_bad_dir(void **state)
{
	struct fixture *f = *state;
	struct blob_store *bs = (struct blob_store *)1;
	assert_int_equal(blob_store_open("", &bs, NULL), ST_INVALID);
	assert_null(bs);
	assert_int_equal(blob_store_open(NULL, &bs, NULL), ST_INVALID);
	/* A regular file where the directory should be. */
	char path[256];
	snprintf(path, sizeof path, "%s/file", f->root);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(blob_store_open(path, &bs, NULL), ST_IO);
	assert_null(bs);
}

static void test_open_creates_nested(void **state)
{
	struct fixture *f = *state;
	char dir[256];
	snprintf(dir, sizeof dir, "%s/a/b/c", f->root);
	struct blob_store *bs = NULL;
	assert_int_equal(blob_store_open(dir, &bs, NULL), ST_OK);
	char sha[65];
	assert_int_equal(store_bytes(bs, (const unsigned char *)"nested", 6, sha, NULL), ST_OK);
	assert_true(blob_exists(bs, sha));
	blob_store_free(bs);
	struct stat sb;
	snprintf(dir, sizeof dir, "%s/a/b/c/tmp", f->root);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
}

static enum status stop_cb(void *ctx, const char *sha)
{
	(void)sha;
	int *n = ctx;
	return ++*n == 2 ? ST_CONFLICT : ST_OK;
}

static enum status remove_cb(void *ctx, const char *sha)
{
	return blob_remove(ctx, sha);
}

static void test_foreach(void **state)
{
	struct fixture *f = *state;
	char sha[65];
	for (uint32_t i = 0; i < 5; i++) {
		unsigned char data[64];
		fill(data, sizeof data, 100 + i);
		assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_OK);
	}
	/* Stray files are not blobs. */
	char path[256];
	snprintf(path, sizeof path, "%s/README", f->dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof path, "%s/%.2s/not-a-blob", f->dir, sha);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(blob_count(f->bs), 5);
	int n = 0;
	assert_int_equal(blob_foreach(f->bs, stop_cb, &n), ST_CONFLICT);
	assert_int_equal(n, 2);
	/* The callback may remove what it is given (a sweep). */
	assert_int_equal(blob_foreach(f->bs, remove_cb, f->bs), ST_OK);
	assert_int_equal(blob_count(f->bs), 0);
}

/* --- concurrency --------------------------------------------------------------------------- */

#define THREADS 8
#define BLOBS_PER_THREAD 5
#define SHARED_BLOBS 3 /* the first few blobs of every thread have the same bytes */
#define BLOB_SIZE (100 * 1024 + 3)

struct thread_job {
	struct blob_store *bs;
	int index;
	int failures;
};

static void *writer_thread(void *arg)
{
	struct thread_job *job = arg;
	unsigned char *data = malloc(BLOB_SIZE);
	if (!data) {
		job->failures++;
		return NULL;
	}
	for (int i = 0; i < BLOBS_PER_THREAD; i++) {
		uint32_t seed = i < SHARED_BLOBS ? (uint32_t)i : (uint32_t)(1000 + job->index * 100 + i);
		fill(data, BLOB_SIZE, seed);
		char want[65], got[65];
		uint64_t size = 0;
		sha256_hex(data, BLOB_SIZE, want);
		if (store_bytes(job->bs, data, BLOB_SIZE, got, &size) != ST_OK || strcmp(want, got) != 0 ||
		    size != BLOB_SIZE)
			job->failures++;
		int fd = -1;
		if (blob_open_verified(job->bs, want, &fd, NULL) != ST_OK)
			job->failures++;
		else
			close(fd);
	}
	free(data);
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	pthread_t threads[THREADS];
	struct thread_job jobs[THREADS];
	for (int t = 0; t < THREADS; t++) {
		jobs[t] = (struct thread_job){f->bs, t, 0};
		assert_int_equal(pthread_create(&threads[t], NULL, writer_thread, &jobs[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(pthread_join(threads[t], NULL), 0);
		assert_int_equal(jobs[t].failures, 0);
	}
	assert_int_equal(blob_count(f->bs), SHARED_BLOBS + THREADS * (BLOBS_PER_THREAD - SHARED_BLOBS));
	assert_int_equal(blob_tmp_count(f->bs), 0);
}

/* --- fault injection, each in a fresh process ----------------------------------------------- */

static char self_path[4096];

/* Runs this binary again with ENV_NAME=ENV_VALUE and "--fault SCENARIO"; asserts it passed. */
static void run_fault_child(const char *env_name, const char *env_value, const char *scenario)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv(env_name, env_value, 1);
		char *argv[] = {self_path, "--fault", (char *)scenario, NULL};
		execv(self_path, argv);
		_exit(127);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_fault_enospc(void **state)
{
	(void)state;
	run_fault_child("SIDANG_FAULT_ENOSPC_AFTER", "100000", "enospc");
}

static void test_fault_fsync_open(void **state)
{
	(void)state;
	run_fault_child("SIDANG_FAULT_FSYNC", "1", "fsync-open");
}

static void test_fault_fsync_file(void **state)
{
	(void)state;
	run_fault_child("SIDANG_FAULT_FSYNC", "1", "fsync-file");
}

static void test_fault_fsync_subdir(void **state)
{
	(void)state;
	run_fault_child("SIDANG_FAULT_FSYNC", "2", "fsync-dir");
}

static void test_fault_fsync_dir(void **state)
{
	(void)state;
	run_fault_child("SIDANG_FAULT_FSYNC", "3", "fsync-dir");
}

/* Child: the disk fills after 100000 bytes. */
static void child_enospc(void **state)
{
	struct fixture *f = *state;
	unsigned char chunk[64 * 1024];
	fill(chunk, sizeof chunk, 9);
	struct blob_writer *w = NULL;
	assert_int_equal(blob_writer_begin(f->bs, 1 << 20, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, chunk, sizeof chunk), ST_OK);
	assert_int_equal(blob_writer_write(w, chunk, sizeof chunk), ST_NOSPACE);
	/* The partial file is removed at once, to give the space back. */
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_writer_write(w, chunk, 1), ST_NOSPACE);
	char sha[65];
	assert_int_equal(blob_writer_commit(w, sha, NULL), ST_NOSPACE);
	assert_string_equal(sha, "");
	assert_int_equal(blob_count(f->bs), 0);

	/* Still full: the next upload fails on its first write and leaves nothing. */
	assert_int_equal(blob_writer_begin(f->bs, 1 << 20, &w), ST_OK);
	assert_int_equal(blob_writer_write(w, chunk, 1), ST_NOSPACE);
	blob_writer_abort(w);
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_count(f->bs), 0);
}

/* Child: creating a new store fsyncs the parent directory, so that the store's own name
 * survives a crash; that fsync (the first) fails. */
static void child_fsync_open(void **state)
{
	(void)state;
	char root[64], dir[128];
	snprintf(root, sizeof root, "/tmp/sidang-blob-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof dir, "%s/new/blobs", root);
	struct blob_store *bs = NULL;
	assert_int_equal(blob_store_open(dir, &bs, NULL), ST_IO);
	assert_null(bs);
	/* Now the directories exist: opening again needs no fsync and works. */
	assert_int_equal(blob_store_open(dir, &bs, NULL), ST_OK);
	assert_int_equal(blob_tmp_count(bs), 0);
	blob_store_free(bs);
	rm_rf(root);
}

/* Child: the first fsync (the temp file's) fails. */
static void child_fsync_file(void **state)
{
	struct fixture *f = *state;
	unsigned char data[10000];
	fill(data, sizeof data, 10);
	char sha[65];
	assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_IO);
	assert_string_equal(sha, "");
	assert_int_equal(blob_tmp_count(f->bs), 0);
	assert_int_equal(blob_count(f->bs), 0);
	/* The next attempt (fsyncs work again) stores it. */
	assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_OK);
	int fd = -1;
	assert_int_equal(blob_open_verified(f->bs, sha, &fd, NULL), ST_OK);
	close(fd);
}

/* Child: a directory fsync after the link fails (the 2nd: subdirectory, 3rd: DIR). */
static void child_fsync_dir(void **state)
{
	struct fixture *f = *state;
	unsigned char data[10000];
	fill(data, sizeof data, 11);
	char want[65], sha[65];
	sha256_hex(data, sizeof data, want);
	assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_IO);
	assert_string_equal(sha, "");
	assert_int_equal(blob_tmp_count(f->bs), 0);
	/* The blob may be under its address, but only whole. */
	if (blob_exists(f->bs, want)) {
		int fd = -1;
		assert_int_equal(blob_open_verified(f->bs, want, &fd, NULL), ST_OK);
		close(fd);
	}
	/* Retrying the upload succeeds and is durable this time. */
	assert_int_equal(store_bytes(f->bs, data, sizeof data, sha, NULL), ST_OK);
	assert_string_equal(sha, want);
	assert_int_equal(blob_count(f->bs), 1);
	assert_int_equal(blob_tmp_count(f->bs), 0);
}

static int run_child(const char *scenario)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(child_enospc, setup, teardown),
		cmocka_unit_test(child_fsync_open),
		cmocka_unit_test_setup_teardown(child_fsync_file, setup, teardown),
		cmocka_unit_test_setup_teardown(child_fsync_dir, setup, teardown),
	};
	static const char *names[] = {"enospc", "fsync-open", "fsync-file", "fsync-dir"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(scenario, names[i]) == 0)
			return _cmocka_run_group_tests(names[i], &tests[i], 1, NULL, NULL);
	fprintf(stderr, "unknown fault scenario \"%s\"\n", scenario);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fault") == 0) {
		child_mode = true;
		return run_child(argv[2]) == 0 ? 0 : 1;
	}

	ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	if (n <= 0) {
		fprintf(stderr, "cannot find this test binary: %s\n", strerror(errno));
		return 1;
	}
	self_path[n] = '\0';
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_commit_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_head_and_empty_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_content_twice_one_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_blob_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sha_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_writer_swept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_bad_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_creates_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test(test_fault_enospc),
		cmocka_unit_test(test_fault_fsync_open),
		cmocka_unit_test(test_fault_fsync_file),
		cmocka_unit_test(test_fault_fsync_subdir),
		cmocka_unit_test(test_fault_fsync_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
