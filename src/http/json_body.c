#include "http/json_body.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sidang_limits.h"

/* Keys quoted back in messages are cut to this many bytes: a key may be as long as the body. */
#define JSON_ERR_KEY_BYTES 64

/* Writes a message and makes it printable ASCII: messages quote input (jansson's "near '...'",
 * unknown keys), and a caller puts them into a JSON response, where invalid UTF-8 would make
 * json_string() fail, or into a log line, where control characters do not belong. */
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

/* True if V nests deeper than LIMIT_JSON_DEPTH; LEVEL is V's own depth (the body is 1). The
 * recursion stops one level past the limit, so it stays shallow whatever jansson accepted. */
static bool too_deep(json_t *v, int level)
{
	if (!json_is_object(v) && !json_is_array(v))
		return false;
	if (level > LIMIT_JSON_DEPTH)
		return true;
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) {
			if (too_deep(child, level + 1))
				return true;
		}
	} else {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			if (too_deep(child, level + 1))
				return true;
		}
	}
	return false;
}

enum status json_body_parse(const char *p, size_t n, json_t **out, char *err, size_t errlen)
{
	enum status st = ST_OK;
	json_t *root = NULL;
	json_error_t je;

	*out = NULL;
	set_err(err, errlen, "%s", "");
	if (n > (size_t)LIMIT_JSON_BODY_BYTES) {
		st = ST_TOO_LARGE;
		set_err(err, errlen, "body larger than %d bytes", LIMIT_JSON_BODY_BYTES);
		goto out;
	}
	/* Without JSON_DECODE_ANY the top level must be an object or array; without JSON_ALLOW_NUL
	 * \u0000 is refused; the default EOF check refuses anything after the value. */
	root = json_loadb(p ? p : "", n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		const char *why = je.text;
		switch (json_error_code(&je)) {
		case json_error_out_of_memory:
			st = ST_NOMEM;
			set_err(err, errlen, "out of memory");
			goto out;
		case json_error_null_character:
			why = "\\u0000 is not allowed in strings"; /* jansson's text names its flag */
			break;
		default:
			break;
		}
		st = ST_INVALID;
		if (je.line > 0)
			set_err(err, errlen, "line %d, column %d: %s", je.line, je.column, why);
		else
			set_err(err, errlen, "%s", why);
		goto out;
	}
	if (!json_is_object(root)) {
		st = ST_INVALID;
		set_err(err, errlen, "expected a JSON object");
		goto out;
	}
	if (too_deep(root, 1)) {
		st = ST_INVALID;
		set_err(err, errlen, "nested deeper than %d levels", LIMIT_JSON_DEPTH);
		goto out;
	}
	*out = root;
	root = NULL;
out:
	json_decref(root);
	return st;
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. jansson checks what it
 * parses, but a json_t may also have been built with json_stringn_nocheck. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += len;
	}
	return true;
}

/* Looks NAME up in OBJ: ST_OK with *V NULL when absent and optional. */
static enum status lookup(json_t *obj, const char *name, bool required, json_t **v, char *err, size_t errlen)
{
	*v = NULL;
	if (!json_is_object(obj)) {
		set_err(err, errlen, "expected a JSON object");
		return ST_INVALID;
	}
	*v = json_object_get(obj, name);
	if (!*v && required) {
		set_err(err, errlen, "field '%s': required", name);
		return ST_INVALID;
	}
	return ST_OK;
}

enum status json_get_string(json_t *obj, const char *name, bool required, size_t max, const char **out,
                            char *err, size_t errlen)
{
	json_t *v;
	*out = NULL;
	enum status st = lookup(obj, name, required, &v, err, errlen);
	if (st != ST_OK || !v)
		return st;
	if (!json_is_string(v)) {
		set_err(err, errlen, "field '%s': expected a string", name);
		return ST_INVALID;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > max) {
		set_err(err, errlen, "field '%s': longer than %zu bytes", name, max);
		return ST_INVALID;
	}
	if (!valid_utf8((const unsigned char *)s, n)) {
		set_err(err, errlen, "field '%s': invalid utf-8", name);
		return ST_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && c != '\t') {
			set_err(err, errlen, "field '%s': must not contain control characters", name);
			return ST_INVALID;
		}
	}
	*out = s;
	return ST_OK;
}

enum status json_get_int(json_t *obj, const char *name, bool required, int64_t min, int64_t max, bool *present,
                         int64_t *out, char *err, size_t errlen)
{
	json_t *v;
	if (present)
		*present = false;
	enum status st = lookup(obj, name, required, &v, err, errlen);
	if (st != ST_OK || !v)
		return st;
	if (present)
		*present = true;
	if (!json_is_integer(v)) {
		set_err(err, errlen, "field '%s': expected an integer", name);
		return ST_INVALID;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		set_err(err, errlen, "field '%s': must be between %lld and %lld", name, (long long)min,
		        (long long)max);
		return ST_INVALID;
	}
	*out = (int64_t)x;
	return ST_OK;
}

enum status json_check_keys(json_t *obj, const char *const *allowed, char *err, size_t errlen)
{
	if (!json_is_object(obj)) {
		set_err(err, errlen, "expected a JSON object");
		return ST_INVALID;
	}
	const char *key;
	size_t len;
	json_t *v;
	/* Lengths, not strcmp: a key built with json_object_setn may hold a NUL. */
	json_object_keylen_foreach(obj, key, len, v) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strlen(*a) == len && memcmp(key, *a, len) == 0;
		if (!known) {
			size_t shown = len > JSON_ERR_KEY_BYTES ? JSON_ERR_KEY_BYTES : len;
			set_err(err, errlen, "field '%.*s%s': unknown field", (int)shown, key,
			        len > JSON_ERR_KEY_BYTES ? "..." : "");
			return ST_INVALID;
		}
	}
	return ST_OK;
}
