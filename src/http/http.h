/*
 * The request as API handlers see it, and the ways they answer. The server (http/server.c)
 * does the routing, body limits, session lookup and CSRF check before a handler runs, so a
 * handler starts from an authenticated request with its body parsed.
 */
#ifndef SIDANG_HTTP_HTTP_H
#define SIDANG_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/app.h"
#include "domain/auth.h"
#include "http/router.h"
#include "util/arena.h"
#include "util/buf.h"

struct req;

/* What an endpoint needs before its handler runs. */
enum endpoint_flags {
	EP_PUBLIC = 1,    /* no session needed */
	EP_JSON = 2,      /* the body is a JSON object (≤ LIMIT_JSON_BODY_BYTES) */
	EP_MULTIPART = 4, /* the body is multipart/form-data, streamed through the upload hooks */
	EP_NO_CSRF = 8,   /* a state-changing request without a session yet (login) */
};

/* Streaming upload hooks of a multipart endpoint; see api/documents.c. */
struct upload_hooks {
	/* Called once before the first body byte; may refuse the request (reply and return
	 * non-OK). */
	enum status (*begin)(struct req *r);
	enum status (*part_begin)(struct req *r, struct slice name, struct slice filename,
				  struct slice content_type);
	enum status (*part_data)(struct req *r, const char *p, size_t n);
	enum status (*part_end)(struct req *r);
	/* Always called once at the end (also after errors) to release what begin made. */
	void (*cleanup)(struct req *r);
};

struct endpoint {
	void (*handler)(struct req *r);
	unsigned flags;
	const struct upload_hooks *upload;
};

struct req {
	struct arena arena;      /* freed when the request ends */
	struct app *app;
	enum http_method method;
	const char *path;
	struct route_match match;
	char address[64];        /* client address as text */
	bool authed;
	struct auth_session session;
	json_t *json;            /* EP_JSON: the parsed body */
	void *upload;            /* EP_MULTIPART: the handler's state */
	void *conn;              /* the MHD connection (private to http/) */
	/* The reply, set by one of the http_reply_* calls. */
	int status;
	bool replied;
	json_t *reply_json;
	int reply_fd;            /* a file to send, or -1 */
	uint64_t reply_fd_size;
	const char *reply_type;
	char *reply_headers[8][2];
	int nreply_headers;
};

/* A query-string parameter, percent-decoded and checked before the handler ran (valid UTF-8,
 * no NUL, at most LIMIT_QUERY_VALUE_BYTES), or NULL when absent or given without '='. */
const char *http_query(struct req *r, const char *name);
/* A request header, or NULL. */
const char *http_header(struct req *r, const char *name);

/* Replies with JSON BODY (reference stolen). */
void http_reply_json(struct req *r, int status, json_t *body);
/* Replies {"error":{"code","message"[,"field"]}}. */
void http_reply_error(struct req *r, int status, const char *code, const char *message,
		      const char *field);
/* Replies with the error that fits ST (404 for ST_NOT_FOUND, 507 for ST_NOSPACE, ...). */
void http_reply_status(struct req *r, enum status st, const char *message);
/* An empty reply (204). */
void http_reply_empty(struct req *r, int status);
/* Sends SIZE bytes of FD (ownership taken) with CONTENT_TYPE. */
void http_reply_fd(struct req *r, int fd, uint64_t size, const char *content_type);
/* Adds a response header (copied). */
void http_reply_header(struct req *r, const char *name, const char *value);

#endif
