#include "http/router.h"

#include <string.h>

#include "util/log.h"

#define HTTP_METHODS_ALL 127u /* every bit of enum http_method */

enum http_method http_method_parse(const char *s)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
		{"GET", HTTP_GET},     {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
		{"PUT", HTTP_PUT},     {"PATCH", HTTP_PATCH},   {"DELETE", HTTP_DELETE},
		{"OPTIONS", HTTP_OPTIONS},
	};
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].method;
	return 0;
}

/* Steps to the segment after *POS (which is at a '/' or at the end) of S. "/" alone has no
 * segments, so the root can be routed. Returns false at the end. */
static bool next_segment(struct slice s, size_t *pos, struct slice *seg)
{
	if (*pos >= s.len || (s.len == 1 && *pos == 0))
		return false;
	size_t start = *pos + 1, end = start;
	while (end < s.len && s.ptr[end] != '/')
		end++;
	*seg = slice_of(s.ptr + start, end - start);
	*pos = end;
	return true;
}

static bool is_dot_segment(struct slice seg)
{
	return slice_eq_cstr(seg, ".") || slice_eq_cstr(seg, "..");
}

/* A segment we are willing to route: non-empty, not "." or "..", no '%' (libmicrohttpd has
 * decoded the path already, so a '%' left over was double-encoded) and no control byte. */
static bool segment_ok(struct slice seg)
{
	if (seg.len == 0 || is_dot_segment(seg))
		return false;
	for (size_t i = 0; i < seg.len; i++) {
		unsigned char c = (unsigned char)seg.ptr[i];
		if (c == '%' || c < 0x20 || c == 0x7F)
			return false;
	}
	return true;
}

static bool path_ok(struct slice path)
{
	if (!path.ptr || path.len == 0 || path.len > LIMIT_PATH_BYTES || path.ptr[0] != '/')
		return false;
	size_t pos = 0;
	struct slice seg = {NULL, 0};
	while (next_segment(path, &pos, &seg))
		if (!segment_ok(seg))
			return false;
	return true;
}

static bool is_param(struct slice seg)
{
	return seg.len >= 3 && seg.ptr[0] == '{' && seg.ptr[seg.len - 1] == '}';
}

/* Matches PATH (already checked by path_ok) against R's pattern, collecting the parameters. */
static bool pattern_matches(const struct route *r, struct slice path, struct route_match *m)
{
	struct slice pattern = slice_cstr(r->pattern);
	size_t ppos = 0, spos = 0;
	struct slice pseg = {NULL, 0}, sseg = {NULL, 0};
	m->nparams = 0;
	for (;;) {
		bool more_p = next_segment(pattern, &ppos, &pseg);
		bool more_s = next_segment(path, &spos, &sseg);
		if (!more_p || !more_s)
			return more_p == more_s;
		if (is_param(pseg)) {
			if (m->nparams >= LIMIT_ROUTE_PARAMS)
				return false; /* router_check_table refuses such a table */
			m->params[m->nparams++] = sseg;
		} else if (!slice_eq(pseg, sseg)) {
			return false;
		}
	}
}

/* The methods a route answers: a GET route answers HEAD too (RFC 9110 §9.3.2). */
static unsigned route_methods(const struct route *r)
{
	unsigned m = (unsigned)r->method;
	return (m & HTTP_GET) ? m | HTTP_HEAD : m;
}

enum route_result router_match(const struct route *table, size_t n, enum http_method method,
			       struct slice path, struct route_match *out)
{
	unsigned allowed = 0;
	out->route = NULL;
	out->nparams = 0;
	out->allowed = 0;
	if (!path_ok(path))
		return ROUTE_NOT_FOUND;
	for (size_t i = 0; i < n; i++) {
		if (!pattern_matches(&table[i], path, out))
			continue;
		unsigned m = route_methods(&table[i]);
		if (m & (unsigned)method) {
			out->route = &table[i];
			return ROUTE_FOUND;
		}
		allowed |= m;
	}
	out->nparams = 0;
	if (allowed == 0)
		return ROUTE_NOT_FOUND;
	out->allowed = allowed;
	return ROUTE_METHOD_NOT_ALLOWED;
}

/* True if every path that B's pattern matches is matched by A's too. */
static bool pattern_covers(const char *a, const char *b)
{
	struct slice sa = slice_cstr(a), sb = slice_cstr(b), ga = {NULL, 0}, gb = {NULL, 0};
	size_t pa = 0, pb = 0;
	for (;;) {
		bool more_a = next_segment(sa, &pa, &ga);
		bool more_b = next_segment(sb, &pb, &gb);
		if (!more_a || !more_b)
			return more_a == more_b;
		if (is_param(ga))
			continue;
		if (is_param(gb) || !slice_eq(ga, gb))
			return false;
	}
}

static enum status check_pattern(const struct route *r)
{
	struct slice pattern = slice_cstr(r->pattern);
	if (!r->pattern || pattern.len == 0 || pattern.ptr[0] != '/' || pattern.len > LIMIT_PATH_BYTES)
		return ST_INVALID;
	size_t pos = 0;
	int params = 0;
	struct slice seg = {NULL, 0};
	while (next_segment(pattern, &pos, &seg)) {
		if (!segment_ok(seg))
			return ST_INVALID;
		bool param = is_param(seg);
		size_t inner_from = param ? 1 : 0, inner_to = param ? seg.len - 1 : seg.len;
		for (size_t i = inner_from; i < inner_to; i++)
			if (seg.ptr[i] == '{' || seg.ptr[i] == '}')
				return ST_INVALID;
		if (param && ++params > LIMIT_ROUTE_PARAMS)
			return ST_INVALID;
	}
	return ST_OK;
}

enum status router_check_table(const struct route *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &table[i];
		unsigned m = (unsigned)r->method;
		if (m == 0 || (m & ~HTTP_METHODS_ALL) != 0) {
			log_error("route %zu \"%s\": bad method mask %u", i, r->pattern ? r->pattern : "", m);
			return ST_INVALID;
		}
		if (check_pattern(r) != ST_OK) {
			log_error("route %zu \"%s\": bad pattern", i, r->pattern ? r->pattern : "");
			return ST_INVALID;
		}
		/* A route that an earlier one always wins over is a mistake in the table. */
		for (size_t j = 0; j < i; j++) {
			if ((m & ~(unsigned)table[j].method) == 0 &&
			    pattern_covers(table[j].pattern, r->pattern)) {
				log_error("route %zu \"%s\" is unreachable: route %zu \"%s\" matches first", i,
					  r->pattern, j, table[j].pattern);
				return ST_INVALID;
			}
		}
	}
	return ST_OK;
}

bool router_param_id(struct slice s, int64_t *out)
{
	/* INT64_MAX has 19 digits. */
	if (!s.ptr || s.len == 0 || s.len > 19 || s.ptr[0] == '0')
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (c < '0' || c > '9')
			return false;
		int d = c - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}
