/*
 * libFuzzer harness for src/http/router.c. The first input byte chooses the method, the rest
 * (bounded a little above LIMIT_PATH_BYTES) is the path, matched against a table shaped like
 * src/api/routes.c. Checks the promises of router.h: a match's parameters lie inside the path,
 * are non-empty whole segments that are routable, and put back into the pattern give the path
 * again; paths the header refuses never match; HEAD behaves as GET; a 405 names methods that
 * exclude the one asked for; router_param_id accepts exactly the canonical decimals
 * 1..INT64_MAX and gives them back unchanged.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "sidang_limits.h"

/* The checks are not instrumented for coverage: their own branches and comparisons would only
 * steer the fuzzer towards the harness instead of the code under test (and slow it down). */
#define CHECKER __attribute__((no_sanitize("coverage")))

static char h[16]; /* distinct opaque handlers */

static const struct route table[] = {
	{HTTP_GET, "/api/health", &h[0]},
	{HTTP_GET, "/api/meta", &h[1]},
	{HTTP_POST, "/api/login", &h[2]},
	{HTTP_POST, "/api/logout", &h[3]},
	{HTTP_GET, "/api/me", &h[4]},
	{HTTP_GET, "/api/meetings", &h[5]},
	{HTTP_POST, "/api/meetings", &h[6]},
	{HTTP_GET, "/api/meetings/{id}", &h[7]},
	{HTTP_PATCH | HTTP_PUT, "/api/meetings/{id}", &h[8]},
	{HTTP_GET, "/api/meetings/{id}/documents", &h[9]},
	{HTTP_POST, "/api/meetings/{id}/documents", &h[10]},
	{HTTP_GET, "/api/documents/{id}", &h[11]},
	{HTTP_GET, "/api/documents/{id}/content", &h[12]},
	{HTTP_POST, "/api/documents/{id}/versions", &h[13]},
	{HTTP_DELETE, "/api/documents/{doc}/versions/{v}", &h[14]},
	{HTTP_GET, "/", &h[15]},
};
#define NROUTES (sizeof table / sizeof table[0])

static const enum http_method methods[] = {HTTP_GET,   HTTP_HEAD,   HTTP_POST,    HTTP_PUT,
					   HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS};

/* The header's canonical id: digits only, no leading zero, at most INT64_MAX. */
CHECKER static bool canonical_id(struct slice s)
{
	static const char max[] = "9223372036854775807";
	if (s.len == 0 || s.len > sizeof max - 1 || s.ptr[0] == '0')
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
	return s.len < sizeof max - 1 || memcmp(s.ptr, max, s.len) <= 0;
}

CHECKER static void check_id(struct slice s)
{
	int64_t v = -1;
	bool ok = router_param_id(s, &v);
	if (ok != canonical_id(s))
		abort();
	if (!ok)
		return;
	char text[32];
	int n = snprintf(text, sizeof text, "%lld", (long long)v);
	if (v < 1 || n < 0 || (size_t)n != s.len || memcmp(text, s.ptr, s.len) != 0)
		abort();
}

/* Whether the header promises NOT_FOUND for PATH whatever the table. */
CHECKER static bool unroutable(struct slice path)
{
	if (path.len == 0 || path.len > LIMIT_PATH_BYTES || path.ptr[0] != '/')
		return true;
	if (path.len == 1)
		return false;
	size_t start = 1;
	for (size_t i = 1; i <= path.len; i++) {
		if (i < path.len && path.ptr[i] != '/')
			continue;
		struct slice seg = slice_of(path.ptr + start, i - start);
		if (seg.len == 0 || slice_eq_cstr(seg, ".") || slice_eq_cstr(seg, ".."))
			return true;
		for (size_t k = 0; k < seg.len; k++) {
			unsigned char c = (unsigned char)seg.ptr[k];
			if (c == '%' || c < 0x20 || c == 0x7F)
				return true;
		}
		start = i + 1;
	}
	return false;
}

CHECKER static bool inside(struct slice part, struct slice whole)
{
	/* As integers: comparing pointers into different objects would be undefined. */
	uintptr_t p = (uintptr_t)part.ptr, w = (uintptr_t)whole.ptr;
	return p >= w && part.len <= whole.len && p - w <= whole.len - part.len;
}

CHECKER static void check_found(const struct route_match *m, enum http_method method,
				struct slice path)
{
	const struct route *r = m->route;
	if (!r || r < table || r >= table + NROUTES || m->nparams < 0 ||
	    m->nparams > LIMIT_ROUTE_PARAMS)
		abort();
	unsigned answers = (unsigned)r->method | ((r->method & HTTP_GET) ? HTTP_HEAD : 0u);
	if (!(answers & (unsigned)method))
		abort();

	/* Put the parameters back into the pattern: the path must come out again. */
	char rebuilt[LIMIT_PATH_BYTES + 1];
	size_t len = 0;
	int used = 0;
	for (const char *p = r->pattern; *p;) {
		if (*p == '{') {
			if (used >= m->nparams)
				abort();
			struct slice s = m->params[used++];
			if (!s.ptr || s.len == 0 || !inside(s, path) || memchr(s.ptr, '/', s.len))
				abort();
			if (s.len > sizeof rebuilt - len)
				abort();
			memcpy(rebuilt + len, s.ptr, s.len);
			len += s.len;
			p = strchr(p, '}') + 1;
		} else {
			if (len >= sizeof rebuilt)
				abort();
			rebuilt[len++] = *p++;
		}
	}
	if (used != m->nparams || len != path.len || memcmp(rebuilt, path.ptr, len) != 0)
		abort();
	for (int i = 0; i < m->nparams; i++)
		check_id(m->params[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool checked;
	if (!checked) {
		if (router_check_table(table, NROUTES) != ST_OK)
			abort();
		checked = true;
	}
	if (size == 0)
		return 0;
	enum http_method method = methods[data[0] % (sizeof methods / sizeof methods[0])];
	size_t len = size - 1;
	if (len > LIMIT_PATH_BYTES + 16)
		len = LIMIT_PATH_BYTES + 16;
	/* An exact-size copy, so ASan sees any read past the path. */
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	struct slice path = slice_of(copy, len);

	struct route_match m;
	memset(&m, 0xA5, sizeof m);
	enum route_result res = router_match(table, NROUTES, method, path, &m);
	switch (res) {
	case ROUTE_FOUND:
		if (unroutable(path))
			abort();
		check_found(&m, method, path);
		break;
	case ROUTE_METHOD_NOT_ALLOWED:
		if (m.route || m.nparams != 0 || m.allowed == 0 || (m.allowed & (unsigned)method) ||
		    (m.allowed & ~127u) || unroutable(path))
			abort();
		/* A path with a GET route allows HEAD. */
		if ((m.allowed & HTTP_GET) && !(m.allowed & HTTP_HEAD))
			abort();
		break;
	case ROUTE_NOT_FOUND:
		if (m.route || m.nparams != 0)
			abort();
		break;
	default:
		abort();
	}

	/* HEAD matches exactly what GET matches. */
	if (method == HTTP_GET || method == HTTP_HEAD) {
		struct route_match other;
		enum http_method twin = method == HTTP_GET ? HTTP_HEAD : HTTP_GET;
		enum route_result r2 = router_match(table, NROUTES, twin, path, &other);
		if (r2 != res || other.route != m.route ||
		    (res == ROUTE_FOUND && other.nparams != m.nparams))
			abort();
	}

	/* The id parser on raw bytes, too. */
	check_id(slice_of(copy, len < 24 ? len : 24));
	free(copy);
	return 0;
}
