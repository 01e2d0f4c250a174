/*
 * The static route table matcher (h2o, OpenBSD httpd: a table, not a framework). A table is a
 * constant array of routes; the first route whose pattern and method match wins. Paths that a
 * normalising proxy or file system might read differently from us ("/a//b", "/a/./b", "/a/",
 * percent-encoded bytes) match nothing, so one request can never reach a handler under two
 * spellings.
 */
#ifndef SIDANG_HTTP_ROUTER_H
#define SIDANG_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sidang_limits.h"
#include "util/slice.h"
#include "util/status.h"

/* One bit each, so a set of methods is a mask (the Allow header of a 405). */
enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD = 2,
	HTTP_POST = 4,
	HTTP_PUT = 8,
	HTTP_PATCH = 16,
	HTTP_DELETE = 32,
	HTTP_OPTIONS = 64,
};

/* "GET" → HTTP_GET etc. (case-sensitive, as RFC 9110 §9.1 says); 0 for anything else,
 * including NULL. */
enum http_method http_method_parse(const char *s);

struct route {
	enum http_method method;
	const char *pattern; /* "/api/meetings/{id}/documents": "{name}" matches one non-empty segment */
	void *handler;       /* opaque to the router */
};

struct route_match {
	const struct route *route; /* NULL unless ROUTE_FOUND */
	int nparams;
	struct slice params[LIMIT_ROUTE_PARAMS]; /* the {…} segments, in order, pointing into PATH */
	unsigned allowed; /* on ROUTE_METHOD_NOT_ALLOWED: the mask of methods the path has */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/* Matches METHOD and PATH (no query string; at most LIMIT_PATH_BYTES, else NOT_FOUND) against
 * TABLE (N routes, first match wins); fills *out. HEAD matches GET routes, and a path with a GET
 * route allows HEAD. NOT_FOUND also for a path that does not start with '/', has a trailing
 * slash, an empty segment ("//"), a "." or ".." segment, or a '%' or control byte in a
 * segment. Literal segments compare case-sensitively. */
enum route_result router_match(const struct route *table, size_t n, enum http_method method,
			       struct slice path, struct route_match *out);

/* Checks a route table once at start-up: every pattern starts with '/', has no empty, "." or
 * ".." segment, names parameters as whole "{name}" segments, at most LIMIT_ROUTE_PARAMS of them,
 * and every method is one of enum http_method's bits. ST_INVALID (logged, naming the route)
 * otherwise. */
enum status router_check_table(const struct route *table, size_t n);

/* Parses a {id} parameter into *out: decimal digits only, no sign, no leading zero,
 * 1..INT64_MAX. */
bool router_param_id(struct slice s, int64_t *out);

#endif
