/*
 * libFuzzer harness for src/http/json_body.c: parses the input as a request body and, when it is
 * accepted, runs the field helpers over every key. Checks the promises of the interface: limits
 * hold, messages are printable ASCII, accepted strings are within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/json_body.h"
#include "sidang_limits.h"

static void check_err(const char *err)
{
	for (const char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			abort();
}

static int depth(json_t *v)
{
	int d = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach(v, k, c) {
			int cd = depth(c);
			d = cd > d ? cd : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c) {
			int cd = depth(c);
			d = cd > d ? cd : d;
		}
		return d + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	json_t *j = NULL;
	enum status st = json_body_parse((const char *)data, size, &j, err, sizeof(err));
	if (st != ST_OK) {
		if (j || err[0] == '\0' || (st != ST_INVALID && st != ST_TOO_LARGE && st != ST_NOMEM))
			abort();
		if (st == ST_TOO_LARGE && size <= LIMIT_JSON_BODY_BYTES)
			abort();
		check_err(err);
		return 0;
	}
	if (!json_is_object(j) || size > LIMIT_JSON_BODY_BYTES || depth(j) > LIMIT_JSON_DEPTH)
		abort();

	static const char *const allowed[] = {"title", "date", "pages", "", NULL};
	if (json_check_keys(j, allowed, err, sizeof(err)) != ST_OK)
		check_err(err);

	size_t max = size % 17;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		const char *s;
		if (json_get_string(j, key, true, max, &s, err, sizeof(err)) == ST_OK) {
			if (!s || strlen(s) > max || strlen(s) != json_string_length(v))
				abort();
			for (const char *c = s; *c; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t')
					abort();
		} else {
			check_err(err);
			if (s)
				abort();
		}
		int64_t x = 5;
		bool present = false;
		st = json_get_int(j, key, false, -1000, 1000, &present, &x, err, sizeof(err));
		if (!present)
			abort();
		if (st == ST_OK && (x < -1000 || x > 1000))
			abort();
		if (st != ST_OK)
			check_err(err);
	}
	const char *s = (const char *)1;
	if (json_get_string(j, "\x01missing", false, 1, &s, err, sizeof(err)) != ST_OK || s)
		abort();
	json_decref(j);
	return 0;
}
