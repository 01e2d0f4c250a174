/*
 * What the kinds that read documents share (private to src/jobs): in the sandboxed child, the
 * input read whole, MuPDF under a counted allocator, and the page records written to the result
 * pipe; in the worker, those records parsed and stored as the pages' text.
 *
 * The child's output is a sequence of records, each
 *   page (4 bytes, big-endian, from 1) | flags (1 byte) | length (4 bytes, big-endian) | text
 * parsed by the worker with every length checked against what is left. A failure's reason is a
 * record of page 0 (after the records of the pages read before it).
 */
#ifndef SIDANG_JOBS_DOCREAD_H
#define SIDANG_JOBS_DOCREAD_H

#include <mupdf/fitz.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobs/kinds.h"

/* The child's exit code for input that can never be read (a permanent failure). */
#define DOC_EXIT_BAD_INPUT 2
/* Record flags: the page has (almost) no text of its own, a scan. */
#define DOC_PAGE_NEEDS_OCR 1
#define DOC_RECORD_HEADER 9

/* --- in the child ------------------------------------------------------------------------ */

/* Writes REASON (a printf format) as the record of page 0 and returns CODE. */
int doc_fail(const struct sandbox_io *io, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Writes the record of PAGE with FLAGS and N bytes of TEXT; false on error. */
bool doc_write_page(const struct sandbox_io *io, uint32_t page, unsigned flags, const void *text,
		    size_t n);
/* Reads the whole input (1 to LIMIT_WORKER_INPUT_BYTES bytes) into *DATA (malloc'ed); 0 or the
 * exit code (after doc_fail) for an empty, oversized or unreadable input. */
int doc_read_input(const struct sandbox_io *io, unsigned char **data, size_t *len);
/* 0 when P[0..N) starts like a PDF and ends with %%EOF in its last KiB (a PDF cut short lacks it,
 * and MuPDF would repair it silently); else the exit code after doc_fail. */
int doc_check_pdf(const struct sandbox_io *io, const unsigned char *p, size_t n);
/* Characters other than white space in UTF-8 text P[0..N). */
size_t doc_visible_chars(const unsigned char *p, size_t n);
/* A MuPDF context whose allocations count against LIMIT_PDF_MEMORY_BYTES (MuPDF catches a
 * failed allocation and goes on without the object, so a decompression bomb would otherwise
 * pass unnoticed), with warnings silenced and every document handler registered. NULL when out
 * of memory. One per child. */
fz_context *doc_new_context(void);
/* The error code a reader throws its own refusals with, the message being the reason as it is
 * ("encrypted PDF"): MuPDF throws FZ_ERROR_ABORT only when a cookie asks it to stop, and the
 * readers pass none. */
#define DOC_REFUSED FZ_ERROR_ABORT
/* In a fz_catch of a reader: the exit code for what was caught, after doc_fail — the memory
 * reason for a memory error (or a refused allocation), a DOC_REFUSED message as it is, anything
 * else as "PREFIX: <MuPDF's message>". */
int doc_caught(fz_context *ctx, const struct sandbox_io *io, const char *prefix);
/* Whether an allocation of that context was refused. */
bool doc_memory_exceeded(void);
/* The failure for a document that needs more memory than allowed. */
int doc_fail_memory(const struct sandbox_io *io);

/* --- in the worker ----------------------------------------------------------------------- */

/* The failure message (the record of page 0) in OUT, into MSG ("no reason given" if none). */
void doc_failure_message(const struct buf *out, struct buf *msg);
/* Stores the page records in OUT as the text of version VERSION of document DOCUMENT_ID, inside
 * the caller's transaction. *PAGES_OUT counts the records, *FLAGGED_OUT those with
 * DOC_PAGE_NEEDS_OCR. ST_INVALID when OUT is malformed. */
enum status doc_store_pages(struct db_conn *c, int64_t document_id, int64_t version,
			    const struct buf *out, int *pages_out, int *flagged_out);
/* The outcome of a sandbox run of a document parser other than SANDBOX_OK, with ERROR set: the
 * parser's own reason for bad input (permanent), and a memory or CPU limit permanent too (the
 * same bytes reach it again). */
enum job_outcome doc_sandbox_failure(enum sandbox_result r, int detail, const struct buf *out,
				     struct buf *error);
/* The outcome of a sandbox run R (not SANDBOX_OK) of a reader that streamed a derived file WHAT
 * ("the thumbnail") into SINK, which is abandoned: a sink that failed (a full disk) is retried,
 * anything else is doc_sandbox_failure's. */
struct derived_sink;
enum job_outcome doc_sink_failure(enum sandbox_result r, int detail, const struct buf *out,
				  struct derived_sink *sink, const char *what, struct buf *error);
/* The pages (0-based, in order) of the page records in OUT into PAGES (at most MAX); their count,
 * or -1 when OUT is malformed or has more. */
int doc_record_pages(const struct buf *out, int *pages, int max);
/* The outcome for status ST of storing a document's results, with ERROR set. */
enum job_outcome doc_store_failure(enum status st, struct buf *error);

#endif
