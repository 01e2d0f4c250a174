/* Unit tests for src/http/json_body.c: strict JSON bodies and the field helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/json_body.h"
#include "sidang_limits.h"
#include "util/buf.h"

static void assert_printable(const char *s)
{
	for (; *s; s++)
		assert_true((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

/* Parses S (strlen bytes) and expects STATUS; with WHY, the message must contain it. */
static void parse_fails(const char *s, size_t n, enum status status, const char *why)
{
	char err[256];
	json_t *j = (json_t *)1;
	enum status st = json_body_parse(s, n, &j, err, sizeof(err));
	if (st != status) {
		print_error("'%.*s': status %d, want %d (%s)\n", (int)(n > 80 ? 80 : n), s, st, status, err);
		fail();
	}
	assert_null(j);
	assert_printable(err);
	assert_true(err[0] != '\0');
	if (why && !strstr(err, why)) {
		print_error("'%s' lacks '%s'\n", err, why);
		fail();
	}
}

static json_t *parse_ok(const char *s)
{
	char err[256];
	json_t *j = NULL;
	enum status st = json_body_parse(s, strlen(s), &j, err, sizeof(err));
	if (st != ST_OK) {
		print_error("'%s': %s\n", s, err);
		fail();
	}
	assert_non_null(j);
	return j;
}

/* An object nested DEPTH levels deep, e.g. 2: {"a":{"a":1}}; arrays when ARRAYS. */
static char *nested(int depth, int arrays)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	for (int i = 0; i < depth; i++)
		assert_int_equal(buf_adds(&b, i == 0 ? "{\"a\":" : arrays ? "[" : "{\"a\":"), ST_OK);
	assert_int_equal(buf_adds(&b, "1"), ST_OK);
	for (int i = depth - 1; i >= 0; i--)
		assert_int_equal(buf_adds(&b, i == 0 ? "}" : arrays ? "]" : "}"), ST_OK);
	return buf_detach(&b, NULL);
}

static void test_parse_object(void **state)
{
	(void)state;
	json_t *j = parse_ok(" {\"title\": \"Rapat\", \"n\": 3, \"x\": [1, {\"y\": null}]}\r\n");
	assert_int_equal(json_object_size(j), 3);
	assert_int_equal(j->refcount, 1);
	json_decref(j);
	j = parse_ok("{}");
	json_decref(j);
	/* Only N bytes are read: what follows is not part of the body. */
	const char *s = "{\"a\":1}garbage";
	char err[64];
	assert_int_equal(json_body_parse(s, 7, &j, err, sizeof(err)), ST_OK);
	json_decref(j);
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	const char *s = "{\"role\": \"staf\",\n \"role\": \"admin\"}";
	parse_fails(s, strlen(s), ST_INVALID, "line 2, column");
	parse_fails(s, strlen(s), ST_INVALID, "duplicate");
	/* Nested objects too. */
	s = "{\"a\": {\"b\": 1, \"b\": 2}}";
	parse_fails(s, strlen(s), ST_INVALID, "duplicate");
	/* The same key in different objects is fine. */
	json_decref(parse_ok("{\"a\": {\"b\": 1}, \"c\": {\"b\": 2}}"));
}

static void test_depth(void **state)
{
	(void)state;
	for (int arrays = 0; arrays <= 1; arrays++) {
		char *ok = nested(LIMIT_JSON_DEPTH, arrays);
		json_decref(parse_ok(ok));
		free(ok);
		char *deep = nested(LIMIT_JSON_DEPTH + 1, arrays);
		parse_fails(deep, strlen(deep), ST_INVALID, "nested deeper than 8 levels");
		free(deep);
	}
	/* Deep nesting anywhere counts, not only in the first member. */
	char *deep = nested(LIMIT_JSON_DEPTH, 1);
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_printf(&b, "{\"first\": 1, \"x\": [%s]}", deep), ST_OK);
	parse_fails(b.ptr, b.len, ST_INVALID, "nested");
	buf_release(&b);
	free(deep);
	/* Beyond jansson's own limit (2048) it fails in jansson: still ST_INVALID, no crash. */
	char *very = nested(5000, 1);
	parse_fails(very, strlen(very), ST_INVALID, NULL);
	free(very);
}

static void test_not_an_object(void **state)
{
	(void)state;
	static const char *cases[] = {"[]", "[1, 2]", "\"str\"", "42", "true", "null", "", "   ", "{", "}", "{\"a\"}",
	                              "{\"a\":1,}", "{'a':1}", "{\"a\":1} {}", "{\"a\":1} x", "\xef\xbb\xbf{}",
	                              "{\"a\":01}", "{\"a\":NaN}", "{\"a\":1e999}", "{\"a\":99999999999999999999}"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i], strlen(cases[i]), ST_INVALID, NULL);
	parse_fails("[]", 2, ST_INVALID, "expected a JSON object");
	parse_fails("{\"a\":1} x", 9, ST_INVALID, "line 1, column");
	parse_fails(NULL, 0, ST_INVALID, NULL);
}

static void test_size_limit(void **state)
{
	(void)state;
	size_t n = LIMIT_JSON_BODY_BYTES;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ' ', n + 1);
	memcpy(s, "{\"a\":1}", 7);
	json_t *j;
	char err[128];
	assert_int_equal(json_body_parse(s, n, &j, err, sizeof(err)), ST_OK);
	json_decref(j);
	parse_fails(s, n + 1, ST_TOO_LARGE, "larger than 65536 bytes");
	free(s);
}

static void test_bad_bytes(void **state)
{
	(void)state;
	static const char nul_escape[] = "{\"a\": \"x\\u0000y\"}";
	parse_fails(nul_escape, sizeof(nul_escape) - 1, ST_INVALID, "\\u0000 is not allowed");
	static const char raw_nul[] = "{\"a\": \"x\0y\"}";
	parse_fails(raw_nul, sizeof(raw_nul) - 1, ST_INVALID, NULL);
	static const char nul_outside[] = "{\"a\": 1}\0";
	parse_fails(nul_outside, sizeof(nul_outside) - 1, ST_INVALID, NULL);
	static const char *utf8[] = {
		"{\"a\": \"\xff\"}",             /* never valid */
		"{\"a\": \"\xc0\xaf\"}",         /* overlong '/' */
		"{\"a\": \"\xed\xa0\x80\"}",     /* a surrogate */
		"{\"a\": \"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
		"{\"a\": \"\xe2\x82\"}",         /* cut short */
		"{\"\xff\": 1}",                 /* in a key */
		"{\"a\": \"\\ud800\"}",          /* an unpaired surrogate escape */
	};
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		parse_fails(utf8[i], strlen(utf8[i]), ST_INVALID, NULL);
	/* The message never carries the offending bytes as they are. */
	parse_fails("{\"a\": \"\x01\xff\"}", 10, ST_INVALID, NULL);
}

static void test_err_buffer(void **state)
{
	(void)state;
	json_t *j;
	char err[8];
	assert_int_equal(json_body_parse("[]", 2, &j, err, sizeof(err)), ST_INVALID);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(json_body_parse("[]", 2, &j, NULL, 0), ST_INVALID);
	assert_null(j);
	assert_int_equal(json_body_parse("{}", 2, &j, NULL, 0), ST_OK);
	json_decref(j);
}

static void test_get_string(void **state)
{
	(void)state;
	json_t *j = parse_ok("{\"title\": \"Rapat\\tpleno\", \"num\": 5, \"nul\": null, \"nl\": \"a\\nb\", "
	                     "\"us\": \"\\u001f\", \"del\": \"\\u007f\", \"id\": \"Tata \xc3\xa9\", \"empty\": \"\"}");
	char err[128];
	const char *s = (const char *)1;
	assert_int_equal(json_get_string(j, "title", true, 500, &s, err, sizeof(err)), ST_OK);
	assert_string_equal(s, "Rapat\tpleno");
	assert_int_equal(json_get_string(j, "empty", true, 0, &s, err, sizeof(err)), ST_OK);
	assert_string_equal(s, "");
	assert_int_equal(json_get_string(j, "del", true, 10, &s, err, sizeof(err)), ST_OK);
	/* Optional and absent. */
	s = (const char *)1;
	assert_int_equal(json_get_string(j, "place", false, 200, &s, err, sizeof(err)), ST_OK);
	assert_null(s);
	/* Length in bytes: "Tata é" is 7 bytes. */
	assert_int_equal(json_get_string(j, "id", true, 7, &s, err, sizeof(err)), ST_OK);
	assert_int_equal(json_get_string(j, "id", true, 6, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'id': longer than 6 bytes");
	assert_null(s);
	assert_int_equal(json_get_string(j, "place", true, 200, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'place': required");
	assert_int_equal(json_get_string(j, "num", false, 200, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'num': expected a string");
	assert_int_equal(json_get_string(j, "nul", false, 200, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'nul': expected a string");
	assert_int_equal(json_get_string(j, "nl", true, 200, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'nl': must not contain control characters");
	assert_int_equal(json_get_string(j, "us", true, 200, &s, err, sizeof(err)), ST_INVALID);
	/* Strings built in code, bypassing jansson's checks, are checked too. */
	json_object_set_new(j, "raw", json_stringn_nocheck("a\xffz", 3));
	assert_int_equal(json_get_string(j, "raw", true, 200, &s, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'raw': invalid utf-8");
	json_object_set_new(j, "zero", json_stringn("a\0z", 3));
	assert_int_equal(json_get_string(j, "zero", true, 200, &s, err, sizeof(err)), ST_INVALID);
	/* Not an object. */
	json_t *arr = json_array();
	assert_int_equal(json_get_string(arr, "x", false, 1, &s, err, sizeof(err)), ST_INVALID);
	json_decref(arr);
	json_decref(j);
}

static void test_get_int(void **state)
{
	(void)state;
	json_t *j = parse_ok("{\"pages\": 12, \"neg\": -3, \"real\": 1.0, \"str\": \"1\", \"bool\": true, \"nul\": null, "
	                     "\"max\": 9223372036854775807, \"min\": -9223372036854775808}");
	char err[128];
	int64_t v = 0;
	bool present = false;
	assert_int_equal(json_get_int(j, "pages", true, 1, 100000, &present, &v, err, sizeof(err)), ST_OK);
	assert_true(present);
	assert_int_equal(v, 12);
	assert_int_equal(json_get_int(j, "pages", true, 12, 12, NULL, &v, err, sizeof(err)), ST_OK);
	assert_int_equal(json_get_int(j, "pages", true, 13, 100, &present, &v, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'pages': must be between 13 and 100");
	assert_int_equal(json_get_int(j, "pages", true, 0, 11, &present, &v, err, sizeof(err)), ST_INVALID);
	assert_int_equal(json_get_int(j, "neg", true, -3, 0, &present, &v, err, sizeof(err)), ST_OK);
	assert_int_equal(v, -3);
	assert_int_equal(json_get_int(j, "max", true, INT64_MIN, INT64_MAX, &present, &v, err, sizeof(err)), ST_OK);
	assert_true(v == INT64_MAX);
	assert_int_equal(json_get_int(j, "min", true, INT64_MIN, INT64_MAX, &present, &v, err, sizeof(err)), ST_OK);
	assert_true(v == INT64_MIN);
	/* Absent and optional: *OUT keeps the caller's default. */
	v = 77;
	present = true;
	assert_int_equal(json_get_int(j, "absent", false, 0, 10, &present, &v, err, sizeof(err)), ST_OK);
	assert_false(present);
	assert_int_equal(v, 77);
	assert_int_equal(json_get_int(j, "absent", true, 0, 10, &present, &v, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'absent': required");
	static const char *not_int[] = {"real", "str", "bool", "nul"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(json_get_int(j, not_int[i], false, 0, 10, &present, &v, err, sizeof(err)), ST_INVALID);
		assert_true(strstr(err, "expected an integer") != NULL);
	}
	json_decref(j);
}

static void test_check_keys(void **state)
{
	(void)state;
	static const char *const allowed[] = {"title", "date", "place", NULL};
	char err[256];
	json_t *j = parse_ok("{\"date\": 1, \"title\": 2}");
	assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_OK);
	json_decref(j);
	/* The first unknown key in document order. */
	j = parse_ok("{\"title\": 1, \"zeta\": 2, \"alpha\": 3}");
	assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_INVALID);
	assert_string_equal(err, "field 'zeta': unknown field");
	json_decref(j);
	/* Keys are matched exactly: no case folding, no prefixes. */
	static const char *const cases[] = {"{\"Title\": 1}", "{\"titl\": 1}", "{\"titles\": 1}", "{\"\": 1}"};
	for (size_t i = 0; i < 4; i++) {
		j = parse_ok(cases[i]);
		assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_INVALID);
		json_decref(j);
	}
	/* Keys quoted back are cut and made printable. */
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_adds(&b, "{\"\\n\xc3\xa9"), ST_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addc(&b, 'k'), ST_OK);
	assert_int_equal(buf_adds(&b, "\": 1}"), ST_OK);
	j = parse_ok(b.ptr);
	assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_INVALID);
	assert_printable(err);
	assert_true(strncmp(err, "field '???kkk", 13) == 0);
	assert_true(strstr(err, "k...': unknown field") != NULL);
	assert_true(strlen(err) < 100);
	json_decref(j);
	buf_release(&b);
	/* A key with a NUL inside (only possible when built in code) is not the allowed prefix. */
	j = json_object();
	json_object_setn_new(j, "title\0x", 7, json_integer(1));
	assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_INVALID);
	json_decref(j);
	j = json_array();
	assert_int_equal(json_check_keys(j, allowed, err, sizeof(err)), ST_INVALID);
	json_decref(j);
	/* An empty allow-list allows nothing but an empty object. */
	static const char *const none[] = {NULL};
	j = parse_ok("{}");
	assert_int_equal(json_check_keys(j, none, err, sizeof(err)), ST_OK);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_object),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_get_string),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_check_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
