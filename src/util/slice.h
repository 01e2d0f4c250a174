/* Bytes from outside travel as {ptr,len}; nothing assumes NUL-termination (STYLE.md §4). */
#ifndef SIDANG_UTIL_SLICE_H
#define SIDANG_UTIL_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct slice {
	const char *ptr;
	size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

static inline struct slice slice_of(const char *p, size_t n) { return (struct slice){p, n}; }
static inline struct slice slice_cstr(const char *s) { return (struct slice){s, s ? strlen(s) : 0}; }

static inline bool slice_eq(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool slice_eq_cstr(struct slice a, const char *s) { return slice_eq(a, slice_cstr(s)); }

/* Case-insensitive ASCII comparison. */
bool slice_eq_nocase(struct slice a, const char *s);

/* Strips spaces and tabs at both ends. */
struct slice slice_trim(struct slice s);

#endif
