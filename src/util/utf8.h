/* UTF-8 validity (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
#ifndef SIDANG_UTIL_UTF8_H
#define SIDANG_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *p, size_t n);

#endif
