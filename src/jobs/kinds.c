/*
 * The job kinds: verify_blob (every new document version), and the test-only kinds sleep, crash
 * and forbidden that exercise the sandbox and the queue from the integration tests.
 */
#include "jobs/kinds.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "domain/filetype.h"
#include "sidang_limits.h"
#include "util/hex.h"

/* --- verify_blob -------------------------------------------------------------------------- */

/* In the sandbox: SHA-256 of the input, as 64 hex digits. ARG points at the size, for progress. */
static int child_hash(const struct sandbox_io *io)
{
	uint64_t size = *(const uint64_t *)io->arg, done = 0;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	static unsigned char chunk[LIMIT_IO_CHUNK];
	int last = -1;
	for (;;) {
		ssize_t n = read(io->in_fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			static const char msg[] = "cannot read the blob";
			sandbox_write(io, msg, sizeof msg - 1);
			return 1;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
		done += (uint64_t)n;
		int pct = size ? (int)(done * 100 / size) : 100;
		if (pct != last)
			sandbox_progress(io, last = pct);
	}
	unsigned char digest[SHA256_BYTES];
	char hex[SHA256_HEX];
	crypto_hash_sha256_final(&h, digest);
	hex_encode(digest, sizeof digest, hex);
	return sandbox_write(io, hex, SHA256_HEX - 1) ? 0 : 1;
}

enum job_outcome job_open_blob(struct job_ctx *x, int *fd_out, uint64_t *size_out,
			       char *sha_out, struct buf *error)
{
	return job_open_blob_mime(x, fd_out, size_out, sha_out, NULL, error);
}

enum job_outcome job_open_blob_mime(struct job_ctx *x, int *fd_out, uint64_t *size_out,
				    char *sha_out, char *mime_out, struct buf *error)
{
	char sha[SHA256_HEX] = "";
	uint64_t size = 0;
	struct db_stmt *s;
	enum status st = db_prepare(x->c, SQL_JOB_VERSION_BLOB, &s);
	if (st != ST_OK) {
		buf_printf(error, "database: %s", status_name(st));
		return JOB_RETRY;
	}
	db_bind_int(s, 1, x->job->document_id);
	db_bind_int(s, 2, x->job->version);
	bool row;
	st = db_step(s, &row);
	if (st == ST_OK && row) {
		snprintf(sha, sizeof sha, "%s", db_col_text(s, 0) ? db_col_text(s, 0) : "");
		size = (uint64_t)db_col_int(s, 1);
		if (mime_out)
			snprintf(mime_out, FILETYPE_MIME_MAX, "%s",
				 db_col_text(s, 2) ? db_col_text(s, 2) : "");
	}
	db_done(s);
	if (st != ST_OK) {
		buf_printf(error, "database: %s", status_name(st));
		return JOB_RETRY;
	}
	if (!row || !hex_is_sha256(sha)) {
		buf_adds(error, "the document version does not exist");
		return JOB_PERMANENT;
	}
	enum job_outcome o = job_open_sha(x, sha, fd_out, error);
	if (o != JOB_DONE)
		return o;
	if (size_out)
		*size_out = size;
	if (sha_out)
		memcpy(sha_out, sha, SHA256_HEX);
	return JOB_DONE;
}

enum job_outcome job_open_sha(struct job_ctx *x, const char *sha, int *fd_out, struct buf *error)
{
	/* Opened as it is, without blob_open_verified: checking the contents is this job's work, and
	 * it happens in the sandbox. The layout is store/blob.h's: DIR/ab/cdef... */
	char path[4096];
	if (snprintf(path, sizeof path, "%s/%.2s/%s", x->cfg->blob_dir, sha, sha + 2) >=
	    (int)sizeof path) {
		buf_adds(error, "blob path too long");
		return JOB_PERMANENT;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		buf_printf(error, "cannot open the stored file: %s", strerror(e));
		return e == ENOENT ? JOB_PERMANENT : JOB_RETRY;
	}
	*fd_out = fd;
	return JOB_DONE;
}

static enum job_outcome run_verify_blob(struct job_ctx *x, struct buf *result, struct buf *error)
{
	char sha[SHA256_HEX] = "";
	uint64_t size = 0;
	int fd = -1;
	enum job_outcome o = job_open_blob(x, &fd, &size, sha, error);
	if (o != JOB_DONE)
		return o;
	struct buf out;
	buf_init(&out, LIMIT_WORKER_OUTPUT_BYTES);
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, fd, child_hash, &size, &out, &detail);
	close(fd);
	if (r != SANDBOX_OK) {
		o = job_sandbox_failure(r, detail, &out, error);
	} else if (out.len != SHA256_HEX - 1 || !hex_is_sha256(out.ptr)) {
		buf_adds(error, "the parser's output is not a SHA-256");
		o = JOB_RETRY;
	} else if (strcmp(out.ptr, sha) != 0) {
		buf_adds(error, "contents do not match their SHA-256");
		o = JOB_PERMANENT;
	} else {
		buf_printf(result, "{\"ok\": true, \"sha256\": \"%s\"}", sha);
		o = JOB_DONE;
	}
	buf_release(&out);
	return o;
}

/* --- test kinds (SIDANG_TEST_JOBS=1) ------------------------------------------------------ */

/* In the sandbox: sleeps ARG seconds, reporting progress each second. */
static int child_sleep(const struct sandbox_io *io)
{
	int seconds = *(const int *)io->arg;
	for (int i = 0; i < seconds; i++) {
		struct timespec ts = {1, 0};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		sandbox_progress(io, (i + 1) * 100 / seconds);
	}
	return sandbox_write(io, "slept", 5) ? 0 : 1;
}

static enum job_outcome run_sleep(struct job_ctx *x, struct buf *result, struct buf *error)
{
	int seconds = 1;
	json_t *p = x->job->params[0] ? json_loads(x->job->params, 0, NULL) : NULL;
	json_t *v = json_object_get(p, "seconds");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 3600)
		seconds = (int)json_integer_value(v);
	json_decref(p);
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, -1, child_sleep, &seconds, &out, &detail);
	enum job_outcome o = JOB_DONE;
	if (r != SANDBOX_OK)
		o = job_sandbox_failure(r, detail, &out, error);
	else
		buf_printf(result, "{\"slept\": %d}", seconds);
	buf_release(&out);
	return o;
}

/* In the sandbox: a write to an unmapped address (a real SIGSEGV, not a raised one). */
static int child_crash(const struct sandbox_io *io)
{
	(void)io;
	volatile uintptr_t addr = 16;
	*(volatile int *)addr = 1;
	return 0;
}

/* In the sandbox: tries to open a file, which the filter answers by killing the process. */
static int child_forbidden(const struct sandbox_io *io)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	if (fd >= 0)
		sandbox_write(io, "opened a file", 13);
	return fd >= 0 ? 0 : 1;
}

static enum job_outcome run_child(struct job_ctx *x, sandbox_fn fn, struct buf *result,
				  struct buf *error)
{
	struct buf out;
	buf_init(&out, 1024);
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, -1, fn, NULL, &out, &detail);
	enum job_outcome o = JOB_DONE;
	if (r != SANDBOX_OK)
		o = job_sandbox_failure(r, detail, &out, error);
	else
		buf_adds(result, "{\"ok\": true}");
	buf_release(&out);
	return o;
}

static enum job_outcome run_crash(struct job_ctx *x, struct buf *result, struct buf *error)
{
	return run_child(x, child_crash, result, error);
}

static enum job_outcome run_forbidden(struct job_ctx *x, struct buf *result, struct buf *error)
{
	return run_child(x, child_forbidden, result, error);
}

static const struct job_kind kinds[] = {
	{JOB_KIND_VERIFY_BLOB, false, run_verify_blob},
	{JOB_KIND_EXTRACT_TEXT, false, job_run_extract_text},
	{JOB_KIND_OCR, false, job_run_ocr},
	{JOB_KIND_THUMBNAIL, false, job_run_thumbnail},
	{JOB_KIND_EXTRACT_OFFICE, false, job_run_extract_office},
	{JOB_KIND_OFFICE_PREVIEW, false, job_run_office_preview},
	{"sleep", true, run_sleep},
	{"crash", true, run_crash},
	{"forbidden", true, run_forbidden},
};

const struct job_kind *job_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}
