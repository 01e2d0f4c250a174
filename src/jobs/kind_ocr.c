/*
 * The job kind ocr: scanned pages read by tesseract (Bahasa Indonesia and English), a searchable
 * PDF made beside the untouched original, and each OCR'd page's text into the search index.
 *
 * Queued by extract_text for a PDF with pages that carry (almost) no text, and for every image
 * version (JPEG, PNG, TIFF with all its pages). In the sandboxed child:
 *
 *   1. prepare (before the syscall filter): tesseract loads its language models, and its PDF
 *      renderer (text only) starts a document on stdout, which points at a memory file;
 *   2. a PDF's pages without text are rendered at LIMIT_OCR_DPI in grey by MuPDF; an image's
 *      pages are taken at their own resolution and placed, one per page, in a new PDF;
 *   3. tesseract reads each such page; its text goes to the worker as a page record
 *      (jobs/docread.h) and its words, invisible, to the text-only PDF;
 *   4. each text page is laid over its page of the original as a form XObject (the original's
 *      content untouched, wrapped in q/Q), and the result streams through the data pipe into
 *      the blob store (jobs/derived.h).
 *
 * The worker then records the searchable PDF and the pages' text in one transaction. Born-digital
 * pages of a mixed PDF keep the text extract_text found. Tesseract runs single-threaded: the
 * worker process has OMP_THREAD_LIMIT=1 in its environment from its start (cli/cmd_worker.c),
 * as OpenMP reads it when the library loads, and one worker runs per core.
 */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tesseract/capi.h>
#include <unistd.h>

#include "domain/filetype.h"
#include "domain/search.h"
#include "jobs/derived.h"
#include "jobs/docread.h"
#include "sidang_limits.h"

/* The languages, in tesseract's order of preference. */
#define OCR_LANGUAGES "ind+eng"
/* The name of the text layer's XObject on page N (unique per page: pages may share resources). */
#define OCR_XOBJECT_FMT "SidangOCR%d"

/* What the worker tells the child. */
enum ocr_mode {
	OCR_WHOLE, /* OCR every scanned page and write the searchable PDF */
	OCR_PART,  /* OCR the scanned pages of [first, last) and write the text-only PDF */
	OCR_MERGE, /* lay the parts' text-only PDFs over the original and write the result */
};

struct ocr_arg {
	char mime[FILETYPE_MIME_MAX];
	enum ocr_mode mode;
	int first, last; /* OCR_PART: 0-based page range */
	/* OCR_MERGE: each part's text-only PDF (in the worker's memory, which the child has as a
	 * copy) and the 0-based base pages its pages belong to, in order. */
	int nparts;
	const struct buf *text_pdf[SANDBOX_MAX_TASKS];
	const int *pages[SANDBOX_MAX_TASKS];
	int npages[SANDBOX_MAX_TASKS];
};

/* --- in the child ------------------------------------------------------------------------- */

static TessBaseAPI *api;
static TessResultRenderer *renderer;

/* Before the filter: the models, the renderer, and stdout pointed at a memory file. */
static int ocr_prepare(const struct sandbox_io *io)
{
	int fd = memfd_create("sidang-ocr-text", MFD_CLOEXEC);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		return doc_fail(io, 1, "cannot make the OCR text layer's memory file");
	close(fd);
	api = TessBaseAPICreate();
	if (!api || TessBaseAPIInit3(api, NULL, OCR_LANGUAGES) != 0)
		return doc_fail(io, 1,
				"tesseract cannot load the languages " OCR_LANGUAGES
				" (Debian packages tesseract-ocr-ind and tesseract-ocr-eng)");
	TessBaseAPISetPageSegMode(api, PSM_AUTO);
	renderer = TessPDFRendererCreate("-", TessBaseAPIGetDatapath(api), 1);
	if (!renderer || !TessResultRendererBeginDocument(renderer, "Sidang OCR"))
		return doc_fail(io, 1, "tesseract's PDF renderer cannot start (pdf.ttf missing?)");
	return 0;
}

/* Reads the text-only PDF back from the memory file on stdout. */
static unsigned char *read_text_pdf(size_t *len)
{
	fflush(stdout);
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0 || sb.st_size <= 0)
		return NULL;
	size_t size = (size_t)sb.st_size, got = 0;
	unsigned char *p = malloc(size);
	if (!p)
		return NULL;
	while (got < size) {
		ssize_t n = pread(STDOUT_FILENO, p + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return NULL;
		}
		got += (size_t)n;
	}
	*len = size;
	return p;
}

/* OCRs a grey pixmap at DPI: its text as a page record of PAGE, its words to the renderer. */
static bool ocr_pixmap(fz_context *ctx, const struct sandbox_io *io, fz_pixmap *pix, int dpi,
		       uint32_t page)
{
	TessBaseAPISetImage(api, fz_pixmap_samples(ctx, pix), fz_pixmap_width(ctx, pix),
			    fz_pixmap_height(ctx, pix), 1, (int)fz_pixmap_stride(ctx, pix));
	TessBaseAPISetSourceResolution(api, dpi);
	if (TessBaseAPIRecognize(api, NULL) != 0)
		return false;
	char *text = TessBaseAPIGetUTF8Text(api);
	if (!text)
		return false;
	size_t n = strlen(text);
	if (n > SEARCH_PAGE_TEXT_MAX_BYTES)
		n = SEARCH_PAGE_TEXT_MAX_BYTES; /* cut at a whole character by the worker */
	bool ok = doc_write_page(io, page, 0, text, n) &&
		  TessResultRendererAddImage(renderer, api);
	TessDeleteText(text);
	return ok;
}

/* A data-pipe fz_output with its own buffer and position (pdf_write_document asks where it is). */
struct data_out {
	const struct sandbox_io *io;
	int64_t pos;
	size_t used;
	unsigned char buf[64 * 1024];
};

static void data_flush(fz_context *ctx, struct data_out *d)
{
	if (d->used && !sandbox_write_data(d->io, d->buf, d->used))
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot pass on the searchable PDF");
	d->used = 0;
}

static void data_write(fz_context *ctx, void *state, const void *p, size_t n)
{
	struct data_out *d = state;
	const unsigned char *c = p;
	d->pos += (int64_t)n;
	while (n > 0) {
		size_t k = sizeof d->buf - d->used < n ? sizeof d->buf - d->used : n;
		memcpy(d->buf + d->used, c, k);
		d->used += k;
		c += k;
		n -= k;
		if (d->used == sizeof d->buf)
			data_flush(ctx, d);
	}
}

static void data_close(fz_context *ctx, void *state)
{
	data_flush(ctx, state);
}

static int64_t data_tell(fz_context *ctx, void *state)
{
	(void)ctx;
	return ((struct data_out *)state)->pos;
}

/* The stream of CONTENTS (a stream or an array of streams) of a page, decoded. */
static fz_buffer *load_contents(fz_context *ctx, pdf_obj *contents)
{
	if (!pdf_is_array(ctx, contents))
		return pdf_load_stream(ctx, contents);
	fz_buffer *all = fz_new_buffer(ctx, 1024);
	fz_try(ctx)
	{
		for (int i = 0; i < pdf_array_len(ctx, contents); i++) {
			fz_buffer *one = pdf_load_stream(ctx, pdf_array_get(ctx, contents, i));
			fz_append_buffer(ctx, all, one);
			fz_append_byte(ctx, all, '\n');
			fz_drop_buffer(ctx, one);
		}
	}
	fz_catch(ctx)
	{
		fz_drop_buffer(ctx, all);
		fz_rethrow(ctx);
	}
	return all;
}

/* Lays page TPAGE of the text-only document TDOC over page PAGENO of BASE: a form XObject with
 * the text, drawn after the page's own content (wrapped in q/Q so its state cannot leak). The
 * text page is in the rendered page's orientation, y up, with its origin at the rendered page's
 * bottom left; MuPDF's page transform maps page space to that rendering (y down), so its
 * inverse brings the text home, rotation and crop box included. */
static void overlay_page(fz_context *ctx, pdf_document *base, int pageno, pdf_document *tdoc,
			 int tpage, pdf_graft_map *map)
{
	pdf_page *page = NULL;
	fz_buffer *tcontent = NULL, *buf = NULL;
	pdf_obj *xobj = NULL, *arr = NULL, *res = NULL;
	fz_var(page);
	fz_var(tcontent);
	fz_var(buf);
	fz_var(xobj);
	fz_var(arr);
	fz_var(res);
	fz_try(ctx)
	{
		pdf_obj *tobj = pdf_lookup_page_obj(ctx, tdoc, tpage);
		fz_rect tbox = pdf_to_rect(ctx, pdf_dict_get(ctx, tobj, PDF_NAME(MediaBox)));
		tcontent = load_contents(ctx, pdf_dict_get(ctx, tobj, PDF_NAME(Contents)));
		res = pdf_graft_mapped_object(ctx, map, pdf_dict_get(ctx, tobj, PDF_NAME(Resources)));
		xobj = pdf_new_xobject(ctx, base, tbox, fz_identity, res, tcontent);

		page = pdf_load_page(ctx, base, pageno);
		fz_rect mediabox;
		fz_matrix ctm;
		pdf_page_transform(ctx, page, &mediabox, &ctm);
		fz_rect shown = fz_transform_rect(mediabox, ctm);
		fz_matrix to_shown = fz_make_matrix(1, 0, 0, -1, shown.x0, shown.y0 + tbox.y1 - tbox.y0);
		fz_matrix m = fz_concat(to_shown, fz_invert_matrix(ctm));
		/* The text page is the rendering's size in points, within rounding to pixels. */
		float sx = (shown.x1 - shown.x0) / (tbox.x1 - tbox.x0);
		float sy = (shown.y1 - shown.y0) / (tbox.y1 - tbox.y0);
		if (sx > 0.9f && sx < 1.1f && sy > 0.9f && sy < 1.1f) {
			to_shown = fz_make_matrix(sx, 0, 0, -sy, shown.x0, shown.y1);
			m = fz_concat(to_shown, fz_invert_matrix(ctm));
		}

		pdf_obj *pobj = page->obj;
		pdf_obj *pres = pdf_dict_get(ctx, pobj, PDF_NAME(Resources));
		if (!pres) {
			/* Inherited (or none): the page gets a copy of its own. */
			pdf_obj *inherited = pdf_dict_get_inheritable(ctx, pobj, PDF_NAME(Resources));
			pres = inherited ? pdf_copy_dict(ctx, inherited) : pdf_new_dict(ctx, base, 1);
			pdf_dict_put_drop(ctx, pobj, PDF_NAME(Resources), pres);
		}
		pdf_obj *xdict = pdf_dict_get(ctx, pres, PDF_NAME(XObject));
		if (!pdf_is_dict(ctx, xdict))
			xdict = pdf_dict_put_dict(ctx, pres, PDF_NAME(XObject), 1);
		char name[32];
		snprintf(name, sizeof name, OCR_XOBJECT_FMT, pageno + 1);
		pdf_dict_puts(ctx, xdict, name, xobj);

		pdf_obj *contents = pdf_dict_get(ctx, pobj, PDF_NAME(Contents));
		arr = pdf_new_array(ctx, base, 4);
		buf = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)"q\n", 2);
		pdf_array_push_drop(ctx, arr, pdf_add_stream(ctx, base, buf, NULL, 0));
		fz_drop_buffer(ctx, buf);
		buf = NULL;
		if (pdf_is_array(ctx, contents))
			for (int i = 0; i < pdf_array_len(ctx, contents); i++)
				pdf_array_push(ctx, arr, pdf_array_get(ctx, contents, i));
		else if (contents)
			pdf_array_push(ctx, arr, contents);
		buf = fz_new_buffer(ctx, 128);
		fz_append_printf(ctx, buf, "\nQ\nq %g %g %g %g %g %g cm /%s Do Q\n", m.a, m.b, m.c,
				 m.d, m.e, m.f, name);
		pdf_array_push_drop(ctx, arr, pdf_add_stream(ctx, base, buf, NULL, 0));
		pdf_dict_put(ctx, pobj, PDF_NAME(Contents), arr);
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, arr);
		pdf_drop_obj(ctx, xobj);
		pdf_drop_obj(ctx, res);
		fz_drop_buffer(ctx, buf);
		fz_drop_buffer(ctx, tcontent);
		fz_drop_page(ctx, (fz_page *)page);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
}

/* Where the OCR'd pages are: base page index per text page. */
static int ocr_pages[LIMIT_OCR_PAGES];
static int ocr_count;

/* Lays the N pages of the text-only PDF TDATA[0..TLEN) over the pages PAGES (0-based) of BASE. */
static void overlay_text_pdf(fz_context *ctx, pdf_document *base, const unsigned char *tdata,
			     size_t tlen, const int *pages, int n)
{
	fz_stream *stm = NULL;
	pdf_document *tdoc = NULL;
	pdf_graft_map *map = NULL;
	fz_var(stm);
	fz_var(tdoc);
	fz_var(map);
	fz_try(ctx)
	{
		stm = fz_open_memory(ctx, tdata, tlen);
		tdoc = pdf_open_document_with_stream(ctx, stm);
		if (pdf_count_pages(ctx, tdoc) != n)
			fz_throw(ctx, FZ_ERROR_GENERIC, "the OCR text layer has %d pages, not %d",
				 pdf_count_pages(ctx, tdoc), n);
		map = pdf_new_graft_map(ctx, base);
		for (int k = 0; k < n; k++) {
			if (pages[k] < 0 || pages[k] >= pdf_count_pages(ctx, base))
				fz_throw(ctx, FZ_ERROR_GENERIC, "the OCR text layer names page %d",
					 pages[k] + 1);
			overlay_page(ctx, base, pages[k], tdoc, k, map);
		}
	}
	fz_always(ctx)
	{
		pdf_drop_graft_map(ctx, map);
		pdf_drop_document(ctx, tdoc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
}

/* Writes BASE whole to the data pipe. */
static void write_base(fz_context *ctx, const struct sandbox_io *io, pdf_document *base)
{
	static struct data_out d;
	fz_output *out = NULL;
	fz_var(out);
	fz_try(ctx)
	{
		d.io = io;
		out = fz_new_output(ctx, 0, &d, data_write, data_close, NULL);
		out->tell = data_tell;
		pdf_write_options opts = pdf_default_write_options;
		opts.do_compress = 1;
		pdf_write_document(ctx, base, out, &opts);
		fz_close_output(ctx, out);
	}
	fz_always(ctx)
		fz_drop_output(ctx, out);
	fz_catch(ctx)
		fz_rethrow(ctx);
}

/* Ends the text-only document. OCR_WHOLE: lays its pages over BASE's and writes BASE to the data
 * pipe; OCR_PART: writes the text-only PDF itself there. */
static void finish(fz_context *ctx, const struct sandbox_io *io, pdf_document *base,
		   enum ocr_mode mode)
{
	if (!TessResultRendererEndDocument(renderer))
		fz_throw(ctx, FZ_ERROR_GENERIC, "tesseract's PDF renderer failed");
	size_t tlen = 0;
	unsigned char *tdata = read_text_pdf(&tlen);
	if (!tdata)
		fz_throw(ctx, FZ_ERROR_GENERIC, "the OCR text layer is missing");
	if (mode == OCR_PART) {
		if (!sandbox_write_data(io, tdata, tlen))
			fz_throw(ctx, FZ_ERROR_GENERIC, "cannot pass on the OCR text layer");
		return;
	}
	overlay_text_pdf(ctx, base, tdata, tlen, ocr_pages, ocr_count);
	write_base(ctx, io, base);
}

/* A PDF: OCRs the pages with less than LIMIT_TEXT_MIN_CHARS characters of text. */
static void ocr_pdf(fz_context *ctx, const struct sandbox_io *io, pdf_document *base, int first,
		    int last, volatile int *pageno)
{
	fz_document *doc = &base->super;
	if (fz_needs_password(ctx, doc))
		fz_throw(ctx, DOC_REFUSED, "encrypted PDF");
	int pages = fz_count_pages(ctx, doc);
	if (pages <= 0)
		fz_throw(ctx, DOC_REFUSED, "truncated or damaged PDF: it has no pages");
	if (pages > LIMIT_PDF_PAGES)
		fz_throw(ctx, DOC_REFUSED, "the PDF has %d pages (at most %d)", pages,
			 LIMIT_PDF_PAGES);
	const int end = last < pages ? last : pages;
	for (int i = first; i < end; i++) {
		*pageno = i + 1;
		fz_page *page = fz_load_page(ctx, doc, i);
		fz_stext_page *text = NULL;
		fz_buffer *tbuf = NULL;
		fz_pixmap *pix = NULL;
		fz_var(text);
		fz_var(tbuf);
		fz_var(pix);
		fz_try(ctx)
		{
			fz_rect r = fz_bound_page(ctx, page);
			float w = r.x1 - r.x0, h = r.y1 - r.y0;
			if (!(w > 0 && h > 0 && w <= LIMIT_PDF_PAGE_POINTS &&
			      h <= LIMIT_PDF_PAGE_POINTS))
				fz_throw(ctx, DOC_REFUSED,
					 "page too large: page %d is %.0f×%.0f points (at most %d×%d)",
					 i + 1, (double)w, (double)h, LIMIT_PDF_PAGE_POINTS,
					 LIMIT_PDF_PAGE_POINTS);
			text = fz_new_stext_page_from_page(ctx, page, NULL);
			tbuf = fz_new_buffer_from_stext_page(ctx, text);
			unsigned char *p;
			size_t n = fz_buffer_storage(ctx, tbuf, &p);
			if (doc_visible_chars(p, n) < LIMIT_TEXT_MIN_CHARS) {
				double px = (double)w * LIMIT_OCR_DPI / 72, py = (double)h * LIMIT_OCR_DPI / 72;
				if (px * py > (double)LIMIT_OCR_PAGE_PIXELS)
					fz_throw(ctx, DOC_REFUSED,
						 "page %d is too large to read at %d dpi", i + 1,
						 LIMIT_OCR_DPI);
				if (ocr_count == LIMIT_OCR_PAGES)
					fz_throw(ctx, DOC_REFUSED,
						 "more than %d scanned pages: split the document",
						 LIMIT_OCR_PAGES);
				float scale = (float)LIMIT_OCR_DPI / 72;
				pix = fz_new_pixmap_from_page(ctx, page, fz_scale(scale, scale),
							      fz_device_gray(ctx), 0);
				if (!ocr_pixmap(ctx, io, pix, LIMIT_OCR_DPI, (uint32_t)(i + 1)))
					fz_throw(ctx, FZ_ERROR_GENERIC, "tesseract failed on page %d",
						 i + 1);
				ocr_pages[ocr_count++] = i;
			}
		}
		fz_always(ctx)
		{
			fz_drop_pixmap(ctx, pix);
			fz_drop_buffer(ctx, tbuf);
			fz_drop_stext_page(ctx, text);
			fz_drop_page(ctx, page);
		}
		fz_catch(ctx)
			fz_rethrow(ctx);
		sandbox_progress(io, (i + 1 - first) * 95 / (end - first));
		if (doc_memory_exceeded())
			fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
	}
}

/* The resolution an image states, if it is believable for a scan; else LIMIT_OCR_DPI. */
static int image_dpi(int res)
{
	return res >= LIMIT_OCR_DPI_MIN && res <= LIMIT_OCR_DPI_MAX ? res : LIMIT_OCR_DPI;
}

/* Adds IMAGE as a page of its own to BASE at its resolution, and OCRs it as page PAGENO. */
static void ocr_image_page(fz_context *ctx, const struct sandbox_io *io, pdf_document *base,
			   fz_image *image, int pageno)
{
	int xres = 0, yres = 0;
	fz_image_resolution(image, &xres, &yres);
	int xdpi = image_dpi(xres), ydpi = image_dpi(yres);
	if ((uint64_t)image->w * (uint64_t)image->h > LIMIT_OCR_PAGE_PIXELS)
		fz_throw(ctx, DOC_REFUSED, "page %d is too large to read (%d×%d pixels)", pageno,
			 image->w, image->h);
	if (ocr_count == LIMIT_OCR_PAGES)
		fz_throw(ctx, DOC_REFUSED, "more than %d pages: split the document",
			 LIMIT_OCR_PAGES);
	float w = (float)image->w * 72 / (float)xdpi, h = (float)image->h * 72 / (float)ydpi;
	pdf_obj *ref = NULL, *res = NULL, *pageobj = NULL;
	fz_buffer *content = NULL;
	fz_pixmap *pix = NULL, *gray = NULL;
	fz_var(ref);
	fz_var(res);
	fz_var(pageobj);
	fz_var(content);
	fz_var(pix);
	fz_var(gray);
	fz_try(ctx)
	{
		ref = pdf_add_image(ctx, base, image);
		res = pdf_new_dict(ctx, base, 1);
		pdf_obj *xo = pdf_dict_put_dict(ctx, res, PDF_NAME(XObject), 1);
		pdf_dict_puts(ctx, xo, "Im0", ref);
		content = fz_new_buffer(ctx, 64);
		fz_append_printf(ctx, content, "q %g 0 0 %g 0 0 cm /Im0 Do Q\n", w, h);
		pageobj = pdf_add_page(ctx, base, fz_make_rect(0, 0, w, h), 0, res, content);
		pdf_insert_page(ctx, base, -1, pageobj);

		pix = fz_get_pixmap_from_image(ctx, image, NULL, NULL, NULL, NULL);
		if (pix->n != 1 || pix->alpha)
			gray = fz_convert_pixmap(ctx, pix, fz_device_gray(ctx), NULL, NULL,
						 fz_default_color_params, 0);
		/* tesseract takes one resolution: the vertical one (text lines' height). */
		if (!ocr_pixmap(ctx, io, gray ? gray : pix, ydpi, (uint32_t)pageno))
			fz_throw(ctx, FZ_ERROR_GENERIC, "tesseract failed on page %d", pageno);
		ocr_pages[ocr_count++] = pdf_count_pages(ctx, base) - 1;
	}
	fz_always(ctx)
	{
		fz_drop_pixmap(ctx, gray);
		fz_drop_pixmap(ctx, pix);
		fz_drop_buffer(ctx, content);
		pdf_drop_obj(ctx, pageobj);
		pdf_drop_obj(ctx, res);
		pdf_drop_obj(ctx, ref);
	}
	fz_catch(ctx)
		fz_rethrow(ctx);
}

/* An image (every page of a TIFF): each becomes a page of the new PDF BASE. */
static void ocr_images(fz_context *ctx, const struct sandbox_io *io, pdf_document *base,
		       const unsigned char *data, size_t len, bool tiff, volatile int *pageno)
{
	int pages = tiff ? fz_load_tiff_subimage_count(ctx, data, len) : 1;
	if (tiff) {
		if (pages <= 0)
			fz_throw(ctx, DOC_REFUSED, "damaged TIFF: it has no pages");
		if (pages > LIMIT_OCR_PAGES)
			fz_throw(ctx, DOC_REFUSED, "the TIFF has %d pages (at most %d)", pages,
				 LIMIT_OCR_PAGES);
	}
	for (int i = 0; i < pages; i++) {
		*pageno = i + 1;
		fz_image *image = NULL;
		fz_pixmap *pix = NULL;
		fz_buffer *buf = NULL;
		fz_var(image);
		fz_var(pix);
		fz_var(buf);
		fz_try(ctx)
		{
			if (tiff) {
				pix = fz_load_tiff_subimage(ctx, data, len, i);
				image = fz_new_image_from_pixmap(ctx, pix, NULL);
			} else {
				/* JPEG and PNG keep their own compression in the PDF. */
				buf = fz_new_buffer_from_copied_data(ctx, data, len);
				image = fz_new_image_from_buffer(ctx, buf);
			}
			ocr_image_page(ctx, io, base, image, i + 1);
		}
		fz_always(ctx)
		{
			fz_drop_image(ctx, image);
			fz_drop_pixmap(ctx, pix);
			fz_drop_buffer(ctx, buf);
		}
		fz_catch(ctx)
			fz_rethrow(ctx);
		sandbox_progress(io, (i + 1) * 95 / pages);
		if (doc_memory_exceeded())
			fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
	}
}

static int ocr_document(const struct sandbox_io *io, unsigned char *const data, const size_t len);

static int child_ocr(const struct sandbox_io *io)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = doc_read_input(io, &data, &len);
	if (rc == 0 && strcmp(((const struct ocr_arg *)io->arg)->mime, "application/pdf") == 0)
		rc = doc_check_pdf(io, data, len);
	return rc != 0 ? rc : ocr_document(io, data, len);
}

/* The MuPDF part of child_ocr, apart so that no local of the caller lives across setjmp. */
static int ocr_document(const struct sandbox_io *io, unsigned char *const data, const size_t len)
{
	const char *mime = ((const struct ocr_arg *)io->arg)->mime;
	fz_context *ctx = doc_new_context();
	if (!ctx)
		return SANDBOX_EXIT_NOMEM;
	fz_stream *stm = NULL;
	pdf_document *base = NULL;
	volatile int pageno = 0;
	volatile int result = 0;
	fz_var(stm);
	fz_var(base);
	const struct ocr_arg *a = io->arg;
	fz_try(ctx)
	{
		if (strcmp(mime, "application/pdf") == 0) {
			stm = fz_open_memory(ctx, data, len);
			base = pdf_open_document_with_stream(ctx, stm);
		} else {
			base = pdf_create_document(ctx);
		}
		if (a->mode == OCR_MERGE) {
			/* The parts are read; their text layers go over the original. */
			for (int k = 0; k < a->nparts; k++)
				if (a->npages[k] > 0)
					overlay_text_pdf(ctx, base,
							 (const unsigned char *)a->text_pdf[k]->ptr,
							 a->text_pdf[k]->len, a->pages[k],
							 a->npages[k]);
			write_base(ctx, io, base);
		} else {
			if (strcmp(mime, "application/pdf") == 0)
				ocr_pdf(ctx, io, base, a->mode == OCR_PART ? a->first : 0,
					a->mode == OCR_PART ? a->last : LIMIT_PDF_PAGES, &pageno);
			else
				ocr_images(ctx, io, base, data, len,
					   strcmp(mime, "image/tiff") == 0, &pageno);
			pageno = 0;
			if (ocr_count > 0)
				finish(ctx, io, base, a->mode);
		}
		sandbox_progress(io, 100);
	}
	fz_always(ctx)
	{
		pdf_drop_document(ctx, base);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		char prefix[48];
		if (pageno > 0)
			snprintf(prefix, sizeof prefix, "damaged file: page %d", pageno);
		else
			snprintf(prefix, sizeof prefix, "damaged file");
		result = doc_caught(ctx, io, prefix);
	}
	if (doc_memory_exceeded() && result == 0)
		return doc_fail_memory(io);
	/* No drops of tesseract or the context: the process ends now. */
	return result;
}

/* --- in the worker ------------------------------------------------------------------------ */

static bool ocr_wanted(const char *mime)
{
	return strcmp(mime, "application/pdf") == 0 || strcmp(mime, "image/jpeg") == 0 ||
	       strcmp(mime, "image/png") == 0 || strcmp(mime, "image/tiff") == 0;
}

/* Records the searchable PDF (when there is one) and the pages' text of the N outputs OUTS in
 * one transaction. */
static enum job_outcome store(struct job_ctx *x, struct buf *const *outs, int n, const char *sha,
			      uint64_t size, int *pages_out, struct buf *error)
{
	enum status st = db_begin(x->c);
	*pages_out = 0;
	if (st == ST_OK) {
		if (sha)
			st = derived_record(x->c, x->job->document_id, x->job->version,
					    DERIVED_SEARCHABLE_PDF, sha, size, "application/pdf");
		for (int i = 0; i < n && st == ST_OK; i++) {
			int pages = 0, flagged = 0;
			st = doc_store_pages(x->c, x->job->document_id, x->job->version, outs[i],
					     &pages, &flagged);
			*pages_out += pages;
		}
		if (st == ST_OK)
			st = db_commit(x->c);
		else
			db_rollback(x->c);
	}
	return st == ST_OK ? JOB_DONE : doc_store_failure(st, error);
}

/* How many children read this document at once: one per free core (cores less the other OCR
 * jobs running), each with at least LIMIT_OCR_PART_MIN_PAGES of the scanned pages extract_text
 * counted; 1 for an image (its pages are few) or when the count is unknown. SIDANG_OCR_PARTS
 * sets it (tests). *PAGES_OUT gets the PDF's page count. */
static int plan_parts(struct job_ctx *x, const char *mime, int *pages_out)
{
	*pages_out = 0;
	if (strcmp(mime, "application/pdf") != 0)
		return 1;
	int pages = 0, scanned = 0;
	struct db_stmt *s;
	bool row = false;
	if (db_prepare(x->c, SQL_JOB_RESULT_OF, &s) == ST_OK) {
		db_bind_text(s, 1, JOB_KIND_EXTRACT_TEXT);
		db_bind_int(s, 2, x->job->document_id);
		db_bind_int(s, 3, x->job->version);
		if (db_step(s, &row) == ST_OK && row && db_col_text(s, 0)) {
			json_t *r = json_loads(db_col_text(s, 0), 0, NULL);
			json_t *p = json_object_get(r, "pages"), *o = json_object_get(r, "needs_ocr");
			if (json_is_integer(p) && json_is_integer(o) && json_integer_value(p) > 0 &&
			    json_integer_value(p) <= LIMIT_PDF_PAGES && json_integer_value(o) >= 0) {
				pages = (int)json_integer_value(p);
				scanned = (int)json_integer_value(o);
			}
			json_decref(r);
		}
		db_done(s);
	}
	if (pages == 0)
		return 1;
	*pages_out = pages;
	int others = 0;
	if (db_prepare(x->c, SQL_JOB_RUNNING_OTHERS, &s) == ST_OK) {
		db_bind_text(s, 1, JOB_KIND_OCR);
		db_bind_int(s, 2, x->job->id);
		if (db_step(s, &row) == ST_OK && row)
			others = (int)db_col_int(s, 0);
		db_done(s);
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	long k = cores - others;
	if (k > scanned / LIMIT_OCR_PART_MIN_PAGES)
		k = scanned / LIMIT_OCR_PART_MIN_PAGES;
	const char *forced = getenv("SIDANG_OCR_PARTS");
	if (forced && forced[0])
		k = strtol(forced, NULL, 10);
	if (k > SANDBOX_MAX_TASKS)
		k = SANDBOX_MAX_TASKS;
	if (k > pages)
		k = pages;
	return k < 2 ? 1 : (int)k;
}

static bool buf_sink(void *ctx, const void *p, size_t n)
{
	return buf_add(ctx, p, n) == ST_OK;
}

/* The parts of a PDF read at once, then laid over the original by one more child. */
struct parts {
	int n;
	struct ocr_arg arg[SANDBOX_MAX_TASKS];
	struct sandbox_hooks hooks[SANDBOX_MAX_TASKS];
	struct sandbox_task tasks[SANDBOX_MAX_TASKS];
	struct buf out[SANDBOX_MAX_TASKS];
	struct buf text_pdf[SANDBOX_MAX_TASKS];
	int *pages[SANDBOX_MAX_TASKS];
	struct ocr_arg merge;
};

static void parts_free(struct parts *ps)
{
	for (int i = 0; i < ps->n; i++) {
		buf_release(&ps->out[i]);
		buf_release(&ps->text_pdf[i]);
		free(ps->pages[i]);
	}
}

/* OCRs the PDF in FD in PS->n parts of its TOTAL pages at once, then merges their text layers
 * over the original into SINK. */
static enum job_outcome run_parts(struct job_ctx *x, const struct sandbox_limits *limits, int fd,
				  const char *mime, int total, struct parts *ps,
				  struct derived_sink *sink, struct buf *error)
{
	for (int i = 0; i < ps->n; i++) {
		struct ocr_arg *a = &ps->arg[i];
		memset(a, 0, sizeof *a);
		snprintf(a->mime, sizeof a->mime, "%s", mime);
		a->mode = OCR_PART;
		a->first = (int)((int64_t)total * i / ps->n);
		a->last = (int)((int64_t)total * (i + 1) / ps->n);
		buf_init(&ps->out[i], LIMIT_WORKER_OUTPUT_BYTES);
		buf_init(&ps->text_pdf[i], LIMIT_OCR_TEXT_PDF_BYTES);
		ps->pages[i] = NULL;
		ps->hooks[i] = (struct sandbox_hooks){ocr_prepare, true, buf_sink, &ps->text_pdf[i]};
		ps->tasks[i] = (struct sandbox_task){&ps->hooks[i], fd, child_ocr, a, &ps->out[i],
						     SANDBOX_OK, 0};
	}
	size_t failed = 0;
	enum sandbox_result r = job_sandbox_many(x, limits, ps->tasks, (size_t)ps->n, &failed);
	if (r != SANDBOX_OK)
		return doc_sandbox_failure(r, ps->tasks[failed].detail, &ps->out[failed], error);
	struct ocr_arg *m = &ps->merge;
	memset(m, 0, sizeof *m);
	snprintf(m->mime, sizeof m->mime, "%s", mime);
	m->mode = OCR_MERGE;
	m->nparts = ps->n;
	for (int i = 0; i < ps->n; i++) {
		int span = ps->arg[i].last - ps->arg[i].first;
		ps->pages[i] = malloc(sizeof(int) * (size_t)(span > 0 ? span : 1));
		int k = ps->pages[i] ? doc_record_pages(&ps->out[i], ps->pages[i], span) : -1;
		if (k < 0) {
			buf_adds(error, "the parser's output is malformed");
			return JOB_RETRY;
		}
		m->text_pdf[i] = &ps->text_pdf[i];
		m->pages[i] = ps->pages[i];
		m->npages[i] = k;
	}
	struct sandbox_hooks hooks = {NULL, false, derived_sink_write, sink};
	struct buf out;
	buf_init(&out, 64 * 1024);
	int detail = 0;
	r = job_sandbox_hooked(x, limits, &hooks, fd, child_ocr, m, &out, &detail);
	enum job_outcome o = JOB_DONE;
	if (r != SANDBOX_OK)
		o = doc_sink_failure(r, detail, &out, sink, "the searchable PDF", error);
	buf_release(&out);
	return o;
}

enum job_outcome job_run_ocr(struct job_ctx *x, struct buf *result, struct buf *error)
{
	static struct ocr_arg arg;
	memset(&arg, 0, sizeof arg);
	int fd = -1;
	enum job_outcome o = job_open_blob_mime(x, &fd, NULL, NULL, arg.mime, error);
	if (o != JOB_DONE)
		return o;
	if (!ocr_wanted(arg.mime)) {
		close(fd);
		buf_printf(error, "no OCR for %s", arg.mime);
		return JOB_PERMANENT;
	}
	struct derived_sink sink;
	enum status st = derived_sink_begin(x, &sink, LIMIT_DERIVED_BYTES);
	if (st != ST_OK) {
		close(fd);
		buf_printf(error, "cannot store the searchable PDF: %s", status_name(st));
		return JOB_RETRY;
	}
	struct sandbox_limits limits;
	sandbox_default_limits(&limits);
	if (x->cfg->limits)
		limits = *x->cfg->limits;
	limits.memory_bytes = limits.memory_bytes > LIMIT_OCR_MEMORY_BYTES ? limits.memory_bytes
									  : LIMIT_OCR_MEMORY_BYTES;
	limits.cpu_seconds = LIMIT_OCR_CPU_SECONDS;
	limits.wall_ms = LIMIT_OCR_WALL_SECONDS * 1000u;
	int total = 0;
	static struct parts ps;
	ps.n = plan_parts(x, arg.mime, &total);
	struct buf out;
	buf_init(&out, LIMIT_WORKER_OUTPUT_BYTES);
	struct buf *outs[SANDBOX_MAX_TASKS] = {&out};
	int nouts = 1;
	if (ps.n > 1) {
		o = run_parts(x, &limits, fd, arg.mime, total, &ps, &sink, error);
		if (o != JOB_DONE)
			derived_sink_abort(&sink); /* nothing is kept of a failed merge */
		for (int i = 0; i < ps.n; i++)
			outs[i] = &ps.out[i];
		nouts = ps.n;
	} else {
		arg.mode = OCR_WHOLE;
		struct sandbox_hooks hooks = {ocr_prepare, true, derived_sink_write, &sink};
		int detail = 0;
		enum sandbox_result r = job_sandbox_hooked(x, &limits, &hooks, fd, child_ocr, &arg,
							   &out, &detail);
		if (r != SANDBOX_OK)
			o = doc_sink_failure(r, detail, &out, &sink, "the searchable PDF", error);
	}
	close(fd);
	char sha[65] = "";
	uint64_t size = 0;
	bool have_pdf = false;
	if (o == JOB_DONE) {
		have_pdf = derived_sink_size(&sink) > 0;
		if (have_pdf) {
			st = derived_sink_commit(&sink, sha, &size);
			if (st != ST_OK) {
				buf_printf(error, "cannot store the searchable PDF: %s",
					   status_name(st));
				o = JOB_RETRY;
			}
		} else {
			derived_sink_abort(&sink);
		}
	}
	int pages = 0;
	if (o == JOB_DONE)
		o = store(x, outs, nouts, have_pdf ? sha : NULL, size, &pages, error);
	if (o == JOB_DONE) {
		if (have_pdf)
			buf_printf(result,
				   "{\"ocr_pages\": %d, \"parts\": %d, \"searchable_pdf\": "
				   "{\"sha256\": \"%s\", \"size\": %llu}}",
				   pages, ps.n, sha, (unsigned long long)size);
		else
			buf_printf(result, "{\"ocr_pages\": 0, \"parts\": %d}", ps.n);
	}
	if (ps.n > 1)
		parts_free(&ps);
	buf_release(&out);
	return o;
}
