/*
 * A streaming (push) parser for multipart/form-data request bodies (RFC 7578, RFC 2046 §5.1).
 * Uploads reach gigabytes, so the body is fed in whatever chunks the server receives and file
 * content is handed on as it arrives; the parser itself holds only one part's headers (at most
 * LIMIT_MULTIPART_PART_HEADER_BYTES) and a possible partial delimiter (at most boundary + 4 bytes).
 * Invariants: docs/internals/multipart.md.
 */
#ifndef SIDANG_HTTP_MULTIPART_H
#define SIDANG_HTTP_MULTIPART_H

#include <stddef.h>

#include "util/slice.h"
#include "util/status.h"

struct multipart; /* opaque */

/* Any callback may be NULL. Callbacks must not call back into the parser (feed, finish, free). */
struct multipart_callbacks {
	/* A part begins. NAME is the form field name; FILENAME has ptr == NULL when the part has no
	 * filename parameter (a plain field); CONTENT_TYPE may be empty. The slices are valid only
	 * during the call. A non-OK return stops the parse with that status. */
	enum status (*part_begin)(void *ctx, struct slice name, struct slice filename, struct slice content_type);
	/* Body bytes of the current part, in order; one part's bytes may come in any number of calls. */
	enum status (*part_data)(void *ctx, const char *p, size_t n);
	/* The current part ended with a delimiter. Not called for a part cut off by a truncated body
	 * or an error: the caller discards such a part on the error path. */
	enum status (*part_end)(void *ctx);
};

/* Parses the boundary from the Content-Type header value (e.g. `multipart/form-data;
 * boundary=----x`; the boundary may be quoted, the parameter name is case-insensitive, at most
 * 70 characters per RFC 2046). ST_INVALID if it is not multipart/form-data or has no valid
 * boundary; ST_NOMEM. CB is copied; CTX is passed to every callback. *OUT gets the new parser
 * (free it with multipart_free), or NULL on error. */
enum status multipart_new(struct slice content_type, const struct multipart_callbacks *cb, void *ctx,
                          struct multipart **out);

/* Feeds the next N bytes of the body (P may be NULL when N is 0). Returns ST_OK, a callback's
 * status, ST_INVALID (malformed), or ST_TOO_LARGE (a part's headers over
 * LIMIT_MULTIPART_PART_HEADER_BYTES, or more than LIMIT_MULTIPART_PARTS parts). After a non-OK
 * return, further feeds return the same status. */
enum status multipart_feed(struct multipart *m, const char *p, size_t n);

/* End of body: ST_OK only if the closing boundary (--boundary--) was seen; ST_INVALID otherwise
 * (truncated upload), or the status of an earlier failure. */
enum status multipart_finish(struct multipart *m);

/* A human-readable, lower-case reason for the last ST_INVALID/ST_TOO_LARGE, e.g. "part headers
 * too large"; "no error" before any failure. The string is static. */
const char *multipart_error(const struct multipart *m);

/* Frees the parser; NULL is allowed. */
void multipart_free(struct multipart *m);

#endif
