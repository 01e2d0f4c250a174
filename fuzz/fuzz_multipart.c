/*
 * libFuzzer harness for src/http/multipart.c. The first two bytes choose how the rest (the body,
 * boundary "AaB03x") is cut into chunks. The body is parsed whole, in those chunks and byte by
 * byte; the callbacks' view (with the final status and reason) must be the same every time, and
 * must respect the callback protocol. The body is also tried as a Content-Type value.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"
#include "sidang_limits.h"
#include "util/buf.h"

#define CT "multipart/form-data; boundary=AaB03x"

struct rec {
	struct buf log;
	bool in_part;
};

static void add(struct rec *r, const void *p, size_t n)
{
	if (buf_add(&r->log, p, n) != ST_OK)
		abort();
}

static enum status on_begin(void *ctx, struct slice name, struct slice filename, struct slice type)
{
	struct rec *r = ctx;
	if (r->in_part || !name.ptr || !type.ptr || (!filename.ptr && filename.len))
		abort();
	if (memchr(name.ptr, '\0', name.len) || (filename.ptr && memchr(filename.ptr, '\0', filename.len)))
		abort();
	if (name.len > LIMIT_MULTIPART_PART_HEADER_BYTES || filename.len > LIMIT_MULTIPART_PART_HEADER_BYTES ||
	    type.len > LIMIT_MULTIPART_PART_HEADER_BYTES)
		abort();
	r->in_part = true;
	size_t lens[3] = {name.len, filename.ptr ? filename.len : SIZE_MAX, type.len};
	add(r, "B", 1);
	add(r, lens, sizeof(lens));
	add(r, name.ptr, name.len);
	if (filename.ptr)
		add(r, filename.ptr, filename.len);
	add(r, type.ptr, type.len);
	/* A callback refusing a part must stop the parse the same way in every chunking. */
	if (name.len == 4 && memcmp(name.ptr, "stop", 4) == 0)
		return ST_DENIED;
	return ST_OK;
}

static enum status on_data(void *ctx, const char *p, size_t n)
{
	struct rec *r = ctx;
	if (!r->in_part || n == 0)
		abort();
	add(r, p, n);
	return ST_OK;
}

static enum status on_end(void *ctx)
{
	struct rec *r = ctx;
	if (!r->in_part)
		abort();
	r->in_part = false;
	add(r, "E", 1);
	return ST_OK;
}

static const struct multipart_callbacks CB = {on_begin, on_data, on_end};

/* Parses BODY in chunks whose sizes come from a small generator seeded with SEED (0: whole, 1:
 * byte by byte) and returns the log. */
static struct buf parse(const uint8_t *body, size_t len, unsigned seed)
{
	struct rec r = {0};
	buf_init(&r.log, 1 << 26);
	struct multipart *m;
	if (multipart_new(slice_cstr(CT), &CB, &r, &m) != ST_OK)
		abort();
	enum status st = ST_OK;
	size_t at = 0;
	unsigned x = seed;
	while (at < len && st == ST_OK) {
		size_t n;
		if (seed == 0) {
			n = len;
		} else if (seed == 1) {
			n = 1;
		} else {
			x = x * 1103515245u + 12345u;
			n = 1 + (x >> 16) % ((seed & 0xff) + 1);
		}
		if (n > len - at)
			n = len - at;
		st = multipart_feed(m, (const char *)body + at, n);
		at += n;
	}
	/* An empty feed changes nothing. */
	if (multipart_feed(m, NULL, 0) != st)
		abort();
	if (st == ST_OK)
		st = multipart_finish(m);
	/* Failures stick. */
	if (st != ST_OK && (multipart_feed(m, "--", 2) != st || multipart_finish(m) != st))
		abort();
	add(&r, "S", 1);
	add(&r, &st, sizeof(st));
	if (st == ST_INVALID || st == ST_TOO_LARGE) {
		const char *why = multipart_error(m);
		add(&r, why, strlen(why));
	}
	multipart_free(m);
	return r.log;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned seed = 2u + (unsigned)data[0] + 256u * (unsigned)data[1];
	const uint8_t *body = data + 2;
	size_t len = size - 2;

	struct multipart *m;
	if (multipart_new(slice_of((const char *)body, len), &CB, NULL, &m) == ST_OK)
		multipart_free(m);

	struct buf whole = parse(body, len, 0);
	struct buf runs[2] = {parse(body, len, seed), parse(body, len, 1)};
	for (int i = 0; i < 2; i++) {
		if (runs[i].len != whole.len || memcmp(runs[i].ptr, whole.ptr, whole.len) != 0)
			abort();
		buf_release(&runs[i]);
	}
	buf_release(&whole);
	return 0;
}
