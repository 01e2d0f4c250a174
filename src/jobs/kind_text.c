/*
 * The job kind extract_text (every new PDF version): MuPDF reads the PDF in the sandboxed child
 * and sends back the text of each page; the worker stores it (search_store_page), so the
 * document is found by the words on its pages. Pages with (almost) no text are scans: they are
 * counted in the result as needing OCR.
 *
 * The child's output is page records (jobs/docread.h). When pages need OCR, the job enqueues
 * the ocr job (kind_ocr.c) in the transaction that stores the text.
 *
 * Bad input ends as a permanent failure with a readable reason (the child exits with
 * DOC_EXIT_BAD_INPUT): an empty or truncated file, an encrypted PDF, a page larger than
 * LIMIT_PDF_PAGE_POINTS, more pages than LIMIT_PDF_PAGES, more memory than LIMIT_PDF_MEMORY_BYTES
 * (a decompression bomb), or an error MuPDF throws. A memory or CPU limit of the sandbox reached
 * on a PDF is permanent too: the same bytes hit it again. See docs/internals/jobs.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/search.h"
#include "jobs/docread.h"
#include "jobs/queue.h"
#include "sidang_limits.h"

/* Output the child keeps back: a header for every page and its final message. */
#define TEXT_OUTPUT_RESERVE ((size_t)LIMIT_PDF_PAGES * DOC_RECORD_HEADER + 4096)

static int extract_pages(const struct sandbox_io *io, unsigned char *const data, const size_t len);

/* In the child: extracts each page's text and writes the records. */
static int child_extract(const struct sandbox_io *io)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = doc_read_input(io, &data, &len);
	if (rc == 0)
		rc = doc_check_pdf(io, data, len);
	return rc != 0 ? rc : extract_pages(io, data, len);
}

int job_child_pdf_text(const struct sandbox_io *io)
{
	return child_extract(io);
}

/* The MuPDF part of child_extract, apart so that no local of the caller (whose address was
 * taken) lives across fz_try's setjmp. */
static int extract_pages(const struct sandbox_io *io, unsigned char *const data, const size_t len)
{
	fz_context *ctx = doc_new_context();
	if (!ctx)
		return SANDBOX_EXIT_NOMEM;
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
		stm = fz_open_memory(ctx, data, len);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		if (fz_needs_password(ctx, doc)) {
			result = doc_fail(io, DOC_EXIT_BAD_INPUT, "encrypted PDF");
			break;
		}
		int pages = fz_count_pages(ctx, doc);
		if (pages <= 0) {
			result = doc_fail(io, DOC_EXIT_BAD_INPUT,
					    "truncated or damaged PDF: it has no pages");
			break;
		}
		if (pages > LIMIT_PDF_PAGES) {
			result = doc_fail(io, DOC_EXIT_BAD_INPUT,
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
				result = doc_fail(io, DOC_EXIT_BAD_INPUT,
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
			unsigned flags =
				doc_visible_chars(p, n) < LIMIT_TEXT_MIN_CHARS ? DOC_PAGE_NEEDS_OCR : 0;
			if (!doc_write_page(io, (uint32_t)(i + 1), flags, p, n))
				result = 1;
			budget -= n;
			fz_drop_buffer(ctx, out);
			out = NULL;
			fz_drop_stext_page(ctx, text);
			text = NULL;
			fz_drop_page(ctx, page);
			page = NULL;
			sandbox_progress(io, (i + 1) * 100 / pages);
			if (doc_memory_exceeded())
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
		if (doc_memory_exceeded() || fz_caught(ctx) == FZ_ERROR_MEMORY)
			result = -1;
		else if (pageno > 0)
			result = doc_fail(io, DOC_EXIT_BAD_INPUT,
					    "truncated or damaged PDF: page %d: %s", pageno,
					    fz_caught_message(ctx));
		else
			result = doc_fail(io, DOC_EXIT_BAD_INPUT, "truncated or damaged PDF: %s",
					    fz_caught_message(ctx));
	}
	/* MuPDF may have skipped what it could not allocate and gone on: the text would be
	 * incomplete, and the file is a bomb or absurdly complex either way. */
	if (doc_memory_exceeded() || result == -1)
		return doc_fail_memory(io);
	/* No fz_drop_context or free: the process ends now, and exit_group frees everything. */
	return result;
}

/* Stores the page records in OUT in one transaction, and enqueues the OCR of the version when
 * some pages need it. */
static enum job_outcome store_pages(struct job_ctx *x, const struct buf *out, int *pages_out,
				    int *ocr_out, struct buf *error)
{
	enum status st = db_begin(x->c);
	if (st == ST_OK) {
		st = doc_store_pages(x->c, x->job->document_id, x->job->version, out, pages_out,
				     ocr_out);
		if (st == ST_OK && *ocr_out > 0)
			st = jobs_enqueue(x->c, JOB_KIND_OCR, x->job->document_id, x->job->version,
					  NULL, 0, NULL);
		if (st == ST_OK)
			st = db_commit(x->c);
		else
			db_rollback(x->c);
	}
	return st == ST_OK ? JOB_DONE : doc_store_failure(st, error);
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
	if (r != SANDBOX_OK) {
		o = doc_sandbox_failure(r, detail, &out, error);
	} else {
		int pages = 0, ocr = 0;
		o = store_pages(x, &out, &pages, &ocr, error);
		if (o == JOB_DONE)
			buf_printf(result, "{\"pages\": %d, \"needs_ocr\": %d}", pages, ocr);
	}
	buf_release(&out);
	return o;
}
