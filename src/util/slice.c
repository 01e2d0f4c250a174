#include "util/slice.h"

#include <strings.h>

bool slice_eq_nocase(struct slice a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || strncasecmp(a.ptr, s, n) == 0);
}

struct slice slice_trim(struct slice s)
{
	while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
		s.ptr++;
		s.len--;
	}
	while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
		s.len--;
	return s;
}
