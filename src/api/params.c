/* Helpers shared by the API handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "domain/filetype.h"
#include "util/filename.h"

bool api_param_id(struct req *r, int i, int64_t *out)
{
	if (i >= r->match.nparams || !router_param_id(r->match.params[i], out)) {
		http_reply_error(r, 404, "not_found", "not found", NULL);
		return false;
	}
	return true;
}

void api_reply_field_error(struct req *r, const struct field_error *fe)
{
	http_reply_error(r, 400, "validation_failed", fe->message, fe->field);
}

void api_reply_result(struct req *r, enum status st, json_t *body, int ok_status)
{
	if (st != ST_OK) {
		json_decref(body);
		http_reply_status(r, st, NULL);
		return;
	}
	http_reply_json(r, ok_status, body);
}

/* The field a message "field 'NAME': ..." (json_body.h, the domain's validators) is about. */
static const char *field_of(struct req *r, const char *msg)
{
	static const char prefix[] = "field '";
	if (strncmp(msg, prefix, sizeof prefix - 1) != 0)
		return NULL;
	const char *name = msg + sizeof prefix - 1, *end = strchr(name, '\'');
	return end ? arena_strndup(&r->arena, name, (size_t)(end - name)) : NULL;
}

void api_reply_body_error(struct req *r, const char *err)
{
	http_reply_error(r, 400, "validation_failed", err, field_of(r, err));
}

bool api_query_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t def,
		   int64_t *out)
{
	const char *v = http_query(r, name);
	*out = def;
	if (!v)
		return true;
	size_t n = strlen(v);
	char *end = NULL;
	long long x = n > 0 && n <= 12 && strspn(v, "0123456789") == n ? strtoll(v, &end, 10) : -1;
	if (x < min || x > max)
		return api_reply_range_error(r, name, min, max);
	*out = x;
	return true;
}

bool api_reply_range_error(struct req *r, const char *name, int64_t min, int64_t max)
{
	char msg[128];
	snprintf(msg, sizeof msg, "parameter '%s': expected a number from %lld to %lld", name,
		 (long long)min, (long long)max);
	http_reply_error(r, 400, "validation_failed", msg, name);
	return false;
}

void api_reply_content(struct req *r, int fd, uint64_t size, const char *mime,
		       const char *filename, const char *sha256, bool want_inline)
{
	bool inl = want_inline && filetype_inline_ok(mime);
	struct buf cd;
	buf_init(&cd, 2048);
	if (filename_content_disposition(&cd, filename, inl) != ST_OK) {
		buf_release(&cd);
		close(fd);
		http_reply_status(r, ST_IO, NULL);
		return;
	}
	http_reply_fd(r, fd, size, mime);
	http_reply_header(r, "Content-Disposition", cd.ptr);
	buf_release(&cd);
	char etag[70];
	snprintf(etag, sizeof etag, "\"%s\"", sha256);
	http_reply_header(r, "ETag", etag);
	http_reply_header(r, "Cache-Control", "private, no-store");
	/* Content is never run as a page of ours: always sandboxed (a unique origin, no scripts),
	 * and only inline PDFs and images may be framed by the UI. */
	http_reply_header(r, "Content-Security-Policy",
			  inl ? "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
				"frame-ancestors 'self'"
			      : "sandbox; default-src 'none'; frame-ancestors 'none'");
}
