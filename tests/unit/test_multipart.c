/* Unit tests for src/http/multipart.c: the streaming multipart/form-data parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"
#include "sidang_limits.h"
#include "util/buf.h"

#define CT "multipart/form-data; boundary=AaB03x"

/* What the callbacks saw, as text: "<name|f:filename|type>" at a part's start ("-" instead of
 * "f:..." without a filename), its bytes, and "$" at its end. Data calls are not marked, so logs of
 * the same body fed in different chunks compare equal. */
struct rec {
	struct buf log;
	bool in_part;
	size_t begins, ends, data_calls, data_bytes;
	/* Make the Nth call (1-based) of a callback fail with `fail_status`; 0: never. */
	size_t fail_begin, fail_data, fail_end;
	enum status fail_status;
};

static enum status on_begin(void *ctx, struct slice name, struct slice filename, struct slice type)
{
	struct rec *r = ctx;
	assert_false(r->in_part);
	assert_non_null(type.ptr);
	r->in_part = true;
	r->begins++;
	if (r->fail_begin == r->begins)
		return r->fail_status;
	assert_int_equal(buf_adds(&r->log, "<"), ST_OK);
	assert_int_equal(buf_add(&r->log, name.ptr, name.len), ST_OK);
	if (filename.ptr) {
		assert_int_equal(buf_adds(&r->log, "|f:"), ST_OK);
		assert_int_equal(buf_add(&r->log, filename.ptr, filename.len), ST_OK);
	} else {
		assert_int_equal(filename.len, 0);
		assert_int_equal(buf_adds(&r->log, "|-"), ST_OK);
	}
	assert_int_equal(buf_adds(&r->log, "|"), ST_OK);
	assert_int_equal(buf_add(&r->log, type.ptr, type.len), ST_OK);
	assert_int_equal(buf_adds(&r->log, ">"), ST_OK);
	return ST_OK;
}

static enum status on_data(void *ctx, const char *p, size_t n)
{
	struct rec *r = ctx;
	assert_true(r->in_part);
	assert_true(n > 0);
	r->data_calls++;
	if (r->fail_data == r->data_calls)
		return r->fail_status;
	r->data_bytes += n;
	assert_int_equal(buf_add(&r->log, p, n), ST_OK);
	return ST_OK;
}

static enum status on_end(void *ctx)
{
	struct rec *r = ctx;
	assert_true(r->in_part);
	r->in_part = false;
	r->ends++;
	if (r->fail_end == r->ends)
		return r->fail_status;
	assert_int_equal(buf_adds(&r->log, "$"), ST_OK);
	return ST_OK;
}

static const struct multipart_callbacks CB = {on_begin, on_data, on_end};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->log, 1 << 20);
	r->fail_status = ST_DENIED;
}

/* Feeds BODY split at the sorted offsets CUTS[0..NCUTS) and finishes. Returns the first non-OK
 * status of feed or finish. */
static enum status run_cuts(const char *ct, const char *body, size_t len, const size_t *cuts, size_t ncuts,
                            struct rec *r, struct multipart **keep)
{
	struct multipart *m;
	enum status st = multipart_new(slice_cstr(ct), &CB, r, &m);
	if (st != ST_OK)
		return st;
	size_t at = 0;
	for (size_t i = 0; i <= ncuts && st == ST_OK; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		st = multipart_feed(m, body + at, to - at);
		at = to;
	}
	if (st == ST_OK)
		st = multipart_finish(m);
	if (keep)
		*keep = m;
	else
		multipart_free(m);
	return st;
}

/* Feeds BODY in pieces of CHUNK bytes (0: all at once). */
static enum status run(const char *ct, const char *body, size_t len, size_t chunk, struct rec *r)
{
	if (chunk == 0)
		return run_cuts(ct, body, len, NULL, 0, r, NULL);
	size_t n = len / chunk + 1;
	size_t *cuts = calloc(n, sizeof(*cuts));
	assert_non_null(cuts);
	size_t k = 0;
	for (size_t at = chunk; at < len; at += chunk)
		cuts[k++] = at;
	enum status st = run_cuts(ct, body, len, cuts, k, r, NULL);
	free(cuts);
	return st;
}

static void assert_log(struct rec *r, const char *want)
{
	size_t n = strlen(want);
	if (r->log.len != n || (n && memcmp(r->log.ptr, want, n) != 0)) {
		print_error("log:  '%.*s'\nwant: '%s'\n", (int)r->log.len, r->log.ptr ? r->log.ptr : "", want);
		fail();
	}
}

/* Parses BODY whole and 1 byte at a time; both must give STATUS and (when OK) log WANT. */
static void expect(const char *body, enum status status, const char *want)
{
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		struct rec r;
		rec_init(&r);
		assert_int_equal(run(CT, body, strlen(body), chunk, &r), status);
		if (want)
			assert_log(&r, want);
		buf_release(&r.log);
	}
}

/* Parses BODY, expecting ST_INVALID/ST_TOO_LARGE with a reason containing WHY. */
static void expect_error(const char *body, size_t len, enum status status, const char *why)
{
	struct rec r;
	rec_init(&r);
	struct multipart *m = NULL;
	assert_int_equal(run_cuts(CT, body, len, NULL, 0, &r, &m), status);
	assert_non_null(m);
	if (!strstr(multipart_error(m), why)) {
		print_error("error '%s' lacks '%s'\n", multipart_error(m), why);
		fail();
	}
	multipart_free(m);
	buf_release(&r.log);
}

/* --- well-formed bodies ---------------------------------------------------------------------- */

static void test_simple_form(void **state)
{
	(void)state;
	expect("--AaB03x\r\n"
	       "Content-Disposition: form-data; name=\"title\"\r\n"
	       "\r\n"
	       "Rapat koordinasi\r\n"
	       "--AaB03x\r\n"
	       "Content-Disposition: form-data; name=\"stage\"\r\n"
	       "\r\n"
	       "perencanaan\r\n"
	       "--AaB03x--\r\n",
	       ST_OK, "<title|-|>Rapat koordinasi$<stage|-|>perencanaan$");
}

static const char FILE_FORM[] =
	"This is the preamble; ignored.\r\n"
	"--AaB03x\r\n"
	"Content-Disposition: form-data; name=\"stage\"\r\n"
	"\r\n"
	"pelaksanaan\r\n"
	"--AaB03x\r\n"
	"Content-Disposition: form-data; name=\"file\"; filename=\"notulen.pdf\"\r\n"
	"Content-Type: application/pdf\r\n"
	"\r\n"
	"%PDF-1.7\r\n\r\n--AaB03\r\n-\r\n--\r--AaB03x-\r\n--aab03x\r\x00\xff binary\r\n"
	"\r\n"
	"--AaB03x\r\n"
	"content-disposition: form-data; name=\"source\"\r\n"
	"X-Ignored: whatever; name=\"nope\"\r\n"
	"\r\n"
	"scan\r\n"
	"--AaB03x--\r\n"
	"epilogue, ignored too\r\n";

static const char FILE_FORM_LOG[] =
	"<stage|-|>pelaksanaan$"
	"<file|f:notulen.pdf|application/pdf>"
	"%PDF-1.7\r\n\r\n--AaB03\r\n-\r\n--\r--AaB03x-\r\n--aab03x\r\x00\xff binary\r\n$"
	"<source|-|>scan$";

static void test_file_and_fields(void **state)
{
	(void)state;
	struct rec r;
	rec_init(&r);
	assert_int_equal(run(CT, FILE_FORM, sizeof(FILE_FORM) - 1, 0, &r), ST_OK);
	assert_int_equal(r.log.len, sizeof(FILE_FORM_LOG) - 1);
	assert_memory_equal(r.log.ptr, FILE_FORM_LOG, sizeof(FILE_FORM_LOG) - 1);
	assert_int_equal(r.begins, 3);
	assert_int_equal(r.ends, 3);
	buf_release(&r.log);
}

/* The same log for every way of cutting the body into two or three pieces, and byte by byte. */
static void test_every_chunking(void **state)
{
	(void)state;
	const size_t len = sizeof(FILE_FORM) - 1;
	for (size_t chunk = 1; chunk <= 80; chunk++) {
		struct rec r;
		rec_init(&r);
		assert_int_equal(run(CT, FILE_FORM, len, chunk, &r), ST_OK);
		assert_int_equal(r.log.len, sizeof(FILE_FORM_LOG) - 1);
		assert_memory_equal(r.log.ptr, FILE_FORM_LOG, sizeof(FILE_FORM_LOG) - 1);
		buf_release(&r.log);
	}
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			struct rec r;
			rec_init(&r);
			size_t cuts[2] = {i, j};
			assert_int_equal(run_cuts(CT, FILE_FORM, len, cuts, 2, &r, NULL), ST_OK);
			assert_int_equal(r.log.len, sizeof(FILE_FORM_LOG) - 1);
			assert_memory_equal(r.log.ptr, FILE_FORM_LOG, sizeof(FILE_FORM_LOG) - 1);
			buf_release(&r.log);
		}
	}
}

/* Content is passed on as soon as it cannot be part of a delimiter: at most boundary + 4 bytes
 * are held back, and content without a CR is never held. */
static void test_data_not_held_back(void **state)
{
	(void)state;
	const char *head = "--AaB03x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n";
	struct rec r;
	rec_init(&r);
	struct multipart *m;
	assert_int_equal(multipart_new(slice_cstr(CT), &CB, &r, &m), ST_OK);
	assert_int_equal(multipart_feed(m, head, strlen(head)), ST_OK);
	const char *plain = "no carriage return here";
	for (size_t i = 0; plain[i]; i++) {
		assert_int_equal(multipart_feed(m, plain + i, 1), ST_OK);
		assert_int_equal(r.data_bytes, i + 1);
	}
	/* A delimiter prefix is held, then released by the byte that rules it out. */
	const char *almost = "\r\n--AaB03";
	size_t before = r.data_bytes;
	assert_int_equal(multipart_feed(m, almost, strlen(almost)), ST_OK);
	assert_int_equal(r.data_bytes, before);
	assert_int_equal(multipart_feed(m, "y", 1), ST_OK);
	assert_int_equal(r.data_bytes, before + strlen(almost) + 1);
	/* A long run with CRs everywhere: the lag never exceeds boundary + 4. */
	const size_t limit = strlen("AaB03x") + 4;
	size_t fed = r.data_bytes;
	for (int i = 0; i < 200; i++) {
		char c = "\r\n-A"[i % 4];
		assert_int_equal(multipart_feed(m, &c, 1), ST_OK);
		fed++;
		assert_true(fed - r.data_bytes <= limit);
	}
	multipart_free(m);
	buf_release(&r.log);
}

static void test_boundary_lookalikes_in_content(void **state)
{
	(void)state;
	/* CR before the delimiter belongs to the content; a boundary without CRLF before it is
	 * content; a delimiter prefix at the end of content is content. */
	expect("--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	       "\r\r\n--AaB0 --AaB03x x\n--AaB03x\r\n--AaB0\r\n"
	       "\r\n--AaB03x--",
	       ST_OK, "<a|-|>\r\r\n--AaB0 --AaB03x x\n--AaB03x\r\n--AaB0\r\n$");
	/* Content ending in "\r\n--AaB03" right before the real delimiter. */
	expect("--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	       "x\r\n--AaB03\r\n--AaB03x--",
	       ST_OK, "<a|-|>x\r\n--AaB03$");
	/* The boundary followed by something other than "--", padding or CRLF is malformed:
	 * RFC 2046 forbids the boundary inside content. */
	expect("--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	       "x\r\n--AaB03xyz\r\n--AaB03x--",
	       ST_INVALID, NULL);
}

static void test_preamble_and_epilogue(void **state)
{
	(void)state;
	/* The first delimiter needs a CRLF before it unless it opens the body. */
	expect("preamble --AaB03x\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	       "--AaB03x--garbage\r\n--AaB03x\r\nmore garbage",
	       ST_OK, "<a|-|>1$");
	expect("\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--AaB03x--", ST_OK,
	       "<a|-|>1$");
	/* Transport padding after a boundary. */
	expect("--AaB03x \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--AaB03x\t\r\n"
	       "Content-Disposition: form-data; name=\"b\"\r\n\r\n\r\n--AaB03x--",
	       ST_OK, "<a|-|>1$<b|-|>$");
	/* An empty form, as browsers send it. */
	expect("--AaB03x--\r\n", ST_OK, "");
}

static void test_part_headers(void **state)
{
	(void)state;
	/* Header and parameter names are case-insensitive, white space is allowed around ';' and
	 * '=', unknown parameters and headers are ignored, Content-Type is kept as sent. */
	expect("--AaB03x\r\n"
	       "CONTENT-DISPOSITION:Form-Data ;NAME = \"n\" ; size=3; x=\"y;z\";\r\n"
	       "Content-TYPE:   text/plain; charset=utf-8  \r\n"
	       "Content-Transfer-Encoding: base64\r\n"
	       "\r\n"
	       "abc\r\n--AaB03x--",
	       ST_OK, "<n|-|text/plain; charset=utf-8>abc$");
	/* An empty field name is a name. */
	expect("--AaB03x\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--AaB03x--", ST_OK,
	       "<|-|>v$");
}

static void test_filenames(void **state)
{
	(void)state;
#define ONE(cd) "--AaB03x\r\nContent-Disposition: form-data; name=\"f\"; " cd "\r\n\r\nD\r\n--AaB03x--"
	expect(ONE("filename=\"a b.pdf\""), ST_OK, "<f|f:a b.pdf|>D$");
	expect(ONE("filename=\"\""), ST_OK, "<f|f:|>D$");
	expect(ONE("filename=plain.txt"), ST_OK, "<f|f:plain.txt|>D$");
	expect(ONE("FileName=\"q\\\"uo\\\\te\\d\""), ST_OK, "<f|f:q\"uo\\ted|>D$");
	/* Not sanitized: that is the caller's job. */
	expect(ONE("filename=\"../../etc/passwd\""), ST_OK, "<f|f:../../etc/passwd|>D$");
	expect(ONE("filename=\"C:\\\\x\\\\y.doc\""), ST_OK, "<f|f:C:\\x\\y.doc|>D$");
	expect(ONE("filename=\"laporan\xe2\x80\xae" "fdp.exe\""), ST_OK, "<f|f:laporan\xe2\x80\xae" "fdp.exe|>D$");
	/* RFC 5987 wins over filename, in either order. */
	expect(ONE("filename=\"fallback.txt\"; filename*=UTF-8''%E2%80%AEcod%20x%0A%22.exe"), ST_OK,
	       "<f|f:\xe2\x80\xae" "cod x\n\".exe|>D$");
	expect(ONE("filename*=utf-8'id'Notulen%2Epdf; filename=\"fallback.txt\""), ST_OK,
	       "<f|f:Notulen.pdf|>D$");
	expect(ONE("filename*=UTF-8''"), ST_OK, "<f|f:|>D$");
	expect(ONE("filename*=\"UTF-8''a%41\""), ST_OK, "<f|f:aA|>D$");
	/* Malformed ones. */
	expect(ONE("filename*=ISO-8859-1''caf%E9"), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8''a%4"), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8''a%zz"), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8''a b"), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8'a"), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8''a%00b"), ST_INVALID, NULL);
	expect(ONE("filename=\"a\\"), ST_INVALID, NULL);
	expect(ONE("filename=\"unterminated"), ST_INVALID, NULL);
	expect(ONE("filename=\"a\" junk"), ST_INVALID, NULL);
	expect(ONE("filename="), ST_INVALID, NULL);
	expect(ONE("filename=\"a\"; filename=\"b\""), ST_INVALID, NULL);
	expect(ONE("filename*=UTF-8''a; filename*=UTF-8''b"), ST_INVALID, NULL);
#undef ONE
}

static void test_malformed_parts(void **state)
{
	(void)state;
	static const struct {
		const char *body, *why;
	} cases[] = {
		{"--AaB03x\nContent-Disposition: form-data; name=\"a\"\n\nx\n--AaB03x--", "malformed boundary line"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\n\nx\r\n--AaB03x--", "crlf"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\rx\r\n\r\nx\r\n--AaB03x--", "control"},
		{"--AaB03x\r\n\r\nx\r\n--AaB03x--", "without content-disposition"},
		{"--AaB03x\r\nContent-Type: text/plain\r\n\r\nx\r\n--AaB03x--", "without content-disposition"},
		{"--AaB03x\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--AaB03x--", "not form-data"},
		{"--AaB03x\r\nContent-Disposition: form-data\r\n\r\nx\r\n--AaB03x--", "without a field name"},
		{"--AaB03x\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--AaB03x--", "without a field name"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--AaB03x--", "repeated"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n--AaB03x--", "repeated"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: a\r\ncontent-type: b\r\n\r\nx\r\n--AaB03x--", "repeated"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\nX-A: b\r\n c\r\n\r\nx\r\n--AaB03x--", "folded"},
		{"--AaB03x\r\nContent-Disposition form-data; name=\"a\"\r\n\r\nx\r\n--AaB03x--", "malformed part header"},
		{"--AaB03x\r\nContent-Disposition : form-data; name=\"a\"\r\n\r\nx\r\n--AaB03x--", "malformed part header"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=\"a\\\x01\"\r\nContent-Type: a\x7f\r\n\r\nx\r\n--AaB03x--", "control"},
		{"--AaB03x\r\nContent-Disposition: form-data; name=a b\r\n\r\nx\r\n--AaB03x--", "malformed part content-disposition"},
		{"--AaB03x\r\nContent-Disposition: form-data name=a\r\n\r\nx\r\n--AaB03x--", "malformed part content-disposition"},
		{"--AaB03x\r\nContent-Disposition: form-data; =a\r\n\r\nx\r\n--AaB03x--", "malformed part content-disposition"},
		{"--AaB03x\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--AaB03x--", "malformed part content-disposition"},
		{"--AaB03x-\r\n", "malformed boundary line"},
		{"--AaB03x \r \n", "malformed boundary line"},
		{"--AaB03x\r\r\n", "malformed boundary line"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].body, strlen(cases[i].body), ST_INVALID, cases[i].why);
}

static void test_nul_bytes(void **state)
{
	(void)state;
	/* A raw NUL anywhere in part headers, or one escaped into a name, is refused. */
	static const char raw[] = "--AaB03x\r\nContent-Disposition: form-data; name=\"a\x00z\"\r\n\r\nx\r\n--AaB03x--";
	expect_error(raw, sizeof(raw) - 1, ST_INVALID, "control");
	static const char esc[] = "--AaB03x\r\nContent-Disposition: form-data; name=\"a\\\x00z\"\r\n\r\nx\r\n--AaB03x--";
	expect_error(esc, sizeof(esc) - 1, ST_INVALID, "control");
	static const char pct[] = "--AaB03x\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''%00\r\n\r\nx\r\n--AaB03x--";
	expect_error(pct, sizeof(pct) - 1, ST_INVALID, "nul byte");
	/* In content, NUL is just a byte. */
	static const char body[] = "--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\x00\x00\r\n--AaB03x--";
	struct rec r;
	rec_init(&r);
	assert_int_equal(run(CT, body, sizeof(body) - 1, 1, &r), ST_OK);
	assert_int_equal(r.data_bytes, 2);
	buf_release(&r.log);
}

static void test_truncated(void **state)
{
	(void)state;
	const size_t len = sizeof(FILE_FORM) - 1;
	const char *close = memmem(FILE_FORM, len, "\r\n--AaB03x--", 12);
	assert_non_null(close);
	size_t complete = (size_t)(close - FILE_FORM) + strlen("\r\n--AaB03x--");
	/* Every prefix short of the close delimiter is a truncated upload. */
	for (size_t cut = 0; cut <= len; cut++) {
		struct rec r;
		rec_init(&r);
		struct multipart *m;
		assert_int_equal(multipart_new(slice_cstr(CT), &CB, &r, &m), ST_OK);
		assert_int_equal(multipart_feed(m, FILE_FORM, cut), ST_OK);
		enum status want = cut >= complete ? ST_OK : ST_INVALID;
		assert_int_equal(multipart_finish(m), want);
		if (want != ST_OK) {
			assert_string_equal(multipart_error(m), "body ends before the closing boundary");
			/* A cut-off part never sees part_end. */
			assert_int_equal(r.ends + (r.in_part ? 1 : 0), r.begins);
			/* Sticky. */
			assert_int_equal(multipart_feed(m, "x", 1), ST_INVALID);
			assert_int_equal(multipart_finish(m), ST_INVALID);
		}
		multipart_free(m);
		buf_release(&r.log);
	}
	/* An empty body. */
	struct rec r;
	rec_init(&r);
	assert_int_equal(run(CT, "", 0, 0, &r), ST_INVALID);
	buf_release(&r.log);
}

/* A part whose header block (from after the boundary line up to and including the empty line) is
 * exactly LEN bytes. */
static char *part_with_headers(size_t len, size_t *out_len)
{
	const char *cd = "Content-Disposition: form-data; name=\"a\"\r\nX-Pad: ";
	const char *tail = "\r\n\r\n";
	size_t pad = len - strlen(cd) - strlen(tail);
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_adds(&b, "--AaB03x\r\n"), ST_OK);
	assert_int_equal(buf_adds(&b, cd), ST_OK);
	for (size_t i = 0; i < pad; i++)
		assert_int_equal(buf_addc(&b, 'p'), ST_OK);
	assert_int_equal(buf_adds(&b, tail), ST_OK);
	assert_int_equal(buf_adds(&b, "x\r\n--AaB03x--"), ST_OK);
	return buf_detach(&b, out_len);
}

static void test_header_limit(void **state)
{
	(void)state;
	size_t len;
	char *ok = part_with_headers(LIMIT_MULTIPART_PART_HEADER_BYTES, &len);
	for (size_t chunk = 0; chunk <= 7; chunk += 7) {
		struct rec r;
		rec_init(&r);
		assert_int_equal(run(CT, ok, len, chunk, &r), ST_OK);
		assert_int_equal(r.begins, 1);
		buf_release(&r.log);
	}
	free(ok);
	char *big = part_with_headers(LIMIT_MULTIPART_PART_HEADER_BYTES + 1, &len);
	expect_error(big, len, ST_TOO_LARGE, "part headers too large");
	struct rec r;
	rec_init(&r);
	assert_int_equal(run(CT, big, len, 1, &r), ST_TOO_LARGE);
	assert_int_equal(r.begins, 0);
	buf_release(&r.log);
	free(big);
	/* Headers that never end are refused once over the limit, without reading on. */
	struct multipart *m;
	assert_int_equal(multipart_new(slice_cstr(CT), &CB, NULL, &m), ST_OK);
	assert_int_equal(multipart_feed(m, "--AaB03x\r\n", 10), ST_OK);
	char chunk[1000];
	memset(chunk, 'h', sizeof(chunk));
	enum status st = ST_OK;
	size_t fed = 0;
	while (st == ST_OK && fed < 100000) {
		st = multipart_feed(m, chunk, sizeof(chunk));
		fed += sizeof(chunk);
	}
	assert_int_equal(st, ST_TOO_LARGE);
	assert_true(fed <= LIMIT_MULTIPART_PART_HEADER_BYTES + sizeof(chunk));
	assert_int_equal(multipart_feed(m, "\r\n\r\n", 4), ST_TOO_LARGE);
	assert_int_equal(multipart_finish(m), ST_TOO_LARGE);
	multipart_free(m);
}

static char *form_with_parts(size_t parts, size_t *len)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < parts; i++)
		assert_int_equal(buf_printf(&b, "--AaB03x\r\nContent-Disposition: form-data; name=\"f%zu\"\r\n\r\n%zu\r\n", i, i), ST_OK);
	assert_int_equal(buf_adds(&b, "--AaB03x--\r\n"), ST_OK);
	return buf_detach(&b, len);
}

static void test_part_limit(void **state)
{
	(void)state;
	size_t len;
	char *ok = form_with_parts(LIMIT_MULTIPART_PARTS, &len);
	struct rec r;
	rec_init(&r);
	assert_int_equal(run(CT, ok, len, 0, &r), ST_OK);
	assert_int_equal(r.ends, LIMIT_MULTIPART_PARTS);
	buf_release(&r.log);
	free(ok);
	char *over = form_with_parts(LIMIT_MULTIPART_PARTS + 1, &len);
	expect_error(over, len, ST_TOO_LARGE, "too many parts");
	rec_init(&r);
	assert_int_equal(run(CT, over, len, 3, &r), ST_TOO_LARGE);
	assert_int_equal(r.begins, LIMIT_MULTIPART_PARTS);
	buf_release(&r.log);
	free(over);
}

static void test_callback_errors(void **state)
{
	(void)state;
	const size_t len = sizeof(FILE_FORM) - 1;
	/* FILE_FORM makes three part_begin, three part_end and at least three part_data calls. */
	for (int which = 0; which < 3; which++) {
		for (size_t nth = 1; nth <= 3; nth++) {
			for (size_t chunk = 0; chunk <= 1; chunk++) {
				struct rec r;
				rec_init(&r);
				r.fail_status = ST_NOSPACE;
				*(which == 0 ? &r.fail_begin : which == 1 ? &r.fail_data : &r.fail_end) = nth;
				assert_int_equal(run(CT, FILE_FORM, len, chunk, &r), ST_NOSPACE);
				buf_release(&r.log);
			}
		}
	}
	/* The status sticks: later feeds and finish return it. */
	struct rec r;
	rec_init(&r);
	r.fail_begin = 1;
	struct multipart *m;
	assert_int_equal(multipart_new(slice_cstr(CT), &CB, &r, &m), ST_OK);
	assert_int_equal(multipart_feed(m, FILE_FORM, len), ST_DENIED);
	assert_int_equal(r.begins, 1);
	assert_int_equal(multipart_feed(m, FILE_FORM, len), ST_DENIED);
	assert_int_equal(multipart_finish(m), ST_DENIED);
	assert_int_equal(r.begins, 1);
	multipart_free(m);
	buf_release(&r.log);
}

static void test_null_callbacks(void **state)
{
	(void)state;
	struct multipart *m;
	assert_int_equal(multipart_new(slice_cstr(CT), NULL, NULL, &m), ST_OK);
	assert_int_equal(multipart_feed(m, FILE_FORM, sizeof(FILE_FORM) - 1), ST_OK);
	assert_int_equal(multipart_feed(m, NULL, 0), ST_OK);
	assert_int_equal(multipart_finish(m), ST_OK);
	assert_string_equal(multipart_error(m), "no error");
	multipart_free(m);
	multipart_free(NULL);
}

static void test_content_types(void **state)
{
	(void)state;
	static const char b70[] = "0123456789012345678901234567890123456789012345678901234567890123456789";
	char ct70[200], ct71[200];
	snprintf(ct70, sizeof(ct70), "multipart/form-data; boundary=%s", b70);
	snprintf(ct71, sizeof(ct71), "multipart/form-data; boundary=%sx", b70);
	const char *good[] = {
		"multipart/form-data; boundary=AaB03x",
		"multipart/form-data;boundary=AaB03x",
		"Multipart/Form-Data; BOUNDARY=AaB03x",
		"  multipart/form-data ; charset=utf-8; boundary=\"AaB03x\" ; x=y;",
		"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
		"multipart/form-data; boundary=\"a b'()+_,-./:=?\"",
		"multipart/form-data; boundary==_Part_1",
		ct70,
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct multipart *m = NULL;
		if (multipart_new(slice_cstr(good[i]), &CB, NULL, &m) != ST_OK) {
			print_error("refused: %s\n", good[i]);
			fail();
		}
		multipart_free(m);
	}
	const char *bad[] = {
		"",
		"text/plain",
		"application/x-www-form-urlencoded; boundary=AaB03x",
		"multipart/mixed; boundary=AaB03x",
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-dataa; boundary=AaB03x",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"AaB03x \"",
		"multipart/form-data; boundary=\"Aa\rB03x\"",
		"multipart/form-data; boundary=\"Aa\\\"B03x\"",
		"multipart/form-data; boundary=Aa*B03x",
		"multipart/form-data; boundary=\"AaB03x",
		"multipart/form-data; boundary=AaB03x junk",
		"multipart/form-data; boundary=AaB03x; boundary=AaB03x",
		"multipart/form-data boundary=AaB03x",
		"multipart/form-data; boundary",
		ct71,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct multipart *m = (struct multipart *)1;
		if (multipart_new(slice_cstr(bad[i]), &CB, NULL, &m) != ST_INVALID) {
			print_error("accepted: %s\n", bad[i]);
			fail();
		}
		assert_null(m);
	}
	/* Not NUL-terminated: only LEN bytes are read. */
	const char *ct = "multipart/form-data; boundary=AaB03xJUNK";
	struct multipart *m;
	assert_int_equal(multipart_new(slice_of(ct, strlen(ct) - 4), &CB, NULL, &m), ST_OK);
	assert_int_equal(multipart_feed(m, "--AaB03x--", 10), ST_OK);
	assert_int_equal(multipart_finish(m), ST_OK);
	multipart_free(m);
	/* A NUL inside the header value. */
	static const char nul[] = "multipart/form-data; boundary=Aa\0B03x";
	assert_int_equal(multipart_new(slice_of(nul, sizeof(nul) - 1), &CB, NULL, &m), ST_INVALID);
	/* A long boundary is found across chunks too. */
	struct rec r;
	rec_init(&r);
	char body[400];
	snprintf(body, sizeof(body),
	         "--%s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--%.69s\r\n--%s--", b70, b70, b70);
	assert_int_equal(run(ct70, body, strlen(body), 1, &r), ST_OK);
	char want[200];
	snprintf(want, sizeof(want), "<a|-|>\r\n--%.69s$", b70);
	assert_log(&r, want);
	buf_release(&r.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_form),
		cmocka_unit_test(test_file_and_fields),
		cmocka_unit_test(test_every_chunking),
		cmocka_unit_test(test_data_not_held_back),
		cmocka_unit_test(test_boundary_lookalikes_in_content),
		cmocka_unit_test(test_preamble_and_epilogue),
		cmocka_unit_test(test_part_headers),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_malformed_parts),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_header_limit),
		cmocka_unit_test(test_part_limit),
		cmocka_unit_test(test_callback_errors),
		cmocka_unit_test(test_null_callbacks),
		cmocka_unit_test(test_content_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
