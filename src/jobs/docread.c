/* What the document-reading kinds share: see jobs/docread.h. */
#include "jobs/docread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/search.h"
#include "jobs/derived.h"
#include "sidang_limits.h"
#include "util/utf8.h"

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

bool doc_write_page(const struct sandbox_io *io, uint32_t page, unsigned flags, const void *text,
		    size_t n)
{
	unsigned char head[DOC_RECORD_HEADER];
	put_u32(head, page);
	head[4] = (unsigned char)flags;
	put_u32(head + 5, (uint32_t)n);
	return sandbox_write(io, head, sizeof head) && (n == 0 || sandbox_write(io, text, n));
}

int doc_fail(const struct sandbox_io *io, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	doc_write_page(io, 0, 0, msg, (size_t)n);
	return code;
}

size_t doc_visible_chars(const unsigned char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > ' ' && (p[i] & 0xC0) != 0x80)
			k++;
	return k;
}

int doc_read_input(const struct sandbox_io *io, unsigned char **data, size_t *len)
{
	struct stat sb;
	if (fstat(io->in_fd, &sb) != 0)
		return doc_fail(io, 1, "cannot read the stored file");
	if (sb.st_size <= 0)
		return doc_fail(io, DOC_EXIT_BAD_INPUT, "empty file");
	if ((uint64_t)sb.st_size > LIMIT_WORKER_INPUT_BYTES)
		return doc_fail(io, DOC_EXIT_BAD_INPUT, "file too large to read");
	size_t size = (size_t)sb.st_size, got = 0;
	unsigned char *p = malloc(size);
	if (!p)
		return SANDBOX_EXIT_NOMEM;
	while (got < size) {
		/* pread: children reading the same input at once share its offset. */
		ssize_t n = pread(io->in_fd, p + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return doc_fail(io, 1, "cannot read the stored file");
		}
		got += (size_t)n;
	}
	*data = p;
	*len = size;
	return 0;
}

int doc_check_pdf(const struct sandbox_io *io, const unsigned char *p, size_t n)
{
	if (n < 5 || memcmp(p, "%PDF-", 5) != 0)
		return doc_fail(io, DOC_EXIT_BAD_INPUT, "not a PDF (no %%PDF- header)");
	size_t from = n > 1024 ? n - 1024 : 0;
	for (size_t i = from; i + 5 <= n; i++)
		if (memcmp(p + i, "%%EOF", 5) == 0)
			return 0;
	return doc_fail(io, DOC_EXIT_BAD_INPUT,
			"truncated or damaged PDF: no %%%%EOF marker at its end");
}

/* --- MuPDF under a counted allocator ------------------------------------------------------ */

static void quiet(void *user, const char *message)
{
	(void)user;
	(void)message;
}

/* Each block carries its size in front. */
#define MEM_HEADER sizeof(max_align_t)
static size_t mem_used;
static bool mem_exceeded;

static void *counted_malloc(void *opaque, size_t size)
{
	(void)opaque;
	if (size > LIMIT_PDF_MEMORY_BYTES - mem_used) {
		mem_exceeded = true;
		return NULL;
	}
	unsigned char *p = malloc(size + MEM_HEADER);
	if (!p) {
		mem_exceeded = true;
		return NULL;
	}
	memcpy(p, &size, sizeof size);
	mem_used += size;
	return p + MEM_HEADER;
}

static void counted_free(void *opaque, void *ptr)
{
	(void)opaque;
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - MEM_HEADER;
	size_t size;
	memcpy(&size, p, sizeof size);
	mem_used -= size;
	free(p);
}

static void *counted_realloc(void *opaque, void *old, size_t size)
{
	if (!old)
		return counted_malloc(opaque, size);
	if (size == 0) {
		counted_free(opaque, old);
		return NULL;
	}
	unsigned char *p = (unsigned char *)old - MEM_HEADER;
	size_t was;
	memcpy(&was, p, sizeof was);
	if (size > was && size - was > LIMIT_PDF_MEMORY_BYTES - mem_used) {
		mem_exceeded = true;
		return NULL;
	}
	unsigned char *q = realloc(p, size + MEM_HEADER);
	if (!q) {
		mem_exceeded = true;
		return NULL;
	}
	memcpy(q, &size, sizeof size);
	mem_used = mem_used - was + size;
	return q + MEM_HEADER;
}

static const fz_alloc_context counted_alloc = {NULL, counted_malloc, counted_realloc,
					       counted_free};

fz_context *doc_new_context(void)
{
	fz_context *ctx = fz_new_context(&counted_alloc, NULL, FZ_STORE_DEFAULT);
	if (!ctx)
		return NULL;
	fz_set_warning_callback(ctx, quiet, NULL);
	fz_set_error_callback(ctx, quiet, NULL);
	fz_try(ctx)
		fz_register_document_handlers(ctx);
	fz_catch(ctx)
		return NULL;
	return ctx;
}

bool doc_memory_exceeded(void)
{
	return mem_exceeded;
}

int doc_fail_memory(const struct sandbox_io *io)
{
	return doc_fail(io, DOC_EXIT_BAD_INPUT,
			"the document needs more memory than allowed (%llu MiB; a decompression "
			"bomb?)",
			(unsigned long long)(LIMIT_PDF_MEMORY_BYTES >> 20));
}

int doc_caught(fz_context *ctx, const struct sandbox_io *io, const char *prefix)
{
	if (doc_memory_exceeded() || fz_caught(ctx) == FZ_ERROR_MEMORY)
		return doc_fail_memory(io);
	if (fz_caught(ctx) == DOC_REFUSED)
		return doc_fail(io, DOC_EXIT_BAD_INPUT, "%s", fz_caught_message(ctx));
	return doc_fail(io, DOC_EXIT_BAD_INPUT, "%s: %s", prefix, fz_caught_message(ctx));
}

/* --- in the worker ------------------------------------------------------------------------ */

void doc_failure_message(const struct buf *out, struct buf *msg)
{
	const unsigned char *p = (const unsigned char *)out->ptr;
	size_t left = out->len;
	while (left >= DOC_RECORD_HEADER) {
		uint32_t page = get_u32(p), n = get_u32(p + 5);
		if (n > left - DOC_RECORD_HEADER)
			break;
		if (page == 0) {
			buf_add(msg, p + DOC_RECORD_HEADER, n);
			break;
		}
		p += DOC_RECORD_HEADER + n;
		left -= DOC_RECORD_HEADER + n;
	}
	if (msg->len == 0 || !utf8_valid(msg->ptr, msg->len)) {
		buf_reset(msg);
		buf_adds(msg, "no reason given");
	}
}

enum status doc_store_pages(struct db_conn *c, int64_t document_id, int64_t version,
			    const struct buf *out, int *pages_out, int *flagged_out)
{
	const unsigned char *p = (const unsigned char *)out->ptr;
	size_t left = out->len;
	*pages_out = *flagged_out = 0;
	char *text = malloc(SEARCH_PAGE_TEXT_MAX_BYTES + 1);
	if (!text)
		return ST_NOMEM;
	enum status st = ST_OK;
	while (st == ST_OK && left > 0) {
		if (left < DOC_RECORD_HEADER) {
			st = ST_INVALID;
			break;
		}
		uint32_t page = get_u32(p), n = get_u32(p + 5);
		bool flagged = p[4] & DOC_PAGE_NEEDS_OCR;
		p += DOC_RECORD_HEADER;
		left -= DOC_RECORD_HEADER;
		if (page < 1 || n > left || n > SEARCH_PAGE_TEXT_MAX_BYTES) {
			st = ST_INVALID;
			break;
		}
		/* NUL bytes end the text early; a cut through a character is backed off to the
		 * last whole one. */
		size_t k = 0;
		while (k < n && p[k])
			k++;
		while (k > 0 && !utf8_valid((const char *)p, k))
			k--;
		memcpy(text, p, k);
		text[k] = '\0';
		st = search_store_page(c, document_id, version, page, text);
		p += n;
		left -= n;
		(*pages_out)++;
		if (flagged)
			(*flagged_out)++;
	}
	free(text);
	/* Reindexed once, after every page (a page at a time would be quadratic). */
	if (st == ST_OK && *pages_out > 0)
		st = search_pages_stored(c, document_id, version);
	return st;
}

int doc_record_pages(const struct buf *out, int *pages, int max)
{
	const unsigned char *p = (const unsigned char *)out->ptr;
	size_t left = out->len;
	int k = 0;
	while (left > 0) {
		if (left < DOC_RECORD_HEADER)
			return -1;
		uint32_t page = get_u32(p), n = get_u32(p + 5);
		if (n > left - DOC_RECORD_HEADER || page > (uint32_t)INT32_MAX)
			return -1;
		if (page > 0) {
			if (k == max)
				return -1;
			pages[k++] = (int)page - 1;
		}
		p += DOC_RECORD_HEADER + n;
		left -= DOC_RECORD_HEADER + n;
	}
	return k;
}

enum job_outcome doc_store_failure(enum status st, struct buf *error)
{
	if (st == ST_INVALID) {
		buf_adds(error, "the parser's output is malformed");
		return JOB_RETRY;
	}
	if (st == ST_NOT_FOUND) {
		buf_adds(error, "the document version does not exist");
		return JOB_PERMANENT;
	}
	buf_printf(error, "database: %s", status_name(st));
	return JOB_RETRY;
}

enum job_outcome doc_sandbox_failure(enum sandbox_result r, int detail, const struct buf *out,
				     struct buf *error)
{
	if (r == SANDBOX_FAILED) {
		struct buf msg;
		buf_init(&msg, 1024);
		doc_failure_message(out, &msg);
		enum job_outcome o;
		if (detail == DOC_EXIT_BAD_INPUT) {
			buf_add(error, msg.ptr, msg.len);
			o = JOB_PERMANENT;
		} else {
			o = job_sandbox_failure(r, detail, &msg, error);
		}
		buf_release(&msg);
		return o;
	}
	enum job_outcome o = job_sandbox_failure(r, detail, out, error);
	/* The same bytes reach the same memory or CPU limit again. */
	if (r == SANDBOX_LIMIT)
		o = JOB_PERMANENT;
	return o;
}

enum job_outcome doc_sink_failure(enum sandbox_result r, int detail, const struct buf *out,
				  struct derived_sink *sink, const char *what, struct buf *error)
{
	derived_sink_abort(sink);
	if (r == SANDBOX_BAD_OUTPUT && sink->st != ST_OK) {
		buf_printf(error, "cannot store %s: %s", what, status_name(sink->st));
		return JOB_RETRY;
	}
	return doc_sandbox_failure(r, detail, out, error);
}
