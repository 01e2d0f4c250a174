/*
 * JSON request bodies (jansson): strict decoding, and field helpers for the per-endpoint
 * validators. Error messages are lower-case, printable ASCII (safe to put into a JSON response
 * or a log line as they are) and name the field they are about.
 */
#ifndef SIDANG_HTTP_JSON_BODY_H
#define SIDANG_HTTP_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

/* Parses a request body (P, N bytes, not NUL-terminated) that must be a JSON object. Rejects
 * duplicate keys, nesting deeper than LIMIT_JSON_DEPTH (the top-level object is depth 1),
 * bodies over LIMIT_JSON_BODY_BYTES (ST_TOO_LARGE), invalid UTF-8, and \u0000 in strings.
 * On error returns ST_INVALID, ST_TOO_LARGE or ST_NOMEM and writes "line L, column C: reason"
 * (or another reason like "expected a JSON object") into ERR (ERRLEN bytes, always
 * NUL-terminated when ERRLEN > 0). *OUT gets a new reference (json_decref it), or NULL. */
enum status json_body_parse(const char *p, size_t n, json_t **out, char *err, size_t errlen);

/* Field helpers for validators. Each returns ST_OK and sets its outputs, or ST_INVALID with
 * ERR = "field 'NAME': reason" ("required", "expected a string", ...). A field that is JSON null
 * counts as present and of the wrong type, not as absent. */

/* *OUT: the string value of OBJ[NAME], borrowed from OBJ (valid while OBJ lives), or NULL when
 * absent and !REQUIRED. The value must be valid UTF-8, at most MAX bytes (longer is refused, never
 * truncated) and free of C0 control characters other than tab. */
enum status json_get_string(json_t *obj, const char *name, bool required, size_t max, const char **out,
                            char *err, size_t errlen);

/* *OUT: the integer value of OBJ[NAME], within [MIN, MAX]; 1.0 or "1" are not integers.
 * *PRESENT (may be NULL) tells whether the field was there, valid or not; when absent, *OUT is left
 * unchanged so the caller can preset a default. */
enum status json_get_int(json_t *obj, const char *name, bool required, int64_t min, int64_t max, bool *present,
                         int64_t *out, char *err, size_t errlen);

/* ST_INVALID with ERR = "field 'KEY': unknown field" for the first key of OBJ (in document order)
 * that is not in ALLOWED (NULL-terminated). */
enum status json_check_keys(json_t *obj, const char *const *allowed, char *err, size_t errlen);

#endif
