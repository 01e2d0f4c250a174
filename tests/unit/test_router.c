/* Unit tests of the route table matcher (src/http/router.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http/router.h"

/* Handlers are opaque to the router; distinct addresses are enough to tell routes apart. */
static int h_list, h_create, h_get, h_patch, h_delete, h_docs, h_upload, h_version, h_root, h_new,
	h_login, h_deep;

static const struct route table[] = {
	{HTTP_GET, "/", &h_root},
	{HTTP_POST, "/api/session", &h_login},
	{HTTP_GET, "/api/meetings", &h_list},
	{HTTP_POST, "/api/meetings", &h_create},
	{HTTP_GET, "/api/meetings/new", &h_new},
	{HTTP_GET, "/api/meetings/{id}", &h_get},
	{HTTP_PATCH, "/api/meetings/{id}", &h_patch},
	{HTTP_DELETE, "/api/meetings/{id}", &h_delete},
	{HTTP_GET, "/api/meetings/{id}/documents", &h_docs},
	{HTTP_POST, "/api/meetings/{id}/documents", &h_upload},
	{HTTP_GET, "/api/documents/{doc}/versions/{ver}", &h_version},
	{HTTP_GET, "/api/m/{a}/s/{b}/d/{c}/v/{d}", &h_deep},
};
#define NROUTES (sizeof table / sizeof table[0])

static enum route_result match(enum http_method m, const char *path, struct route_match *out)
{
	memset(out, 0x5a, sizeof *out); /* the matcher must set every field it promises */
	return router_match(table, NROUTES, m, slice_cstr(path), out);
}

static void expect_found(enum http_method m, const char *path, const void *handler)
{
	struct route_match rm;
	assert_int_equal(match(m, path, &rm), ROUTE_FOUND);
	assert_non_null(rm.route);
	assert_ptr_equal(rm.route->handler, handler);
}

static void expect_not_found(enum http_method m, const char *path)
{
	struct route_match rm;
	assert_int_equal(match(m, path, &rm), ROUTE_NOT_FOUND);
	assert_null(rm.route);
	assert_int_equal(rm.nparams, 0);
}

static void test_method_parse(void **state)
{
	(void)state;
	assert_int_equal(http_method_parse("GET"), HTTP_GET);
	assert_int_equal(http_method_parse("HEAD"), HTTP_HEAD);
	assert_int_equal(http_method_parse("POST"), HTTP_POST);
	assert_int_equal(http_method_parse("PUT"), HTTP_PUT);
	assert_int_equal(http_method_parse("PATCH"), HTTP_PATCH);
	assert_int_equal(http_method_parse("DELETE"), HTTP_DELETE);
	assert_int_equal(http_method_parse("OPTIONS"), HTTP_OPTIONS);
	assert_int_equal(http_method_parse("get"), 0);
	assert_int_equal(http_method_parse("GETX"), 0);
	assert_int_equal(http_method_parse("GE"), 0);
	assert_int_equal(http_method_parse("CONNECT"), 0);
	assert_int_equal(http_method_parse("TRACE"), 0);
	assert_int_equal(http_method_parse(""), 0);
	assert_int_equal(http_method_parse(NULL), 0);
}

static void test_found_with_params(void **state)
{
	(void)state;
	struct route_match rm;
	const char *path = "/api/meetings/42/documents";
	assert_int_equal(match(HTTP_GET, path, &rm), ROUTE_FOUND);
	assert_ptr_equal(rm.route, &table[8]);
	assert_int_equal(rm.nparams, 1);
	assert_true(slice_eq_cstr(rm.params[0], "42"));
	assert_ptr_equal(rm.params[0].ptr, path + 14); /* points into the path */

	assert_int_equal(match(HTTP_GET, "/api/documents/7/versions/3", &rm), ROUTE_FOUND);
	assert_ptr_equal(rm.route->handler, &h_version);
	assert_int_equal(rm.nparams, 2);
	assert_true(slice_eq_cstr(rm.params[0], "7"));
	assert_true(slice_eq_cstr(rm.params[1], "3"));

	assert_int_equal(match(HTTP_GET, "/api/m/1/s/pelaksanaan/d/3/v/4", &rm), ROUTE_FOUND);
	assert_int_equal(rm.nparams, LIMIT_ROUTE_PARAMS);
	assert_true(slice_eq_cstr(rm.params[1], "pelaksanaan"));
	assert_true(slice_eq_cstr(rm.params[3], "4"));

	/* A parameter takes any non-empty segment; checking it is the handler's job. */
	assert_int_equal(match(HTTP_GET, "/api/meetings/abc", &rm), ROUTE_FOUND);
	assert_true(slice_eq_cstr(rm.params[0], "abc"));

	expect_found(HTTP_GET, "/", &h_root);
	expect_found(HTTP_GET, "/api/meetings", &h_list);
	expect_found(HTTP_POST, "/api/meetings", &h_create);
	expect_found(HTTP_PATCH, "/api/meetings/9", &h_patch);
	expect_found(HTTP_DELETE, "/api/meetings/9", &h_delete);
	expect_found(HTTP_POST, "/api/meetings/9/documents", &h_upload);
	expect_found(HTTP_POST, "/api/session", &h_login);
}

static void test_first_match_wins(void **state)
{
	(void)state;
	expect_found(HTTP_GET, "/api/meetings/new", &h_new);
	/* The literal route has GET only; other methods fall through to the {id} routes. */
	expect_found(HTTP_PATCH, "/api/meetings/new", &h_patch);
}

static void test_head_matches_get(void **state)
{
	(void)state;
	expect_found(HTTP_HEAD, "/api/meetings", &h_list);
	expect_found(HTTP_HEAD, "/api/meetings/5/documents", &h_docs);
	/* HEAD on a path with no GET is a 405, and HEAD is not in its Allow. */
	struct route_match rm;
	assert_int_equal(match(HTTP_HEAD, "/api/session", &rm), ROUTE_METHOD_NOT_ALLOWED);
	assert_int_equal(rm.allowed, HTTP_POST);
}

static void test_method_not_allowed(void **state)
{
	(void)state;
	struct route_match rm;
	assert_int_equal(match(HTTP_PUT, "/api/meetings", &rm), ROUTE_METHOD_NOT_ALLOWED);
	assert_null(rm.route);
	assert_int_equal(rm.nparams, 0);
	assert_int_equal(rm.allowed, HTTP_GET | HTTP_HEAD | HTTP_POST);

	assert_int_equal(match(HTTP_POST, "/api/meetings/3", &rm), ROUTE_METHOD_NOT_ALLOWED);
	assert_int_equal(rm.allowed, HTTP_GET | HTTP_HEAD | HTTP_PATCH | HTTP_DELETE);

	assert_int_equal(match(HTTP_GET, "/api/session", &rm), ROUTE_METHOD_NOT_ALLOWED);
	assert_int_equal(rm.allowed, HTTP_POST);

	/* An unknown method (0) on a routed path. */
	assert_int_equal(match(0, "/api/meetings", &rm), ROUTE_METHOD_NOT_ALLOWED);
}

static void test_not_found(void **state)
{
	(void)state;
	expect_not_found(HTTP_GET, "/api/nope");
	expect_not_found(HTTP_GET, "/api/meetings/1/documents/extra");
	expect_not_found(HTTP_GET, "/api");
	expect_not_found(HTTP_GET, "/API/meetings");            /* case-sensitive */
	expect_not_found(HTTP_GET, "api/meetings");             /* no leading slash */
	expect_not_found(HTTP_GET, "");
	struct route_match rm;
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, (struct slice){NULL, 0}, &rm),
			 ROUTE_NOT_FOUND);
	assert_int_equal(router_match(table, 0, HTTP_GET, SLICE_LIT("/"), &rm), ROUTE_NOT_FOUND);
}

static void test_unusual_spellings_refused(void **state)
{
	(void)state;
	expect_not_found(HTTP_GET, "/api/meetings/");           /* trailing slash */
	expect_not_found(HTTP_GET, "/api/meetings/1/documents/");
	expect_not_found(HTTP_GET, "//api/meetings");           /* empty segments */
	expect_not_found(HTTP_GET, "/api//meetings");
	expect_not_found(HTTP_GET, "//");
	expect_not_found(HTTP_GET, "/api/./meetings");          /* dot segments */
	expect_not_found(HTTP_GET, "/api/x/../meetings");
	expect_not_found(HTTP_GET, "/api/meetings/..");
	expect_not_found(HTTP_GET, "/api/meetings/.");
	expect_not_found(HTTP_GET, "/api/meetings/%31");        /* percent-encoded bytes */
	expect_not_found(HTTP_GET, "/api/meeting%73");
	expect_not_found(HTTP_GET, "/api/meetings/1%2F2");
	expect_not_found(HTTP_GET, "/api/meetings/1\n");       /* control bytes */
	expect_not_found(HTTP_GET, "/api/meetings/1\x7f");
	struct route_match rm;
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, slice_of("/api/meetings/1\0x", 17), &rm),
			 ROUTE_NOT_FOUND);
	/* "..." is just a name, not a dot segment. */
	expect_found(HTTP_GET, "/api/meetings/...", &h_get);
}

static void test_path_length_limit(void **state)
{
	(void)state;
	char path[LIMIT_PATH_BYTES + 2];
	const char *prefix = "/api/meetings/";
	size_t plen = strlen(prefix);
	memcpy(path, prefix, plen);
	memset(path + plen, '1', sizeof path - plen);

	struct route_match rm;
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, slice_of(path, LIMIT_PATH_BYTES), &rm),
			 ROUTE_FOUND);
	assert_int_equal(rm.params[0].len, LIMIT_PATH_BYTES - plen);
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, slice_of(path, LIMIT_PATH_BYTES + 1), &rm),
			 ROUTE_NOT_FOUND);
}

static void test_path_not_nul_terminated(void **state)
{
	(void)state;
	/* Only LEN bytes are looked at. */
	const char buf[] = "/api/meetings/42/documentsXYZ";
	struct route_match rm;
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, slice_of(buf, sizeof buf - 4), &rm),
			 ROUTE_FOUND);
	assert_ptr_equal(rm.route->handler, &h_docs);
	assert_int_equal(router_match(table, NROUTES, HTTP_GET, slice_of(buf, 16), &rm), ROUTE_FOUND);
	assert_ptr_equal(rm.route->handler, &h_get);
	assert_true(slice_eq_cstr(rm.params[0], "42"));
}

static void test_param_id(void **state)
{
	(void)state;
	int64_t v = -1;
	assert_true(router_param_id(SLICE_LIT("1"), &v));
	assert_int_equal(v, 1);
	assert_true(router_param_id(SLICE_LIT("42"), &v));
	assert_int_equal(v, 42);
	assert_true(router_param_id(SLICE_LIT("9223372036854775807"), &v));
	assert_true(v == INT64_MAX);
	assert_true(router_param_id(slice_of("123456", 3), &v));
	assert_int_equal(v, 123);

	v = 77;
	static const char *bad[] = {"", "0", "00", "007", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.0",
				    "9223372036854775808", "18446744073709551616", "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(router_param_id(slice_cstr(bad[i]), &v));
	assert_false(router_param_id((struct slice){NULL, 0}, &v));
	assert_int_equal(v, 77); /* untouched on failure */
}

static void test_check_table(void **state)
{
	(void)state;
	assert_int_equal(router_check_table(table, NROUTES), ST_OK);
	assert_int_equal(router_check_table(table, 0), ST_OK);

	static const char *bad_patterns[] = {
		"", "api/x", "/a/", "/a//b", "//", "/a/./b", "/a/../b", "/a/{id", "/a/id}", "/a/{a}{b}",
		"/a/%20", "/a/{}", "/{a}/{b}/{c}/{d}/{e}",
	};
	for (size_t i = 0; i < sizeof bad_patterns / sizeof bad_patterns[0]; i++) {
		struct route r = {HTTP_GET, bad_patterns[i], NULL};
		assert_int_equal(router_check_table(&r, 1), ST_INVALID);
	}
	struct route null_pattern = {HTTP_GET, NULL, NULL};
	assert_int_equal(router_check_table(&null_pattern, 1), ST_INVALID);
	struct route no_method = {0, "/a", NULL};
	assert_int_equal(router_check_table(&no_method, 1), ST_INVALID);
	struct route odd_method = {(enum http_method)128, "/a", NULL};
	assert_int_equal(router_check_table(&odd_method, 1), ST_INVALID);

	/* A route an earlier one always wins over is refused... */
	struct route shadowed[] = {{HTTP_GET, "/a/{id}", NULL}, {HTTP_GET, "/a/new", NULL}};
	assert_int_equal(router_check_table(shadowed, 2), ST_INVALID);
	struct route duplicate[] = {{HTTP_POST, "/a", NULL}, {HTTP_POST, "/a", NULL}};
	assert_int_equal(router_check_table(duplicate, 2), ST_INVALID);
	/* ...but the literal first, or another method, is fine. */
	struct route ordered[] = {{HTTP_GET, "/a/new", NULL}, {HTTP_GET, "/a/{id}", NULL}};
	assert_int_equal(router_check_table(ordered, 2), ST_OK);
	struct route methods[] = {{HTTP_GET, "/a/{id}", NULL}, {HTTP_POST, "/a/new", NULL}};
	assert_int_equal(router_check_table(methods, 2), ST_OK);
	struct route deeper[] = {{HTTP_GET, "/a/{id}", NULL}, {HTTP_GET, "/a/{id}/b", NULL}};
	assert_int_equal(router_check_table(deeper, 2), ST_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_parse),
		cmocka_unit_test(test_found_with_params),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_head_matches_get),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_unusual_spellings_refused),
		cmocka_unit_test(test_path_length_limit),
		cmocka_unit_test(test_path_not_nul_terminated),
		cmocka_unit_test(test_param_id),
		cmocka_unit_test(test_check_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
