/*
 * The job kind thumbnail: the first page of a document drawn LIMIT_THUMB_WIDTH pixels wide (at
 * most LIMIT_THUMB_MAX_HEIGHT tall) as a PNG, for lists. Queued for every new PDF, JPEG, PNG and
 * TIFF version, and by office_preview for an office file once its PDF preview exists: for an
 * office file the preview is drawn, not the original (MuPDF cannot lay out DOCX or ODF).
 *
 * In the sandboxed child, MuPDF draws a PDF's first page, or an image (a TIFF's first page) in
 * its EXIF orientation, on white; the PNG streams through the data pipe into the blob store
 * (jobs/derived.h) and is recorded as the version's DERIVED_THUMBNAIL. Bad input fails
 * permanently with the reasons extract_text gives (jobs/docread.h). See docs/internals/jobs.md.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain/documents.h"
#include "domain/filetype.h"
#include "jobs/derived.h"
#include "jobs/docread.h"
#include "sidang_limits.h"

struct thumb_arg {
	bool pdf; /* a PDF (the original or an office file's preview), else an image */
};

/* --- in the child ------------------------------------------------------------------------- */

/* The thumbnail's size for something W×H (any unit) in proportion. */
static void thumb_size(float w, float h, int *tw, int *th)
{
	float s = (float)LIMIT_THUMB_WIDTH / w;
	if (h * s > (float)LIMIT_THUMB_MAX_HEIGHT)
		s = (float)LIMIT_THUMB_MAX_HEIGHT / h;
	*tw = (int)(w * s + 0.5f);
	*th = (int)(h * s + 0.5f);
	if (*tw < 1)
		*tw = 1;
	if (*th < 1)
		*th = 1;
}

static fz_pixmap *draw_pdf(fz_context *ctx, fz_document *doc)
{
	if (fz_needs_password(ctx, doc))
		fz_throw(ctx, DOC_REFUSED, "encrypted PDF");
	if (fz_count_pages(ctx, doc) <= 0)
		fz_throw(ctx, DOC_REFUSED, "truncated or damaged PDF: it has no pages");
	fz_page *page = fz_load_page(ctx, doc, 0);
	fz_pixmap *pix = NULL;
	fz_var(pix);
	fz_try(ctx)
	{
		fz_rect r = fz_bound_page(ctx, page);
		float w = r.x1 - r.x0, h = r.y1 - r.y0;
		if (!(w > 0 && h > 0 && w <= LIMIT_PDF_PAGE_POINTS && h <= LIMIT_PDF_PAGE_POINTS))
			fz_throw(ctx, DOC_REFUSED,
				 "page too large: page 1 is %.0f×%.0f points (at most %d×%d)",
				 (double)w, (double)h, LIMIT_PDF_PAGE_POINTS, LIMIT_PDF_PAGE_POINTS);
		int tw, th;
		thumb_size(w, h, &tw, &th);
		pix = fz_new_pixmap_from_page(ctx, page, fz_scale((float)tw / w, (float)th / h),
					      fz_device_rgb(ctx), 0);
	}
	fz_always(ctx)
		fz_drop_page(ctx, page);
	fz_catch(ctx)
		fz_rethrow(ctx);
	return pix;
}

static fz_pixmap *draw_image(fz_context *ctx, fz_image *image)
{
	if (image->w <= 0 || image->h <= 0)
		fz_throw(ctx, DOC_REFUSED, "damaged image: it has no pixels");
	if ((uint64_t)image->w * (uint64_t)image->h > LIMIT_THUMB_SOURCE_PIXELS)
		fz_throw(ctx, DOC_REFUSED, "image too large: %d×%d pixels (at most %d million)",
			 image->w, image->h,
			 (int)(LIMIT_THUMB_SOURCE_PIXELS / 1000000));
	int xres = 0, yres = 0;
	fz_image_resolution(image, &xres, &yres);
	float w = (float)image->w / (float)(xres > 0 ? xres : 72);
	float h = (float)image->h / (float)(yres > 0 ? yres : 72);
	/* EXIF orientations 2, 4, 6 and 8 in MuPDF's numbering turn the image a quarter. */
	uint8_t o = fz_image_orientation(ctx, image);
	bool quarter = o == 2 || o == 4 || o == 6 || o == 8;
	int tw, th;
	thumb_size(quarter ? h : w, quarter ? w : h, &tw, &th);
	fz_pixmap *pix = fz_new_pixmap(ctx, fz_device_rgb(ctx), tw, th, NULL, 0);
	fz_device *dev = NULL;
	fz_var(dev);
	fz_try(ctx)
	{
		fz_clear_pixmap_with_value(ctx, pix, 255);
		dev = fz_new_draw_device(ctx, fz_identity, pix);
		fz_matrix m = fz_concat(fz_image_orientation_matrix(ctx, image),
					fz_scale((float)tw, (float)th));
		fz_fill_image(ctx, dev, image, m, 1, fz_default_color_params);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx)
		fz_drop_device(ctx, dev);
	fz_catch(ctx)
	{
		fz_drop_pixmap(ctx, pix);
		fz_rethrow(ctx);
	}
	return pix;
}

static int thumb_render(const struct sandbox_io *io, unsigned char *const data, const size_t len);

static int child_thumb(const struct sandbox_io *io)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = doc_read_input(io, &data, &len);
	if (rc == 0 && ((const struct thumb_arg *)io->arg)->pdf)
		rc = doc_check_pdf(io, data, len);
	return rc != 0 ? rc : thumb_render(io, data, len);
}

/* The MuPDF part of child_thumb, apart so that no local of the caller lives across setjmp. */
static int thumb_render(const struct sandbox_io *io, unsigned char *const data, const size_t len)
{
	bool pdf = ((const struct thumb_arg *)io->arg)->pdf;
	fz_context *ctx = doc_new_context();
	if (!ctx)
		return SANDBOX_EXIT_NOMEM;
	fz_stream *stm = NULL;
	fz_document *doc = NULL;
	fz_buffer *in = NULL, *png = NULL;
	fz_image *image = NULL;
	fz_pixmap *pix = NULL;
	volatile int result = 0;
	fz_var(stm);
	fz_var(doc);
	fz_var(in);
	fz_var(png);
	fz_var(image);
	fz_var(pix);
	fz_try(ctx)
	{
		if (pdf) {
			stm = fz_open_memory(ctx, data, len);
			doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
			pix = draw_pdf(ctx, doc);
		} else {
			in = fz_new_buffer_from_shared_data(ctx, data, len);
			image = fz_new_image_from_buffer(ctx, in);
			pix = draw_image(ctx, image);
		}
		sandbox_progress(io, 80);
		png = fz_new_buffer_from_pixmap_as_png(ctx, pix, fz_default_color_params);
		unsigned char *p;
		size_t n = fz_buffer_storage(ctx, png, &p);
		char dims[32];
		int k = snprintf(dims, sizeof dims, "%d %d", fz_pixmap_width(ctx, pix),
				 fz_pixmap_height(ctx, pix));
		if (!sandbox_write_data(io, p, n) || !sandbox_write(io, dims, (size_t)k))
			result = 1;
		sandbox_progress(io, 100);
	}
	fz_always(ctx)
	{
		fz_drop_buffer(ctx, png);
		fz_drop_pixmap(ctx, pix);
		fz_drop_image(ctx, image);
		fz_drop_buffer(ctx, in);
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
		result = doc_caught(ctx, io, pdf ? "truncated or damaged PDF" : "damaged image");
	/* MuPDF may have drawn without what it could not allocate. */
	return doc_memory_exceeded() ? doc_fail_memory(io) : result;
}

/* --- in the worker ------------------------------------------------------------------------ */

/* Opens what the thumbnail is drawn from: the version itself (PDF, image), or an office file's
 * PDF preview. */
static enum job_outcome open_source(struct job_ctx *x, int *fd_out, struct thumb_arg *arg,
				    struct buf *error)
{
	char mime[FILETYPE_MIME_MAX] = "";
	int fd = -1;
	enum job_outcome o = job_open_blob_mime(x, &fd, NULL, NULL, mime, error);
	if (o != JOB_DONE)
		return o;
	arg->pdf = strcmp(mime, "application/pdf") == 0;
	if (arg->pdf || strcmp(mime, "image/jpeg") == 0 || strcmp(mime, "image/png") == 0 ||
	    strcmp(mime, "image/tiff") == 0) {
		*fd_out = fd;
		return JOB_DONE;
	}
	close(fd);
	if (filetype_office(mime) == FILETYPE_NOT_OFFICE) {
		buf_printf(error, "no thumbnail for %s", mime);
		return JOB_PERMANENT;
	}
	struct doc_version preview;
	enum status st = documents_derived(x->c, x->job->document_id, x->job->version,
					   DERIVED_PREVIEW_PDF, &preview);
	if (st == ST_NOT_FOUND) {
		buf_adds(error, "no thumbnail: the office file has no PDF preview");
		return JOB_PERMANENT;
	}
	if (st != ST_OK) {
		buf_printf(error, "database: %s", status_name(st));
		return JOB_RETRY;
	}
	arg->pdf = true;
	return job_open_sha(x, preview.sha256, fd_out, error);
}

enum job_outcome job_run_thumbnail(struct job_ctx *x, struct buf *result, struct buf *error)
{
	static struct thumb_arg arg;
	int fd = -1;
	enum job_outcome o = open_source(x, &fd, &arg, error);
	if (o != JOB_DONE)
		return o;
	struct derived_sink sink;
	enum status st = derived_sink_begin(x, &sink, LIMIT_THUMB_BYTES);
	if (st != ST_OK) {
		close(fd);
		buf_printf(error, "cannot store the thumbnail: %s", status_name(st));
		return JOB_RETRY;
	}
	struct sandbox_hooks hooks = {NULL, false, derived_sink_write, &sink};
	struct buf out;
	buf_init(&out, LIMIT_WORKER_OUTPUT_BYTES);
	int detail = 0;
	enum sandbox_result r = job_sandbox_hooked(x, NULL, &hooks, fd, child_thumb, &arg, &out,
						   &detail);
	close(fd);
	int w = 0, h = 0;
	if (r == SANDBOX_OK && (out.len == 0 || sscanf(out.ptr, "%d %d", &w, &h) != 2 || w < 1 ||
				h < 1 || derived_sink_size(&sink) == 0)) {
		derived_sink_abort(&sink);
		buf_adds(error, "the parser's output is malformed");
		buf_release(&out);
		return JOB_RETRY;
	}
	if (r != SANDBOX_OK) {
		o = doc_sink_failure(r, detail, &out, &sink, "the thumbnail", error);
		buf_release(&out);
		return o;
	}
	buf_release(&out);
	char sha[65] = "";
	uint64_t size = 0;
	if ((st = derived_sink_commit(&sink, sha, &size)) != ST_OK) {
		buf_printf(error, "cannot store the thumbnail: %s", status_name(st));
		return JOB_RETRY;
	}
	if ((st = db_begin(x->c)) == ST_OK) {
		st = derived_record(x->c, x->job->document_id, x->job->version, DERIVED_THUMBNAIL,
				    sha, size, "image/png");
		if (st == ST_OK)
			st = db_commit(x->c);
		else
			db_rollback(x->c);
	}
	if (st != ST_OK)
		return doc_store_failure(st, error);
	buf_printf(result, "{\"width\": %d, \"height\": %d, \"size\": %llu}", w, h,
		   (unsigned long long)size);
	return JOB_DONE;
}
