/*
 * libFuzzer harness for src/util/filename.c. The input is an uploaded file name. Checks the
 * promises of filename.h: the kept name is valid UTF-8, within LIMIT_FILENAME_BYTES, non-empty,
 * and carries no path separator, control character or invisible/bidi character (decoded here
 * independently of filename.c); sanitizing it again changes nothing; a smaller output buffer is
 * respected. The Content-Disposition value built from it is printable ASCII with exactly the two
 * delimiting quotes, its quoted fallback and its filename* both give the name back, and a buffer
 * too small for it is left as it was.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidang_limits.h"
#include "util/buf.h"
#include "util/filename.h"
#include "util/utf8.h"

/* The checks are not instrumented for coverage: their own branches and comparisons would only
 * steer the fuzzer towards the harness instead of the code under test (and slow it down). */
#define CHECKER __attribute__((no_sanitize("coverage")))

/* Decodes the valid UTF-8 sequence at P (checked by utf8_valid beforehand). */
CHECKER static size_t decode(const unsigned char *p, int32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xE0) {
		*cp = (p[0] & 0x1F) << 6 | (p[1] & 0x3F);
		return 2;
	}
	if (p[0] < 0xF0) {
		*cp = (p[0] & 0x0F) << 12 | (p[1] & 0x3F) << 6 | (p[2] & 0x3F);
		return 3;
	}
	*cp = (p[0] & 0x07) << 18 | (p[1] & 0x3F) << 12 | (p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	return 4;
}

/* The characters filename.h promises to remove: C0, DEL, C1, bidi controls and invisible
 * format characters, written out here from the header's list rather than shared with the
 * code under test. */
CHECKER static bool forbidden(int32_t c)
{
	static const int32_t ranges[][2] = {
		{0x00, 0x1F},	  {0x7F, 0x9F},	    {0x00AD, 0x00AD}, {0x061C, 0x061C},
		{0x180E, 0x180E}, {0x200B, 0x200D}, {0x200E, 0x200F}, {0x2028, 0x2029},
		{0x202A, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x2069}, {0x206A, 0x206F},
		{0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xE0000, 0xE007F},
	};
	if (c == '/' || c == '\\')
		return true;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return true;
	return false;
}

CHECKER static void check_name(const char *out, size_t cap)
{
	size_t len = strnlen(out, cap + 1);
	if (len > cap || len > LIMIT_FILENAME_BYTES)
		abort();
	if (!utf8_valid(out, len))
		abort();
	/* Belt and braces for the bytes the brief names: U+202E is E2 80 AE. */
	if (memchr(out, '/', len) || memchr(out, '\\', len) || memchr(out, 0x7f, len))
		abort();
	for (size_t i = 0; i + 2 < len; i++)
		if ((unsigned char)out[i] == 0xE2 && (unsigned char)out[i + 1] == 0x80 &&
		    (unsigned char)out[i + 2] == 0xAE)
			abort();
	const unsigned char *p = (const unsigned char *)out;
	for (size_t i = 0; i < len;) {
		int32_t c;
		i += decode(p + i, &c);
		if (forbidden(c))
			abort();
	}
	/* Leading dots and spaces and trailing spaces are stripped. */
	if (len > 0 && (out[0] == '.' || out[0] == ' ' || out[len - 1] == ' '))
		abort();
}

CHECKER static bool is_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

CHECKER static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower-case hex is not what filename.c writes */
}

CHECKER static void check_disposition(const char *name, bool inline_)
{
	const char *kind = inline_ ? "inline; filename=\"" : "attachment; filename=\"";
	const char *star = "\"; filename*=UTF-8''";
	size_t n = strlen(name);
	struct buf b;
	buf_init(&b, 4096); /* 255 bytes percent-encoded are 765; far below the cap */
	if (filename_content_disposition(&b, name, inline_) != ST_OK)
		abort();
	/* No CR, LF or NUL can end the header early or start another: all printable ASCII. */
	if (strlen(b.ptr) != b.len)
		abort();
	size_t quotes = 0;
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.ptr[i];
		if (c < 0x20 || c > 0x7E)
			abort();
		quotes += c == '"';
	}
	if (quotes != 2)
		abort();

	/* kind, the quoted fallback (one byte per byte of NAME), then filename*. */
	size_t klen = strlen(kind), slen = strlen(star);
	if (b.len < klen + n + slen || memcmp(b.ptr, kind, klen) != 0)
		abort();
	const char *q = b.ptr + klen;
	for (size_t i = 0; i < n; i++) {
		char c = q[i];
		if (c == '"' || c == '\\' || c == ';' || c == '%' || (c != name[i] && c != '_'))
			abort();
	}
	if (memcmp(q + n, star, slen) != 0)
		abort();

	/* filename* percent-decodes to NAME exactly. */
	const char *e = q + n + slen, *end = b.ptr + b.len;
	size_t at = 0;
	while (e < end) {
		int c;
		if (*e == '%') {
			if (end - e < 3 || hexval(e[1]) < 0 || hexval(e[2]) < 0)
				abort();
			c = hexval(e[1]) << 4 | hexval(e[2]);
			if (is_attr_char((unsigned char)c))
				abort(); /* attr-chars are written as they are */
			e += 3;
		} else {
			if (!is_attr_char((unsigned char)*e))
				abort();
			c = (unsigned char)*e++;
		}
		if (at >= n || (unsigned char)name[at] != c)
			abort();
		at++;
	}
	if (at != n)
		abort();

	/* A buffer one byte too small for the value is left exactly as it was; one just large
	 * enough takes it. (Once per name: the two kinds share the code.) */
	size_t full = b.len;
	buf_release(&b);
	if (inline_)
		return;
	for (size_t room = full - 1; room <= full; room++) {
		buf_init(&b, 3 + room);
		if (buf_adds(&b, "x: ") != ST_OK)
			abort();
		enum status st = filename_content_disposition(&b, name, inline_);
		if (room == full ? st != ST_OK || b.len != 3 + full
				 : st != ST_TOO_LARGE || b.len != 3 || strcmp(b.ptr, "x: ") != 0)
			abort();
		buf_release(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[LIMIT_FILENAME_BYTES + 1], again[LIMIT_FILENAME_BYTES + 1];
	/* Filled first, so a result left without its NUL shows as too long in check_name. */
	memset(out, 0x55, sizeof out);
	filename_sanitize(slice_of((const char *)data, size), out, sizeof out);
	check_name(out, LIMIT_FILENAME_BYTES);
	if (out[0] == '\0')
		abort();

	/* A kept name is its own clean form. */
	filename_sanitize(slice_cstr(out), again, sizeof again);
	if (strcmp(out, again) != 0)
		abort();

	/* A smaller output buffer caps lower and is never overrun (ASan guards the heap copy). */
	size_t small = size > 0 ? 1 + data[0] % 48 : 1;
	char *tiny = malloc(small);
	if (!tiny)
		return 0;
	filename_sanitize(slice_of((const char *)data, size), tiny, small);
	check_name(tiny, small - 1);
	free(tiny);

	check_disposition(out, true);
	check_disposition(out, false);
	return 0;
}
