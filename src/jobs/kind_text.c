/*
 * The job kind extract_text (every new PDF version): MuPDF reads the PDF in the sandboxed child
 * and sends back the text of each page; the worker stores it with search_set_text, so the
 * document is found by the words on its pages. Pages with (almost) no text are scans: they are
 * counted in the result as needing OCR.
 *
 * The child's output is a sequence of records, each
 *   page (4 bytes, big-endian, from 1) | flags (1 byte) | length (4 bytes, big-endian) | text
 * parsed by the worker with every length checked against what is left. A failure's reason is a
 * record of page 0 (after the records of the pages read before it).
 *
 * Bad input ends as a permanent failure with a readable reason (the child exits with
 * TEXT_EXIT_BAD_INPUT): an empty or truncated file, an encrypted PDF, a page larger than
 * LIMIT_PDF_PAGE_POINTS, more pages than LIMIT_PDF_PAGES, more memory than LIMIT_PDF_MEMORY_BYTES
 * (a decompression bomb), or an error MuPDF throws. A memory or CPU limit of the sandbox reached
 * on a PDF is permanent too: the same bytes hit it again. See docs/internals/jobs.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <mupdf/fitz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/search.h"
#include "jobs/kinds.h"
#include "sidang_limits.h"
#include "util/utf8.h"

/* The child's exit code for input that can never be read (a permanent failure). */
#define TEXT_EXIT_BAD_INPUT 2
/* Record flags. */
#define TEXT_PAGE_NEEDS_OCR 1
#define TEXT_RECORD_HEADER 9
/* Output the child keeps back: a header for every page and its final message. */
#define TEXT_OUTPUT_RESERVE ((size_t)LIMIT_PDF_PAGES * TEXT_RECORD_HEADER + 4096)

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

/* In the child: writes REASON (a printf format) to the result pipe as a record of page 0 (after
 * the pages' records, if any) and returns CODE. */
static int child_fail(const struct sandbox_io *io, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int child_fail(const struct sandbox_io *io, int code, const char *fmt, ...)
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
	unsigned char head[TEXT_RECORD_HEADER] = {0};
	put_u32(head + 5, (uint32_t)n);
	sandbox_write(io, head, sizeof head);
	sandbox_write(io, msg, (size_t)n);
	return code;
}

static void quiet(void *user, const char *message)
{
	(void)user;
	(void)message;
}

/* MuPDF's allocations in the child are counted against LIMIT_PDF_MEMORY_BYTES: MuPDF catches a
 * failed allocation and goes on without the object (a font, an image), so a decompression bomb
 * would otherwise pass unnoticed; and an allocation failing under RLIMIT_AS in a sanitizer build
 * ends in a report the filter kills. Each block carries its size in front. */
#define PDF_MEM_HEADER sizeof(max_align_t)
static size_t pdf_mem_used;
static bool pdf_mem_exceeded;

static void *pdf_malloc(void *opaque, size_t size)
{
	(void)opaque;
	if (size > LIMIT_PDF_MEMORY_BYTES - pdf_mem_used) {
		pdf_mem_exceeded = true;
		return NULL;
	}
	unsigned char *p = malloc(size + PDF_MEM_HEADER);
	if (!p) {
		pdf_mem_exceeded = true;
		return NULL;
	}
	memcpy(p, &size, sizeof size);
	pdf_mem_used += size;
	return p + PDF_MEM_HEADER;
}

static void pdf_free(void *opaque, void *ptr)
{
	(void)opaque;
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - PDF_MEM_HEADER;
	size_t size;
	memcpy(&size, p, sizeof size);
	pdf_mem_used -= size;
	free(p);
}

static void *pdf_realloc(void *opaque, void *old, size_t size)
{
	if (!old)
		return pdf_malloc(opaque, size);
	if (size == 0) {
		pdf_free(opaque, old);
		return NULL;
	}
	unsigned char *p = (unsigned char *)old - PDF_MEM_HEADER;
	size_t was;
	memcpy(&was, p, sizeof was);
	if (size > was && size - was > LIMIT_PDF_MEMORY_BYTES - pdf_mem_used) {
		pdf_mem_exceeded = true;
		return NULL;
	}
	unsigned char *q = realloc(p, size + PDF_MEM_HEADER);
	if (!q) {
		pdf_mem_exceeded = true;
		return NULL;
	}
	memcpy(q, &size, sizeof size);
	pdf_mem_used = pdf_mem_used - was + size;
	return q + PDF_MEM_HEADER;
}

static const fz_alloc_context pdf_alloc = {NULL, pdf_malloc, pdf_realloc, pdf_free};

/* Characters other than white space in P[0..N). */
static size_t visible_chars(const unsigned char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > ' ' && (p[i] & 0xC0) != 0x80)
			k++;
	return k;
}

/* In the child: reads the whole input (at most LIMIT_WORKER_INPUT_BYTES) into *DATA. */
static int read_input(const struct sandbox_io *io, unsigned char **data, size_t *len)
{
	struct stat sb;
	if (fstat(io->in_fd, &sb) != 0)
		return child_fail(io, 1, "cannot read the stored file");
	if (sb.st_size <= 0)
		return child_fail(io, TEXT_EXIT_BAD_INPUT, "empty file");
	if ((uint64_t)sb.st_size > LIMIT_WORKER_INPUT_BYTES)
		return child_fail(io, TEXT_EXIT_BAD_INPUT, "file too large to read");
	size_t size = (size_t)sb.st_size, got = 0;
	unsigned char *p = malloc(size);
	if (!p)
		return SANDBOX_EXIT_NOMEM;
	while (got < size) {
		ssize_t n = read(io->in_fd, p + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return child_fail(io, 1, "cannot read the stored file");
		}
		got += (size_t)n;
	}
	*data = p;
	*len = size;
	return 0;
}

/* Whether the last KiB of P holds "%%EOF": a PDF cut short lacks it (MuPDF would repair it
 * silently and index part of the document). */
static bool has_eof_marker(const unsigned char *p, size_t n)
{
	size_t from = n > 1024 ? n - 1024 : 0;
	for (size_t i = from; i + 5 <= n; i++)
		if (memcmp(p + i, "%%EOF", 5) == 0)
			return true;
	return false;
}

static int extract_pages(const struct sandbox_io *io, unsigned char *const data, const size_t len);

/* In the child: extracts each page's text and writes the records. */
static int child_extract(const struct sandbox_io *io)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = read_input(io, &data, &len);
	if (rc != 0)
		return rc;
	if (len < 5 || memcmp(data, "%PDF-", 5) != 0)
		return child_fail(io, TEXT_EXIT_BAD_INPUT, "not a PDF (no %%PDF- header)");
	if (!has_eof_marker(data, len))
		return child_fail(io, TEXT_EXIT_BAD_INPUT,
				  "truncated or damaged PDF: no %%%%EOF marker at its end");
	return extract_pages(io, data, len);
}

/* The MuPDF part of child_extract, apart so that no local of the caller (whose address was
 * taken) lives across fz_try's setjmp. */
static int extract_pages(const struct sandbox_io *io, unsigned char *const data, const size_t len)
{
	fz_context *ctx = fz_new_context(&pdf_alloc, NULL, FZ_STORE_DEFAULT);
	if (!ctx)
		return SANDBOX_EXIT_NOMEM;
	fz_set_warning_callback(ctx, quiet, NULL);
	fz_set_error_callback(ctx, quiet, NULL);
	fz_document *doc = NULL;
	fz_stream *stm = NULL;
	fz_page *page = NULL;
	fz_stext_page *text = NULL;
	fz_buffer *out = NULL;
	volatile int result = 0;
	volatile int pageno = 0;
	size_t budget = LIMIT_WORKER_OUTPUT_BYTES - TEXT_OUTPUT_RESERVE;
	_Static_assert(LIMIT_WORKER_OUTPUT_BYTES > TEXT_OUTPUT_RESERVE, "room for text");
	fz_var(doc);
	fz_var(stm);
	fz_var(page);
	fz_var(text);
	fz_var(out);
	fz_try(ctx)
	{
		fz_register_document_handlers(ctx);
		stm = fz_open_memory(ctx, data, len);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		if (fz_needs_password(ctx, doc)) {
			result = child_fail(io, TEXT_EXIT_BAD_INPUT, "encrypted PDF");
			break;
		}
		int pages = fz_count_pages(ctx, doc);
		if (pages <= 0) {
			result = child_fail(io, TEXT_EXIT_BAD_INPUT,
					    "truncated or damaged PDF: it has no pages");
			break;
		}
		if (pages > LIMIT_PDF_PAGES) {
			result = child_fail(io, TEXT_EXIT_BAD_INPUT,
					    "the PDF has %d pages (at most %d)", pages,
					    LIMIT_PDF_PAGES);
			break;
		}
		for (int i = 0; i < pages && result == 0; i++) {
			pageno = i + 1;
			page = fz_load_page(ctx, doc, i);
			fz_rect r = fz_bound_page(ctx, page);
			float w = r.x1 - r.x0, h = r.y1 - r.y0;
			if (!(w > 0 && h > 0 && w <= LIMIT_PDF_PAGE_POINTS &&
			      h <= LIMIT_PDF_PAGE_POINTS)) {
				result = child_fail(io, TEXT_EXIT_BAD_INPUT,
						    "page too large: page %d is %.0f×%.0f points "
						    "(at most %d×%d)",
						    i + 1, (double)w, (double)h,
						    LIMIT_PDF_PAGE_POINTS, LIMIT_PDF_PAGE_POINTS);
				break;
			}
			text = fz_new_stext_page_from_page(ctx, page, NULL);
			out = fz_new_buffer_from_stext_page(ctx, text);
			unsigned char *p;
			size_t n = fz_buffer_storage(ctx, out, &p);
			if (n > SEARCH_PAGE_TEXT_MAX_BYTES)
				n = SEARCH_PAGE_TEXT_MAX_BYTES; /* bounded below: the worker cuts at UTF-8 */
			if (n > budget)
				n = 0; /* over the output budget: the page is counted, not stored */
			unsigned char head[TEXT_RECORD_HEADER];
			put_u32(head, (uint32_t)(i + 1));
			head[4] = visible_chars(p, n) < LIMIT_TEXT_MIN_CHARS ? TEXT_PAGE_NEEDS_OCR : 0;
			put_u32(head + 5, (uint32_t)n);
			if (!sandbox_write(io, head, sizeof head) || (n && !sandbox_write(io, p, n)))
				result = 1;
			budget -= n;
			fz_drop_buffer(ctx, out);
			out = NULL;
			fz_drop_stext_page(ctx, text);
			text = NULL;
			fz_drop_page(ctx, page);
			page = NULL;
			sandbox_progress(io, (i + 1) * 100 / pages);
			if (pdf_mem_exceeded)
				break;
		}
	}
	fz_always(ctx)
	{
		fz_drop_buffer(ctx, out);
		fz_drop_stext_page(ctx, text);
		fz_drop_page(ctx, page);
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		if (pdf_mem_exceeded || fz_caught(ctx) == FZ_ERROR_MEMORY)
			result = -1;
		else if (pageno > 0)
			result = child_fail(io, TEXT_EXIT_BAD_INPUT,
					    "truncated or damaged PDF: page %d: %s", pageno,
					    fz_caught_message(ctx));
		else
			result = child_fail(io, TEXT_EXIT_BAD_INPUT, "truncated or damaged PDF: %s",
					    fz_caught_message(ctx));
	}
	/* MuPDF may have skipped what it could not allocate and gone on: the text would be
	 * incomplete, and the file is a bomb or absurdly complex either way. */
	if (pdf_mem_exceeded || result == -1)
		return child_fail(io, TEXT_EXIT_BAD_INPUT,
				  "the PDF needs more memory than allowed (%llu MiB; a decompression "
				  "bomb?)",
				  (unsigned long long)(LIMIT_PDF_MEMORY_BYTES >> 20));
	/* No fz_drop_context or free: the process ends now, and exit_group frees everything. */
	return result;
}

/* The failure message (the record of page 0) in OUT, into MSG. */
static void failure_message(const struct buf *out, struct buf *msg)
{
	const unsigned char *p = (const unsigned char *)out->ptr;
	size_t left = out->len;
	while (left >= TEXT_RECORD_HEADER) {
		uint32_t page = get_u32(p), n = get_u32(p + 5);
		if (n > left - TEXT_RECORD_HEADER)
			break;
		if (page == 0) {
			buf_add(msg, p + TEXT_RECORD_HEADER, n);
			break;
		}
		p += TEXT_RECORD_HEADER + n;
		left -= TEXT_RECORD_HEADER + n;
	}
	if (msg->len == 0 || !utf8_valid(msg->ptr, msg->len)) {
		buf_reset(msg);
		buf_adds(msg, "no reason given");
	}
}

/* Stores the page records in OUT with search_set_text, in one transaction. *PAGES_OUT and
 * *OCR_OUT count the pages and those that need OCR. */
static enum job_outcome store_pages(struct job_ctx *x, const struct buf *out, int *pages_out,
				    int *ocr_out, struct buf *error)
{
	const unsigned char *p = (const unsigned char *)out->ptr;
	size_t left = out->len;
	enum status st = db_begin(x->c);
	if (st != ST_OK) {
		buf_printf(error, "database: %s", status_name(st));
		return JOB_RETRY;
	}
	*pages_out = *ocr_out = 0;
	char *text = malloc(SEARCH_PAGE_TEXT_MAX_BYTES + 1);
	if (!text) {
		db_rollback(x->c);
		buf_adds(error, "out of memory");
		return JOB_RETRY;
	}
	while (st == ST_OK && left > 0) {
		if (left < TEXT_RECORD_HEADER) {
			st = ST_INVALID;
			break;
		}
		uint32_t page = get_u32(p), n = get_u32(p + 5);
		bool ocr = p[4] & TEXT_PAGE_NEEDS_OCR;
		p += TEXT_RECORD_HEADER;
		left -= TEXT_RECORD_HEADER;
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
		st = search_set_text(x->c, x->job->document_id, x->job->version, page, text);
		p += n;
		left -= n;
		(*pages_out)++;
		if (ocr)
			(*ocr_out)++;
	}
	free(text);
	if (st == ST_OK)
		st = db_commit(x->c);
	else
		db_rollback(x->c);
	if (st == ST_INVALID) {
		buf_adds(error, "the parser's output is malformed");
		return JOB_RETRY;
	}
	if (st == ST_NOT_FOUND) {
		buf_adds(error, "the document version does not exist");
		return JOB_PERMANENT;
	}
	if (st != ST_OK) {
		buf_printf(error, "database: %s", status_name(st));
		return JOB_RETRY;
	}
	return JOB_DONE;
}

enum job_outcome job_run_extract_text(struct job_ctx *x, struct buf *result, struct buf *error)
{
	int fd = -1;
	enum job_outcome o = job_open_blob(x, &fd, NULL, NULL, error);
	if (o != JOB_DONE)
		return o;
	struct buf out;
	buf_init(&out, LIMIT_WORKER_OUTPUT_BYTES);
	int detail = 0;
	enum sandbox_result r = job_sandbox(x, fd, child_extract, NULL, &out, &detail);
	close(fd);
	if (r == SANDBOX_FAILED) {
		struct buf msg;
		buf_init(&msg, 1024);
		failure_message(&out, &msg);
		if (detail == TEXT_EXIT_BAD_INPUT) {
			buf_add(error, msg.ptr, msg.len);
			o = JOB_PERMANENT;
		} else {
			o = job_sandbox_failure(r, detail, &msg, error);
		}
		buf_release(&msg);
	} else if (r != SANDBOX_OK) {
		o = job_sandbox_failure(r, detail, &out, error);
		/* The same bytes reach the same memory or CPU limit again. */
		if (r == SANDBOX_LIMIT)
			o = JOB_PERMANENT;
	} else {
		int pages = 0, ocr = 0;
		o = store_pages(x, &out, &pages, &ocr, error);
		if (o == JOB_DONE)
			buf_printf(result, "{\"pages\": %d, \"needs_ocr\": %d}", pages, ocr);
	}
	buf_release(&out);
	return o;
}
