/*
 * libmicrohttpd glue. One thread per connection (bounded by max_connections), so a handler may
 * block on the database or an fsync without stalling other clients.
 *
 * The access handler is called: once when the headers are in (we route, check limits, the session
 * and the CSRF token), then once per chunk of body (streamed to the endpoint), then once more with
 * no data, when we run the handler and queue the reply. Replies are queued on that last call:
 * queueing on the first call makes libmicrohttpd 0.9.75 close the connection (see STYLE.md).
 *
 * Two exceptions to that rule. A request refused at the headers call that carries a body is
 * answered at once, so the client need not send it (libmicrohttpd then closes the connection).
 * A refusal found while the body arrives cannot be queued then (0.9.75 refuses a reply between
 * body calls): the rest of the body is read and dropped up to a bound (drain_limit), and the
 * reply goes out after the body; past the bound the connection is closed without a reply.
 *
 * Paths and query strings reach us undecoded (keep_escaped): the router refuses '%' in a path,
 * so each resource has one spelling, and decode_query decodes the query itself, refusing
 * malformed escapes, NUL and invalid UTF-8.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/assets.h"
#include "http/http.h"
#include "http/json_body.h"
#include "http/multipart.h"
#include "sidang_limits.h"
#include "util/log.h"
#include "util/utf8.h"

#define SESSION_COOKIE "sidang_session"
#define CSP_APP                                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "    \
	"connect-src 'self'; frame-src 'self'; object-src 'none'; frame-ancestors 'none'; "        \
	"base-uri 'none'; form-action 'self'"

/* A query parameter, percent-decoded into the request's arena. */
struct query_param {
	const char *name;
	const char *value; /* NULL for a name without '=' */
};

struct conn_state {
	struct req r;              /* first: http_query finds its conn_state from it */
	const struct endpoint *ep;
	struct buf body;           /* EP_JSON */
	struct multipart *mp;      /* EP_MULTIPART */
	bool upload_begun;
	bool queued;               /* a reply was queued early */
	uint64_t received;         /* body bytes, including those dropped */
	struct query_param *query; /* decode_query */
	size_t nquery;
};

static struct conn_state *conn_state_of(struct req *r)
{
	return (struct conn_state *)(void *)((char *)r - offsetof(struct conn_state, r));
}

/* --- replies -------------------------------------------------------------------------------- */

void http_reply_json(struct req *r, int status, json_t *body)
{
	if (r->replied) {
		json_decref(body);
		return;
	}
	if (!body) {
		/* A JSON shape that could not be built (out of memory, or a bug such as invalid UTF-8
		 * in a value) must not go out as an empty 200. */
		log_error("http: %s %s: could not build the JSON reply", r->path ? r->path : "?",
			  status >= 400 ? "(error)" : "");
		status = 500;
		body = json_pack("{s:{s:s, s:s}}", "error", "code", "internal", "message",
				 "internal error");
	}
	r->replied = true;
	r->status = status;
	r->reply_json = body;
}

void http_reply_error(struct req *r, int status, const char *code, const char *message,
		      const char *field)
{
	json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message ? message : code);
	if (err && field)
		json_object_set_new(err, "field", json_string(field));
	http_reply_json(r, status, json_pack("{s:o}", "error", err));
}

void http_reply_status(struct req *r, enum status st, const char *message)
{
	switch (st) {
	case ST_OK:
		http_reply_empty(r, 204);
		break;
	case ST_INVALID:
		http_reply_error(r, 400, "validation_failed", message ? message : "invalid input", NULL);
		break;
	case ST_TOO_LARGE:
		http_reply_error(r, 413, "payload_too_large", message ? message : "request too large",
				 NULL);
		break;
	case ST_UNSUPPORTED:
		http_reply_error(r, 415, "unsupported_media_type",
				 message ? message : "this file type is not accepted", NULL);
		break;
	case ST_NOT_FOUND:
		http_reply_error(r, 404, "not_found", "not found", NULL);
		break;
	case ST_CONFLICT:
		http_reply_error(r, 409, "conflict", message ? message : "conflict", NULL);
		break;
	case ST_DENIED:
		http_reply_error(r, 403, "forbidden", message ? message : "not allowed", NULL);
		break;
	case ST_UNAUTH:
		http_reply_error(r, 401, "unauthenticated", "login required", NULL);
		break;
	case ST_THROTTLED:
		http_reply_error(r, 429, "throttled", "too many attempts; try again later", NULL);
		break;
	case ST_NOSPACE:
		http_reply_error(r, 507, "insufficient_storage",
				 "the server's storage is full; nothing was stored", NULL);
		break;
	case ST_BUSY:
		http_reply_header(r, "Retry-After", "2");
		http_reply_error(r, 503, "busy", "the server is busy; try again", NULL);
		break;
	case ST_NOMEM:
	case ST_IO:
	case ST_CORRUPT:
		http_reply_error(r, 500, "internal", "internal error", NULL);
		break;
	}
}

void http_reply_empty(struct req *r, int status)
{
	if (r->replied)
		return;
	r->replied = true;
	r->status = status;
}

void http_reply_fd(struct req *r, int fd, uint64_t size, const char *content_type)
{
	if (r->replied) {
		close(fd);
		return;
	}
	r->replied = true;
	r->status = 200;
	r->reply_fd = fd;
	r->reply_fd_size = size;
	r->reply_type = arena_strdup(&r->arena, content_type);
}

void http_reply_header(struct req *r, const char *name, const char *value)
{
	if (r->nreply_headers >= (int)(sizeof r->reply_headers / sizeof r->reply_headers[0]))
		return;
	r->reply_headers[r->nreply_headers][0] = arena_strdup(&r->arena, name);
	r->reply_headers[r->nreply_headers][1] = arena_strdup(&r->arena, value);
	r->nreply_headers++;
}

const char *http_query(struct req *r, const char *name)
{
	const struct conn_state *cs = conn_state_of(r);
	for (size_t i = 0; i < cs->nquery; i++)
		if (strcmp(cs->query[i].name, name) == 0)
			return cs->query[i].value;
	return NULL;
}

const char *http_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void add_common_headers(struct MHD_Response *resp, bool is_content)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	if (!is_content) {
		MHD_add_response_header(resp, "Content-Security-Policy", CSP_APP);
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
}

static enum MHD_Result queue_reply(struct conn_state *cs)
{
	struct req *r = &cs->r;
	struct MHD_Response *resp = NULL;
	bool is_content = false;
	if (!r->replied)
		http_reply_error(r, 500, "internal", "no reply", NULL);
	if (r->reply_fd >= 0) {
		resp = MHD_create_response_from_fd64(r->reply_fd_size, r->reply_fd);
		if (resp) {
			r->reply_fd = -1; /* owned by the response now */
			MHD_add_response_header(resp, "Content-Type", r->reply_type);
			is_content = true;
		}
	} else if (r->reply_json) {
		char *text = json_dumps(r->reply_json, JSON_COMPACT);
		if (text) {
			resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
			if (!resp)
				free(text);
		}
		if (resp)
			MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	add_common_headers(resp, is_content);
	bool has_cache = false;
	for (int i = 0; i < r->nreply_headers; i++) {
		if (!r->reply_headers[i][0] || !r->reply_headers[i][1])
			continue;
		if (strcasecmp(r->reply_headers[i][0], "Cache-Control") == 0)
			has_cache = true;
		MHD_add_response_header(resp, r->reply_headers[i][0], r->reply_headers[i][1]);
	}
	if (!has_cache)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- multipart bridge ----------------------------------------------------------------------- */

static enum status mp_begin(void *ctx, struct slice name, struct slice filename, struct slice ct)
{
	struct conn_state *cs = ctx;
	return cs->ep->upload->part_begin(&cs->r, name, filename, ct);
}

static enum status mp_data(void *ctx, const char *p, size_t n)
{
	struct conn_state *cs = ctx;
	return cs->ep->upload->part_data(&cs->r, p, n);
}

static enum status mp_end(void *ctx)
{
	struct conn_state *cs = ctx;
	return cs->ep->upload->part_end(&cs->r);
}

static const struct multipart_callbacks mp_callbacks = {mp_begin, mp_data, mp_end};

/* --- the request's phases ------------------------------------------------------------------- */

static bool request_has_body(struct req *r);

static void serve_asset(struct req *r)
{
	const char *path = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	const struct asset *a = asset_find(path);
	if (!a || (r->method != HTTP_GET && r->method != HTTP_HEAD)) {
		http_reply_error(r, a ? 405 : 404, a ? "method_not_allowed" : "not_found",
				 a ? "method not allowed" : "not found", NULL);
		return;
	}
	/* Refused like a body sent to an API endpoint that takes none. Were it let through, the
	 * early reply below (for requests with a body) would have no asset to send. */
	if (request_has_body(r)) {
		http_reply_error(r, 413, "payload_too_large", "this request takes no body", NULL);
		return;
	}
	r->replied = true;
	r->status = 200;
	r->reply_type = asset_content_type(path);
	http_reply_header(r, "Cache-Control", "no-cache");
}

static bool is_state_changing(enum http_method m)
{
	return m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH || m == HTTP_DELETE;
}

static void load_session(struct conn_state *cs)
{
	struct req *r = &cs->r;
	const char *token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (!token || strlen(token) != AUTH_TOKEN_HEX - 1)
		return;
	struct db_conn *c = db_acquire(r->app->db);
	enum status st = auth_session_get(c, token, &r->session);
	db_release(r->app->db, c);
	r->authed = st == ST_OK;
}

/* --- the query string ------------------------------------------------------------------------ */

/* libmicrohttpd's unescape callback, which 0.9.75 applies to the path and to each query name and
 * value (after turning '+' into a space in those), but not to cookies. Leaving everything as it
 * came keeps "/api/log%69n" from reaching /api/login; decode_query decodes the query. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes S ('+' is a space) into the arena. ST_INVALID for a malformed escape, a NUL or
 * invalid UTF-8; ST_TOO_LARGE over LIMIT_QUERY_VALUE_BYTES decoded. */
static enum status query_decode(struct arena *a, const char *s, const char **out)
{
	size_t n = strlen(s), len = 0;
	char *d = arena_alloc(a, (n < LIMIT_QUERY_VALUE_BYTES ? n : LIMIT_QUERY_VALUE_BYTES) + 1);
	if (!d)
		return ST_NOMEM;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
			if (lo < 0)
				return ST_INVALID;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			return ST_INVALID;
		if (len >= LIMIT_QUERY_VALUE_BYTES)
			return ST_TOO_LARGE;
		d[len++] = (char)c;
	}
	d[len] = '\0';
	if (!utf8_valid(d, len))
		return ST_INVALID;
	*out = d;
	return ST_OK;
}

struct query_walk {
	struct conn_state *cs;
	enum status st;
};

static enum MHD_Result add_query_param(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	(void)kind;
	struct query_walk *w = cls;
	struct conn_state *cs = w->cs;
	if (cs->nquery >= LIMIT_QUERY_PARAMS) {
		w->st = ST_TOO_LARGE;
		return MHD_NO;
	}
	struct query_param *p = &cs->query[cs->nquery];
	if ((w->st = query_decode(&cs->r.arena, key, &p->name)) != ST_OK)
		return MHD_NO;
	p->value = NULL;
	if (value && (w->st = query_decode(&cs->r.arena, value, &p->value)) != ST_OK)
		return MHD_NO;
	/* One value per name: a proxy and we might otherwise read different ones. */
	for (size_t i = 0; i < cs->nquery; i++) {
		if (strcmp(cs->query[i].name, p->name) == 0) {
			w->st = ST_CONFLICT;
			return MHD_NO;
		}
	}
	cs->nquery++;
	return MHD_YES;
}

/* Decodes the query string into cs->query, so a handler reads checked text through http_query.
 * Leaves a 400 set when the query is malformed. */
static void decode_query(struct conn_state *cs)
{
	struct req *r = &cs->r;
	cs->query = arena_alloc(&r->arena, LIMIT_QUERY_PARAMS * sizeof *cs->query);
	if (!cs->query) {
		http_reply_error(r, 500, "internal", "out of memory", NULL);
		return;
	}
	struct query_walk w = {cs, ST_OK};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_query_param, &w);
	switch (w.st) {
	case ST_OK:
		break;
	case ST_TOO_LARGE:
		http_reply_error(r, 400, "bad_request",
				 "query string: over 32 parameters, or one over 256 bytes", NULL);
		break;
	case ST_CONFLICT:
		http_reply_error(r, 400, "bad_request", "query string: a parameter given twice",
				 NULL);
		break;
	case ST_NOMEM:
		http_reply_error(r, 500, "internal", "out of memory", NULL);
		break;
	default:
		http_reply_error(r, 400, "bad_request",
				 "query string: malformed %-escape, NUL or invalid UTF-8", NULL);
		break;
	}
}

/* --- the request's phases, continued ----------------------------------------------------------- */

static bool takes_body(const struct endpoint *ep)
{
	return ep && (ep->flags & (EP_JSON | EP_MULTIPART));
}

/* Body bytes a refused request may still deliver (and have dropped) before its connection is
 * closed without a reply: an upload may be refused early in a large file, any other body has
 * no business being much over LIMIT_JSON_BODY_BYTES. */
static uint64_t drain_limit(const struct conn_state *cs)
{
	if (cs->ep && (cs->ep->flags & EP_MULTIPART))
		return cs->r.app->max_upload + 2 * 1024 * 1024;
	return LIMIT_JSON_BODY_BYTES + LIMIT_DRAIN_SLACK_BYTES;
}

/* Called when the headers are in. Leaves a reply set when the request is refused. */
static void request_start(struct conn_state *cs)
{
	struct req *r = &cs->r;
	if (strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/api") != 0) {
		serve_asset(r);
		return;
	}
	if (r->method == 0) {
		http_reply_error(r, 405, "method_not_allowed", "method not allowed", NULL);
		return;
	}
	enum route_result rr = router_match(api_routes, api_routes_count, r->method,
					    slice_cstr(r->path), &r->match);
	if (rr == ROUTE_NOT_FOUND) {
		http_reply_error(r, 404, "not_found", "not found", NULL);
		return;
	}
	if (rr == ROUTE_METHOD_NOT_ALLOWED) {
		static const char *names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
		struct buf allow;
		buf_init(&allow, 128);
		for (unsigned i = 0; i < 7; i++)
			if (r->match.allowed & (1u << i))
				buf_printf(&allow, "%s%s", allow.len ? ", " : "", names[i]);
		http_reply_header(r, "Allow", allow.ptr ? allow.ptr : "");
		buf_release(&allow);
		http_reply_error(r, 405, "method_not_allowed", "method not allowed", NULL);
		return;
	}
	cs->ep = r->match.route->handler;
	load_session(cs);
	if (!(cs->ep->flags & EP_PUBLIC) && !r->authed) {
		http_reply_error(r, 401, "unauthenticated", "login required", NULL);
		return;
	}
	if (is_state_changing(r->method) && !(cs->ep->flags & EP_NO_CSRF)) {
		const char *tok = http_header(r, "X-CSRF-Token");
		if (!r->authed || !tok || !auth_csrf_ok(&r->session, tok, strlen(tok))) {
			http_reply_error(r, 403, "csrf_failed", "missing or wrong X-CSRF-Token header",
					 NULL);
			return;
		}
	}
	decode_query(cs);
	if (r->replied)
		return;
	const char *ctype = http_header(r, "Content-Type");
	const char *clen = http_header(r, "Content-Length");
	uint64_t declared = 0;
	if (clen) {
		char *end = NULL;
		errno = 0;
		unsigned long long v = strtoull(clen, &end, 10);
		if (errno || !end || *end || clen[0] == '-') {
			http_reply_error(r, 400, "bad_request", "bad Content-Length", NULL);
			return;
		}
		declared = v;
	}
	if (!takes_body(cs->ep) && declared > 0) {
		/* Refused now, so the reply goes out at once instead of after the body. */
		http_reply_error(r, 413, "payload_too_large", "this request takes no body", NULL);
		return;
	}
	if (cs->ep->flags & EP_JSON) {
		if (!ctype || strncasecmp(ctype, "application/json", 16) != 0) {
			http_reply_error(r, 415, "unsupported_media_type",
					 "the body must be application/json", NULL);
			return;
		}
		if (declared > LIMIT_JSON_BODY_BYTES) {
			http_reply_error(r, 413, "payload_too_large", "JSON body over 64 KiB", NULL);
			return;
		}
		buf_init(&cs->body, LIMIT_JSON_BODY_BYTES);
	}
	if (cs->ep->flags & EP_MULTIPART) {
		/* Headers and form fields add a little to the file; allow 1 MiB of them. */
		if (declared > r->app->max_upload + 1024 * 1024) {
			http_reply_error(r, 413, "payload_too_large", "the file is over the upload limit",
					 NULL);
			return;
		}
		enum status st = multipart_new(slice_cstr(ctype ? ctype : ""), &mp_callbacks, cs, &cs->mp);
		if (st != ST_OK) {
			http_reply_error(r, 415, "unsupported_media_type",
					 "the body must be multipart/form-data", NULL);
			return;
		}
		cs->upload_begun = true;
		if (cs->ep->upload->begin(r) != ST_OK && !r->replied)
			http_reply_error(r, 500, "internal", "internal error", NULL);
	}
}

static void request_body(struct conn_state *cs, const char *p, size_t n)
{
	struct req *r = &cs->r;
	if (cs->ep && (cs->ep->flags & EP_JSON)) {
		if (buf_add(&cs->body, p, n) != ST_OK)
			http_reply_error(r, 413, "payload_too_large", "JSON body over 64 KiB", NULL);
		return;
	}
	if (cs->mp) {
		enum status st = multipart_feed(cs->mp, p, n);
		if (st != ST_OK && !r->replied) {
			if (st == ST_INVALID)
				http_reply_error(r, 400, "bad_request", multipart_error(cs->mp), NULL);
			else if (st == ST_TOO_LARGE && cs->r.upload == NULL)
				http_reply_error(r, 413, "payload_too_large", multipart_error(cs->mp), NULL);
			else
				http_reply_status(r, st, NULL);
		}
		return;
	}
	/* A body nobody asked for (chunked, so not refused at the headers call). */
	http_reply_error(r, 413, "payload_too_large", "this request takes no body", NULL);
}

static void request_finish(struct conn_state *cs)
{
	struct req *r = &cs->r;
	if (cs->ep->flags & EP_JSON) {
		char err[256];
		enum status st = json_body_parse(cs->body.ptr ? cs->body.ptr : "", cs->body.len, &r->json,
						 err, sizeof err);
		if (st != ST_OK) {
			http_reply_error(r, st == ST_TOO_LARGE ? 413 : 400,
					 st == ST_TOO_LARGE ? "payload_too_large" : "invalid_json", err, NULL);
			return;
		}
	}
	if (cs->mp) {
		enum status st = multipart_finish(cs->mp);
		if (st != ST_OK) {
			http_reply_error(r, 400, "bad_request", multipart_error(cs->mp), NULL);
			return;
		}
	}
	cs->ep->handler(r);
}

/* Sums the request's header bytes, for LIMIT_HTTP_HEADER_BYTES: ": " and CRLF per header,
 * '=' and '&' per query parameter (which reach us undecoded, so their lengths are as sent). */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + (kind == MHD_GET_ARGUMENT_KIND ? 2 : 4);
	return MHD_YES;
}

static bool request_has_body(struct req *r)
{
	const char *clen = http_header(r, "Content-Length");
	const char *te = http_header(r, "Transfer-Encoding");
	return (clen && strcmp(clen, "0") != 0) || te;
}

static enum MHD_Result queue_asset(struct conn_state *cs)
{
	struct req *r = &cs->r;
	const struct asset *a = asset_find(strcmp(r->path, "/") == 0 ? "/index.html" : r->path);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->reply_type);
	add_common_headers(resp, false);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct conn_state *cs = *con_cls;
	if (!cs) {
		cs = calloc(1, sizeof *cs);
		if (!cs)
			return MHD_NO;
		*con_cls = cs;
		struct req *r = &cs->r;
		arena_init(&r->arena, 1024 * 1024);
		r->app = cls;
		r->conn = conn;
		r->reply_fd = -1;
		r->method = http_method_parse(method);
		/* The request line (with its query string) and the headers. */
		size_t ulen = strlen(url), hbytes = ulen + strlen(method) + strlen(version) + 4;
		MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, count_header,
					  &hbytes);
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ci ? ci->client_addr : NULL;
		snprintf(r->address, sizeof r->address, "unknown");
		if (sa && sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->address,
				  sizeof r->address);
		else if (sa && sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->address,
				  sizeof r->address);
		if (hbytes > LIMIT_HTTP_HEADER_BYTES) {
			http_reply_error(r, 431, "headers_too_large", "request headers over 16 KiB", NULL);
		} else if (ulen > LIMIT_PATH_BYTES) {
			http_reply_error(r, 414, "uri_too_long", "path too long", NULL);
		} else {
			r->path = arena_strndup(&r->arena, url, ulen);
			if (!r->path)
				http_reply_error(r, 500, "internal", "out of memory", NULL);
			else
				request_start(cs);
		}
		/* A refused request that carries a body is answered now, so the client need not send
		 * it (libmicrohttpd then closes the connection). Otherwise the reply waits for the
		 * last call, which keeps the connection alive. */
		if (r->replied && request_has_body(r)) {
			cs->queued = true;
			return queue_reply(cs);
		}
		return MHD_YES;
	}
	struct req *r = &cs->r;
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		cs->received += n;
		if (!cs->queued && !r->replied) {
			request_body(cs, upload_data, n);
			return MHD_YES;
		}
		/* Refused: libmicrohttpd 0.9.75 cannot queue a reply now, so the rest is read and
		 * dropped (nothing is stored) up to a bound, then the reply goes out. Past the bound
		 * the connection is closed without one. */
		if (cs->received > drain_limit(cs))
			return MHD_NO;
		return MHD_YES;
	}
	if (cs->queued)
		return MHD_YES;
	if (!r->replied)
		request_finish(cs);
	cs->queued = true;
	if (r->status == 200 && !r->reply_json && r->reply_fd < 0 && r->reply_type)
		return queue_asset(cs);
	return queue_reply(cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct conn_state *cs = *con_cls;
	if (!cs)
		return;
	if (cs->upload_begun && cs->ep->upload->cleanup)
		cs->ep->upload->cleanup(&cs->r);
	multipart_free(cs->mp);
	buf_release(&cs->body);
	json_decref(cs->r.json);
	json_decref(cs->r.reply_json);
	if (cs->r.reply_fd >= 0)
		close(cs->r.reply_fd);
	arena_release(&cs->r.arena);
	free(cs);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("http: %s", line);
}

int server_run(struct app *app, const struct server_config *cfg, void (*tick)(void *ctx),
	       void *ctx, unsigned tick_seconds)
{
	/* The server threads inherit this mask, so SIGINT/SIGTERM reach only sigwait below. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (router_check_table(api_routes, api_routes_count) != ST_OK) {
		log_error("serve: the route table is inconsistent");
		return 1;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sslen;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG | MHD_USE_POLL;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, cfg->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(cfg->port);
		sslen = sizeof *sin;
	} else if (inet_pton(AF_INET6, cfg->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(cfg->port);
		sslen = sizeof *sin6;
		flags |= MHD_USE_IPv6;
	} else {
		log_error("serve: '%s' is not an IP address", cfg->addr);
		return 1;
	}
	(void)sslen;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, on_request, app,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
		MHD_OPTION_END);
	if (!d) {
		log_error("serve: cannot listen on %s port %u", cfg->addr, cfg->port);
		return 1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	uint16_t port = cfg->port;
	if (di) {
		struct sockaddr_storage bound;
		socklen_t blen = sizeof bound;
		if (getsockname(di->listen_fd, (struct sockaddr *)&bound, &blen) == 0)
			port = ntohs(bound.ss_family == AF_INET6
					     ? ((struct sockaddr_in6 *)&bound)->sin6_port
					     : ((struct sockaddr_in *)&bound)->sin_port);
	}
	if (strchr(cfg->addr, ':'))
		printf("sidang: listening on http://[%s]:%u\n", cfg->addr, port);
	else
		printf("sidang: listening on http://%s:%u\n", cfg->addr, port);
	fflush(stdout);
	int sig;
	for (;;) {
		struct timespec ts = {tick_seconds ? (time_t)tick_seconds : 3600, 0};
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig < 0 && errno == EAGAIN && tick)
			tick(ctx);
	}
	log_info("serve: stopping on signal %d", sig);
	MHD_stop_daemon(d);
	return 0;
}
