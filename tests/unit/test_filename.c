/* Unit tests of safe file names (src/util/filename.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidang_limits.h"
#include "util/filename.h"

/* Sanitizes the N bytes of S and compares with WANT. */
static void check_n(const char *s, size_t n, const char *want)
{
	char out[LIMIT_FILENAME_BYTES + 1];
	memset(out, 'Z', sizeof out);
	filename_sanitize(slice_of(s, n), out, sizeof out);
	assert_string_equal(out, want);
}

static void check(const char *s, const char *want) { check_n(s, strlen(s), want); }

/* True if S is valid UTF-8 (the sanitizer must never cut a sequence). */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_path_components(void **state)
{
	(void)state;
	check("../../etc/passwd", "passwd");
	check("..\\..\\windows\\system32\\x.pdf", "x.pdf");
	check("C:\\Users\\budi\\Desktop\\notulen rapat.pdf", "notulen rapat.pdf");
	check("/abs/path/to/laporan.docx", "laporan.docx");
	check("mixed/sep\\arators/akhir.txt", "akhir.txt");
	check("..", "dokumen");
	check("../..", "dokumen");
	check("foo/", "dokumen");
	check("/", "dokumen");
}

static void test_dots_and_spaces(void **state)
{
	(void)state;
	check(".htaccess", "htaccess");
	check("...hidden.pdf", "hidden.pdf");
	check(" . .env", "env");
	check("  notulen rapat.pdf  ", "notulen rapat.pdf");
	check("laporan v1.2 final.pdf", "laporan v1.2 final.pdf");
	check("akhir.", "akhir.");
	check("   ", "dokumen");
	check("...", "dokumen");
	/* An invisible character between dots does not protect the second dot. */
	check(".\xE2\x80\x8B.bashrc", "bashrc");
}

static void test_empty(void **state)
{
	(void)state;
	check("", "dokumen");
	char out[LIMIT_FILENAME_BYTES + 1];
	filename_sanitize((struct slice){NULL, 0}, out, sizeof out);
	assert_string_equal(out, "dokumen");
	filename_sanitize((struct slice){NULL, 5}, out, sizeof out);
	assert_string_equal(out, "dokumen");
	/* Nothing but characters that are removed. */
	check("\r\n\t\x7f\xE2\x80\xAE", "dokumen");
}

static void test_quotes_kept(void **state)
{
	(void)state;
	/* Quotes are legal in names; they are escaped where they are used (content disposition). */
	check("laporan \"final\".pdf", "laporan \"final\".pdf");
	check("it's; 100% done.pdf", "it's; 100% done.pdf");
}

static void test_controls_removed(void **state)
{
	(void)state;
	check("a\r\nb.pdf", "ab.pdf");
	check("tab\there.pdf", "tabhere.pdf");
	check("del\x7f.pdf", "del.pdf");
	check("esc\x1b[31mred.pdf", "esc[31mred.pdf");
	check_n("nul\0byte.pdf", 12, "nulbyte.pdf");
	check("c1\xC2\x85next\xC2\x9F.pdf", "c1next.pdf"); /* U+0085, U+009F */
	check("nbsp\xC2\xA0kept.pdf", "nbsp\xC2\xA0kept.pdf"); /* U+00A0 is visible space */
}

static void test_bidi_and_invisible_removed(void **state)
{
	(void)state;
	/* The classic: shows as "invoiceexe.pdf", is an .exe. */
	check("invoice\xE2\x80\xAE" "fdp.exe", "invoicefdp.exe");
	static const char *removed[] = {
		"\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C",                  /* LRM RLM ALM */
		"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
		"\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9", /* isolates */
		"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xEF\xBB\xBF", /* ZWSP ZWNJ ZWJ BOM */
		"\xC2\xAD", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x81\xA0",     /* SHY LS PS WJ */
		"\xF3\xA0\x80\x81", "\xF3\xA0\x81\xBF",                         /* tags */
	};
	for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
		char in[64];
		snprintf(in, sizeof in, "ab%scd.pdf", removed[i]);
		check(in, "abcd.pdf");
	}
}

static void test_valid_unicode_kept(void **state)
{
	(void)state;
	check("Notulen Rapat \xE2\x80\x94 Kemenko.pdf", "Notulen Rapat \xE2\x80\x94 Kemenko.pdf");
	check("\xE4\xBC\x9A\xE8\xAD\xB0.pdf", "\xE4\xBC\x9A\xE8\xAD\xB0.pdf");
	check("\xD8\xA7\xD9\x84\xD9\x85\xD9\x84\xD9\x81.pdf", "\xD8\xA7\xD9\x84\xD9\x85\xD9\x84\xD9\x81.pdf");
	check("berkas \xF0\x9F\x93\x84.pdf", "berkas \xF0\x9F\x93\x84.pdf");
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	check("a\xFF" "b.pdf", "a_b.pdf");
	check("end\xC3", "end_");
	check("\xE2\x82x.pdf", "_x.pdf");          /* truncated 3-byte sequence: one '_' */
	check("\xF0\x9F\x93" "a", "_a");            /* truncated 4-byte sequence: one '_' */
	check("\xC0\xAF" "etc", "__etc");           /* overlong '/' */
	check("\xE0\x80\xAF" "x", "___x");          /* overlong, 3 bytes */
	check("\xED\xA0\x80" "x", "___x");          /* a surrogate */
	check("\xF4\x90\x80\x80" "x", "____x");     /* above U+10FFFF */
	check("\x80\x80", "__");                    /* stray continuation bytes */
	check("..\xFF", "_");
}

static void test_long_names(void **state)
{
	(void)state;
	char in[2048], out[LIMIT_FILENAME_BYTES + 1];
	size_t n;

	/* 255 ASCII bytes are kept whole, 256 are cut to 255. */
	memset(in, 'a', 256);
	filename_sanitize(slice_of(in, 255), out, sizeof out);
	assert_int_equal(strlen(out), 255);
	filename_sanitize(slice_of(in, 256), out, sizeof out);
	assert_int_equal(strlen(out), 255);

	/* Two-byte characters: 127 fit (254 bytes); the 128th would cut a sequence. */
	n = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(in + n, "\xC3\xA9", 2);
		n += 2;
	}
	filename_sanitize(slice_of(in, n), out, sizeof out);
	assert_int_equal(strlen(out), 254);
	assert_true(valid_utf8(out));

	/* Three-byte characters: 85 fit exactly. */
	n = 0;
	for (int i = 0; i < 100; i++) {
		memcpy(in + n, "\xE4\xBC\x9A", 3);
		n += 3;
	}
	filename_sanitize(slice_of(in, n), out, sizeof out);
	assert_int_equal(strlen(out), 255);
	assert_true(valid_utf8(out));

	/* Four-byte characters after one ASCII byte: 1 + 63*4 = 253. */
	n = 0;
	in[n++] = 'x';
	for (int i = 0; i < 70; i++) {
		memcpy(in + n, "\xF0\x9F\x93\x84", 4);
		n += 4;
	}
	filename_sanitize(slice_of(in, n), out, sizeof out);
	assert_int_equal(strlen(out), 253);
	assert_true(valid_utf8(out));

	/* The extension survives the cut: 125 two-byte characters (250 bytes) + ".pdf". */
	n = 0;
	for (int i = 0; i < 200; i++) {
		memcpy(in + n, "\xC3\xA9", 2);
		n += 2;
	}
	memcpy(in + n, ".pdf", 4);
	n += 4;
	filename_sanitize(slice_of(in, n), out, sizeof out);
	assert_int_equal(strlen(out), 254);
	assert_true(valid_utf8(out));
	assert_string_equal(out + 250, ".pdf");

	/* Spaces at the cut are trimmed. */
	n = 0;
	in[n++] = 'a';
	memset(in + n, ' ', 300);
	n += 300;
	in[n++] = 'b';
	check_n(in, n, "a");

	/* Removed characters do not count against the cap. */
	n = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(in + n, "\xE2\x80\x8B", 3);
		n += 3;
	}
	memcpy(in + n, "ok.pdf", 6);
	n += 6;
	check_n(in, n, "ok.pdf");

	/* A smaller output buffer caps lower, still whole characters. */
	char small[6];
	filename_sanitize(SLICE_LIT("ab\xC3\xA9\xC3\xA9"), small, sizeof small);
	assert_string_equal(small, "ab\xC3\xA9");
	filename_sanitize(SLICE_LIT(""), small, sizeof small);
	assert_string_equal(small, "dokum");
}

/* Builds the Content-Disposition value for NAME and compares it with WANT. */
static void check_cd(const char *name, bool inline_, const char *want)
{
	struct buf b;
	buf_init(&b, 4096);
	assert_int_equal(filename_content_disposition(&b, name, inline_), ST_OK);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_content_disposition(void **state)
{
	(void)state;
	check_cd("laporan.pdf", false, "attachment; filename=\"laporan.pdf\"; filename*=UTF-8''laporan.pdf");
	check_cd("Notulen Rapat (final).pdf", true,
		 "inline; filename=\"Notulen Rapat (final).pdf\"; "
		 "filename*=UTF-8''Notulen%20Rapat%20%28final%29.pdf");
	check_cd("a\"b\\c;d%e.pdf", false,
		 "attachment; filename=\"a_b_c_d_e.pdf\"; filename*=UTF-8''a%22b%5Cc%3Bd%25e.pdf");
	check_cd("caf\xC3\xA9.pdf", false,
		 "attachment; filename=\"caf__.pdf\"; filename*=UTF-8''caf%C3%A9.pdf");
	check_cd("\xE4\xBC\x9A\xE8\xAD\xB0.pdf", true,
		 "inline; filename=\"______.pdf\"; filename*=UTF-8''%E4%BC%9A%E8%AD%B0.pdf");
	/* Every attr-char passes; everything else is encoded. */
	check_cd("!#$&+-.^_`|~", false, "attachment; filename=\"!#$&+-.^_`|~\"; filename*=UTF-8''!#$&+-.^_`|~");
	check_cd("a'b*c=d,e/f", false,
		 "attachment; filename=\"a'b*c=d,e/f\"; filename*=UTF-8''a%27b%2Ac%3Dd%2Ce%2Ff");
	/* Even an unsanitized name cannot break the header. */
	check_cd("x\r\nSet-Cookie: a=b", false,
		 "attachment; filename=\"x__Set-Cookie: a=b\"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db");
	check_cd("", false, "attachment; filename=\"dokumen\"; filename*=UTF-8''dokumen");
	check_cd(NULL, true, "inline; filename=\"dokumen\"; filename*=UTF-8''dokumen");
}

static void test_content_disposition_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 40);
	assert_int_equal(buf_adds(&b, "kept"), ST_OK);
	assert_int_equal(filename_content_disposition(&b, "a-long-enough-name.pdf", false), ST_TOO_LARGE);
	assert_string_equal(b.ptr, "kept");
	assert_int_equal(b.len, 4);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_components),
		cmocka_unit_test(test_dots_and_spaces),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_quotes_kept),
		cmocka_unit_test(test_controls_removed),
		cmocka_unit_test(test_bidi_and_invisible_removed),
		cmocka_unit_test(test_valid_unicode_kept),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_content_disposition),
		cmocka_unit_test(test_content_disposition_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
